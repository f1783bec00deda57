"""A hanging LibreOffice must not take the server down (issue 9, item 18).

A fake `soffice` first on PATH hangs until the test releases it. Through the real app served
by waitress with few threads: PDF requests take at most a bounded share of them, another
user's page still answers, and an extra PDF request is told at once to try again shortly.
"""

import os
import stat
import threading
import time
from pathlib import Path

import pytest
import requests

from app import create_app
from app.documents.pdf import PdfFailed, PdfPool
from tests.conftest import FIXTURE_FORMS, FIXTURES, PASSWORD, _csrf
from tests.test_batch import _sheet
from tests.test_entries import COMPLETE

THREADS = 4  # waitress threads: as many PDF requests as threads are sent at once
HANG = 60  # seconds the fake converter hangs unless released
BUSY = "Il convertitore PDF è occupato: riprova tra poco"


class HangingSoffice:
    """A fake soffice on PATH: notes each start, hangs until `release()` (or HANG seconds)."""

    def __init__(self, root: Path):
        self.started, self.gate = root / "avviati", root / "via-libera"
        self.started.mkdir(parents=True)
        script = root / "bin" / "soffice"
        script.parent.mkdir()
        script.write_text(f"""#!/bin/sh
touch "{self.started}/$$"
i=0
while [ ! -e "{self.gate}" ] && [ $i -lt {HANG * 10} ]; do sleep 0.1; i=$((i + 1)); done
exit 1
""")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        self.bin = script.parent

    def starts(self) -> int:
        return len(list(self.started.iterdir()))

    def release(self) -> None:
        self.gate.touch()


@pytest.fixture
def soffice(tmp_path, monkeypatch):
    fake = HangingSoffice(tmp_path / "lo")
    monkeypatch.setenv("PATH", f"{fake.bin}{os.pathsep}{os.environ['PATH']}")
    yield fake
    fake.release()


@pytest.fixture
def app(tmp_path, soffice):
    """One converter, a 2-second wait for it, and a timeout longer than the test."""
    return create_app({"INSTANCE_PATH": tmp_path / "instance", "TESTING": True,
                       "FORMS_DIR": str(FIXTURE_FORMS),
                       "DOC_TEMPLATES_DIR": str(FIXTURES / "doc_templates"),
                       "SPREADSHEETS_DIR": str(FIXTURES / "spreadsheets"),
                       "PDF_WORKERS": 1, "PDF_WAIT": 2, "PDF_TIMEOUT": HANG + 30})


@pytest.fixture
def server(app):
    """The app served by waitress with THREADS request threads."""
    from waitress import create_server

    served = create_server(app, host="127.0.0.1", port=0, threads=THREADS)
    stop = threading.Event()

    def run():
        # served.run() loops forever; closing its socket under it raises EBADF in the thread.
        while not stop.is_set():
            served.asyncore.loop(timeout=0.2, map=served._map, count=1)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{served.effective_port}"
    stop.set()
    thread.join(timeout=5)
    served.close()
    served.task_dispatcher.shutdown()


def _session(base: str, username: str) -> requests.Session:
    session = requests.Session()
    token = _csrf(session.get(f"{base}/accesso", timeout=10).text)
    response = session.post(f"{base}/accesso", timeout=10, data={
        "username": username, "password": PASSWORD, "csrf_token": token})
    assert response.ok and "/esci" in response.text  # logged in: the page offers logout
    return session


def _pdf_request(base: str, session: requests.Session, entry_id: int):
    """A prepared PDF request: the page's token now, the POST when called."""
    token = _csrf(session.get(f"{base}/schede/{entry_id}", timeout=10).text)
    return lambda: session.post(f"{base}/schede/{entry_id}/documenti/relazione_prova",
                                data={"csrf_token": token, "formato": "pdf"},
                                timeout=HANG + 60)


def test_a_hanging_converter_leaves_other_pages_and_says_retry(server, soffice, client, auth,
                                                                world):
    auth.login("as_a")
    entry_id = _sheet(client, world["cases"]["A"], **COMPLETE)
    requests_ = [_pdf_request(server, _session(server, "as_a"), entry_id)
                 for _ in range(THREADS)]
    extra = _pdf_request(server, _session(server, "as_a"), entry_id)
    other = _session(server, "coord_a")

    answers: list = []
    threads = [threading.Thread(target=lambda r=r: answers.append(r()), daemon=True)
               for r in requests_]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while soffice.starts() < 1:
            assert time.monotonic() < deadline, "the fake converter never started"
            time.sleep(0.1)
        time.sleep(0.5)  # the other PDF requests reach the converter's door

        started = time.monotonic()
        page = other.get(f"{server}/pratiche/{world['cases']['A']}", timeout=HANG)
        assert time.monotonic() - started < 5
        assert page.status_code == 200 and "Rossi" in page.text

        started = time.monotonic()
        busy = extra()
        assert time.monotonic() - started < 5
        assert busy.status_code == 503 and BUSY in busy.text
        assert "Traceback" not in busy.text and "PdfBusy" not in busy.text
        assert soffice.starts() == 1  # one converter at a time, never more
    finally:
        soffice.release()
        for thread in threads:
            thread.join(timeout=30)
    # One converted (and failed once released); at most one waited at the converter's door
    # (and may have had its turn after the release); every other was refused at once.
    assert len(answers) == THREADS
    busy = [a for a in answers if a.status_code == 503]
    assert len(busy) >= THREADS - 2 and all(BUSY in a.text for a in busy)
    assert all("Il documento non è stato prodotto" in a.text for a in answers
               if a.status_code != 503)


def test_the_timeout_ends_a_hanging_converter(soffice, tmp_path):
    pool = PdfPool(size=1, timeout=1, root=tmp_path / "profili")
    started = time.monotonic()
    with pytest.raises(PdfFailed, match="oltre 1 secondi"):
        pool.convert(b"non importa", ".docx")
    assert time.monotonic() - started < 10
    assert not soffice.gate.exists()  # ended by the timeout, not released


def test_pdf_timeout_and_wait_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CARTELLA_PDF_TIMEOUT", "12")
    monkeypatch.setenv("CARTELLA_PDF_WAIT", "3")
    app = create_app({"INSTANCE_PATH": tmp_path / "instance", "FORMS_DIR": str(FIXTURE_FORMS),
                      "DOC_TEMPLATES_DIR": str(FIXTURES / "doc_templates"),
                      "SPREADSHEETS_DIR": str(FIXTURES / "spreadsheets")})
    pool = app.extensions["cartella.documents"].pdf
    assert (pool.timeout, pool.wait) == (12, 3)


def test_serve_refuses_fewer_threads_than_pdf_work_could_hold(app, runner, soffice):
    """With PDF work able to hold every thread, other users' pages could wait: refused."""
    from app.cli import main

    (Path(app.instance_path) / "config.py").write_text("PDF_WORKERS = 2\n")
    result = runner.invoke(main, ["serve", "--threads", "4"])
    assert result.exit_code == 1
    assert "usare almeno --threads 6 o ridurre PDF_WORKERS" in result.output
