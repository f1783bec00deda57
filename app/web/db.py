"""The request's database connection, and the migration at start-up."""

from flask import Flask, current_app, g

from .. import store
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


def init_app(app: Flask) -> None:
    """Apply pending migrations once, and close each request's connection."""
    db = store.connect(app.config["DATABASE"])
    try:
        migrations.migrate(db)
    finally:
        db.conn.close()
    app.teardown_appcontext(close_db)
