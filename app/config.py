"""Configuration: defaults, then the instance folder, then the caller's mapping."""

import os
import secrets
import stat
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def instance_path() -> Path:
    """The instance folder: CARTELLA_INSTANCE or ./instance, as an absolute path."""
    return Path(os.environ.get("CARTELLA_INSTANCE", "instance")).resolve()


def defaults(instance: Path) -> dict:
    """Built-in settings; every directory can be moved by an environment variable."""
    https = os.environ.get("CARTELLA_HTTPS", "").lower() in ("1", "true", "yes", "si", "sì")
    return {
        "DATABASE": str(instance / "cartella.db"),
        "FORMS_DIR": os.environ.get("CARTELLA_FORMS", str(REPO / "forms")),
        "DOC_TEMPLATES_DIR": os.environ.get("CARTELLA_DOC_TEMPLATES", str(REPO / "doc_templates")),
        "SPREADSHEETS_DIR": os.environ.get("CARTELLA_SPREADSHEETS", str(REPO / "spreadsheets")),
        "SESSION_COOKIE_NAME": "cartella_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        # Reverse proxies in front of Cartella whose X-Forwarded-For/-Proto are believed (0:
        # none, so nobody can forge the client address written in the audit log).
        "TRUSTED_PROXIES": int(os.environ.get("CARTELLA_PROXIES", "0") or 0),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": https,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=9),
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": https,
        "BABEL_DEFAULT_LOCALE": "it",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Rome",
        "LANGUAGES": {"it": "Italiano", "en": "English"},
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_WINDOW_MINUTES": 15,
        "MAX_CONTENT_LENGTH": 60 * 1024 * 1024,
        "PAGE_SIZE": 50,
        # PDF: conversions at once (None: cores, at most 3), seconds one may take, and
        # seconds a request waits for a free converter before "riprova tra poco".
        "PDF_WORKERS": None,
        "PDF_TIMEOUT": float(os.environ.get("CARTELLA_PDF_TIMEOUT", 30)),
        "PDF_WAIT": float(os.environ.get("CARTELLA_PDF_WAIT", 5)),
    }


def secret_key(instance: Path) -> str:
    """The instance's secret key, generated on first start into a file readable by the owner."""
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


# Nobody but the account running Cartella may read what it writes: folders 0700, files 0600.
PRIVATE_UMASK = 0o077
DATABASE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def private_umask() -> None:
    """New files and folders of this process are readable by its own account only."""
    os.umask(PRIVATE_UMASK)


def secure_files(instance: Path, database: str) -> list[str]:
    """Make the instance folder (0700), everything in it and the database files (0600)
    private; return one Italian line for each path that stays readable by others."""
    paths = [instance, *_tree(instance)] + [Path(database + s) for s in DATABASE_SUFFIXES]
    warnings = []
    for path in dict.fromkeys(paths):
        try:
            mode = path.lstat().st_mode
        except OSError:
            continue
        if stat.S_ISLNK(mode) or not (mode & 0o077):
            continue
        try:
            path.chmod(0o700 if stat.S_ISDIR(mode) else 0o600)
        except OSError:
            warnings.append(
                f"Attenzione: {path} è accessibile ad altri utenti del sistema (permessi "
                f"{stat.S_IMODE(mode):o}) e Cartella non può correggerlo: rendilo leggibile solo "
                "all'utente che esegue Cartella (chmod 700 per le cartelle, 600 per i file).")
    return warnings


def _tree(folder: Path) -> list[Path]:
    try:
        return [Path(root) / name for root, dirs, files in os.walk(folder)
                for name in (*dirs, *files)]
    except OSError:
        return []
