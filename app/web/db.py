"""The request's database connection, and the migration at start-up."""

from flask import Flask, current_app, g

from .. import store
from ..catalog import Catalog, load_catalog
from ..store import migrations


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


def init_app(app: Flask) -> None:
    """Apply pending migrations, load and check the forms, close each request's connection.

    An invalid definition raises DefinitionError here: the app refuses to start.
    """
    db = store.connect(app.config["DATABASE"])
    try:
        migrations.migrate(db)
        app.extensions["cartella.catalog"] = load_catalog(app.config["FORMS_DIR"], db)
    finally:
        db.conn.close()
    app.teardown_appcontext(close_db)
