"""Documents in Chromium: a social worker writes a care plan and downloads it as Word.

The plan's goals are typed in the goals repeat (rows added with htmx). Saved as a draft, the
Word file opens with the BOZZA mark; completed, it does not. Every document produced is
archived: the case page lists it under "Documenti prodotti", and downloading it from there
gives back exactly the same bytes.
"""

import hashlib
import re
from datetime import date, timedelta
from pathlib import Path

from docx import Document
from playwright.sync_api import expect

FORM_TITLE = "Progetto individualizzato"
TEMPLATE_TITLE = "Progetto individualizzato"
# The button reads "DOCX"; the template's title follows, visually hidden.
DOCX_BUTTON = re.compile(rf"^DOCX\s*:\s*{TEMPLATE_TITLE}$")
GOALS_LABEL = "Obiettivi del progetto"
GOALS = [
    ("Uscire di casa con l'educatrice almeno due volte a settimana",
     "Uscite registrate nel diario dell'educatrice"),
    ("Riprendere la fisioterapia domiciliare dopo la caduta di marzo",
     "Dieci sedute svolte entro la scadenza"),
]


def docx_text(path: Path) -> str:
    """The text of a Word file, paragraphs then table cells, one per line."""
    document = Document(str(path))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.extend(cell.text for cell in row.cells)
    return "\n".join(lines)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def download(page, button, folder: Path):
    """Click what downloads a file; the saved file and its suggested name."""
    with page.expect_download() as info:
        button.click()
    saved = folder / f"{len(list(folder.iterdir()))}-{info.value.suggested_filename}"
    info.value.save_as(saved)
    return saved, info.value.suggested_filename


def test_care_plan_to_word_draft_then_complete_and_archived(page, login, tmp_path, no_csp_errors):
    folder = tmp_path / "scaricati"
    folder.mkdir()
    login("as.monza")
    page.goto("/")
    page.get_by_role("table", name="I miei casi aperti").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1, name=re.compile("^Pratica di"))).to_be_visible()
    case_url = page.url
    page.get_by_role("button", name=re.compile(rf"^Nuova scheda\s*:\s*{FORM_TITLE}$")).click()
    expect(page).to_have_url(re.compile(r"/schede/\d+/modifica$"))
    expect(page.get_by_role("heading", level=1, name=FORM_TITLE)).to_be_visible()

    # Two goals: the first row is there from the start (at least one goal), the second is
    # added in place through htmx; what was typed in the first survives the addition.
    def goal_row(number: int):
        return page.get_by_role("group", name=f"{GOALS_LABEL} — riga {number}")

    expect(goal_row(1)).to_be_visible()
    expect(goal_row(2)).to_have_count(0)
    for number, (goal, indicator) in enumerate(GOALS, start=1):
        if number > 1:
            page.get_by_role("button", name=f"Aggiungi una riga a «{GOALS_LABEL}»").click()
        row = goal_row(number)
        row.get_by_role("textbox", name=re.compile("^Obiettivo")).fill(goal)
        row.get_by_role("textbox", name=re.compile("^Indicatore di risultato")).fill(indicator)
    for number, (goal, _indicator) in enumerate(GOALS, start=1):
        expect(goal_row(number).get_by_role("textbox", name=re.compile("^Obiettivo"))
               ).to_have_value(goal)
    expect(page).to_have_url(re.compile(r"/schede/\d+/modifica$"))  # no page load

    # A draft first: the document says so.
    page.get_by_role("button", name="Salva bozza").click()
    expect(page.get_by_role("status").filter(has_text="Bozza salvata.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/schede/\d+$"))
    sheet_url = page.url
    documents = page.get_by_role("region", name="Documenti")
    expect(documents.get_by_text("i documenti saranno contrassegnati BOZZA")).to_be_visible()
    docx_button = documents.get_by_role("button", name=DOCX_BUTTON)
    draft_file, draft_name = download(page, docx_button, folder)
    assert draft_name.startswith(f"{TEMPLATE_TITLE} - ") and draft_name.endswith(".docx")
    text = docx_text(draft_file)
    assert text.lstrip().startswith("BOZZA"), text[:200]
    for goal, indicator in GOALS:
        assert goal in text and indicator in text

    # Then complete: what "Salva come completa" requires (forms/progetto_individualizzato.yaml).
    page.get_by_role("link", name="Modifica").click()
    expect(page.get_by_role("heading", level=1, name=FORM_TITLE)).to_be_visible()
    today = date.today()
    page.get_by_label("Data del progetto").fill(today.isoformat())
    # The case manager is prefilled from the case.
    expect(page.get_by_role("textbox", name=re.compile("^Case manager"))).not_to_be_empty()
    deadlines = [today + timedelta(days=90), today + timedelta(days=180)]
    for number, deadline in enumerate(deadlines, start=1):
        goal_row(number).get_by_role("textbox", name=re.compile("^Entro il")).fill(
            deadline.isoformat())
    shared = page.get_by_role("group", name=re.compile(r"^Progetto condiviso con la persona"))
    shared.get_by_text("Sì", exact=True).click()
    expect(shared.get_by_role("radio", name="Sì")).to_be_checked()
    page.get_by_label("Data della prossima verifica").fill(deadlines[1].isoformat())
    page.get_by_role("button", name="Salva come completa").click()
    expect(page.get_by_role("status").filter(has_text="Scheda salvata come completa.")).to_be_visible()
    expect(page).to_have_url(sheet_url)

    documents = page.get_by_role("region", name="Documenti")
    expect(documents.get_by_text("i documenti saranno contrassegnati BOZZA")).to_have_count(0)
    final_file, final_name = download(
        page, documents.get_by_role("button", name=DOCX_BUTTON), folder)
    assert final_name.endswith(f" - {today.strftime('%d-%m-%Y')}.docx"), final_name
    text = docx_text(final_file)
    assert "BOZZA" not in text
    for (goal, indicator), deadline in zip(GOALS, deadlines, strict=True):
        assert goal in text and indicator in text
        assert deadline.strftime("%d/%m/%Y") in text

    # The case page lists both; the archived copies come back byte for byte.
    page.get_by_role("navigation", name="Percorso").get_by_role(
        "link", name=re.compile("^Pratica")).click()
    expect(page).to_have_url(case_url)
    produced = page.get_by_role("table", name="Documenti prodotti")
    final_row = produced.get_by_role("row").filter(
        has=page.get_by_role("link", name=final_name, exact=True))
    expect(final_row).to_have_count(1)
    expect(final_row).not_to_contain_text("bozza")
    expect(final_row).to_contain_text(sha256(final_file)[:16])
    draft_row = produced.get_by_role("row").filter(
        has=page.get_by_role("link", name=draft_name, exact=True)).filter(has_text="bozza")
    expect(draft_row).to_have_count(1)

    again, again_name = download(page, final_row.get_by_role("link", name=final_name), folder)
    assert again_name == final_name
    assert sha256(again) == sha256(final_file)
    draft_again, _name = download(page, draft_row.get_by_role("link"), folder)
    assert sha256(draft_again) == sha256(draft_file)
    no_csp_errors()
