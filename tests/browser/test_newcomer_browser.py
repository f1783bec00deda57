"""What misled a newcomer, in Chromium: a second Save after a conflict, leaving a sheet with
changes not yet kept (warning, autosave on "Esci"), the access report of a person; axe-core
on the new pages."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from test_accessibility import assert_accessible
from test_sheet import new_assessment  # noqa: F401 - a fixture

from tests.browser.conftest import PASSWORD


@pytest.fixture(scope="session")
def axe():
    return Axe()


def _log_in(tab, username: str) -> None:
    tab.goto("/accesso")
    tab.get_by_label("Nome utente").fill(username)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Accedi").click()
    tab.wait_for_url(lambda url: "/accesso" not in url)


def test_second_save_after_a_conflict_keeps_both(page, browser, live_server, new_assessment,  # noqa: F811
                                                 axe, no_csp_errors):
    edit_url = new_assessment()
    context = browser.new_context(base_url=live_server, locale="it-IT", reduced_motion="reduce")
    other = context.new_page()
    _log_in(other, "coord.monza")
    other.goto(edit_url)
    other.get_by_label("Altre persone presenti").fill("La figlia Anna")
    other.get_by_role("button", name="Salva bozza").click()
    expect(other.get_by_text("Bozza salvata.")).to_be_visible()
    context.close()

    page.get_by_label("Diagnosi principale").fill("Demenza di grado moderato")
    page.get_by_role("button", name="Salva bozza").click()
    panel = page.get_by_role("alert").filter(has_text="Il tuo salvataggio non è stato applicato")
    expect(panel).to_contain_text(re.compile(r"la scheda è stata salvata da .+, alle \d\d:\d\d"))
    expect(panel).to_contain_text("La figlia Anna")
    # The other person's change is in the form now, and what I typed is still there.
    expect(page.get_by_label("Altre persone presenti")).to_have_value("La figlia Anna")
    expect(page.get_by_label("Diagnosi principale")).to_have_value("Demenza di grado moderato")
    assert_accessible(axe, page)

    page.get_by_role("button", name="Salva bozza").click()
    expect(page.get_by_text("Bozza salvata.")).to_be_visible()
    expect(page.get_by_text("La figlia Anna")).to_be_visible()
    expect(page.get_by_text("Demenza di grado moderato")).to_be_visible()
    no_csp_errors()


def test_leaving_with_unsaved_changes_warns(page, new_assessment, no_csp_errors):  # noqa: F811
    new_assessment()
    page.get_by_label("Diagnosi principale").fill("Scritto e non salvato")
    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.get_by_role("navigation", name="Percorso").get_by_role("link").first.click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    expect(page).to_have_url(re.compile(r"/schede/\d+/modifica$"))
    expect(page.get_by_label("Diagnosi principale")).to_have_value("Scritto e non salvato")
    no_csp_errors()


def test_logging_out_keeps_what_was_typed(page, login, new_assessment, no_csp_errors):  # noqa: F811
    edit_url = new_assessment()
    page.get_by_label("Diagnosi principale").fill("Scritto prima di uscire")
    page.get_by_role("button", name="Esci").click()
    expect(page).to_have_url(re.compile("/accesso"))
    login("as.monza")
    page.goto(edit_url)
    page.get_by_role("link", name="Ripristinale").click()
    expect(page.get_by_label("Diagnosi principale")).to_have_value("Scritto prima di uscire")
    no_csp_errors()


def test_cancel_a_new_sheet_leaves_nothing(page, new_assessment, no_csp_errors):  # noqa: F811
    new_assessment()
    page.get_by_role("button", name="Annulla").click()
    expect(page.get_by_text("Scheda annullata")).to_be_visible()
    expect(page.get_by_role("heading", level=1, name=re.compile("^Pratica di"))).to_be_visible()
    no_csp_errors()


def test_access_report_of_a_person(page, login, axe, no_csp_errors):
    login("coord.monza")
    page.goto("/persone/")
    page.get_by_role("table").get_by_role("link").first.click()
    page.get_by_role("link", name="Apri il report degli accessi").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("^Chi ha consultato i dati di"))
           ).to_be_visible()
    expect(page.get_by_role("cell", name="Anagrafica di", exact=False).first).to_be_visible()
    assert_accessible(axe, page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Scarica in Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    page.get_by_role("link", name="Versione da stampare").click()
    expect(page.get_by_role("button", name="Stampa o salva in PDF")).to_be_visible()
    assert_accessible(axe, page)
    no_csp_errors()
