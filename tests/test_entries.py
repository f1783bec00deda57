"""Sheets in the browser's place: draft vs complete, errors, conflicts, history, privacy."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.store import cases, entries
from tests.conftest import Auth, csrf_from


def _post(client, entry_id, action="bozza", **fields):
    page = client.get(f"/schede/{entry_id}/modifica")
    rev = re.search(r'name="cartella_rev" value="(\d+)"', page.get_data(as_text=True)).group(1)
    data = {"csrf_token": csrf_from(page), "cartella_rev": rev, "_azione": action, **fields}
    return client.post(f"/schede/{entry_id}/modifica", data=data)


COMPLETE = {"cognome": "Rossi", "alimentazione": "5", "mobilita": "10", "invalidita": "si",
            "percentuale": "74", "data_inizio": "01/05/2026", "data_fine": "2026-06-30",
            "isee": "12.345,6", "servizi": ["sad", "pasti"], "familiari-0-nome": "Anna Rossi",
            "familiari-0-parentela": "figlio", "familiari-0-convivente": "no",
            "descrizione": "Vive solo.\nFiglia vicina: D'Angelo & C. <bene>"}


def test_new_sheet_is_prefilled_from_the_person(client, sheet):
    html = client.get(f"/schede/{sheet}/modifica").get_data(as_text=True)
    assert 'name="cognome" type="text" value="Rossi"' in html or 'value="Rossi"' in html


def test_draft_saves_without_required_fields(client, sheet, db):
    response = _post(client, sheet, "bozza", cognome="")
    assert response.status_code == 302
    entry = list(db.query("SELECT status, rev FROM entries WHERE id = ?", [sheet]))[0]
    assert entry == {"status": "bozza", "rev": 2}


def test_complete_requires_fields_and_keeps_input(client, sheet, db):
    response = _post(client, sheet, "completa", **{**COMPLETE, "cognome": "",
                                                   "percentuale": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.count("Campo obbligatorio.") == 2
    assert "Vive solo.\nFiglia vicina: D&#39;Angelo &amp; C. &lt;bene&gt;" in html
    assert 'value="12.345,6"' in html and 'value="Anna Rossi"' in html
    assert list(db.query("SELECT rev FROM entries WHERE id = ?", [sheet]))[0]["rev"] == 1


def test_complete_sheet_shows_the_values(client, sheet, db):
    response = _post(client, sheet, "completa", **COMPLETE)
    assert response.status_code == 302
    html = client.get(f"/schede/{sheet}").get_data(as_text=True)
    for text in ("12.345,60 €", "01/05/2026", "30/06/2026", "Con aiuto", "SAD, Pasti a domicilio",
                 "Anna Rossi", "Figlio/a", "completa", "Sì"):
        assert text in html, text
    data = entries.get(db, _scope(), sheet)["data"]
    assert data["totale_adl"] == 15 and data["isee"] == "12345.60"
    assert data["sotto_soglia"] is True
    assert data["descrizione"] == "Vive solo.\nFiglia vicina: D'Angelo & C. <bene>"


def test_type_errors_are_italian(client, sheet):
    html = _post(client, sheet, "bozza", figli="tre", isee="12,3,4", data_inizio="31/02/2026",
                 cf_caregiver="RSSMRA41D03F205X").get_data(as_text=True)
    assert "Numero intero non valido." in html
    assert "Numero non valido" in html
    assert "Data non valida" in html
    assert "Codice fiscale «RSSMRA41D03F205X» non valido" in html
    assert 'value="tre"' in html


def test_rule_message_next_to_the_field(client, sheet):
    html = _post(client, sheet, "completa", **{**COMPLETE, "data_fine": "2026-04-01"})
    assert html.status_code == 422
    assert "La data di fine deve essere successiva alla data di inizio." in html.get_data(
        as_text=True)


def test_max_rows_enforced_on_submit(client, sheet):
    rows = {f"familiari-{i}-nome": f"Persona {i}" for i in range(4)}
    response = _post(client, sheet, "bozza", **rows)
    assert response.status_code == 422
    assert "Al massimo 3 righe." in response.get_data(as_text=True)


def test_add_row_without_javascript_keeps_what_was_typed(client, sheet):
    response = _post(client, sheet, "aggiungi_riga:familiari", **{"familiari-0-nome": "Anna",
                                                                  "figli": "due"})
    html = response.get_data(as_text=True)
    assert 'name="familiari-1-nome"' in html and 'value="Anna"' in html and 'value="due"' in html
    response = _post(client, sheet, "rimuovi_riga:familiari:0", **{"familiari-0-nome": "Anna",
                                                                   "familiari-1-nome": "Bruno"})
    html = response.get_data(as_text=True)
    assert 'value="Bruno"' in html and 'value="Anna"' not in html


def test_show_if_and_live_update(client, sheet):
    html = client.get(f"/schede/{sheet}/modifica").get_data(as_text=True)
    assert 'name="percentuale"' not in html
    page = client.get(f"/schede/{sheet}/modifica")
    response = client.post(f"/schede/{sheet}/aggiorna", data={
        "csrf_token": csrf_from(page), "invalidita": "si"},
        headers={"HX-Request": "true", "HX-Trigger-Name": "invalidita"})
    html = response.get_data(as_text=True)
    assert 'id="blk-percentuale"' in html and 'hx-swap-oob="true"' in html
    assert 'name="percentuale"' in html
    response = client.post(f"/schede/{sheet}/aggiorna", data={
        "csrf_token": csrf_from(page), "alimentazione": "10", "mobilita": "5"},
        headers={"HX-Request": "true", "HX-Trigger-Name": "mobilita"})
    html = response.get_data(as_text=True)
    assert re.search(r'id="val-totale_adl"[^>]*>15<', html)
    assert 'id="blk-ausili"' in html


def test_concurrent_edit_is_not_lost(app, world, sheet, client):
    other = app.test_client()
    Auth(other).login("coord_a")
    mine = client.get(f"/schede/{sheet}/modifica")
    theirs = other.get(f"/schede/{sheet}/modifica")
    response = other.post(f"/schede/{sheet}/modifica", data={
        "csrf_token": csrf_from(theirs), "cartella_rev": "1", "_azione": "bozza",
        "cognome": "Rossi", "descrizione": "Scritto dal coordinatore"})
    assert response.status_code == 302
    response = client.post(f"/schede/{sheet}/modifica", data={
        "csrf_token": csrf_from(mine), "cartella_rev": "1", "_azione": "bozza",
        "cognome": "Rossi", "figli": "2"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "la scheda è stata salvata da COORD A" in html
    assert "Scritto dal coordinatore" in html and 'value="2"' in html
    assert 'name="cartella_rev" value="2"' in html
    response = client.post(f"/schede/{sheet}/modifica", data={
        "csrf_token": csrf_from(mine), "cartella_rev": "2", "_azione": "bozza",
        "cognome": "Rossi", "figli": "2", "descrizione": "Scritto dal coordinatore"})
    assert response.status_code == 302


def test_revision_history_and_diff(client, sheet):
    _post(client, sheet, "bozza", cognome="Rossi", figli="1")
    _post(client, sheet, "bozza", cognome="Rossi", figli="3", cartella_nota="corretto")
    html = client.get(f"/schede/{sheet}/revisioni?da=2&a=3").get_data(as_text=True)
    assert "Numero di figli" in html and "corretto" in html
    assert re.search(r"<td>Numero di figli</td><td[^>]*>1</td><td[^>]*>3</td>", html)


def test_session_expiry_keeps_the_data(app, world, sheet, client, db):
    page = client.get(f"/schede/{sheet}/modifica")
    token = csrf_from(page)
    # The server-side session expires (idle ten hours); the browser still holds its cookie.
    idle = datetime.now(UTC) - timedelta(hours=10)
    db.execute("UPDATE sessions SET last_seen_at = ?", [idle.isoformat(timespec="milliseconds")])
    response = client.post(f"/schede/{sheet}/modifica", data={
        "csrf_token": token, "cartella_rev": "1", "_azione": "completa", **COMPLETE})
    assert response.status_code == 302 and "/accesso" in response.headers["Location"]
    login = client.get(response.headers["Location"])
    assert "La sessione è scaduta" in login.get_data(as_text=True)
    response = client.post(response.headers["Location"], data={
        "csrf_token": csrf_from(login), "username": "as_a", "password": "password-di-prova-1"})
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert "quanto avevi inviato è stato recuperato" in html
    assert 'value="Anna Rossi"' in html and 'value="12.345,6"' in html
    rev = re.search(r'name="cartella_rev" value="(\d+)"', html).group(1)
    response = client.post(f"/schede/{sheet}/modifica", data={
        "csrf_token": csrf_from(page), "cartella_rev": rev, "_azione": "completa", **COMPLETE})
    assert response.status_code == 302


def test_sensitive_section_hidden_from_staff(app, world, sheet, client, db):
    _post(client, sheet, "bozza", cognome="Rossi",
          giudizio_professionale="Rischio di abbandono, sospetto maltrattamento")
    staff = app.test_client()
    Auth(staff).login("amm_a")
    for url in (f"/schede/{sheet}", f"/schede/{sheet}/modifica"):
        html = staff.get(url).get_data(as_text=True)
        assert "Sezione riservata" in html
        assert "maltrattamento" not in html
    page = staff.get(f"/schede/{sheet}/modifica")
    rev = re.search(r'name="cartella_rev" value="(\d+)"', page.get_data(as_text=True)).group(1)
    staff.post(f"/schede/{sheet}/modifica", data={"csrf_token": csrf_from(page),
                                                  "cartella_rev": rev, "_azione": "bozza",
                                                  "cognome": "Rossi", "figli": "1"})
    data = entries.get(db, _scope(), sheet)["data"]
    assert data["figli"] == 1
    assert "maltrattamento" in data["giudizio_professionale"]
    history = client.get(f"/schede/{sheet}/revisioni").get_data(as_text=True)
    assert "revisione" in history.lower()


def test_autosave_and_restore(client, sheet):
    page = client.get(f"/schede/{sheet}/modifica")
    response = client.post(f"/schede/{sheet}/autosalva", data={
        "csrf_token": csrf_from(page), "cartella_rev": "1", "descrizione": "appunti a metà",
        "figli": "quattro"}, headers={"HX-Request": "true"})
    assert "Bozza automatica salvata" in response.get_data(as_text=True)
    html = client.get(f"/schede/{sheet}/modifica").get_data(as_text=True)
    assert "modifiche non salvate" in html
    html = client.get(f"/schede/{sheet}/modifica?bozza_automatica=1").get_data(as_text=True)
    assert "appunti a metà" in html and 'value="quattro"' in html


def test_trash_and_restore(app, world, sheet, client):
    page = client.get(f"/schede/{sheet}")
    response = client.post(f"/schede/{sheet}/elimina", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert client.get(f"/schede/{sheet}").status_code == 404
    coordinator = app.test_client()
    Auth(coordinator).login("coord_a")
    trash = coordinator.get(f"/pratiche/{world['cases']['A']}/cestino")
    assert "Scheda di prova" in trash.get_data(as_text=True)
    response = coordinator.post(f"/schede/{sheet}/ripristina",
                                data={"csrf_token": csrf_from(trash)})
    assert response.status_code == 302
    assert client.get(f"/schede/{sheet}").status_code == 200


def test_staff_cannot_delete_and_other_office_gets_404(app, world, sheet):
    staff = app.test_client()
    Auth(staff).login("amm_a")
    page = staff.get(f"/schede/{sheet}")
    assert staff.post(f"/schede/{sheet}/elimina",
                      data={"csrf_token": csrf_from(page)}).status_code == 403
    other = app.test_client()
    Auth(other).login("coord_b")
    for url in (f"/schede/{sheet}", f"/schede/{sheet}/modifica", f"/schede/{sheet}/revisioni"):
        assert other.get(url).status_code == 404


def test_prefill_from_another_sheet_and_sets_review(client, sheet, world, db):
    _post(client, sheet, "completa", **{**COMPLETE, "prossima_verifica": "2027-02-01"})
    assert cases.get(db, _scope(), world["cases"]["A"])["prossima_verifica"] == "2027-02-01"
    page = client.get(f"/pratiche/{world['cases']['A']}")
    response = client.post(f"/pratiche/{world['cases']['A']}/schede/nuova",
                           data={"csrf_token": csrf_from(page), "modulo": "seguito"})
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="Anna Rossi"' in html and 'value="1941-04-03"' in html


def test_case_page_shows_sheets_and_missing(client, sheet, world):
    html = client.get(f"/pratiche/{world['cases']['A']}").get_data(as_text=True)
    assert "Scheda di prova" in html and "bozza" in html
    _post(client, sheet, "completa", **COMPLETE)
    html = client.get(f"/pratiche/{world['cases']['A']}").get_data(as_text=True)
    assert "completa" in html


def test_entry_reads_and_changes_are_audited(client, sheet, db):
    client.get(f"/schede/{sheet}")
    _post(client, sheet, "bozza", cognome="Rossi")
    actions = [r["action"] for r in db.query(
        "SELECT action FROM audit_log WHERE object_type = 'entry' AND object_id = ?", [sheet])]
    assert "create" in actions and "read" in actions and "update" in actions


def _scope():
    from app.store.scope import Scope

    return Scope(office_id=1)


def test_form_list_and_excel_export(app, client, sheet, world):
    _post(client, sheet, "completa", **{**COMPLETE, "descrizione": "=cmd|' /C calc'!A0",
                                        "giudizio_professionale": "dato riservato"})
    html = client.get("/moduli/").get_data(as_text=True)
    assert "Scheda di prova" in html
    html = client.get("/moduli/prova").get_data(as_text=True)
    assert "Rossi Mario" in html and "1 scheda" in html
    staff = app.test_client()
    Auth(staff).login("amm_a")
    response = staff.get("/moduli/prova")
    assert "Esporta in Excel" in response.get_data(as_text=True)
    exported = staff.get("/importazioni/esporta/prova")
    from io import BytesIO

    from openpyxl import load_workbook

    workbook = load_workbook(BytesIO(exported.data))
    main = workbook.worksheets[0]
    header = [c.value for c in main[1]]
    row = {h: c for h, c in zip(header, main[2], strict=False)}
    assert row["Cognome"].value == "Rossi"
    assert row["ISEE"].value == pytest.approx(12345.6)
    assert row["Descrizione"].value.startswith("=cmd") and row["Descrizione"].data_type == "s"
    assert row["Data di inizio"].is_date
    assert "Giudizio professionale" not in header
    assert "dato riservato" not in str([c.value for r in main.iter_rows() for c in r])
    family = workbook["Familiari"]
    assert [c.value for c in family[2]][:3] == [sheet, 1, "Anna Rossi"]
