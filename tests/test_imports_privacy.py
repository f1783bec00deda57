"""Imports as a hostile or careless colleague would use them, with the real forms: staff
cannot read, compare or overwrite sensitive fields through a register, nor open another's
import report; the wizard's state stays on the server and is its user's alone; a saved
mapping cannot be a YAML bomb; what the wizard says names labels and titles, not ids."""

import html
import io
import json
import re
import time
from itertools import pairwise
from pathlib import Path

import pytest
from openpyxl import Workbook

from app import create_app
from tests import registers
from tests.conftest import Auth, csrf_from

VERDI = registers.VERDI.cf
REPO = Path(__file__).resolve().parent.parent
CF = "RSSMRA41D03F205B"  # Rossi Mario, office A, with an open case (conftest's world)
VMD = "valutazione_multidimensionale"


@pytest.fixture
def app(tmp_path):
    empty = tmp_path / "nessun-modello"
    empty.mkdir()
    return create_app({"INSTANCE_PATH": tmp_path / "instance", "TESTING": True,
                       "FORMS_DIR": str(REPO / "forms"), "DOC_TEMPLATES_DIR": str(empty),
                       "SPREADSHEETS_DIR": str(empty)})


def client_of(app, username: str):
    client = app.test_client()
    Auth(client).login(username)
    return client


@pytest.fixture
def staff(app, world):
    return client_of(app, "amm_a")


@pytest.fixture
def coordinator(app, world):
    return client_of(app, "coord_a")


def vmd_csv(secret: str, diagnosis: str = "Diabete") -> bytes:
    rows = [["Codice fiscale", "Cognome", "Nome", "Data di nascita", "Data della valutazione",
             "Diagnosi principale", "Sintesi dei bisogni"],
            [CF, "Rossi", "Mario", "03/04/1941", "10/01/2026", diagnosis, secret]]
    return "\n".join(";".join(row) for row in rows).encode()


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def upload(client, content: bytes, form: str = VMD, name: str = "registro.csv", mappa=None):
    data = {"csrf_token": csrf_from(client.get("/importazioni/")), "modulo": form,
            "area": "non_autosufficienza", "file": (io.BytesIO(content), name)}
    if mappa is not None:
        data["mappa"] = (io.BytesIO(mappa), "mappatura.yaml")
    return client.post("/importazioni/", data=data, content_type="multipart/form-data")


def suggested(page) -> dict[str, str]:
    """The mapping page's selects as the wizard proposes them: select name -> value."""
    return dict(re.findall(r'<select id="(colonna_\d+)".*?<option value="([^"]*)" selected',
                           page.get_data(as_text=True), re.S))


def to_preview(client, content: bytes, form: str = VMD, name: str = "registro.csv"):
    """Upload, keep the suggested columns; the token and the preview page's text."""
    mapping_url = upload(client, content, form, name).headers["Location"]
    page = client.get(mapping_url)
    done = client.post(mapping_url, data={"csrf_token": csrf_from(page), **suggested(page)})
    return mapping_url.split("/")[-2], page_text(client.get(done.headers["Location"]))


def run_import(client, content: bytes, form: str = VMD, name: str = "registro.csv") -> int:
    """The whole wizard, confirmed; the new import's id."""
    token, _preview = to_preview(client, content, form, name)
    progress = client.post(f"/importazioni/{token}/conferma",
                           data={"csrf_token": csrf_from(client.get("/importazioni/"))})
    for _ in range(200):
        answer = client.get(progress.headers["Location"])
        if answer.status_code == 302 and re.search(r"/importazioni/\d+$",
                                                   answer.headers["Location"]):
            return int(answer.headers["Location"].rsplit("/", 1)[1])
        time.sleep(0.05)
    raise AssertionError("the import did not end: " + page_text(answer))


def counts(preview: str) -> dict[str, str]:
    return dict(re.findall(r'<dt class="col-sm-4">(.*?)</dt><dd class="col-sm-8">(.*?)</dd>',
                           preview))


def stored(db, form: str = VMD) -> dict:
    row = db.execute("SELECT data FROM entries WHERE form_id = ? AND person_id = "
                     "(SELECT id FROM persons WHERE codice_fiscale = ?)", [form, CF]).fetchone()
    return json.loads(row[0])


def test_staff_can_neither_overwrite_nor_probe_a_sensitive_field(staff, coordinator, db):
    run_import(coordinator, vmd_csv("SEGRETO"))
    assert stored(db)["sintesi_bisogni"] == "SEGRETO"

    # The preview is the same whether the file's value matches the stored one or not.
    same = counts(to_preview(staff, vmd_csv("SEGRETO"))[1])
    other = counts(to_preview(staff, vmd_csv("DIVERSO"))[1])
    assert same == other
    assert (same["Schede invariate"], same["Schede da aggiornare"]) == ("1", "0")

    # The column is neither suggested nor offered for staff.
    page = staff.get(upload(staff, vmd_csv("DIVERSO")).headers["Location"])
    assert 'value="sintesi_bisogni"' not in page.get_data(as_text=True)
    assert 'value="sintesi_bisogni"' in coordinator.get(
        upload(coordinator, vmd_csv("X")).headers["Location"]).get_data(as_text=True)

    # Writing: the other fields change, the sensitive one stays as the coordinator left it.
    run_import(staff, vmd_csv("DIVERSO", diagnosis="Diabete di tipo 2"))
    data = stored(db)
    assert (data["diagnosi_principale"], data["sintesi_bisogni"]) == ("Diabete di tipo 2",
                                                                      "SEGRETO")


def test_staff_choosing_or_loading_a_sensitive_destination_is_refused_by_label(staff, db):
    mapping_url = upload(staff, vmd_csv("DIVERSO")).headers["Location"]
    page = staff.get(mapping_url)
    chosen = {**suggested(page), "colonna_6": "sintesi_bisogni"}

    refused = staff.post(mapping_url, data={"csrf_token": csrf_from(page), **chosen},
                         follow_redirects=True)

    assert refused.request.path == mapping_url
    assert ("Il campo «Sintesi dei bisogni» è in una sezione riservata che il tuo ruolo non "
            "può vedere né modificare") in page_text(refused)
    token = mapping_url.split("/")[-2]
    assert staff.get(f"/importazioni/{token}/anteprima").status_code == 200
    saved = (f"modulo: {VMD}\ncolonne:\n  Codice fiscale: persona.codice_fiscale\n"
             "  Sintesi dei bisogni: sintesi_bisogni\n").encode()
    answer = upload(staff, vmd_csv("X"), mappa=saved)
    text = page_text(staff.get(answer.headers["Location"]))
    assert ("La mappatura «mappatura.yaml» porta la colonna «Sintesi dei bisogni» nel campo "
            "«Sintesi dei bisogni», di una sezione riservata") in text


def test_a_report_is_for_its_author_and_the_coordinators(app, staff, coordinator, db):
    theirs = run_import(coordinator, vmd_csv("SEGRETO"), name="registro-coordinatore.csv")
    mine = run_import(staff, vmd_csv("X", diagnosis="Altro"), name="registro-amm.csv")
    csrf = csrf_from(staff.get("/importazioni/"))

    assert staff.get(f"/importazioni/{theirs}").status_code == 404
    assert staff.get(f"/importazioni/{theirs}/esito.xlsx").status_code == 404
    assert staff.post(f"/importazioni/{theirs}/annulla",
                      data={"csrf_token": csrf}).status_code == 404
    assert db.execute("SELECT status FROM imports WHERE id = ?", [theirs]).fetchone()[0] == \
        "completata"
    history = page_text(staff.get("/importazioni/"))
    assert "registro-amm.csv" in history and "registro-coordinatore.csv" not in history
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'denied' AND "
                      "object_type = 'import' AND object_id = ?", [theirs]).fetchone()[0] == 3
    # The author and the coordinator open it; another office's coordinator does not.
    assert staff.get(f"/importazioni/{mine}").status_code == 200
    assert staff.get(f"/importazioni/{mine}/esito.xlsx").data[:2] == b"PK"
    assert coordinator.get(f"/importazioni/{mine}").status_code == 200
    assert client_of(app, "coord_b").get(f"/importazioni/{mine}").status_code == 404
    # Its author undoes it; the import and the undo are logged with who and from where.
    staff.post(f"/importazioni/{mine}/annulla", data={"csrf_token": csrf})
    logged = db.execute("SELECT action, username, ip FROM audit_log WHERE object_type = "
                        "'import' AND object_id = ? AND action IN ('import', 'undo') "
                        "ORDER BY id", [mine]).fetchall()
    assert logged == [("import", "amm_a", "127.0.0.1"), ("undo", "amm_a", "127.0.0.1")]


def test_the_wizard_state_is_on_the_server_and_only_its_user_reaches_it(app, staff,
                                                                        coordinator):
    mapping_url = upload(staff, vmd_csv("X")).headers["Location"]
    token = mapping_url.split("/")[-2]
    cookie = staff.get_cookie(app.config["SESSION_COOKIE_NAME"])
    content = json.dumps(app.session_interface.get_signing_serializer(app).loads(cookie.value))
    assert app.instance_path not in content and "caricamenti" not in content
    assert token not in content and "registro.csv" not in content

    csrf = csrf_from(coordinator.get("/importazioni/"))
    for step in ("mappa", "anteprima", "mappatura.yaml", "esito-anteprima.xlsx"):
        assert coordinator.get(f"/importazioni/{token}/{step}").status_code == 404, step
    assert coordinator.post(f"/importazioni/{token}/conferma",
                            data={"csrf_token": csrf}).status_code == 404
    coordinator.post(f"/importazioni/{token}/abbandona", data={"csrf_token": csrf})
    uploads = list((Path(app.instance_path) / "caricamenti").iterdir())
    assert len(uploads) == 1  # the other user's "abandon" did not remove it
    assert staff.get(mapping_url).status_code == 200


def test_a_yaml_bomb_mapping_is_refused_at_once(app, staff, db):
    names = "abcdefghi"  # nine levels of nine aliases each: 9**9 strings once expanded
    text = f"modulo: {VMD}\na: &a [{', '.join(['lol'] * 9)}]\n"
    for before, name in pairwise(names):
        text += f"{name}: &{name} [{', '.join([f'*{before}'] * 9)}]\n"
    bomb = (text + "colonne: {x: *i}\n").encode()
    assert len(bomb) < 700
    started = time.monotonic()

    answer = upload(staff, vmd_csv("X"), mappa=bomb)

    assert time.monotonic() - started < 5
    text = page_text(staff.get(answer.headers["Location"]))
    assert ("Mappatura rifiutata: «mappatura.yaml» è rifiutato: usa ancore o alias YAML") in text
    assert db.execute("SELECT COUNT(*) FROM import_wizards").fetchone()[0] == 0
    big = upload(staff, vmd_csv("X"), mappa=b"# " + b"x" * 70_000 + b"\ncolonne: {}\n")
    assert "è troppo grande (al massimo 64 KB)" in page_text(staff.get(big.headers["Location"]))


def test_messages_name_labels_and_titles(coordinator, staff, db):
    # Verdi has no sheet: a new draft, lacking required answers named by their labels.
    rows = [["Codice fiscale", "Cognome", "Nome", "Data di nascita", "Anno"],
            [VERDI, "Verdi", "Anna", "30/01/1945", "2026"]]
    csv = "\n".join(";".join(r) for r in rows).encode()
    report = page_text(coordinator.get(f"/importazioni/{run_import(coordinator, csv, 'misura_b1')}"))
    assert "Misura B1 – Disabilità gravissima" in report
    assert "«Richiedente (nome e cognome)»" in report and "«Data della domanda»" in report
    assert "richiedente_nome" not in report and "data_domanda" not in report
    # A staff member's report of a new assessment does not name its sensitive fields.
    vmd = vmd_csv("").replace(CF.encode(), VERDI.encode()).replace(b"Rossi;Mario",
                                                                          b"Verdi;Anna")
    theirs = page_text(coordinator.get(f"/importazioni/{run_import(coordinator, vmd)}"))
    assert "«Sintesi dei bisogni»" in theirs
    mine = page_text(staff.get(f"/importazioni/{run_import(staff, vmd.replace(b'2026', b'2025'))}"))
    assert re.search(r"<td>2</td><td>crea</td><td>bozza</td>", mine)
    assert "Sintesi dei bisogni" not in mine


def test_mapping_examples_show_whole_numbers_and_abbreviated_headers_match(staff, tmp_path):
    workbook = Workbook()
    workbook.active.append(["Codice fiscale", "Cognome", "Nome", "Com_Nascita", "Data_Nasc",
                            "Anno"])
    workbook.active.append([CF, "Rossi", "Mario", "Milano", "03/04/1941", 2026])
    out = io.BytesIO()
    workbook.save(out)

    page = staff.get(upload(staff, out.getvalue(), "misura_b1", "registro.xlsx")
                     .headers["Location"])

    text = page.get_data(as_text=True)
    assert "2026" in text and "2026.0" not in text
    chosen = suggested(page)
    assert (chosen["colonna_3"], chosen["colonna_4"], chosen["colonna_5"]) == (
        "persona.luogo_nascita", "persona.data_nascita", "anno")


def test_a_file_where_no_column_matched_says_so_and_lists_its_headers(staff):
    csv = b"Foo;Bar\n1;2\n3;4\n"
    mapping_url = upload(staff, csv, "misura_b1").headers["Location"]

    text = page_text(staff.get(mapping_url))

    assert ("Nessuna colonna del file corrisponde ai campi del modulo «Misura B1 – Disabilità "
            "gravissima», quindi nessuna riga può essere importata: le intestazioni trovate "
            "alla riga 1 sono: «Foo», «Bar».") in text


def test_the_command_line_says_the_same_in_labels(app, world, db, tmp_path):
    from app.imports.scripting import run_import

    plain = tmp_path / "nulla.csv"
    plain.write_bytes(b"Foo;Bar\n1;2\n")
    found = tmp_path / "registro.csv"
    found.write_bytes(b"Codice fiscale;Cognome;Nome;Com_Nascita;Anno\n"
                      + f"{CF};Rossi;Mario;Milano;2026\n".encode())

    nothing = run_import(app, db, str(plain), "misura_b1", "A", dry_run=True)
    something = run_import(app, db, str(found), "misura_b1", "A", dry_run=True)

    assert ("Nessuna colonna del file corrisponde ai campi del modulo «Misura B1 – Disabilità "
            "gravissima»") in "\n".join(nothing["text"])
    assert "  Com_Nascita → Luogo di nascita" in something["text"]
    assert "  Anno → Anno della misura" in something["text"]
