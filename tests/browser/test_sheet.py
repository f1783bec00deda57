"""A social worker fills the multidimensional assessment in Chromium.

Live updates (Barthel total, show_if questions, the bisogni section), repeat rows added with
htmx, save as complete, reopen; axe-core on the edit page. Every live update is awaited through
what the user sees (`expect(...)` retries). Slow networks are played by holding the live
update's response (`page.route`) until the user has done something meanwhile.
"""

import re
import time
from datetime import date

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from test_accessibility import assert_accessible

FORM_TITLE = "Valutazione multidimensionale"
BARTHEL = "Autonomia nelle attività di base – Indice di Barthel"
NETWORK = "Familiari e persone della rete"

# Barthel answers as a user reads them on the sheet (the start of each option's label) and
# the points each is worth, written out by hand from the scale: the total must be their sum.
BARTHEL_ANSWERS = [
    ("Alimentazione", "5 – Necessita di aiuto", 5),
    ("Fare il bagno o la doccia", "0 – Dipendente", 0),
    ("Igiene personale (viso, capelli, denti, barba)", "0 – Necessita di aiuto", 0),
    ("Vestirsi", "5 – Necessita di aiuto", 5),
    ("Controllo intestinale", "10 – Continente", 10),
    ("Controllo vescicale", "5 – Incidenti occasionali", 5),
    ("Uso del WC", "5 – Necessita di qualche aiuto", 5),
    ("Trasferimenti letto–sedia", "10 – Minimo aiuto o supervisione", 10),
    ("Deambulazione", "10 – Cammina per 50 m", 10),
    ("Salire e scendere le scale", "0 – Incapace", 0),
]


@pytest.fixture(scope="session")
def axe():
    return Axe()


@pytest.fixture
def new_assessment(page, login):
    """Log in as a social worker, open one of their cases from the home page, start a sheet."""

    def start() -> str:
        login("as.monza")
        page.goto("/")
        page.get_by_role("table", name="I miei casi aperti").get_by_role("link").first.click()
        expect(page.get_by_role("heading", level=1, name=re.compile("^Pratica di"))).to_be_visible()
        # The button's visible text is "Nuova scheda"; the form title is visually hidden.
        page.get_by_role("button", name=re.compile(rf"^Nuova scheda\s*:\s*{FORM_TITLE}$")).click()
        expect(page).to_have_url(re.compile(r"/schede/\d+/modifica$"))
        expect(page.get_by_role("heading", level=1, name=FORM_TITLE)).to_be_visible()
        return page.url

    return start


def wait_until(page, condition, timeout: float = 10.0) -> None:
    """Let the page run until `condition()` (about the test's own state) holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(20)


def choose(scope, question: str, answer: str) -> None:
    """Pick a radio answer by clicking its label (Bootstrap Italia draws the radio on it)."""
    group(scope, question).get_by_text(re.compile("^" + re.escape(answer))).click()


def group(scope, question: str):
    """The fieldset of a question (its name may end with " * obbligatorio")."""
    return scope.get_by_role("group", name=re.compile("^" + re.escape(question)))


def test_fill_live_updates_save_and_reopen(page, new_assessment, no_csp_errors):
    edit_url = new_assessment()
    barthel = page.get_by_role("region", name=BARTHEL)
    total = page.locator("#val-barthel_totale")
    items_done = page.locator("#val-barthel_voci_compilate")
    level = page.locator("#val-barthel_livello")
    family = page.get_by_role("region", name="Famiglia e rete informale")
    needs = page.get_by_role("region", name="Bisogni assistenziali e ausili")

    page.get_by_label("Data della valutazione").fill(date.today().isoformat())
    choose(page, "Tipo di valutazione", "Prima valutazione")
    page.get_by_label("Altre persone presenti").fill("La figlia")

    # Barthel: the total follows each answer without saving, item after item.
    expect(items_done).to_have_text("0")
    expect(needs).to_have_count(0)
    expected = 0
    for done, (question, answer, points) in enumerate(BARTHEL_ANSWERS, start=1):
        choose(barthel, question, answer)
        expected += points
        expect(group(barthel, question)
               .get_by_role("radio", name=re.compile("^" + re.escape(answer)))).to_be_checked()
        expect(items_done).to_have_text(str(done))
        expect(total).to_have_text(str(expected))
    assert expected == 50
    expect(level).to_have_text("Dipendenza grave (21–60)")

    # A complete Barthel at or below the threshold (60) opens the "bisogni" section, which
    # was not on the page before; its own show_if question appears on "Sì".
    expect(needs).to_be_visible()
    night = needs.get_by_role("group", name="Necessità di assistenza anche notturna")
    expect(night).to_have_count(0)
    choose(needs, "Necessità di assistenza continuativa", "Sì")
    expect(night).to_be_visible()
    choose(needs, "Necessità di assistenza anche notturna", "No")

    # Changing an item re-renders the Barthel blocks and the whole bisogni section; typing
    # straight away into the next text field (inside that section) must lose neither focus nor
    # characters, and the answers given there stay.
    # The update's response is held until the user has started typing, as on a slow network.
    held = []
    page.route("**/aggiorna", lambda route: held.append(route))
    choose(barthel, "Salire e scendere le scale", "5 – Necessita di aiuto o supervisione")
    aids = needs.get_by_label("Ausili necessari non ancora disponibili")
    aids.click()
    aids.press_sequentially("Letto articolato", delay=15)
    wait_until(page, lambda: held)
    held[0].continue_()
    page.unroute("**/aggiorna")
    expect(total).to_have_text("55")
    aids.press_sequentially(", sollevatore", delay=15)
    expect(aids).to_be_focused()
    expect(aids).to_have_value("Letto articolato, sollevatore")
    expect(group(needs, "Necessità di assistenza continuativa")
           .get_by_role("radio", name="Sì")).to_be_checked()

    # A show_if question: "Con regolare contratto" only once a family assistant is there.
    contract = family.get_by_role("group", name="Con regolare contratto")
    expect(contract).to_have_count(0)
    choose(family, "Assistente familiare (badante)", "Nessuna")
    expect(contract).to_have_count(0)
    choose(family, "Assistente familiare (badante)", "A ore")
    expect(contract).to_be_visible()
    choose(family, "Con regolare contratto", "Sì")

    # The family network: no row yet; "Aggiungi una riga" adds one through htmx, in place.
    expect(family.get_by_text("Nessuna riga.")).to_be_visible()
    page.get_by_role("button", name=f"Aggiungi una riga a «{NETWORK}»").click()
    row = family.get_by_role("group", name=f"{NETWORK} — riga 1")
    expect(row).to_be_visible()
    expect(page).to_have_url(edit_url)  # no page load: htmx swapped the block
    row.get_by_label("Nome e cognome").fill("Anna Bianchi")
    row.get_by_label("Relazione").select_option(label="Figlio/a")
    choose(row, "Convivente", "No")
    row.get_by_label("Telefono").fill("333 123 4567")
    expect(row.get_by_label("Nome e cognome")).to_have_value("Anna Bianchi")

    # The reserved section (a social worker sees it): its summary is required to complete.
    page.get_by_label("Sintesi dei bisogni").fill("Necessita di assistenza continuativa.")

    page.get_by_role("button", name="Salva come completa").click()
    expect(page.get_by_role("status").filter(has_text="Scheda salvata come completa.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/schede/\d+$"))

    # The view page shows what was saved.
    expect(page.get_by_text("completa", exact=True)).to_be_visible()
    saved = {
        "Indice di Barthel (0–100)": "55",
        "Voci compilate (su 10)": "10",
        "Livello di dipendenza (Barthel)": "Dipendenza grave (21–60)",
        "Assistente familiare (badante)": "A ore",
        "Con regolare contratto": "Sì",
        "Necessità di assistenza continuativa": "Sì",
        "Ausili necessari non ancora disponibili": "Letto articolato, sollevatore",
    }
    for label, value in saved.items():
        term = page.locator("dt", has_text=re.compile("^" + re.escape(label) + "$"))
        expect(term.locator("xpath=following-sibling::dd[1]")).to_have_text(value)
    network = page.get_by_role("table", name=NETWORK)
    expect(network.get_by_role("row").filter(has_text="Anna Bianchi")).to_contain_text("Figlio/a")

    # The edit page again: the same values in the inputs, the total computed from them.
    page.get_by_role("link", name="Modifica").click()
    expect(page).to_have_url(edit_url)
    expect(page.locator("#val-barthel_totale")).to_have_text("55")
    expect(group(barthel, "Salire e scendere le scale")
           .get_by_role("radio", name=re.compile("^5 – "))).to_be_checked()
    expect(family.get_by_role("group", name="Con regolare contratto")
           .get_by_role("radio", name="Sì")).to_be_checked()
    row = family.get_by_role("group", name=f"{NETWORK} — riga 1")
    expect(row.get_by_label("Nome e cognome")).to_have_value("Anna Bianchi")
    expect(row.get_by_label("Relazione")).to_have_value("figlio")
    expect(needs.get_by_label("Ausili necessari non ancora disponibili")).to_have_value(
        "Letto articolato, sollevatore")

    no_csp_errors()


def test_rows_are_added_and_removed_in_place(page, new_assessment, no_csp_errors):
    new_assessment()
    family = page.get_by_role("region", name="Famiglia e rete informale")
    add = page.get_by_role("button", name=f"Aggiungi una riga a «{NETWORK}»")
    add.click()
    family.get_by_role("group", name=f"{NETWORK} — riga 1").get_by_label("Nome e cognome").fill("Primo")
    add.click()
    second = family.get_by_role("group", name=f"{NETWORK} — riga 2")
    second.get_by_label("Nome e cognome").fill("Secondo")
    # What was typed in the first row survives the second addition.
    expect(family.get_by_role("group", name=f"{NETWORK} — riga 1").get_by_label("Nome e cognome")
           ).to_have_value("Primo")
    page.get_by_role("button", name="Rimuovi riga 1").click()
    expect(family.get_by_role("group", name=f"{NETWORK} — riga 2")).to_have_count(0)
    expect(family.get_by_role("group", name=f"{NETWORK} — riga 1").get_by_label("Nome e cognome")
           ).to_have_value("Secondo")
    page.get_by_role("button", name="Salva bozza").click()
    expect(page.get_by_role("status").filter(has_text="Bozza salvata.")).to_be_visible()
    network = page.get_by_role("table", name=NETWORK)
    expect(network.get_by_role("row")).to_have_count(2)  # header and one row
    expect(network).to_contain_text("Secondo")
    no_csp_errors()


def test_sheet_edit_page_is_accessible(page, new_assessment, axe, no_csp_errors):
    new_assessment()
    assert_accessible(axe, page)

    # After live updates: a row, a show_if question, the Barthel total.
    page.get_by_role("button", name=f"Aggiungi una riga a «{NETWORK}»").click()
    family = page.get_by_role("region", name="Famiglia e rete informale")
    expect(family.get_by_role("group", name=f"{NETWORK} — riga 1")).to_be_visible()
    choose(family, "Assistente familiare (badante)", "Convivente")
    expect(family.get_by_role("group", name="Con regolare contratto")).to_be_visible()
    choose(page.get_by_role("region", name=BARTHEL), "Alimentazione", "10 – Indipendente")
    expect(page.locator("#val-barthel_totale")).to_have_text("10")
    assert_accessible(axe, page)

    # With errors: completing without the required answers keeps the page and marks them.
    page.get_by_role("button", name="Salva come completa").click()
    expect(page.get_by_role("alert").filter(has_text="La scheda non è stata salvata")).to_be_visible()
    expect(page.get_by_label("Data della valutazione")).to_have_attribute("aria-invalid", "true")
    assert_accessible(axe, page)
    no_csp_errors()


def test_live_updates_that_cross_on_the_network_leave_the_latest_state(page, new_assessment):
    """Two answers in quick succession, on a network that would return the second response first.

    Each response re-renders the Barthel blocks from the answers it was sent with: applied in
    the wrong order, the page would show the total of the first answer alone.
    """
    new_assessment()
    barthel = page.get_by_role("region", name=BARTHEL)
    page.evaluate("""() => { window.liveSwaps = 0;
        document.addEventListener("htmx:afterRequest", () => { window.liveSwaps += 1; }); }""")
    held, passing = [], []

    def hold(route):
        if passing:
            route.continue_()
        else:
            held.append(route)

    page.route("**/aggiorna", hold)
    choose(barthel, "Alimentazione", "10 – Indipendente")
    choose(barthel, "Fare il bagno o la doccia", "5 – Indipendente")
    wait_until(page, lambda: held)
    page.wait_for_timeout(300)  # time for the browser to send a second request, if it would
    passing.append(True)
    for swapped, route in enumerate(reversed(held), start=1):  # the newest first
        route.continue_()
        page.wait_for_function("n => window.liveSwaps >= n", arg=swapped)
    expect(page.locator("#val-barthel_voci_compilate")).to_have_text("2")
    expect(page.locator("#val-barthel_totale")).to_have_text("15")
    page.unroute("**/aggiorna")
