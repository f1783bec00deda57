"""The import wizard: upload, sheet and header, mapping, preview, commit, report, undo."""

import io
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from .. import access, store
from ..cycle import AREAS
from ..definitions import Form
from ..imports.commit import UndoRefused, commit, file_sha256, undo
from ..imports.export import export_form
from ..imports.limits import EXTENSIONS, ImportFileError, Limits, precheck
from ..imports.mapping import targets
from ..imports.service import (
    MAPPING_MAX_BYTES,
    Prepared,
    apply_mapping,
    form_title,
    mapping_yaml,
    plan_and_report,
    plan_import,
    prepare,
    read_mapping,
    report_xlsx,
    samples,
    unmatched_message,
)
from ..store import entries as entry_store
from ..store import imports as import_store
from ..store import users as user_store
from .db import get_catalog, get_db
from .guard import audit, client_ip, current_user, requires
from .params import int_arg

bp = Blueprint("imports", __name__, url_prefix="/importazioni")
LOG = logging.getLogger(__name__)
PROGRESS: dict[str, dict] = {}  # token -> progress of a commit running in the background


UPLOAD_HOURS = 24


def _uploads() -> Path:
    folder = Path(current_app.instance_path) / "caricamenti"
    folder.mkdir(exist_ok=True)
    return folder


def _sweep(folder: Path) -> None:
    """Uploads of wizards left half-way (a closed tab) are deleted after UPLOAD_HOURS: they
    hold people's data and nobody will come back for them."""
    limit = time.time() - UPLOAD_HOURS * 3600
    stale = datetime.fromtimestamp(limit, UTC).isoformat(timespec="milliseconds")
    for state in import_store.wizards_before(get_db(), stale):
        Path(state["path"]).unlink(missing_ok=True)
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
        except OSError:  # taken by another request meanwhile
            continue


def _pending(token: str) -> dict:
    """The wizard's state, kept on the server: only the URL carries its token, and only the
    user who started it reaches it (404 for anyone else)."""
    pending = import_store.wizard(get_db(), token, current_user.id)
    if pending is None:
        abort(404)
    return pending


def _save_pending(token: str, pending: dict) -> None:
    import_store.wizard_save(get_db(), token, current_user.id, pending)


def _discard(token: str) -> None:
    """Forget a pending upload: its file leaves the disk and its state the server."""
    pending = import_store.wizard_delete(get_db(), token, current_user.id)
    if pending:
        Path(pending["path"]).unlink(missing_ok=True)


def _hidden(form: Form) -> frozenset:
    return access.hidden_fields(current_user, form)


def _refused(token: str, error: ImportFileError):
    """A file that cannot be read is not kept: say why and start again."""
    _discard(token)
    flash(str(error), "danger")
    return redirect(url_for("imports.index"))


def _forms():
    return [f for f in get_catalog().forms.values() if f.id != "persona"]


@bp.route("/", methods=["GET", "POST"])
@requires("import.run")
def index():
    if request.method == "POST":
        return _upload()
    mine = None if current_user.role == access.COORDINATOR else current_user.id
    return render_template("imports/index.html", forms=_forms(), areas=AREAS, managers=_managers(),
                           history=import_store.of_office(get_db(), current_user.office_id,
                                                          created_by=mine),
                           get_form=get_catalog().forms.get,
                           extensions=", ".join(sorted(EXTENSIONS)))


def _managers() -> list[dict]:
    """Who may manage the cases an import opens: the office's social workers and coordinators."""
    return user_store.office_staff(get_db(), current_user.office_id, access.CASE_MANAGER_ROLES)


def _upload():
    upload = request.files.get("file")
    form = get_catalog().forms.get(request.form.get("modulo", ""))
    if upload is None or not upload.filename:
        flash(_("Scegli il file del registro da importare."), "warning")
        return redirect(url_for("imports.index"))
    if form is None:
        flash(_("Scegli il modulo in cui importare il registro."), "warning")
        return redirect(url_for("imports.index"))
    managers = {str(u["id"]): u for u in _managers()}
    manager_id = request.form.get("case_manager", "")
    if manager_id and manager_id not in managers:
        flash(_("Il case manager scelto non è un assistente sociale o un coordinatore attivo "
                "del tuo ufficio."), "warning")
        return redirect(url_for("imports.index"))
    manager_id = int(manager_id) if manager_id else None
    try:
        saved = _saved_mapping(request.files.get("mappa"), form)
    except ValueError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("imports.index"))
    token = secrets.token_urlsafe(12)
    suffix = Path(upload.filename).suffix.lower()
    _sweep(_uploads())
    path = _uploads() / f"{token}{suffix if suffix in EXTENSIONS else '.rifiutato'}"
    upload.save(path)
    import_store.wizard_create(get_db(), token, current_user.id, {
        "path": str(path), "name": upload.filename, "form": form.id,
        "area": request.form.get("area", "non_autosufficienza"), "saved_mapping": saved,
        "manager_id": manager_id})
    try:  # type, size, zip bomb, password: refused before the file is ever parsed
        precheck(path, upload.filename, _limits())
    except ImportFileError as exc:
        return _refused(token, exc)
    return redirect(url_for("imports.mapping", token=token))


def _limits() -> Limits:
    return Limits.from_config(current_app.config)


def _saved_mapping(upload, form: Form) -> dict | None:
    """The saved mapping sent with the register, if any (see service.read_mapping)."""
    if upload is None or not upload.filename:
        return None
    titles = {f.id: form_title(f) for f in _forms()}
    return read_mapping(upload.read(MAPPING_MAX_BYTES + 1), upload.filename, form,
                        _hidden(form), titles)


def _prepared(pending: dict, sheet=None, header=None):
    form = get_catalog().forms[pending["form"]]
    return form, prepare(pending["path"], pending["name"], form, sheet or pending.get("sheet"),
                         limits=_limits(),
                         header_row=header if header is not None else pending.get("header"),
                         hidden=_hidden(form))


@bp.route("/<token>/mappa", methods=["GET", "POST"])
@requires("import.run")
def mapping(token: str):
    pending = _pending(token)
    sheet = request.values.get("foglio") or pending.get("sheet")
    header = int_arg("intestazione", source=request.values)
    try:
        form, prepared = _prepared(pending, sheet, None if header is None else header - 1)
    except ImportFileError as exc:
        return _refused(token, exc)
    if request.method == "POST":
        chosen = {}
        for column in range(len(prepared.headers)):
            target = request.form.get(f"colonna_{column}", "")
            if target:
                chosen[column] = target
        refused = _refused_target(form, chosen)
        if refused:
            flash(refused, "danger")
            return redirect(url_for("imports.mapping", token=token))
        pending.update(sheet=prepared.raw.sheet, header=prepared.layout.header_row,
                       mapping={str(k): v for k, v in chosen.items()})
        _save_pending(token, pending)
        return redirect(url_for("imports.preview", token=token))
    chosen = _chosen(pending, form, prepared)
    return render_template("imports/mapping.html", token=token, pending=pending, form=form,
                           prepared=prepared, targets=targets(form, _hidden(form)),
                           samples=samples(prepared), chosen=chosen,
                           unmatched=unmatched_message(form, prepared, chosen))


def _chosen(pending: dict, form: Form, prepared: Prepared) -> dict[int, str]:
    """What each column is set to: the user's own choice when they come back to this page
    (same sheet and header), else the saved mapping they uploaded, else the suggestion."""
    if pending.get("mapping") is not None and (pending.get("sheet"), pending.get("header")) \
            == (prepared.raw.sheet, prepared.layout.header_row):
        return {int(k): v for k, v in pending["mapping"].items()}
    if pending.get("saved_mapping"):
        return apply_mapping(prepared, form, pending["saved_mapping"], _hidden(form))
    return prepared.layout.mapping


def _refused_target(form: Form, chosen: dict[int, str]) -> str:
    """Why a chosen destination cannot be (a field the user may not see, or none), or ""."""
    hidden, valid = _hidden(form), {t.key for t in targets(form, _hidden(form))}
    for target in chosen.values():
        if target in hidden:
            return _("Il campo «%(f)s» è in una sezione riservata che il tuo ruolo non può "
                     "vedere né modificare: nessuna colonna può esservi importata.",
                     f=form.fields[target].label_text())
        if target not in valid:
            return _("«%(f)s» non è un campo del modulo.", f=target)
    return ""


def _plan(pending: dict):
    form, prepared = _prepared(pending)
    mapping = {int(k): v for k, v in (pending.get("mapping") or {}).items()}
    plan = plan_import(get_db(), form, current_user.office_id, prepared, mapping,
                       pending["area"], {"parametri": get_catalog().parameters},
                       _hidden(form))
    plan.manager_id = pending.get("manager_id")
    return form, prepared, mapping, plan


@bp.route("/<token>/anteprima")
@requires("import.run")
def preview(token: str):
    pending = _pending(token)
    try:
        form, prepared, mapping, plan = _plan(pending)
    except ImportFileError as exc:
        return _refused(token, exc)
    return render_template("imports/preview.html", token=token, pending=pending, form=form,
                           prepared=prepared, mapping=mapping, plan=plan,
                           counts=plan.counts(),
                           unmatched=unmatched_message(form, prepared, mapping))


@bp.route("/<token>/mappatura.yaml")
@requires("import.run")
def mapping_file(token: str):
    try:
        form, prepared, mapping, _plan_ = _plan(_pending(token))
    except ImportFileError as exc:
        return _refused(token, exc)
    return send_file(io.BytesIO(mapping_yaml(form, prepared, mapping).encode()),
                     mimetype="text/yaml", as_attachment=True,
                     download_name=f"mappatura-{form.id}.yaml")


@bp.route("/<token>/esito-anteprima.xlsx")
@requires("import.run")
def preview_report(token: str):
    try:
        _form, prepared, _mapping, plan = _plan(_pending(token))
    except ImportFileError as exc:
        return _refused(token, exc)
    return send_file(io.BytesIO(report_xlsx(prepared, plan)), as_attachment=True,
                     download_name="esito-anteprima.xlsx")


@bp.route("/<token>/abbandona", methods=["POST"])
@requires("import.run")
def discard(token: str):
    """Leave the wizard: the uploaded file is deleted, nothing is imported."""
    pending = import_store.wizard(get_db(), token, current_user.id)
    if pending is not None:  # a second click finds it already gone
        _discard(token)
        flash(_("Importazione di «%(f)s» abbandonata: il file caricato è stato eliminato.",
                f=pending["name"]), "info")
    return redirect(url_for("imports.index"))


@bp.route("/<token>/conferma", methods=["POST"])
@requires("import.run")
def confirm(token: str):
    pending = _pending(token)
    try:  # the file may have vanished or changed since the preview
        form, prepared = _prepared(pending)
    except ImportFileError as exc:
        return _refused(token, exc)
    PROGRESS[token] = {"phase": "verifica", "done": 0, "total": 0, "import_id": None,
                       "error": "", "user_id": current_user.id}
    job = ImportJob(current_app.config["DATABASE"], form, prepared, get_catalog().parameters,
                    current_user.office_id, current_user.id, pending, PROGRESS[token],
                    _hidden(form), current_user.username, client_ip())
    threading.Thread(target=job.run, daemon=True).start()
    return redirect(url_for("imports.progress", token=token))


@dataclass
class ImportJob:
    """A confirmed import, in a thread of its own: the file (read again by the request, as
    it may have changed since the preview) planned, the report made, everything written;
    `state` is what the progress page shows. Nothing of the request is used in the thread."""

    database: str
    form: Form
    prepared: Prepared
    parameters: dict
    office_id: int
    user_id: int
    pending: dict
    state: dict
    hidden: frozenset = frozenset()
    username: str = ""
    ip: str = ""

    def run(self) -> None:
        db = store.connect(self.database)
        pending, state = self.pending, self.state
        prepared = self.prepared
        try:
            mapping = {int(k): v for k, v in (pending.get("mapping") or {}).items()}
            plan, report = plan_and_report(db, self.form, self.office_id, prepared, mapping,
                                           pending["area"], self.parameters, self.hidden)
            plan.manager_id = pending.get("manager_id")
            state.update(phase="scrittura", total=len(plan.rows))
            state["import_id"] = commit(
                db, plan, filename=pending["name"],
                sha256=file_sha256(pending["path"]), sheet=prepared.raw.sheet,
                user_id=self.user_id, report=report, username=self.username, ip=self.ip,
                progress=lambda done, total: state.update(done=done))
            state["done"] = state["total"]
            Path(pending["path"]).unlink(missing_ok=True)
        except ImportFileError as exc:
            state["error"] = str(exc)
        except entry_store.Conflict:
            state["error"] = ("una delle schede è stata modificata da un collega mentre "
                              "l'importazione era in corso. Riprova l'importazione: troverà la "
                              "scheda aggiornata")
        except Exception:  # noqa: BLE001 - nothing was written (one transaction): say so
            LOG.exception("importazione di %s non riuscita", pending["name"])
            state["error"] = ("errore imprevisto (è stato registrato per l'amministratore). "
                              "Riprova; se si ripete, avvisa l'amministratore")
        finally:
            db.conn.close()


@bp.route("/<token>/avanzamento")
@requires("import.run")
def progress(token: str):
    state = PROGRESS.get(token)
    if state is None or state.get("user_id") != current_user.id:
        abort(404)
    if state["import_id"]:
        import_store.wizard_delete(get_db(), token, current_user.id)
        done = url_for("imports.report", import_id=state["import_id"])
        if request.headers.get("HX-Request"):  # a poll: htmx loads the whole report page
            return "", 200, {"HX-Redirect": done}
        return redirect(done)
    partial = bool(request.headers.get("HX-Request"))
    return render_template("imports/progress.html", token=token, state=state, partial=partial)


@bp.route("/<int:import_id>")
@requires("import.run")
def report(import_id: int):
    record = _import_record(import_id)
    audit("read", "import", import_id)
    form = get_catalog().forms.get(record["form_id"])
    return render_template("imports/report.html", record=record,
                           form_title=form_title(form) if form else record["form_id"])


def _import_record(import_id: int) -> dict:
    """An import of the user's office that the user may open (access.may_open_import); 404
    otherwise, as for an import that does not exist; a refusal is audited."""
    try:
        record = import_store.get(get_db(), current_user.office_id, import_id)
    except store.NotFound:
        abort(404)
    if not access.may_open_import(current_user, record):
        audit("denied", "import", import_id)
        abort(404)
    return record


@bp.route("/<int:import_id>/esito.xlsx")
@requires("import.run")
def report_file(import_id: int):
    _import_record(import_id)
    content = import_store.report(get_db(), current_user.office_id, import_id)
    audit("download", "import", import_id)
    return send_file(io.BytesIO(content or b""), as_attachment=True,
                     download_name=f"esito-importazione-{import_id}.xlsx")


@bp.route("/<int:import_id>/annulla", methods=["POST"])
@requires("import.run")
def cancel(import_id: int):
    _import_record(import_id)
    try:
        counts = undo(get_db(), current_user.office_id, import_id, current_user.id,
                      username=current_user.username, ip=client_ip())
    except store.NotFound:
        abort(404)
    except UndoRefused as exc:
        flash(_("L'importazione non può essere annullata: %(e)s.", e=str(exc)), "danger")
        return redirect(url_for("imports.report", import_id=import_id))
    flash(_("Importazione annullata: tolte %(s)s schede, %(c)s pratiche e %(p)s persone.",
            s=counts["entries"], c=counts["cases"], p=counts["persons"]), "success")
    return redirect(url_for("imports.report", import_id=import_id))


@bp.route("/esporta/<form_id>")
@requires("form.export")
def export(form_id: str):
    form = get_catalog().forms.get(form_id)
    if form is None:
        abort(404)
    output = io.BytesIO()
    hidden = _hidden(form)
    count = export_form(form, entry_store.for_export(get_db(), current_user.office_id, form_id),
                        output, hidden)
    audit("export", "form", detail={"modulo": form_id, "schede": count})
    return send_file(io.BytesIO(output.getvalue()), as_attachment=True,
                     download_name=f"{form_id}.xlsx")
