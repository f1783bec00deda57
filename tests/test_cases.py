"""Cases: open, edit the team, close with reason, reopen, lists and filters."""

from datetime import date, timedelta

from app.store import cases
from tests.conftest import csrf_from


def test_open_a_case_for_a_person(client, auth, world, db):
    auth.login("amm_a")
    url = f"/persone/{world['persons']['A']}/pratiche/nuova"
    page = client.get(url)
    response = client.post(url, data={
        "csrf_token": csrf_from(page), "area": "disabilita", "fase": "accesso",
        "manager_id": world["users"]["as2_a"], "team": [world["users"]["as_a"]],
        "data_apertura": "2026-11-02", "prossima_verifica": "2027-01-15"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Pratica aperta" in html and "Disabilità" in html
    assert "15/01/2027" in html and "AS2 A" in html and "AS A" in html
    row = list(db.query("SELECT * FROM cases WHERE area = 'disabilita'"))[0]
    assert row["data_apertura"] == "2026-11-02" and row["stato"] == "aperta"


def test_open_case_requires_area_and_keeps_input(client, auth, world):
    auth.login("amm_a")
    url = f"/persone/{world['persons']['A']}/pratiche/nuova"
    page = client.get(url)
    response = client.post(url, data={"csrf_token": csrf_from(page), "area": "",
                                      "manager_id": world["users"]["as_a"],
                                      "note": "segnalata dal MMG"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "segnalata dal MMG" in html


def test_case_page_shows_the_cycle(client, auth, world):
    auth.login("as_a")
    html = client.get(f"/pratiche/{world['cases']['A']}").get_data(as_text=True)
    for label in ("Accesso / segnalazione", "Valutazione multidimensionale", "Progettazione",
                  "Attuazione", "Monitoraggio", "Valutazione finale"):
        assert label in html
    assert 'aria-current="step"' in html


def test_close_and_reopen(client, auth, world, db):
    case_id = world["cases"]["A"]
    auth.login("as_a")
    page = client.get(f"/pratiche/{case_id}")
    response = client.post(f"/pratiche/{case_id}/chiudi", data={
        "csrf_token": csrf_from(page), "motivo_chiusura": "obiettivi_raggiunti",
        "data_chiusura": "2026-11-20"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Pratica chiusa" in html and "20/11/2026" in html and "Obiettivi raggiunti" in html
    assert cases.get(db, _scope(world), case_id)["stato"] == "chiusa"
    page = client.get(f"/pratiche/{case_id}")
    response = client.post(f"/pratiche/{case_id}/riapri", data={
        "csrf_token": csrf_from(page), "fase": "valutazione"}, follow_redirects=True)
    case = cases.get(db, _scope(world), case_id)
    assert (case["stato"], case["fase"], case["data_chiusura"]) == ("aperta", "valutazione", None)


def test_close_without_date_is_an_error(client, auth, world):
    auth.login("as_a")
    case_id = world["cases"]["A"]
    page = client.get(f"/pratiche/{case_id}")
    response = client.post(f"/pratiche/{case_id}/chiudi", data={
        "csrf_token": csrf_from(page), "motivo_chiusura": "rinuncia", "data_chiusura": ""})
    assert response.status_code == 422
    assert "Campo obbligatorio" in response.get_data(as_text=True)


def test_filters_and_overdue_reviews(client, auth, world, db):
    case_id = world["cases"]["A"]
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    cases.update(db, case_id, {"prossima_verifica": yesterday, "fase": "monitoraggio"}, None, None)
    auth.login("coord_a")
    html = client.get("/pratiche/?scadute=1").get_data(as_text=True)
    assert "Rossi Mario" in html and "scaduta" in html
    assert "Rossi Mario" in client.get("/pratiche/?fase=monitoraggio").get_data(as_text=True)
    assert "Rossi Mario" not in client.get("/pratiche/?fase=valutazione").get_data(as_text=True)
    assert "Rossi Mario" not in client.get("/pratiche/?area=dipendenze").get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert "Verifiche scadute" in home and "Rossi Mario" in home


def test_edit_changes_manager_and_team(client, auth, world, db):
    case_id = world["cases"]["A"]
    auth.login("coord_a")
    page = client.get(f"/pratiche/{case_id}/modifica")
    response = client.post(f"/pratiche/{case_id}/modifica", data={
        "csrf_token": csrf_from(page), "area": "non_autosufficienza", "fase": "valutazione",
        "manager_id": world["users"]["as2_a"], "team": [world["users"]["as_a"]]})
    assert response.status_code == 302
    case = cases.get(db, _scope(world), case_id)
    assert case["manager_id"] == world["users"]["as2_a"]
    assert [m["id"] for m in case["team"]] == [world["users"]["as_a"]]


def _scope(world):
    from app.store.scope import Scope

    return Scope(office_id=world["offices"]["A"])
