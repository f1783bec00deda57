"""Logins and sessions attacked through the real app: throttling, timing, stolen cookies,
the session-expired stash, weak passwords and lockouts (issue "Trust I", items 7-11)."""

import re
from datetime import timedelta

import pytest

from app import cli, store
from app.store import users
from tests.conftest import PASSWORD, Auth, csrf_from

BLOCKED = "Troppi tentativi di accesso falliti"


def _count(db, table: str) -> int:
    return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def _thief(app, client):
    """A second browser holding a copy of the client's session cookie."""
    stolen = app.test_client()
    stolen.set_cookie("cartella_session", client.get_cookie("cartella_session").value)
    return stolen


def _case_page(client, world):
    return client.get(f"/pratiche/{world['cases']['A']}")


def _assert_refused(client, world):
    response = _case_page(client, world)
    assert response.status_code == 302 and "/accesso" in response.headers["Location"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Rossi" not in html and "RSSMRA41D03F205B" not in html


def _admin(app):
    admin = app.test_client()
    assert Auth(admin).login("admin").status_code == 302
    return admin


def _admin_post(admin, page_url: str, url: str, **data):
    token = csrf_from(admin.get(page_url))
    # Prefixed forms (u-, p-) carry their token under their prefix.
    return admin.post(url, data={"csrf_token": token, "u-csrf_token": token,
                                 "p-csrf_token": token, **data})



# 7. One spelling of a username for login, throttling and audit.

def test_padded_or_cased_username_shares_one_throttle(client, auth, world, db):
    for spelling in (" as_a", "AS_A ", "As_A", "\u00a0as_a\t", "ａｓ_ａ"):
        html = auth.login(spelling, "sbagliata-davvero").get_data(as_text=True)
        assert "Nome utente o password non corretti" in html
    for spelling in ("as_a", " AS_a "):
        response = auth.login(spelling, PASSWORD)
        assert response.status_code == 200 and BLOCKED in response.get_data(as_text=True)
    failed = {r["username"] for r in db.query(
        "SELECT username FROM audit_log WHERE action IN ('login_failed', 'login_blocked')")}
    assert failed == {"as_a"}


def test_username_stored_in_one_spelling(db, world):
    users.create(db, "  Mario.Rossi ", PASSWORD, "staff", world["offices"]["A"])
    assert users.by_username(db, "MARIO.ROSSI")["username"] == "mario.rossi"
    with pytest.raises(store.DuplicateName):
        users.create(db, "ＭＡＲＩＯ.rossi", PASSWORD, "staff", world["offices"]["A"])


# 8. Same password-hash work for unknown and known users.

def test_unknown_and_known_users_do_the_same_hash_work(client, auth, world, db, monkeypatch):
    calls = []
    real = users.check_password_hash

    def counting(stored, password):
        calls.append(stored.split("$")[0])
        return real(stored, password)

    monkeypatch.setattr(users, "check_password_hash", counting)
    users.update(db, world["users"]["amm_b"], active=0)
    for username in ("nessuno-di-questi", "as_a", "amm_b"):
        html = auth.login(username, "sbagliata-davvero").get_data(as_text=True)
        assert "Nome utente o password non corretti" in html
    assert len(calls) == 3 and len(set(calls)) == 1 and calls[0] == users.PASSWORD_METHOD


# 9. Server-side sessions: logout, password change, deactivation and an administrator end them.

def test_cookie_copied_before_logout_is_refused_after(app, client, auth, world):
    auth.login("as_a")
    stolen = _thief(app, client)
    assert "Rossi" in _case_page(stolen, world).get_data(as_text=True)
    auth.logout()
    _assert_refused(stolen, world)
    _assert_refused(client, world)


def test_cookie_carries_only_a_random_session_id(app, client, auth, world, db):
    auth.login("as_a")
    with client.session_transaction() as stored:
        cookie_id = stored["_user_id"]
    assert str(world["users"]["as_a"]) not in cookie_id.split("|") and len(cookie_id) >= 40
    row = list(db.query("SELECT * FROM sessions"))[0]
    # The database keeps only a hash: a copy of it does not open anyone's session.
    assert row["user_id"] == world["users"]["as_a"] and cookie_id not in row.values()


def test_password_change_by_admin_ends_the_sessions(app, client, auth, world):
    auth.login("as_a")
    stolen = _thief(app, client)
    admin = _admin(app)
    url = f"/amministrazione/utenti/{world['users']['as_a']}"
    response = _admin_post(admin, url, url + "/password", **{
        "p-password": "nuova-frase-molto-lunga", "p-confirm": "nuova-frase-molto-lunga"})
    assert response.status_code == 302
    _assert_refused(stolen, world)
    _assert_refused(client, world)


def test_deactivation_ends_the_sessions(app, client, auth, world, db):
    auth.login("as_a")
    stolen = _thief(app, client)
    admin = _admin(app)
    url = f"/amministrazione/utenti/{world['users']['as_a']}"
    response = _admin_post(admin, url, url, **{
        "u-full_name": "AS A", "u-title": "", "u-role": "social_worker",
        "u-office_id": str(world["offices"]["A"])})
    assert response.status_code == 302
    assert users.get(db, world["users"]["as_a"])["active"] == 0
    _assert_refused(stolen, world)
    users.update(db, world["users"]["as_a"], active=1)
    _assert_refused(stolen, world)


def test_admin_ends_a_users_sessions(app, client, auth, world, db):
    auth.login("as_a")
    admin = _admin(app)
    url = f"/amministrazione/utenti/{world['users']['as_a']}"
    html = admin.get(url).get_data(as_text=True)
    assert "Sessioni aperte" in html and "Termina sessioni" in html
    response = admin.post(url + "/sessioni/termina", data={})
    assert response.status_code == 400
    assert "Rossi" in _case_page(client, world).get_data(as_text=True)
    response = _admin_post(admin, url, url + "/sessioni/termina")
    assert response.status_code == 302
    assert "Sessioni terminate: 1" in admin.get(url).get_data(as_text=True)
    _assert_refused(client, world)
    row = list(db.query("SELECT * FROM audit_log WHERE action = 'sessions_end'"))[0]
    assert row["object_id"] == world["users"]["as_a"] and row["username"] == "admin"
    assert "Nessuna sessione aperta" in admin.get(url).get_data(as_text=True)


def test_idle_session_expires_on_the_server(app, client, auth, world):
    auth.login("as_a")
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(0)
    _assert_refused(client, world)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=9)
    _assert_refused(client, world)


# 10. The "session expired" stash belongs to the user whose session expired.

def _expire(app):
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(0)


def _revive(app):
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=9)


def test_anonymous_post_stores_nothing_and_offers_nothing(app, client, world, sheet, db):
    before = _count(db, "pending_submissions")
    stranger = app.test_client()
    response = stranger.post(f"/schede/{sheet}/modifica", data={
        "_azione": "completa", "cognome": "Scritto-da-uno-sconosciuto"})
    assert response.status_code == 302 and "recupera" not in response.headers["Location"]
    assert _count(db, "pending_submissions") == before
    html = client.get(f"/schede/{sheet}/modifica").get_data(as_text=True)
    assert "Scritto-da-uno-sconosciuto" not in html and "recuperato" not in html
    forged = client.get(f"/schede/{sheet}/modifica?recupera=qualsiasi").get_data(as_text=True)
    assert "Scritto-da-uno-sconosciuto" not in forged and "recuperato" not in forged


def test_post_with_a_logged_out_cookie_stores_nothing(app, client, auth, world, sheet, db):
    stolen = _thief(app, client)
    auth.logout()
    response = stolen.post(f"/schede/{sheet}/modifica", data={"cognome": "Dopo-l-uscita"})
    assert "recupera" not in response.headers["Location"]
    assert _count(db, "pending_submissions") == 0


def test_expired_session_stash_is_offered_to_its_owner_only(app, client, world, sheet, db):
    _expire(app)
    response = client.post(f"/schede/{sheet}/modifica", data={
        "_azione": "bozza", "cartella_rev": "1", "cognome": "Lavoro-di-as-a"})
    location = response.headers["Location"]
    assert "/accesso" in location and "recupera" in location
    assert _count(db, "pending_submissions") == 1
    _revive(app)
    # Someone else of the office, who may edit the sheet, follows the link: nothing offered.
    other = app.test_client()
    page = other.get(location)
    response = other.post(location, data={"csrf_token": csrf_from(page), "username": "coord_a",
                                          "password": PASSWORD})
    html = other.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lavoro-di-as-a" not in html and "recuperato" not in html
    assert _count(db, "pending_submissions") == 1
    # The owner logs in again and gets it back, once.
    page = client.get(location)
    assert "La sessione è scaduta" in page.get_data(as_text=True)
    response = client.post(location, data={"csrf_token": csrf_from(page), "username": "as_a",
                                           "password": PASSWORD})
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "quanto avevi inviato è stato recuperato" in html and "Lavoro-di-as-a" in html
    assert _count(db, "pending_submissions") == 0


def test_oversize_stash_is_refused(app, client, world, sheet, db):
    _expire(app)
    # Six fields of 400 KB, multipart: each under the form parser's limit, 2.4 MB in all.
    response = client.post(f"/schede/{sheet}/modifica", content_type="multipart/form-data",
                           data={"_azione": "bozza",
                                 **{f"campo{i}": "x" * 400_000 for i in range(6)}})
    assert "recupera" not in response.headers["Location"]
    assert _count(db, "pending_submissions") == 0
    _revive(app)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "troppo grande per essere conservato" in html


def test_stash_older_than_a_day_is_not_offered(app, client, world, sheet, db):
    _expire(app)
    response = client.post(f"/schede/{sheet}/modifica", data={"cognome": "Vecchio-di-ieri"})
    location = response.headers["Location"]
    assert "recupera" in location
    db.execute("UPDATE pending_submissions SET created_at = '2000-01-01T00:00:00.000+00:00'")
    _revive(app)
    page = client.get(location)
    response = client.post(location, data={"csrf_token": csrf_from(page), "username": "as_a",
                                           "password": PASSWORD})
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Vecchio-di-ieri" not in html and "recuperato" not in html
    assert _count(db, "pending_submissions") == 0


# 11. Password strength everywhere; lockouts seen and lifted by an administrator.

def test_weak_passwords_refused_on_the_command_line(runner, world, monkeypatch):
    result = runner.invoke(cli.main, ["user", "add", "debole", "--role", "staff", "--office",
                                      "A", "--password-stdin"], input="aaaaaaaaaa\n")
    assert result.exit_code != 0 and "Password troppo debole" in result.output
    assert "ripetizioni" in result.output
    result = runner.invoke(cli.main, ["user", "passwd", "as_a", "--password-stdin"],
                           input="Password123\n")
    assert result.exit_code != 0 and "password più usate" in result.output
    result = runner.invoke(cli.main, ["user", "add", "mario.bianchi", "--role", "staff",
                                      "--office", "A", "--full-name", "Mario Bianchi",
                                      "--password-stdin"], input="MarioBianchi2024!\n")
    assert result.exit_code != 0 and "contiene il nome utente" in result.output


def test_long_passphrase_accepted_short_or_common_refused():
    from app.accounts import password_problem

    assert password_problem("la gatta della vicina dorme sul tetto rosso " * 3) is None
    assert "almeno 10 caratteri" in password_problem("Ab3!x")
    assert "password più usate" in password_problem("Password123", "as_a")


def test_weak_admin_password_from_environment_stops_the_start(runner, app, monkeypatch):
    import waitress

    started = []
    monkeypatch.setattr(waitress, "serve", lambda *a, **k: started.append(True))
    monkeypatch.setenv("CARTELLA_ADMIN_PASSWORD", "x")
    result = runner.invoke(cli.main, ["serve"])
    assert result.exit_code != 0 and not started
    assert "CARTELLA_ADMIN_PASSWORD rifiutata" in result.output
    assert "almeno 10 caratteri" in result.output


def test_weak_passwords_refused_on_the_admin_pages(app, world, db):
    admin = _admin(app)
    response = _admin_post(admin, "/amministrazione/utenti/nuovo",
                           "/amministrazione/utenti/nuovo", **{
                               "username": "debole", "full_name": "Utente Debole",
                               "role": "staff", "office_id": str(world["offices"]["A"]),
                               "password": "juventus2024", "confirm": "juventus2024"})
    assert "Password troppo debole" in response.get_data(as_text=True)
    assert not users.exists(db, "debole")
    url = f"/amministrazione/utenti/{world['users']['as_a']}"
    response = _admin_post(admin, url, url + "/password", **{
        "p-password": "qwertyuiop1", "p-confirm": "qwertyuiop1"})
    assert response.status_code == 422 and "Password troppo debole" in response.get_data(
        as_text=True)
    assert users.authenticate(db, "as_a", PASSWORD) is not None


def _lock_out(auth, username="as_a"):
    for _ in range(5):
        auth.login(username, "sbagliata-davvero")
    assert BLOCKED in auth.login(username).get_data(as_text=True)


def test_admin_sees_and_lifts_a_lockout(app, client, auth, world, db):
    _lock_out(auth)
    admin = _admin(app)
    assert "accesso sospeso fino alle" in admin.get("/amministrazione/").get_data(as_text=True)
    url = f"/amministrazione/utenti/{world['users']['as_a']}"
    html = admin.get(url).get_data(as_text=True)
    assert re.search(r"Accesso sospeso fino alle \d\d:\d\d", html)
    response = _admin_post(admin, url, url + "/sblocca")
    assert response.status_code == 302
    assert "Accesso sospeso" not in admin.get(url).get_data(as_text=True)
    assert auth.login("as_a").status_code == 302
    row = list(db.query("SELECT * FROM audit_log WHERE action = 'login_unlocked'"))[0]
    assert row["object_id"] == world["users"]["as_a"] and row["username"] == "admin"


def test_password_reset_by_admin_lifts_the_lockout(app, client, auth, world):
    _lock_out(auth)
    admin = _admin(app)
    url = f"/amministrazione/utenti/{world['users']['as_a']}"
    _admin_post(admin, url, url + "/password", **{
        "p-password": "nuova-frase-molto-lunga", "p-confirm": "nuova-frase-molto-lunga"})
    assert auth.login("as_a", "nuova-frase-molto-lunga").status_code == 302


def test_cli_password_reset_lifts_the_lockout(runner, client, auth, world):
    _lock_out(auth)
    result = runner.invoke(cli.main, ["user", "passwd", "as_a", "--password-stdin"],
                           input="nuova-frase-molto-lunga\n")
    assert result.exit_code == 0, result.output
    assert auth.login("as_a", "nuova-frase-molto-lunga").status_code == 302


def _own_password(client, current, new, confirm=None):
    page = client.get("/password")
    return client.post("/password", data={"csrf_token": csrf_from(page), "current": current,
                                          "password": new, "confirm": confirm or new})


def test_user_changes_own_password_and_other_sessions_end(app, client, auth, world, db):
    auth.login("as_a")
    stolen = _thief(app, client)
    laptop = app.test_client()
    Auth(laptop).login("as_a")
    html = _own_password(client, "non-e-questa-123", "nuova-frase-molto-lunga").get_data(
        as_text=True)
    assert "La password attuale non è corretta" in html
    html = _own_password(client, PASSWORD, "aaaaaaaaaa").get_data(as_text=True)
    assert "Password troppo debole" in html and "ripetizioni" in html
    response = _own_password(client, PASSWORD, "nuova-frase-molto-lunga")
    assert response.status_code == 302
    assert "Password cambiata" in client.get("/").get_data(as_text=True)
    assert "Rossi" in _case_page(client, world).get_data(as_text=True)
    _assert_refused(stolen, world)
    _assert_refused(laptop, world)
    assert Auth(app.test_client()).login("as_a", "nuova-frase-molto-lunga").status_code == 302
    rows = list(db.query("SELECT action, object_id FROM audit_log WHERE action = 'password'"))
    assert rows == [{"action": "password", "object_id": world["users"]["as_a"]}]


def test_guessing_the_current_password_is_throttled_like_a_login(app, client, auth, world):
    auth.login("as_a")
    for attempt in range(5):
        _own_password(client, f"tentativo-numero-{attempt}", "nuova-frase-molto-lunga")
    html = _own_password(client, PASSWORD, "nuova-frase-molto-lunga").get_data(as_text=True)
    assert BLOCKED in html
    assert Auth(app.test_client()).login("as_a").get_data(as_text=True).count(BLOCKED) == 1
