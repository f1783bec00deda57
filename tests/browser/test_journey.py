"""The foundation journey in Chromium: register a person, correct a typo, open a case, log out."""

import re

from playwright.sync_api import expect

PHASES = ["Accesso / segnalazione", "Valutazione multidimensionale", "Progettazione",
          "Attuazione", "Monitoraggio", "Valutazione finale", "Chiusura / riformulazione"]


def test_register_person_open_case_and_log_out(page, login, no_csp_errors):
    login("amm.monza")
    page.get_by_role("navigation", name="Menu principale").get_by_role("link", name="Persone").click()
    expect(page.get_by_role("heading", level=1, name="Persone")).to_be_visible()
    page.get_by_role("link", name="Registra una persona").click()
    expect(page.get_by_role("heading", level=1, name="Registra una persona")).to_be_visible()

    page.get_by_role("textbox", name="Cognome", exact=True).fill("Rossi")
    page.get_by_role("textbox", name="Nome", exact=True).fill("Mario")
    # Bootstrap Italia draws the radio on its label, which is what a user clicks.
    page.get_by_role("group", name="Sesso").get_by_text("Maschio", exact=True).click()
    page.get_by_label("Data di nascita").fill("1941-04-03")
    page.get_by_label("Luogo di nascita").fill("Milano")
    page.get_by_label("Codice fiscale").fill("RSSMRA41D03F205C")  # wrong check character
    page.get_by_role("button", name="Salva").click()

    # The error is next to the field, tied to it for screen readers, and nothing typed is lost.
    code = page.get_by_label("Codice fiscale")
    error = page.locator("#codice_fiscale-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Codice fiscale «RSSMRA41D03F205C» non valido")
    expect(error).to_contain_text("carattere di controllo")
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(code).to_have_accessible_description(re.compile("Codice fiscale «RSSMRA41D03F205C» non valido"))
    expect(page.get_by_role("alert").filter(has_text="Il modulo contiene errori")).to_be_visible()
    expect(code).to_have_value("RSSMRA41D03F205C")
    expect(page.get_by_role("textbox", name="Cognome", exact=True)).to_have_value("Rossi")
    expect(page.get_by_role("textbox", name="Nome", exact=True)).to_have_value("Mario")
    expect(page.get_by_role("group", name="Sesso").get_by_label("Maschio")).to_be_checked()
    expect(page.get_by_label("Data di nascita")).to_have_value("1941-04-03")
    expect(page.get_by_label("Luogo di nascita")).to_have_value("Milano")

    code.fill("RSSMRA41D03F205B")
    page.get_by_role("button", name="Salva").click()
    expect(page.get_by_role("heading", level=1, name="Rossi Mario")).to_be_visible()
    expect(page.get_by_text("RSSMRA41D03F205B", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/persone/\d+$"))

    page.get_by_role("link", name="Apri una pratica").click()
    expect(page.get_by_role("heading", level=1, name="Apri una pratica per Rossi Mario")).to_be_visible()
    page.get_by_label("Area di intervento").select_option(label="Non autosufficienza")
    page.get_by_label("Case manager").select_option(label="Giulia Colombo (as.monza)")
    page.get_by_role("button", name="Apri la pratica").click()

    expect(page.get_by_role("heading", level=1, name="Pratica di Rossi Mario")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Pratica aperta.")).to_be_visible()
    expect(page.get_by_text("RSSMRA41D03F205B", exact=True)).to_be_visible()
    expect(page.get_by_text("Giulia Colombo", exact=True)).to_be_visible()
    cycle = page.get_by_role("list").filter(has_text=PHASES[0])
    for number, phase in enumerate(PHASES, start=1):
        expect(cycle.get_by_text(f"{number}. {phase}")).to_be_visible()
    expect(cycle.locator("[aria-current=step]")).to_contain_text("fase attuale")

    page.get_by_role("button", name="Esci").click()
    expect(page.get_by_role("heading", level=1, name="Accedi a Cartella")).to_be_visible()
    expect(page.get_by_label("Nome utente")).to_be_empty()
    no_csp_errors()
