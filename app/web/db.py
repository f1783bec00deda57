"""The request's database connection, and the migration at start-up."""

from flask import Flask, current_app, g

from .. import store
from ..catalog import Catalog, load_catalog
from ..documents.pdf import PdfPool
from ..documents.service import Documents, load_documents
from ..store import health, migrations


def get_db():
    """The connection of this request (opened on first use, closed at teardown)."""
    if "db" not in g:
        g.db = store.connect(current_app.config["DATABASE"])
    return g.db


def close_db(_exc=None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.conn.close()


def get_catalog() -> Catalog:
    """The forms in use (loaded and checked at start-up)."""
    return current_app.extensions["cartella.catalog"]


def get_documents() -> Documents:
    """The document templates in use (linted at start-up)."""
    return current_app.extensions["cartella.documents"]


def init_app(app: Flask) -> None:
    """Apply pending migrations, load and check the forms, close each request's connection.

    An invalid definition raises DefinitionError here, a database that refuses writes
    (full disk, read-only file) NotWritable: either way the app refuses to start.
    """
    try:
        db = store.connect(app.config["DATABASE"])
        migrations.migrate(db)
        health.check_writable(db)
    except Exception as exc:
        if health.not_writable(exc):
            raise health.NotWritable(
                f"il database {app.config['DATABASE']} non accetta scritture (spazio su disco "
                "esaurito o file in sola lettura): Cartella non parte. Libera spazio o correggi "
                "i permessi, poi riavvia.") from exc
        raise
    try:
        # Kept open for the life of the process (opened after WAL is on): when the last
        # connection to a WAL database closes, SQLite checkpoints and syncs the file, which
        # every request would otherwise pay.
        app.extensions["cartella.keeper"] = store.connect(app.config["DATABASE"])
        catalog = load_catalog(app.config["FORMS_DIR"], db)
        app.extensions["cartella.catalog"] = catalog
        app.extensions["cartella.documents"] = load_documents(
            catalog, app.config["DOC_TEMPLATES_DIR"], app.config["SPREADSHEETS_DIR"],
            pdf=PdfPool(size=app.config.get("PDF_WORKERS"), timeout=app.config["PDF_TIMEOUT"],
                        wait=app.config["PDF_WAIT"]),
            strict=False)
        for problem in app.extensions["cartella.documents"].excluded:
            app.logger.warning("modello escluso: %s", problem)
    finally:
        db.conn.close()
    app.teardown_appcontext(close_db)
