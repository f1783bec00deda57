"""Every route × every role × two offices, generated from the URL map.

ACCESS_RULES says, for each endpoint, which roles get through with the ids of office A's
objects. A route missing from the table fails: a new route cannot ship without an access
rule. Anonymous users are sent to the login page (401 for htmx), roles without the right
get 403 or 404, users of office B get 403/404 on office A's objects — never a 200 with data.
"""

import re

import pytest

from app import create_app
from app.store import batches, documents, entries, imports
from tests.conftest import FIXTURE_FORMS, FIXTURES, Auth

ADMIN, COORD, SW, STAFF = "admin", "coordinator", "social_worker", "staff"
OFFICE = {COORD, SW, STAFF}
PUBLIC = {"anonymous", ADMIN, COORD, SW, STAFF}
ANY_USER = {ADMIN, COORD, SW, STAFF}

# Roles that pass with office A's objects (the case of office A is managed by its social
# worker; the batch job is the coordinator's; the import was made by office A's staff).
ACCESS_RULES = {
    "static": PUBLIC, "favicon": PUBLIC, "auth.login": PUBLIC, "auth.set_language": PUBLIC,
    "auth.logout": ANY_USER, "auth.change_password": ANY_USER, "cases.home": ANY_USER,
    "accesses.person": {COORD, SW}, "accesses.entry": {COORD, SW},
    "admin.audit_log": {ADMIN}, "admin.end_sessions": {ADMIN}, "admin.index": {ADMIN},
    "admin.new_user": {ADMIN}, "admin.office": {ADMIN}, "admin.unlock": {ADMIN},
    "admin.user": {ADMIN}, "admin.user_password": {ADMIN},
    "batch.new": OFFICE, "batch.registers": {COORD, STAFF},
    "batch.status": {COORD}, "batch.status_partial": {COORD}, "batch.download_zip": {COORD},
    "cases.index": OFFICE, "cases.view": OFFICE, "cases.edit": OFFICE,
    "cases.open_case": OFFICE, "cases.close": {COORD, SW}, "cases.reopen": {COORD, SW},
    "documents.download": OFFICE, "documents.from_case": OFFICE,
    "documents.from_entry": OFFICE,
    "entries.new": OFFICE, "entries.view": OFFICE, "entries.edit": OFFICE,
    "entries.refresh": OFFICE, "entries.autosave": OFFICE, "entries.discard_autosave": OFFICE,
    "entries.cancel": OFFICE, "entries.revisions": OFFICE, "entries.delete": {COORD, SW},
    "entries.trash": {COORD}, "entries.restore": {COORD},
    "forms_list.index": OFFICE, "forms_list.entries": OFFICE,
    "imports.index": {COORD, STAFF}, "imports.mapping": {COORD, STAFF},
    "imports.preview": {COORD, STAFF}, "imports.mapping_file": {COORD, STAFF},
    "imports.preview_report": {COORD, STAFF}, "imports.discard": {COORD, STAFF},
    "imports.confirm": {COORD, STAFF}, "imports.progress": {COORD, STAFF},
    "imports.report": {COORD, STAFF}, "imports.report_file": {COORD, STAFF},
    "imports.cancel": {COORD, STAFF}, "imports.export": {COORD, STAFF},
    "persons.index": OFFICE, "persons.view": OFFICE, "persons.create": OFFICE,
    "persons.edit": OFFICE, "persons.refresh_extras": OFFICE,
}
# Who plays each role: office A's users, then office B's (same roles, other office).
USERS = {"anonymous": None, ADMIN: "admin", COORD: "coord_a", SW: "as_a", STAFF: "amm_a"}
OFFICE_B = {COORD: "coord_b", SW: "as_b", STAFF: "amm_b"}
# Path parameters that name an object of office A: office B never reaches it.
OBJECT_PARAMS = {"person_id", "case_id", "entry_id", "document_id", "import_id", "job_id"}
# An import wizard's token is the starter's own: an unknown one is 404 for everybody.
TOKEN_ROUTES = {"imports.mapping", "imports.preview", "imports.mapping_file",
                "imports.preview_report", "imports.discard", "imports.confirm",
                "imports.progress"}
SECRETS = (b"Rossi", b"RSSMRA41D03F205B")
# What a POST needs to reach its work (the rest is judged with an empty form).
POST_DATA = {"entries.new": {"modulo": "prova"}, "documents.from_entry": {"formato": "docx"},
             "documents.from_case": {"formato": "docx"}}


def _config(instance):
    return {"INSTANCE_PATH": instance, "TESTING": True, "WTF_CSRF_ENABLED": False,
            "FORMS_DIR": str(FIXTURE_FORMS), "DOC_TEMPLATES_DIR": str(FIXTURES / "doc_templates"),
            "SPREADSHEETS_DIR": str(FIXTURES / "spreadsheets")}


def _rules():
    app = create_app(_config(_tmp_instance()))
    return sorted(((r.endpoint, r.rule, m) for r in app.url_map.iter_rules()
                   for m in sorted(r.methods - {"HEAD", "OPTIONS"})), key=lambda x: x[1:])


def _tmp_instance():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="cartella-matrix-")) / "instance"


RULES = _rules()


def test_every_route_has_an_access_rule():
    missing = sorted({endpoint for endpoint, _, _ in RULES} - set(ACCESS_RULES))
    assert not missing, "nuova rotta senza regola di accesso: " + ", ".join(missing)


@pytest.fixture
def app(tmp_path):
    """The app with CSRF off: a POST must be judged by its access rule, not by its token."""
    return create_app(_config(tmp_path / "instance"))


@pytest.fixture
def objects(app, db, world):
    """Office A's objects of every kind: a sheet, a deleted sheet, a document, an import,
    a batch job (the coordinator's)."""
    case = {"id": world["cases"]["A"], "person_id": world["persons"]["A"],
            "office_id": world["offices"]["A"]}
    version = app.extensions["cartella.catalog"].forms["prova"].version
    entry = entries.create(db, case, "prova", version, {"descrizione": "Rossi"},
                           world["users"]["as_a"])
    deleted = entries.create(db, case, "prova", version, {}, world["users"]["as_a"])
    entries.soft_delete(db, deleted, world["users"]["coord_a"])
    document = documents.archive(
        db, office_id=case["office_id"], case_id=case["id"], person_id=case["person_id"],
        entry_id=entry, entry_rev=1, template_id="relazione_prova", template_sha256="0" * 64,
        fmt="docx", filename="Relazione Rossi.docx", draft=True, content=b"Rossi",
        user_id=world["users"]["as_a"], sensitive=False)
    record = imports.record(db, office_id=case["office_id"], form_id="prova",
                            filename="Rossi.xlsx", sha256="0" * 64, sheet="", mapping={},
                            counts={}, outcomes=[], user_id=world["users"]["amm_a"])
    job = batches.start(db, case["office_id"], world["users"]["coord_a"], "relazione_prova",
                        "docx", 1)
    batches.finish(db, job, b"PK\x05\x06" + b"\x00" * 18, [], sensitive=False)
    return {"person_id": case["person_id"], "case_id": case["id"], "entry_id": entry,
            "document_id": document, "import_id": record, "job_id": job,
            "user_id": world["users"]["as2_a"], "office_id": world["offices"]["A"],
            "template_id": "relazione_prova", "form_id": "prova", "token": "sconosciuto",
            "code": "en", "filename": "css/cartella.css", "deleted_entry_id": deleted}


def _url(endpoint: str, rule: str, objects: dict) -> str:
    values = dict(objects)
    if endpoint == "entries.restore":
        values["entry_id"] = objects["deleted_entry_id"]
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule)


def _players():
    """(role, username, office) in the order they try: the ones to be refused first, so a
    destructive route (delete, close) is tried by them before it succeeds."""
    for role, username in USERS.items():
        yield role, username, "A"
    for role, username in OFFICE_B.items():
        yield role, username, "B"


@pytest.mark.parametrize("endpoint,rule,method", RULES, ids=[f"{m} {r}" for _, r, m in RULES])
def test_route_by_role_and_office(app, objects, endpoint, rule, method):
    allowed = ACCESS_RULES.get(endpoint)
    assert allowed is not None, f"nuova rotta senza regola di accesso: {endpoint} ({rule})"
    url = _url(endpoint, rule, objects)
    names_object = bool(OBJECT_PARAMS & set(re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", rule)))
    players = sorted(_players(), key=lambda p: _expected(p, allowed, names_object) != "refused")
    succeeded = False
    for role, username, office in players:
        client = app.test_client()
        if username:
            assert Auth(client).login(username).status_code == 302, username
        response = client.open(url, method=method, data=POST_DATA.get(endpoint, {}))
        status, body = response.status_code, response.get_data()
        who = f"{method} {url} come {role} dell'ufficio {office}: {status}"
        assert status < 500, who
        if _expected((role, username, office), allowed, names_object) == "refused":
            if username is None:
                assert status in (302, 401) and "/accesso" in response.headers.get(
                    "Location", "/accesso"), who
            else:
                assert status in (403, 404), who
            assert not any(secret in body for secret in SECRETS), who
        elif method == "GET":
            expected_missing = endpoint in TOKEN_ROUTES
            assert status in ((404,) if expected_missing else (200, 301, 302)), who
        else:
            assert status not in (401, 403), who
            assert status != 404 or succeeded or endpoint in TOKEN_ROUTES, who
            succeeded = succeeded or status < 400


def _expected(player, allowed: set, names_object: bool) -> str:
    role, _username, office = player
    if role not in allowed:
        return "refused"
    if office == "B" and names_object:
        return "refused"
    return "passes"
