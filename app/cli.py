"""The `cartella` command: thin wrappers that parse, call the library and report."""

import json
import os
import secrets
import sys

import click

from . import accounts, config, create_app, store
from .definitions import DefinitionError
from .store import offices as office_store
from .store import users as user_store
from .store.health import NotWritable


def _app():
    try:
        return create_app()
    except DefinitionError as exc:
        raise click.ClickException(
            "definizioni dei moduli non valide, Cartella non parte:\n" + str(exc)) from exc
    except NotWritable as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:  # the instance folder cannot be created or written
        raise click.ClickException(
            f"Cartella non parte: {exc.strerror or exc} ({exc.filename or ''}). Controlla la "
            "cartella dell'istanza (CARTELLA_INSTANCE) e i suoi permessi.") from exc


def _db(app):
    return store.connect(app.config["DATABASE"])


def _read_password(password_stdin: bool, *hints: str) -> str:
    """The password from standard input, if the password policy accepts it."""
    if not password_stdin:
        raise click.UsageError("usare --password-stdin e passare la password sullo standard input")
    password = sys.stdin.readline().rstrip("\r\n")
    problem = accounts.password_problem(password, *hints)
    if problem:
        raise click.ClickException(problem)
    return password


@click.group(help="Cartella: cartella sociale, moduli e documenti.")
def main() -> None:
    config.private_umask()  # database, backups, exports: readable by this account only


def ensure_admin(db) -> str | None:
    """Create the `admin` user on first start; return the password if it was generated."""
    if user_store.exists(db, "admin"):
        return None
    password = os.environ.get("CARTELLA_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
    try:
        accounts.create_user(db, "admin", password, "admin", None, "Amministratore di sistema")
    except accounts.WeakPassword as exc:
        raise click.ClickException(
            f"CARTELLA_ADMIN_PASSWORD rifiutata, Cartella non parte. {exc} Imposta una password "
            "più robusta, oppure togli la variabile per farne generare una casuale.") from exc
    return None if os.environ.get("CARTELLA_ADMIN_PASSWORD") else password


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Start Cartella with waitress (first start: database and admin user)."""
    from waitress import serve as waitress_serve

    app = _app()
    pdf = app.extensions["cartella.documents"].pdf
    if pdf.available and threads <= 2 * pdf.size:
        raise click.ClickException(
            f"con --threads {threads} le conversioni PDF (fino a {2 * pdf.size} richieste tra "
            f"attesa e lavoro) potrebbero occupare tutti i thread e bloccare le altre pagine: "
            f"usare almeno --threads {2 * pdf.size + 2} o ridurre PDF_WORKERS.")
    db = _db(app)
    generated = ensure_admin(db)
    db.conn.close()
    if generated:
        click.echo("Utente 'admin' creato. Password (mostrata una sola volta): " + generated)
    click.echo(f"Cartella in ascolto su http://{host}:{port}/  (istanza: {app.instance_path})")
    waitress_serve(app, host=host, port=port, threads=threads)


@main.group()
def office() -> None:
    """Manage offices."""


@office.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--pec", default="")
@click.option("--address", default="")
def office_add(code: str, name: str, pec: str, address: str) -> None:
    """Create an office with CODE and NAME."""
    db = _db(_app())
    try:
        office_id = office_store.create(db, code, name, pec=pec, address=address)
    except store.DuplicateName as exc:
        raise click.ClickException(f"esiste già un ufficio con codice {code.upper()}") from exc
    store.audit.append(db, "create", username="cli", object_type="office", object_id=office_id)
    click.echo(f"Ufficio {code.upper()} creato (id {office_id}).")


@main.group()
def user() -> None:
    """Manage users."""


@user.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(user_store.ROLES))
@click.option("--office", "office_code", default=None, help="codice dell'ufficio")
@click.option("--full-name", default="")
@click.option("--title", default="", help="qualifica professionale")
@click.option("--password-stdin", is_flag=True, help="leggi la password dallo standard input")
def user_add(username, role, office_code, full_name, title, password_stdin) -> None:
    """Create a user with a role in an office."""
    db = _db(_app())
    office_id = None
    if office_code:
        try:
            office_id = office_store.by_code(db, office_code)["id"]
        except store.NotFound as exc:
            raise click.ClickException(f"ufficio {office_code} inesistente") from exc
    elif role != "admin":
        raise click.ClickException("--office è obbligatorio per i ruoli diversi da admin")
    password = _read_password(password_stdin, username, full_name)
    try:
        user_id = user_store.create(db, username, password, role, office_id, full_name, title)
    except store.DuplicateName as exc:
        raise click.ClickException(f"il nome utente {username} è già in uso") from exc
    store.audit.append(db, "create", username="cli", object_type="user", object_id=user_id)
    click.echo(f"Utente {username} creato (id {user_id}).")


@user.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="leggi la password dallo standard input")
def user_passwd(username: str, password_stdin: bool) -> None:
    """Set a user's password."""
    db = _db(_app())
    try:
        found = user_store.by_username(db, username)
    except store.NotFound as exc:
        raise click.ClickException(f"utente {username} inesistente") from exc
    user_id = found["id"]
    user_store.set_password(db, user_id, _read_password(password_stdin, found["username"],
                                                        found["full_name"]))
    store.audit.append(db, "password", username="cli", object_type="user", object_id=user_id)
    click.echo(f"Password di {username} cambiata.")


@main.command()
@click.argument("path", type=click.Path(dir_okay=False))
def backup(path: str) -> None:
    """Copy the database consistently to PATH, even while the server runs."""
    app = _app()
    verdict = store.backup(app.config["DATABASE"], path)
    if verdict != "ok":
        raise click.ClickException(f"copia non integra: {verdict}")
    click.echo(f"Copia salvata in {path} (integrity_check: ok).")


@main.command()
@click.option("--password", default=None, help="password comune degli utenti dimostrativi")
@click.option("--seed", default=2026, show_default=True, type=int)
def demo(password: str | None, seed: int) -> None:
    """Load demonstration data: two offices, a user per role, ~30 persons, cases."""
    from .demo import load_demo

    app = _app()
    db = _db(app)
    ensure_admin(db)
    problem = accounts.password_problem(password) if password else None
    if problem:
        raise click.ClickException(problem)
    try:
        summary = load_demo(db, password=password, seed=seed,
                            catalog=app.extensions["cartella.catalog"])
    except store.DuplicateName as exc:
        raise click.ClickException("i dati dimostrativi sono già stati caricati") from exc
    click.echo(f"Caricati {summary['persons']} persone, {summary['cases']} pratiche e "
               f"{summary['entries']} schede.")
    click.echo("Utenti dimostrativi (nome utente / password):")
    for username, role, office_code in summary["users"]:
        click.echo(f"  {username:<14} {role:<14} {office_code}  {summary['password']}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="risultato in JSON")
@click.option("--forms", "forms_dir", default=None, help="cartella dei moduli da verificare")
def check(as_json: bool, forms_dir: str | None) -> None:
    """Validate every form definition; exit non-zero on an error."""
    from .checks import check_all
    from .config import defaults, instance_path

    settings = defaults(instance_path())
    problems, summary = check_all(forms_dir or settings["FORMS_DIR"], settings["DATABASE"],
                                  (settings["DOC_TEMPLATES_DIR"], settings["SPREADSHEETS_DIR"]))
    if as_json:
        click.echo(json.dumps({"ok": not problems, "problems": [p.as_dict() for p in problems],
                               **summary}, ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            click.echo(str(problem), err=True)
        if not problems:
            click.echo(f"OK: {summary['forms']} moduli, {summary['fields']} campi e "
                       f"{summary['templates']} modelli verificati.")
    if problems:
        raise SystemExit(1)


@main.command()
@click.argument("template_id")
@click.option("--entry", "entry_id", type=int, help="scheda da cui produrre il documento")
@click.option("--cases", "cases_arg", help="'all' oppure id delle pratiche separati da virgola")
@click.option("--office", "office_code", help="con --cases all: solo le pratiche di un ufficio")
@click.option("--format", "fmt", type=click.Choice(["docx", "xlsx", "pdf"]), default=None)
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), help="file prodotto")
def render(template_id, entry_id, cases_arg, office_code, fmt, output) -> None:
    """Produce a document from a sheet, or a ZIP of documents for many cases."""
    from .documents.scripting import render_cases, render_entry

    app = _app()
    documents = app.extensions["cartella.documents"]
    template = documents.templates.get(template_id)
    if template is None:
        raise click.ClickException(f"modello '{template_id}' inesistente; disponibili: "
                                   + ", ".join(sorted(documents.templates)))
    fmt = fmt or ("xlsx" if template.definition.is_excel else "docx")
    if fmt not in documents.formats(template):
        raise click.ClickException(f"formato {fmt} non disponibile per {template_id}")
    db = _db(app)
    if entry_id is not None:
        produced = render_entry(db, documents, template_id, fmt, entry_id)
        target = output or produced.filename
        with open(target, "wb") as handle:
            handle.write(produced.content)
        click.echo(f"Documento salvato in {target} (archiviato con id {produced.document_id}).")
        return
    if not cases_arg or not output:
        raise click.UsageError("indicare --entry, oppure --cases con -o FILE.zip")
    result = render_cases(app, db, documents, template_id, fmt, cases_arg, office_code)
    with open(output, "wb") as handle:
        handle.write(result.zip_bytes)
    click.echo(f"{len(result.done)} documenti in {output}.")
    for outcome in result.failed:
        click.echo(f"non prodotto: {outcome.label}: {outcome.error}", err=True)
    if result.failed:
        raise SystemExit(1 if not result.done else 0)


@main.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--form", "form_id", required=True, help="modulo in cui importare")
@click.option("--office", "office_code", required=True, help="codice dell'ufficio")
@click.option("--sheet", default=None,
              help="foglio da leggere (predefinito: il primo foglio visibile)")
@click.option("--header-row", "header_row", type=click.IntRange(min=1), default=None,
              help="riga dell'intestazione, come in Excel (predefinito: trovata da sola)")
@click.option("--area", default="non_autosufficienza", show_default=True,
              help="area delle pratiche nuove")
@click.option("--mapping", "mapping_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--save-mapping", "save_mapping", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="solo anteprima: non scrive nulla")
@click.option("--report", "report_path", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
def import_(path, form_id, office_code, sheet, header_row, area, mapping_path, save_mapping,
            dry_run, report_path, as_json) -> None:
    """Import a legacy register (xlsx, xls, xlsb, ods, csv) into a form."""
    from .imports.scripting import run_import

    app = _app()
    summary = run_import(app, _db(app), path, form_id, office_code, sheet=sheet,
                         header_row=header_row, area=area,
                         mapping_path=mapping_path, save_mapping=save_mapping, dry_run=dry_run,
                         report_path=report_path)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    else:
        for line in summary["text"]:
            click.echo(line)
    if summary.get("fatal"):
        raise SystemExit(2)


@main.command("export")
@click.argument("form_id")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.option("--office", "office_code", default=None)
@click.option("--from", "date_from", default="", help="schede salvate dal (AAAA-MM-GG)")
@click.option("--to", "date_to", default="", help="schede salvate fino al (AAAA-MM-GG)")
def export(form_id, output, office_code, date_from, date_to) -> None:
    """Export every sheet of a form to Excel (one sheet per repeat)."""
    from .imports.export import export_form
    from .store import entries as entry_store

    app = _app()
    form = app.extensions["cartella.catalog"].forms.get(form_id)
    if form is None:
        raise click.ClickException(f"modulo '{form_id}' inesistente")
    db = _db(app)
    office_id = None
    if office_code:
        try:
            office_id = office_store.by_code(db, office_code)["id"]
        except store.NotFound as exc:
            raise click.ClickException(f"ufficio {office_code} inesistente") from exc
    count = export_form(form, entry_store.for_export(db, office_id, form_id, date_from,
                                                     date_to), output)
    store.audit.append(db, "export", username="cli", object_type="form",
                       detail={"modulo": form_id, "schede": count})
    click.echo(f"{count} schede esportate in {output}.")
