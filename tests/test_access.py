"""Who can open what: the access rules of DOMAIN.md's privacy section, per role."""

import pytest

from app.store import audit


@pytest.mark.parametrize("url", ["/", "/persone/", "/pratiche/", "/persone/1", "/pratiche/1",
                                 "/amministrazione/", "/amministrazione/registro"])
def test_every_page_needs_login(client, world, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/accesso" in response.headers["Location"]


def test_static_files_need_no_login(client):
    assert client.get("/static/css/cartella.css").status_code == 200


@pytest.mark.parametrize("username", ["coord_a", "as_a", "amm_a"])
def test_other_office_person_and_case_are_404(client, auth, world, username):
    auth.login(username)
    for url in (f"/persone/{world['persons']['B']}", f"/pratiche/{world['cases']['B']}",
                f"/persone/{world['persons']['B']}/modifica",
                f"/pratiche/{world['cases']['B']}/modifica"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Bianchi" not in response.get_data(as_text=True)


def test_other_office_persons_not_in_search(client, auth, world):
    auth.login("coord_a")
    page = client.get("/persone/?q=bianchi").get_data(as_text=True)
    assert "0 persone trovate" in page
    assert "BNCLCU80A41F704S" not in page


@pytest.mark.parametrize("username,status", [("coord_a", 200), ("as_a", 200), ("as2_a", 404),
                                             ("amm_a", 200), ("admin", 403)])
def test_case_visibility_by_role(client, auth, world, username, status):
    auth.login(username)
    assert client.get(f"/pratiche/{world['cases']['A']}").status_code == status


def test_team_member_opens_the_case(client, auth, world, db):
    from app.store import cases

    case_id = world["cases"]["A"]
    cases.update(db, case_id, {}, [world["users"]["as2_a"]], None)
    auth.login("as2_a")
    assert client.get(f"/pratiche/{case_id}").status_code == 200


def test_social_worker_list_shows_only_own_cases(client, auth, world, db):
    from app.store import cases, persons

    other = persons.create(db, world["offices"]["A"], {"cognome": "Verdi", "nome": "Anna"}, None)
    cases.open_case(db, {"id": other, "office_id": world["offices"]["A"]},
                    {"area": "disabilita", "manager_id": world["users"]["as2_a"]}, [], None)
    auth.login("as_a")
    page = client.get("/pratiche/").get_data(as_text=True)
    assert "Rossi Mario" in page
    assert "Verdi Anna" not in page
    auth.logout()
    auth.login("coord_a")
    page = client.get("/pratiche/").get_data(as_text=True)
    assert "Rossi Mario" in page and "Verdi Anna" in page


def test_admin_sees_no_personal_data(client, auth, world):
    auth.login("admin")
    assert client.get(f"/persone/{world['persons']['A']}").status_code == 403
    assert client.get(f"/pratiche/{world['cases']['A']}").status_code == 403
    assert client.get("/persone/").status_code == 403
    assert client.get("/amministrazione/").status_code == 200
    assert client.get("/amministrazione/registro").status_code == 200


@pytest.mark.parametrize("username", ["coord_a", "as_a", "amm_a"])
def test_non_admins_cannot_administer(client, auth, world, username):
    auth.login(username)
    assert client.get("/amministrazione/").status_code == 403
    assert client.get("/amministrazione/registro").status_code == 403
    assert client.get("/amministrazione/utenti/nuovo").status_code == 403


def test_staff_cannot_close_a_case(client, auth, world):
    auth.login("amm_a")
    page = client.get(f"/pratiche/{world['cases']['A']}")
    assert "Chiudi la pratica" not in page.get_data(as_text=True)
    from tests.conftest import csrf_from

    response = client.post(f"/pratiche/{world['cases']['A']}/chiudi", data={
        "csrf_token": csrf_from(page), "motivo_chiusura": "rinuncia",
        "data_chiusura": "2026-11-01"})
    assert response.status_code == 403


def test_denied_reads_leave_no_data_but_reads_are_logged(client, auth, world, db):
    auth.login("coord_a")
    before = audit.count(db)
    client.get(f"/persone/{world['persons']['A']}")
    rows, _ = audit.search(db, action="read", object_type="person")
    assert audit.count(db) == before + 1
    assert rows[0]["person_id"] == world["persons"]["A"]
    assert rows[0]["username"] == "coord_a"
