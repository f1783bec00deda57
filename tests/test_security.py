"""Login throttling, session cookies, security headers, CSRF, error pages."""

from datetime import UTC, datetime, timedelta

from app.accounts import attempt_login
from tests.conftest import PASSWORD, csrf_from


def test_wrong_password_message(client, auth, world):
    html = auth.login("as_a", "sbagliata").get_data(as_text=True)
    assert "Nome utente o password non corretti" in html


def test_five_failures_block_the_username(client, auth, world):
    for _ in range(5):
        auth.login("as_a", "sbagliata")
    response = auth.login("as_a")  # right password, but blocked
    html = response.get_data(as_text=True)
    assert "Troppi tentativi di accesso falliti" in html and "riprova tra 15 minuti" in html
    assert client.get("/").status_code == 302
    assert auth.login("as2_a").status_code == 302  # other users are not affected


def test_block_ends_after_the_window(db, world):
    for _ in range(5):
        attempt_login(db, "as_a", "sbagliata", "127.0.0.1", secret="k")
    start = datetime.now(UTC) + timedelta(seconds=1)
    blocked = attempt_login(db, "as_a", PASSWORD, "127.0.0.1", secret="k", now=start)
    assert blocked.blocked_minutes == 15
    later = start + timedelta(minutes=15)
    assert attempt_login(db, "as_a", PASSWORD, "127.0.0.1", secret="k", now=later).user is not None


def test_a_password_typed_as_username_never_reaches_the_audit_log(client, auth, world, db):
    """A name no user has is recorded as a keyed digest, yet blocked like a real one."""
    for _ in range(5):
        auth.login("Segreta-Parola-2026!", "sbagliata")
    html = auth.login("Segreta-Parola-2026!", "sbagliata").get_data(as_text=True)
    assert "Troppi tentativi di accesso falliti" in html  # the same answer as for a real user
    names = [row["username"] for row in db.query("SELECT username FROM audit_log")]
    assert not any("segreta" in name.casefold() for name in names)
    assert any(name.startswith("(utente sconosciuto ") for name in names)
    auth.login("as_a", "sbagliata")
    assert "as_a" in [row["username"] for row in db.query("SELECT username FROM audit_log")]


def test_session_cookie_flags(client, auth, world):
    response = auth.login("as_a")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookie_when_https(tmp_path, monkeypatch):
    from app import create_app

    monkeypatch.setenv("CARTELLA_HTTPS", "1")
    app = create_app({"INSTANCE_PATH": tmp_path / "i"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_security_headers(client):
    headers = client.get("/accesso").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script(client, auth, world):
    auth.login("coord_a")
    for url in ("/", "/persone/", f"/persone/{world['persons']['A']}",
                f"/pratiche/{world['cases']['A']}"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and " onclick=" not in html and "style=" not in html


def test_post_without_csrf_token_is_refused(client, auth, world, db):
    auth.login("amm_a")
    response = client.post("/persone/nuova", data={"cognome": "Senza", "nome": "Token"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True) or "token" in response.get_data(as_text=True)
    assert not list(db.query("SELECT 1 FROM persons WHERE cognome = 'Senza'"))


def test_csrf_token_does_not_expire(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None


def test_error_page_is_italian_with_a_way_back(client, auth, world):
    auth.login("as_a")
    response = client.get("/pratiche/99999")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Pagina non trovata" in html and "Torna alla pagina iniziale" in html


def test_open_redirect_is_refused(client, world):
    page = client.get("/accesso?next=https://evil.example/")
    response = client.post("/accesso?next=https://evil.example/", data={
        "csrf_token": csrf_from(page), "username": "as_a", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_password_change_ends_other_sessions(client, auth, world, db, app):
    from app.store import users

    auth.login("as_a")
    assert client.get("/").status_code == 200
    users.set_password(db, world["users"]["as_a"], "una-nuova-password")
    assert client.get("/").status_code == 302


def test_secret_key_generated_in_instance(app):
    from pathlib import Path

    key_file = Path(app.instance_path) / "secret_key"
    assert key_file.read_text().strip() == app.config["SECRET_KEY"]
    assert len(app.config["SECRET_KEY"]) >= 64
    assert oct(key_file.stat().st_mode)[-3:] == "600"
