"""Templates keep what their authors made, and user text is never run as template code.

Covers files "written by others" (tests/fixtures/templates_others/, built by its make.py):
Word documents typed with autocorrect (curly quotes), docxtpl's own tags, Excel workbooks
with images, drop-down lists, conditional formats, a used range of the whole sheet.
"""

import io
import re

import pytest
from openpyxl import load_workbook

from tests.conftest import Auth, csrf_from
from tests.test_entries import COMPLETE, _post

PAYLOADS = ["{{ persona.codice_fiscale }}",
            "{% for p in pratiche %}{{ p.persona.codice_fiscale }}{% endfor %}"]


def _workbook_text(content: bytes) -> str:
    workbook = load_workbook(io.BytesIO(content))
    return "\n".join(str(cell.value) for sheet in workbook.worksheets
                     for cell in sheet._cells.values() if cell.value is not None)


@pytest.fixture
def sheet(client, auth, world):
    auth.login("as_a")
    page = client.get(f"/pratiche/{world['cases']['A']}")
    response = client.post(f"/pratiche/{world['cases']['A']}/schede/nuova",
                           data={"csrf_token": csrf_from(page), "modulo": "prova"})
    return int(re.search(r"/schede/(\d+)/", response.headers["Location"]).group(1))


def test_template_code_typed_in_a_repeated_row_is_printed_literally(client, sheet):
    _post(client, sheet, "completa", **{
        **COMPLETE, "familiari-0-nome": PAYLOADS[0], "familiari-1-nome": PAYLOADS[1],
        "familiari-1-parentela": "fratello"})
    page = client.get(f"/schede/{sheet}")
    response = client.post(f"/schede/{sheet}/documenti/familiari_prova",
                           data={"csrf_token": csrf_from(page), "formato": "xlsx"})
    assert response.status_code == 200
    rows = load_workbook(io.BytesIO(response.data)).active
    assert rows["A3"].value == PAYLOADS[0] and rows["A4"].value == PAYLOADS[1]
    assert "RSSMRA41D03F205B" not in _workbook_text(response.data)


def test_template_code_in_a_register_row_does_not_copy_other_cases(app, client, sheet, world):
    _post(client, sheet, "completa", **COMPLETE)
    coordinator = app.test_client()
    Auth(coordinator).login("coord_a")
    url = f"/persone/{world['persons']['A']}/modifica"
    page = coordinator.get(url)
    saved = coordinator.post(url, data={"csrf_token": csrf_from(page), "cognome": PAYLOADS[1],
                                        "nome": "Mario"})
    assert saved.status_code == 302
    page = coordinator.get("/documenti/registri")
    response = coordinator.post("/documenti/registri", data={
        "csrf_token": csrf_from(page), "modello": "registro_prova", "formato": "xlsx"})
    assert response.status_code == 200
    rows = load_workbook(io.BytesIO(response.data)).active
    assert rows["A3"].value == PAYLOADS[1]
    assert "RSSMRA41D03F205B" not in _workbook_text(response.data)


def test_a_repeated_row_is_bounded(tmp_path):
    from openpyxl import Workbook

    from app.documents.excel import MAX_REPEATED_ROWS, RepeatLimitError, render_xlsx

    workbook = Workbook()
    workbook.active["A1"] = "{% for n in righe %}{{ n }}"
    path = tmp_path / "righe.xlsx"
    workbook.save(path)
    filled = load_workbook(io.BytesIO(render_xlsx(path, {"righe": range(3)}))).active
    assert [filled.cell(row=r, column=1).value for r in (1, 2, 3)] == [0, 1, 2]
    with pytest.raises(RepeatLimitError, match=r"più di 10\.000 elementi"):
        render_xlsx(path, {"righe": range(MAX_REPEATED_ROWS + 1)})
