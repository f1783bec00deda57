"""`cartella check`: every definition (and, against an existing database, every version)."""

from pathlib import Path

from . import store
from .catalog import Catalog, person_form_problems, version_problems
from .definitions import DefinitionError, Problem, load_library
from .documents.service import template_problems
from .store import migrations


def check_all(forms_dir: str, database: str, template_dirs: tuple = ()) -> tuple[list[Problem],
                                                                                 dict]:
    """All problems found and a summary (forms, fields and templates checked)."""
    try:
        library = load_library(forms_dir)
    except DefinitionError as exc:
        return exc.problems, {"forms": 0, "fields": 0, "templates": 0}
    problems: list[Problem] = person_form_problems(library)
    if Path(database).exists():
        db = store.connect(database)
        try:
            if "form_versions" in db.table_names() and not _pending(db):
                problems += version_problems(db, library)
        finally:
            db.conn.close()
    templates, template_issues = template_problems(Catalog(library), *template_dirs)
    problems += template_issues
    fields = sum(len(form.fields) for form in library.forms.values())
    return problems, {"forms": len(library.forms), "fields": fields,
                      "templates": len(templates)}


def _pending(db) -> bool:
    return any(name not in migrations.applied(db) for name, _ in migrations.MIGRATIONS)
