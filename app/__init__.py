"""Cartella: declarative forms and documents for social and social-health case management."""

import os
from pathlib import Path

from flask import Flask

from . import config as settings


def create_app(config: dict | None = None) -> Flask:
    """Build the application: defaults, then instance/config.py, then `config`."""
    config = dict(config or {})
    settings.private_umask()  # health data: nothing this process writes is readable by others
    instance = Path(config.pop("INSTANCE_PATH", None) or settings.instance_path())
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True)
    app.config.update(settings.defaults(instance))
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("CARTELLA_SECRET_KEY") or settings.secret_key(
            instance
        )

    from . import web
    from .web import db

    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    db.init_app(app)
    for warning in settings.secure_files(instance, app.config["DATABASE"]):
        app.logger.warning(warning)
    web.init_app(app)
    return app
