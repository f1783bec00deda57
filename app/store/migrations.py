"""Schema migrations: registered once, applied in order, recorded in the database."""

from collections.abc import Callable
from datetime import UTC, datetime

from sqlite_utils import Database

from . import atomic

MIGRATIONS: list[tuple[str, Callable[[Database], None]]] = []


def migration(fn: Callable[[Database], None]) -> Callable[[Database], None]:
    """Register a migration under its function name; names are never reused."""
    if any(name == fn.__name__ for name, _ in MIGRATIONS):
        raise ValueError(f"migration {fn.__name__} registered twice")
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def applied(db: Database) -> set[str]:
    """Names of the migrations already applied to this database."""
    if "_migrations" not in db.table_names():
        return set()
    return {row["name"] for row in db.query("SELECT name FROM _migrations")}


def migrate(db: Database) -> list[str]:
    """Apply pending migrations, each in its own transaction; return their names."""
    with db.ensure_autocommit_on():
        db.execute("PRAGMA journal_mode = WAL")
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = applied(db)
    newly = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        with atomic(db):
            fn(db)
            db.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                [name, datetime.now(UTC).isoformat(timespec="seconds")],
            )
        newly.append(name)
    return newly


@migration
def m001_offices_users(db: Database) -> None:
    db.execute("""
        CREATE TABLE offices (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            address TEXT NOT NULL DEFAULT '',
            phone TEXT NOT NULL DEFAULT '',
            email TEXT NOT NULL DEFAULT '',
            pec TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            full_name TEXT NOT NULL DEFAULT '',
            title TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL CHECK (role IN ('admin','coordinator','social_worker','staff')),
            office_id INTEGER REFERENCES offices(id),
            active INTEGER NOT NULL DEFAULT 1,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            password_changed_at TEXT NOT NULL,
            CHECK (role = 'admin' OR office_id IS NOT NULL)
        )""")


@migration
def m002_persons_cases(db: Database) -> None:
    db.execute("""
        CREATE TABLE persons (
            id INTEGER PRIMARY KEY,
            office_id INTEGER NOT NULL REFERENCES offices(id),
            codice_fiscale TEXT,
            cognome TEXT NOT NULL,
            nome TEXT NOT NULL,
            sesso TEXT NOT NULL DEFAULT '' CHECK (sesso IN ('', 'M', 'F')),
            data_nascita TEXT,
            luogo_nascita TEXT NOT NULL DEFAULT '',
            cittadinanza TEXT NOT NULL DEFAULT '',
            comune_residenza TEXT NOT NULL DEFAULT '',
            indirizzo TEXT NOT NULL DEFAULT '',
            domicilio TEXT NOT NULL DEFAULT '',
            telefono TEXT NOT NULL DEFAULT '',
            email TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id),
            updated_at TEXT NOT NULL,
            updated_by INTEGER REFERENCES users(id)
        )""")
    db.execute(
        "CREATE UNIQUE INDEX persons_office_cf ON persons(office_id, codice_fiscale) "
        "WHERE codice_fiscale IS NOT NULL"
    )
    db.execute("CREATE INDEX persons_office_name ON persons(office_id, cognome, nome)")
    db["persons"].enable_fts(
        ["cognome", "nome", "codice_fiscale"],
        create_triggers=True,
        tokenize="unicode61 remove_diacritics 2",
    )
    db.execute("""
        CREATE TABLE cases (
            id INTEGER PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES persons(id),
            office_id INTEGER NOT NULL REFERENCES offices(id),
            area TEXT NOT NULL,
            fase TEXT NOT NULL DEFAULT 'accesso',
            stato TEXT NOT NULL DEFAULT 'aperta' CHECK (stato IN ('aperta', 'chiusa')),
            manager_id INTEGER REFERENCES users(id),
            data_apertura TEXT NOT NULL,
            data_chiusura TEXT,
            motivo_chiusura TEXT NOT NULL DEFAULT '',
            prossima_verifica TEXT,
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id),
            updated_at TEXT NOT NULL,
            updated_by INTEGER REFERENCES users(id)
        )""")
    db.execute("CREATE INDEX cases_office ON cases(office_id, stato, area, fase)")
    db.execute("CREATE INDEX cases_person ON cases(person_id)")
    db.execute("CREATE INDEX cases_manager ON cases(manager_id)")
    db.execute("""
        CREATE TABLE case_team (
            case_id INTEGER NOT NULL REFERENCES cases(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            PRIMARY KEY (case_id, user_id)
        )""")
    db.execute("CREATE INDEX case_team_user ON case_team(user_id)")


@migration
def m003_audit_log(db: Database) -> None:
    db.execute("""
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            user_id INTEGER,
            username TEXT NOT NULL DEFAULT '',
            ip TEXT NOT NULL DEFAULT '',
            action TEXT NOT NULL,
            object_type TEXT NOT NULL DEFAULT '',
            object_id INTEGER,
            person_id INTEGER,
            office_id INTEGER,
            detail TEXT NOT NULL DEFAULT ''
        )""")
    db.execute("CREATE INDEX audit_person ON audit_log(person_id, at)")
    db.execute("CREATE INDEX audit_login ON audit_log(action, username, at)")
    db.execute("CREATE INDEX audit_at ON audit_log(at)")
    for verb in ("UPDATE", "DELETE"):
        db.execute(f"""
            CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log
            BEGIN
                SELECT RAISE(ABORT, 'il registro degli accessi è in sola aggiunta');
            END""")


@migration
def m004_entries(db: Database) -> None:
    db.execute("""
        CREATE TABLE form_versions (
            form_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            definition TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            loaded_at TEXT NOT NULL,
            PRIMARY KEY (form_id, version)
        )""")
    db.execute("""
        CREATE TABLE entries (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases(id),
            person_id INTEGER NOT NULL REFERENCES persons(id),
            office_id INTEGER NOT NULL REFERENCES offices(id),
            form_id TEXT NOT NULL,
            form_version INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'bozza' CHECK (status IN ('bozza', 'completa')),
            data TEXT NOT NULL DEFAULT '{}',
            rev INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id),
            updated_at TEXT NOT NULL,
            updated_by INTEGER REFERENCES users(id),
            deleted_at TEXT,
            deleted_by INTEGER REFERENCES users(id),
            import_id INTEGER,
            FOREIGN KEY (form_id, form_version) REFERENCES form_versions(form_id, version)
        )""")
    db.execute("CREATE INDEX entries_case ON entries(case_id, form_id, status)")
    db.execute("CREATE INDEX entries_form ON entries(form_id, office_id)")
    db.execute("""
        CREATE TABLE entry_revisions (
            id INTEGER PRIMARY KEY,
            entry_id INTEGER NOT NULL REFERENCES entries(id),
            rev INTEGER NOT NULL,
            form_version INTEGER NOT NULL,
            status TEXT NOT NULL,
            data TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT 'web',
            import_id INTEGER,
            user_id INTEGER REFERENCES users(id),
            at TEXT NOT NULL,
            UNIQUE (entry_id, rev)
        )""")
    db.execute("""
        CREATE TABLE entry_autosaves (
            entry_id INTEGER NOT NULL REFERENCES entries(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            base_rev INTEGER NOT NULL,
            data TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (entry_id, user_id)
        )""")
    db.execute("""
        CREATE TABLE pending_submissions (
            token TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            form TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""")


@migration
def m005_person_extra(db: Database) -> None:
    db.execute("ALTER TABLE persons ADD COLUMN extra TEXT NOT NULL DEFAULT '{}'")


@migration
def m006_documents(db: Database) -> None:
    db.execute("""
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            office_id INTEGER NOT NULL REFERENCES offices(id),
            case_id INTEGER REFERENCES cases(id),
            person_id INTEGER REFERENCES persons(id),
            entry_id INTEGER REFERENCES entries(id),
            entry_rev INTEGER,
            template_id TEXT NOT NULL,
            template_sha256 TEXT NOT NULL,
            format TEXT NOT NULL,
            filename TEXT NOT NULL,
            draft INTEGER NOT NULL DEFAULT 0,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            content BLOB NOT NULL,
            created_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX documents_case ON documents(case_id, created_at)")
    for verb in ("UPDATE", "DELETE"):
        db.execute(f"""
            CREATE TRIGGER documents_no_{verb.lower()} BEFORE {verb} ON documents
            BEGIN
                SELECT RAISE(ABORT, 'i documenti prodotti sono conservati come inviati');
            END""")


@migration
def m007_batch_jobs(db: Database) -> None:
    db.execute("""
        CREATE TABLE batch_jobs (
            id INTEGER PRIMARY KEY,
            office_id INTEGER NOT NULL REFERENCES offices(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            template_id TEXT NOT NULL,
            format TEXT NOT NULL,
            total INTEGER NOT NULL,
            done INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'in_corso',
            failures TEXT NOT NULL DEFAULT '[]',
            zip BLOB,
            created_at TEXT NOT NULL,
            finished_at TEXT
        )""")


@migration
def m008_imports(db: Database) -> None:
    db.execute("""
        CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            office_id INTEGER NOT NULL REFERENCES offices(id),
            form_id TEXT NOT NULL,
            filename TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            sheet TEXT NOT NULL DEFAULT '',
            mapping TEXT NOT NULL,
            counts TEXT NOT NULL,
            outcomes TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'completata',
            created_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL,
            undone_at TEXT,
            undone_by INTEGER REFERENCES users(id)
        )""")
    db.execute("""
        CREATE TABLE import_items (
            id INTEGER PRIMARY KEY,
            import_id INTEGER NOT NULL REFERENCES imports(id),
            kind TEXT NOT NULL CHECK (kind IN ('person', 'case', 'entry')),
            object_id INTEGER NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('created', 'updated')),
            before TEXT,
            after_rev INTEGER,
            after_stamp TEXT
        )""")
    db.execute("CREATE INDEX import_items_import ON import_items(import_id)")


@migration
def m009_import_report(db: Database) -> None:
    db.execute("ALTER TABLE imports ADD COLUMN report BLOB")


@migration
def m010_docs_sensitive(db: Database) -> None:
    """Archived documents and batch ZIPs carry a `sensitive` mark (sensitive unless set).

    Older ones are taken as sensitive, except those made by staff (their context hid
    sensitive sections). The archive's triggers are lifted for the back-fill and put back
    exactly as they were.
    """
    staff_made = "created_by IN (SELECT id FROM users WHERE role = 'staff')"
    db.execute("ALTER TABLE documents ADD COLUMN sensitive INTEGER NOT NULL DEFAULT 1")
    db.execute("ALTER TABLE batch_jobs ADD COLUMN sensitive INTEGER NOT NULL DEFAULT 1")
    db.execute("UPDATE batch_jobs SET sensitive = 0 "
               "WHERE user_id IN (SELECT id FROM users WHERE role = 'staff')")
    triggers = list(db.query("SELECT name, sql FROM sqlite_master "
                             "WHERE type = 'trigger' AND tbl_name = 'documents'"))
    for trigger in triggers:
        db.execute(f'DROP TRIGGER "{trigger["name"]}"')
    db.execute(f"UPDATE documents SET sensitive = 0 WHERE {staff_made}")
    for trigger in triggers:
        db.execute(trigger["sql"])


@migration
def m010_platform_no_replace(db: Database) -> None:
    """Append-only tables refuse INSERT OR REPLACE / REPLACE, not only UPDATE and DELETE.

    A REPLACE deletes the old row and inserts the new one; with recursive triggers off (the
    default) the DELETE trigger does not fire, so the row would be silently rewritten.
    """
    guarded = {
        "audit_log": ("id = NEW.id", "il registro degli accessi è in sola aggiunta"),
        "documents": ("id = NEW.id", "i documenti prodotti sono conservati come inviati"),
        "entry_revisions": ("id = NEW.id OR (entry_id = NEW.entry_id AND rev = NEW.rev)",
                            "le revisioni delle schede non si riscrivono"),
        "import_items": ("id = NEW.id", "le voci di un'importazione non si riscrivono"),
    }
    for table, (same_row, message) in guarded.items():
        db.execute(f"""
            CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table}
            WHEN EXISTS (SELECT 1 FROM {table} WHERE {same_row})
            BEGIN
                SELECT RAISE(ABORT, '{message.replace("'", "''")}');
            END""")
    for table in ("entry_revisions", "import_items"):
        db.execute(f"""
            CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            BEGIN
                SELECT RAISE(ABORT, 'le righe di {table} non si modificano');
            END""")


@migration
def m010_imports_wizards(db: Database) -> None:
    """The import wizard's state on the server, bound to its user (not in the cookie)."""
    db.execute("""
        CREATE TABLE import_wizards (
            token TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            state TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX import_wizards_user ON import_wizards(user_id)")


@migration
def m010_auth_sessions(db: Database) -> None:
    """Server-side sessions; stashes owned by an expired session; usernames normalised."""
    import unicodedata

    db.execute("""
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            user_id INTEGER NOT NULL REFERENCES users(id),
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            ended_at TEXT,
            ended_reason TEXT NOT NULL DEFAULT '',
            ip TEXT NOT NULL DEFAULT '',
            user_agent TEXT NOT NULL DEFAULT ''
        )""")
    db.execute("CREATE INDEX sessions_user ON sessions(user_id, ended_at)")
    # Earlier stashes have no owner: nobody can prove they are theirs.
    db.execute("DELETE FROM pending_submissions")
    db.execute("ALTER TABLE pending_submissions ADD COLUMN user_id INTEGER REFERENCES users(id)")
    db.execute("ALTER TABLE pending_submissions ADD COLUMN session_id INTEGER")
    taken = {row["username"] for row in db.query("SELECT username FROM users")}
    for row in list(db.query("SELECT id, username FROM users")):
        folded = unicodedata.normalize("NFKC", unicodedata.normalize(
            "NFKC", row["username"]).strip().casefold())
        if folded != row["username"] and folded not in taken:
            db.execute("UPDATE users SET username = ? WHERE id = ?", [folded, row["id"]])
            taken.add(folded)
