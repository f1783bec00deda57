"""Accounts: logging in (throttled, audited), sessions, lockouts and the password policy."""

import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database
from zxcvbn import zxcvbn

from .store import audit, sessions, users

MIN_LENGTH = 10
MAX_LENGTH = 200
ZXCVBN_MAX_LENGTH = 72
MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable", resists an offline attack on a slow hash
# zxcvbn knows English lists; these are what Italian offices type instead.
COMMON_ITALIAN = (
    "password", "passwordpassword", "cartella", "cartellasociale", "comune", "sociale",
    "servizi", "servizisociali", "ufficio", "assistente", "amministratore", "admin",
    "benvenuto", "benvenuti", "buongiorno", "buonasera", "ciao", "ciaociao", "amore",
    "amoremio", "tesoro", "famiglia", "italia", "forzaitalia", "juventus", "forzajuve",
    "napoli", "forzanapoli", "milan", "forzamilan", "inter", "forzainter", "roma",
    "forzaroma", "lazio", "fiorentina", "torino", "bologna", "genova", "palermo",
    "estate", "inverno", "primavera", "autunno", "gennaio", "febbraio", "marzo", "aprile",
    "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre",
    "lunedi", "martedi", "mercoledi", "giovedi", "venerdi", "sabato", "domenica",
    "francesca", "giuseppe", "alessandro", "andrea", "marco", "chiara", "federica",
    "valentina", "giovanni", "antonio", "maria", "anna", "luca", "paola", "roberto",
    "segreto", "segreta", "parolachiave", "accesso", "entrare", "nuovapassword",
    "cambiami", "provaprova", "prova", "qwertyuiop", "asdfghjkl", "zxcvbnm",
)
# Why a password is guessable, in the words a user understands, by zxcvbn pattern.
REASONS = {
    "passwords": "è una delle password più usate (o ne è una piccola variante)",
    "user_inputs": "contiene il nome utente, il nome della persona o una parola molto comune",
    "english_wikipedia": "è fatta di parole comuni del dizionario",
    "us_tv_and_film": "è fatta di parole comuni del dizionario",
    "names": "è fatta di nomi o cognomi comuni",
    "spatial": "contiene una sequenza di tasti vicini della tastiera (come «qwerty»)",
    "repeat": "contiene ripetizioni (come «aaa» o «abcabc»)",
    "sequence": "contiene una sequenza (come «abcd» o «1234»)",
    "date": "contiene una data o un anno",
    "regex": "contiene un anno recente",
}


class WeakPassword(ValueError):
    """A password the policy refuses; the message says why, in Italian."""


class WrongPassword(ValueError):
    """The current password given to change it is not the user's."""


@dataclass
class LoginResult:
    """A user and the id of their new session on success; else minutes blocked (0 = not)."""

    user: dict | None = None
    blocked_minutes: int = 0
    session_token: str = ""


def lockout_until(db: Database, username: str, *, max_failures: int = 5,
                  window_minutes: int = 15, now: datetime | None = None) -> datetime | None:
    """When a username's login suspension ends, or None if it is not suspended."""
    now = now or datetime.now(UTC)
    window = timedelta(minutes=window_minutes)
    recent = users.login_failures(db, username, (now - window).isoformat(timespec="milliseconds"))
    if len(recent) < max_failures:
        return None
    # Blocked until the oldest of the last `max_failures` failures leaves the window.
    return datetime.fromisoformat(recent[-max_failures]) + window


def recorded_username(db: Database, username: str, secret: str) -> str:
    """The name a login attempt is throttled and audited under.

    A user's own username; for a name no user has, a keyed digest of it: a password typed
    into the username box never reaches the audit log, yet repeated tries of one unknown
    name are still counted (and blocked) like a real user's, so blocking reveals nothing.
    """
    name = users.normalize_username(username)
    if users.exists(db, name):
        return name
    digest = hmac.new(secret.encode(), name.encode(), hashlib.sha256).hexdigest()[:16]
    return f"(utente sconosciuto {digest})"


def attempt_login(db: Database, username: str, password: str, ip: str, *, secret: str,
                  max_failures: int = 5, window_minutes: int = 15, user_agent: str = "",
                  now: datetime | None = None) -> LoginResult:
    """Check a password unless the username had too many recent failures; audit the attempt."""
    now = now or datetime.now(UTC)
    typed, username = username, recorded_username(db, username, secret)
    unblock = lockout_until(db, username, max_failures=max_failures,
                            window_minutes=window_minutes, now=now)
    if unblock:
        minutes = max(1, math.ceil((unblock - now).total_seconds() / 60))
        audit.append(db, "login_blocked", username=username, ip=ip)
        return LoginResult(blocked_minutes=minutes)
    user = users.authenticate(db, typed, password)
    if user is None:
        audit.append(db, "login_failed", username=username, ip=ip)
        return LoginResult()
    token = sessions.start(db, user["id"], ip, user_agent)
    audit.append(db, "login", user_id=user["id"], username=user["username"], ip=ip,
                 office_id=user["office_id"])
    return LoginResult(user=user, session_token=token)


def password_problem(password: str, *hints: str) -> str | None:
    """Why a password is too weak (Italian, for the user), or None if it is acceptable.

    `hints` are the username, the person's name and the like: a password built on them is weak.
    """
    if len(password) < MIN_LENGTH:
        return f"La password deve avere almeno {MIN_LENGTH} caratteri."
    if len(password) > MAX_LENGTH:
        return f"La password può avere al massimo {MAX_LENGTH} caratteri."
    words = [w for hint in hints for w in re.split(r"[\W_]+", hint.casefold()) if len(w) > 2]
    bare = re.sub(r"[\W\d_]+", "", password.casefold())
    if bare in COMMON_ITALIAN:
        return _weak(REASONS["passwords"])
    for word in sorted(words, key=len, reverse=True):
        bare = bare.replace(word, "")
    if words and len(bare) < 4:
        return _weak(REASONS["user_inputs"])
    # zxcvbn refuses (and its cost grows quickly with) longer input; the start says enough.
    result = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=[*words, *COMMON_ITALIAN])
    return None if result["score"] >= MIN_SCORE else _weak(_reason(result["sequence"]))


def _weak(reason: str) -> str:
    return (f"Password troppo debole: {reason}. Scegli una frase di tre o quattro parole "
            "non comuni, non legate a te o al lavoro.")


def _reason(sequence: list[dict]) -> str:
    """The first reason zxcvbn's matches give, in Italian."""
    for match in sorted(sequence, key=lambda m: -len(m.get("token", ""))):
        pattern = match.get("pattern")
        key = match.get("dictionary_name", "") if pattern == "dictionary" else pattern
        if key in ("female_names", "male_names", "surnames"):
            key = "names"
        if key in REASONS:
            return REASONS[key]
    return "è troppo corta o troppo prevedibile"


def check_password(password: str, *hints: str) -> None:
    """Raise WeakPassword with the reason if the policy refuses this password."""
    problem = password_problem(password, *hints)
    if problem:
        raise WeakPassword(problem)


def create_user(db: Database, username: str, password: str, role: str,
                office_id: int | None, full_name: str = "", title: str = "") -> int:
    """Create a user after checking the password against the policy."""
    check_password(password, username, full_name)
    return users.create(db, username, password, role, office_id, full_name, title)


def change_password(db: Database, user_id: int, password: str) -> None:
    """Set a checked password; every session of the user ends."""
    user = users.get(db, user_id)
    check_password(password, user["username"], user["full_name"] or "")
    users.set_password(db, user_id, password)


def change_own_password(db: Database, user: dict, current: str, new: str, ip: str, *,
                        user_agent: str = "", max_failures: int = 5,
                        window_minutes: int = 15) -> LoginResult:
    """A user changes their own password; on success every session ends and a new one opens.

    A wrong current password counts as a failed login (same throttle), so a borrowed session
    cannot be used to guess it.
    """
    username = user["username"]
    unblock = lockout_until(db, username, max_failures=max_failures,
                            window_minutes=window_minutes)
    if unblock:
        minutes = max(1, math.ceil((unblock - datetime.now(UTC)).total_seconds() / 60))
        return LoginResult(blocked_minutes=minutes)
    if users.authenticate(db, username, current) is None:
        audit.append(db, "login_failed", user_id=user["id"], username=username, ip=ip)
        raise WrongPassword(username)
    change_password(db, user["id"], new)
    audit.append(db, "password", user_id=user["id"], username=username, ip=ip,
                 object_type="user", object_id=user["id"], office_id=user["office_id"])
    return LoginResult(user=users.get(db, user["id"]),
                       session_token=sessions.start(db, user["id"], ip, user_agent))
