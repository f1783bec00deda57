"""Browser fixtures: the app served by waitress on a free port, and one Chromium per session.

Every test in this folder is marked `browser`. Chromium is Debian's (`apt install chromium`):
without it the tests fail in CI (env var CI set) and are skipped elsewhere.
"""

import os
import threading
from pathlib import Path

import pytest

from app import create_app, store
from app.demo import load_demo

CHROMIUM = Path(os.environ.get("CARTELLA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "password-di-prova-1"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    """Mark every test collected from this folder as a browser test."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app the live server serves, over a temporary instance with the demo data loaded."""
    app = create_app({"INSTANCE_PATH": tmp_path_factory.mktemp("browser") / "instance"})
    db = store.connect(app.config["DATABASE"])
    try:
        load_demo(db, password=PASSWORD, seed=2026)
    finally:
        db.conn.close()
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    """The base URL of the app, with the demo offices, users and persons, served by waitress."""
    from waitress import create_server

    server = create_server(live_app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    server.task_dispatcher.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole session."""
    if not CHROMIUM.exists():
        message = (f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium` "
                   "(or point CARTELLA_CHROMIUM at it)")
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def console_errors():
    """Error messages the browser console printed during the test (CSP violations among them)."""
    return []


@pytest.fixture
def page(browser, live_server, console_errors):
    """A fresh page in its own context (own cookies), Italian, with console errors collected."""
    # Reduced motion: Bootstrap's smooth scrolling would make every click on a far button wait
    # for the scroll to settle (seconds on a long sheet).
    context = browser.new_context(base_url=live_server, locale="it-IT", reduced_motion="reduce")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.on("console", lambda msg: msg.type == "error" and console_errors.append(msg.text))
    tab.on("pageerror", lambda error: console_errors.append(str(error)))
    yield tab
    context.close()


@pytest.fixture
def login(page):
    """Log the page in through the form, as a user would: `login("as.monza")`."""

    def log_in(username: str, password: str = PASSWORD) -> None:
        page.goto("/accesso")
        page.get_by_label("Nome utente").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Accedi").click()
        page.wait_for_url(lambda url: "/accesso" not in url)

    return log_in


@pytest.fixture
def no_csp_errors(console_errors):
    """A check that no console error so far mentions the Content Security Policy."""

    def check() -> None:
        csp = [m for m in console_errors if "Content Security Policy" in m]
        assert not csp, "CSP violations in the browser console:\n" + "\n".join(csp)

    return check
