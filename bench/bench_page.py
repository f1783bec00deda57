"""Server time of the sheet page with the synthetic 150-field form, through Flask's test client.

    python bench/bench_page.py [--requests 100] [--warmup 10] [--profile]

Sets up a temporary instance whose forms folder holds only the synthetic form, an office, a
social worker, a person and a case managed by that worker, and one entry filled with a complete
submission. Then, logged in as the worker, times interleaved requests of
  GET  /schede/<id>/modifica   the edit page (form built from stored data, evaluated, rendered)
  POST /schede/<id>/modifica   save as draft with every field posted (validated, checked,
                               stored as a new revision; the 302 is not followed)
  GET  /pratiche/<id>          the case page
each both as deployed and with an idle extra SQLite connection held open (see `run`), then
times the steps of the edit page one by one inside a request context (see `breakdown`).
No network: the test client calls the WSGI app in process; CSRF protection stays on.
"""

import argparse
import cProfile
import io
import pstats
import re
import sys
import tempfile
from pathlib import Path
from time import perf_counter

from flask import render_template

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import synthetic  # noqa: E402
from bench_forms import machine, summary  # noqa: E402

from app import create_app, store  # noqa: E402
from app.store import cases, offices, persons, users  # noqa: E402
from app.store import entries as entry_store  # noqa: E402

PASSWORD = "password-di-prova-1"
# Hashing cost is not what is measured: a cheap method keeps the set-up fast.
users.PASSWORD_METHOD = "pbkdf2:sha256:1000"


def setup(tmp: Path):
    """An app over a fresh instance with one case and one entry of the synthetic form."""
    forms_dir = synthetic.write_forms(tmp / "forms")
    # No document templates: the repository's catalogs name forms the synthetic folder does
    # not have, and the app would refuse to start.
    app = create_app({"INSTANCE_PATH": tmp / "instance", "FORMS_DIR": str(forms_dir),
                      "DOC_TEMPLATES_DIR": str(tmp / "no-templates"),
                      "SPREADSHEETS_DIR": str(tmp / "no-templates")})
    db = store.connect(app.config["DATABASE"])
    try:
        office_id = offices.create(db, "A", "Ufficio A")
        user_id = users.create(db, "as_a", PASSWORD, "social_worker", office_id, "AS A")
        person_id = persons.create(db, office_id, {
            "codice_fiscale": synthetic.VALID_CF, "cognome": "Rossi", "nome": "Mario",
            "sesso": "M", "data_nascita": "1941-04-03"}, None)
        case_id = cases.open_case(db, {"id": person_id, "office_id": office_id},
                                  {"area": "non_autosufficienza", "manager_id": user_id}, [], None)
        case = {"id": case_id, "person_id": person_id, "office_id": office_id}
        form = app.extensions["cartella.catalog"].forms[synthetic.FORM_ID]
        entry_id = entry_store.create(db, case, form.id, form.version, {}, user_id)
    finally:
        db.conn.close()
    return app, case_id, entry_id, user_id


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if not match:
        raise SystemExit("no CSRF token on the page")
    return match.group(1)


class Session:
    """A logged-in test client that keeps track of the entry's revision."""

    def __init__(self, app, case_id: int, entry_id: int):
        self.client = app.test_client()
        self.edit_url = f"/schede/{entry_id}/modifica"
        self.case_url = f"/pratiche/{case_id}"
        token = csrf_token(self.client.get("/accesso").get_data(as_text=True))
        response = self.client.post("/accesso", data={
            "username": "as_a", "password": PASSWORD, "csrf_token": token})
        expect(response, 302, "login")
        page = self.client.get(self.edit_url)
        expect(page, 200, "first GET")
        self.token = csrf_token(page.get_data(as_text=True))
        self.rev = int(re.search(r'name="cartella_rev" value="(\d+)"',
                                 page.get_data(as_text=True)).group(1))

    def get_edit(self):
        return expect(self.client.get(self.edit_url), 200, "GET edit")

    def post_draft(self):
        data = synthetic.post_data(italian=True, rev=self.rev)
        data.update(csrf_token=self.token, _azione="bozza", cartella_nota="")
        response = expect(self.client.post(self.edit_url, data=data), 302, "POST draft")
        self.rev += 1
        return response

    def get_case(self):
        return expect(self.client.get(self.case_url), 200, "GET case")


def expect(response, status: int, what: str):
    """Every timed request must succeed the intended way, or its time means nothing."""
    if response.status_code != status:
        body = response.get_data(as_text=True)
        errors = re.findall(r'class="invalid-feedback">([^<]+)<', body)[:5]
        raise SystemExit(f"{what}: HTTP {response.status_code}, expected {status} {errors}")
    return response


def run(session: Session, requests: int, warmup: int, db_path: str) -> None:
    """Time the three requests; alternate blocks with and without an idle extra connection.

    "as deployed": each request opens and closes the only connection, so SQLite checkpoints
    the WAL into the database at every close. "idle connection held": the bench keeps one more
    connection open, so closes do not checkpoint (what a per-process connection would give).
    """
    calls = {"GET /schede/<id>/modifica": session.get_edit,
             "POST /schede/<id>/modifica (draft)": session.post_draft,
             "GET /pratiche/<id>": session.get_case}
    modes = ("as deployed", "idle connection held")
    times = {mode: {name: [] for name in calls} for mode in modes}
    sizes = {}
    block, keeper = 10, None
    for i in range(warmup + 2 * requests):
        mode = modes[(i // block) % 2]
        if i % block == 0 and mode == modes[1]:
            keeper = store.connect(db_path)
            keeper.execute("SELECT 1").fetchall()  # opens the file; holds no transaction
        for name, call in calls.items():
            start = perf_counter()
            response = call()
            elapsed = perf_counter() - start
            sizes[name] = len(response.get_data())
            if i >= warmup:
                times[mode][name].append(elapsed)
        if i % block == block - 1 and keeper is not None:
            keeper.conn.close()  # outside the timed requests
            keeper = None
    print("\n| request | mode | p50 ms | p95 ms | response bytes |")
    print("|---|---|---:|---:|---:|")
    for name in calls:
        for mode in modes:
            p50, p95 = summary(times[mode][name])
            print(f"| {name} | {mode} | {p50:.1f} | {p95:.1f} | {sizes[name]:,} |")


def breakdown(app, session: Session, user_id: int, entry_id: int, rounds: int) -> None:
    """The edit page's steps timed one by one inside a request, as `entries.edit` runs them."""
    from flask_login import login_user

    from app.web.db import get_db
    from app.web.entries import Sheet
    from app.web.guard import User
    from app.webforms import values_from

    ids = synthetic.input_ids()
    steps = {k: [] for k in ("load sheet (SQL + context)", "build WTForms from data",
                             "values_from + evaluate", "render_template edit.html",
                             "bare field render (same fields)")}
    for i in range(rounds + 5):
        with app.test_request_context(session.edit_url):
            login_user(User(users.get(get_db(), user_id)))
            t0 = perf_counter()
            sheet = Sheet(entry_id, audit_action=None)
            t1 = perf_counter()
            wtform = sheet.wtform()
            t2 = perf_counter()
            state = sheet.form.evaluate(values_from(sheet.form, wtform), sheet.ctx)
            t3 = perf_counter()
            render_template("entries/edit.html", sheet=sheet, wtform=wtform, state=state)
            t4 = perf_counter()
            synthetic.render_fields(wtform, ids)
            t5 = perf_counter()
        if i >= 5:
            for key, (a, b) in zip(steps, ((t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5)),
                                   strict=True):
                steps[key].append(b - a)
    print(f"\nGET edit page, step by step ({rounds} rounds, median/p95 ms):")
    for key, samples in steps.items():
        print("  {:<34} {:7.2f} / {:7.2f}".format(key, *summary(samples)))


def profile(session: Session, requests: int) -> None:
    """Where the time of the edit page and of the draft save goes."""
    for name, call in (("GET edit", session.get_edit), ("POST draft", session.post_draft)):
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            call()
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        print(f"\n--- cProfile, {name}, {requests} requests, sorted by cumulative ---")
        print("\n".join(out.getvalue().splitlines()[6:50]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="also cProfile GET and POST")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        app, case_id, entry_id, user_id = setup(Path(tmp))
        session = Session(app, case_id, entry_id)
        session.post_draft()  # fill the entry: every GET then renders a complete sheet
        print(f"{args.requests} requests of each kind and mode after {args.warmup} warm-up, "
              "interleaved; modes alternate in blocks of 10")
        run(session, args.requests, args.warmup, app.config["DATABASE"])
        breakdown(app, session, user_id, entry_id, max(30, args.requests // 2))
        if args.profile:
            profile(session, max(20, args.requests // 3))


if __name__ == "__main__":
    main()
