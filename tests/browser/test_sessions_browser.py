"""In Chromium: an administrator sees a locked-out user and their open sessions, lifts the
lockout and ends the sessions; the user's browser is sent back to the login page."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from app import store
from app.store import offices, users
from tests.browser.conftest import PASSWORD
from tests.browser.test_accessibility import assert_accessible


@pytest.fixture(scope="session")
def axe():
    return Axe()


@pytest.fixture
def accounts(live_app):
    """A dedicated administrator and a staff member (not the demo users other tests share)."""
    db = store.connect(live_app.config["DATABASE"])
    try:
        office_id = offices.all_offices(db)[0]["id"]
        if not users.exists(db, "admin.sessioni"):
            users.create(db, "admin.sessioni", PASSWORD, "admin", None, "Admin Sessioni")
            users.create(db, "amm.sessioni", PASSWORD, "staff", office_id, "Utente Sessioni")
        return users.by_username(db, "amm.sessioni")["id"]
    finally:
        db.conn.close()


def test_admin_sees_lifts_lockout_and_ends_sessions(browser, live_server, page, login, axe,
                                                      accounts, no_csp_errors):
    user_context = browser.new_context(base_url=live_server, locale="it-IT")
    user_page = user_context.new_page()
    user_page.goto("/accesso")
    user_page.get_by_label("Nome utente").fill("AMM.Sessioni ")
    user_page.get_by_label("Password").fill(PASSWORD)
    user_page.get_by_role("button", name="Accedi").click()
    expect(user_page.get_by_role("heading", name="Buongiorno, Utente Sessioni")).to_be_visible()
    for _ in range(5):
        page.goto("/accesso")
        page.get_by_label("Nome utente").fill(" amm.sessioni")
        page.get_by_label("Password").fill("non-e-la-password")
        page.get_by_role("button", name="Accedi").click()

    login("admin.sessioni")
    page.goto("/amministrazione/")
    expect(page.get_by_text("accesso sospeso fino alle")).to_be_visible()
    page.get_by_role("link", name="amm.sessioni").click()
    expect(page.get_by_text("Accesso sospeso fino alle")).to_be_visible()
    expect(page.get_by_role("table", name="Sessioni aperte")).to_be_visible()
    assert_accessible(axe, page)

    page.get_by_role("button", name="Sblocca l'accesso").click()
    expect(page.get_by_text("Accesso sbloccato")).to_be_visible()
    page.get_by_role("button", name="Termina sessioni").click()
    expect(page.get_by_text("Sessioni terminate: 1")).to_be_visible()

    user_page.reload()
    expect(user_page.get_by_role("heading", name="Accedi a Cartella")).to_be_visible()
    user_context.close()
    no_csp_errors()
