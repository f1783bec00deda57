"""The forms in use: the current library plus every stored version, checked for compatibility."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlite_utils import Database

from .definitions import DefinitionError, Form, Library, Problem, load_library
from .definitions.expressions import freeze
from .store import forms as form_store

# Types whose stored values read the same way (a text may become a textarea).
COMPATIBLE = {frozenset({"text", "textarea"})}


def compatibility_problems(old: Form, new: Form, used: set[str], same_version: bool) -> list[str]:
    """Why `new` cannot replace `old`: a field changed type, or lost its data without a bump."""
    problems = []
    for fid, old_field in old.fields.items():
        new_field = new.fields.get(fid)
        if new_field is None:
            if same_version and fid in used:
                problems.append(f"il campo '{fid}' è stato tolto ma le schede salvate con la "
                                f"versione {old.version} lo usano: aumentare 'version'")
            continue
        if new_field.type != old_field.type and frozenset(
                {new_field.type, old_field.type}) not in COMPATIBLE:
            problems.append(f"il campo '{fid}' era di tipo '{old_field.type}' nella versione "
                            f"{old.version} e ora è '{new_field.type}': un cambio di tipo "
                            "richiede un nuovo id")
    return problems


@dataclass
class Catalog:
    """Current definitions by id and older versions on demand (cached)."""

    library: Library
    _versions: dict = field(default_factory=dict)

    @property
    def forms(self) -> dict[str, Form]:
        return self.library.forms

    @cached_property
    def parameters(self) -> Mapping:
        """The shared parameters, read-only: no expression or template can change them."""
        return freeze(self.library.parameters)

    def form(self, db: Database, form_id: str, version: int | None = None) -> Form:
        """A form at a given version (the current one by default)."""
        current = self.library.forms.get(form_id)
        if current is not None and (version is None or version == current.version):
            return current
        key = (form_id, version)
        if key not in self._versions:
            stored = form_store.definition(db, form_id, version)
            if stored is None:
                raise KeyError(f"modulo {form_id} versione {version} non registrato")
            self._versions[key] = Form.from_json(stored)
        return self._versions[key]

    def for_area(self, area: str) -> list[Form]:
        """Forms that can be filled for a case of this area, in cycle order."""
        from .cycle import PHASES

        order = {phase: i for i, phase in enumerate([*PHASES, "misura", "tribunale"])}
        return sorted((f for f in self.library.forms.values()
                       if f.id != "persona" and (not f.definition.areas
                                                 or area in f.definition.areas)),
                      key=lambda f: (order.get(f.definition.phase, 99), f.title))


def version_problems(db: Database, library: Library) -> list[Problem]:
    """Compare each form with the stored versions of the same id."""
    problems = []
    for form in library.forms.values():
        for row in form_store.versions(db, form.id):
            old = Form.from_json(row["definition"])
            same = old.version == form.version
            if same and row["sha256"] == form.sha256:
                continue
            used = form_store.used_fields(db, form.id, old.version) if same else set()
            for message in compatibility_problems(old, form, used, same):
                problems.append(Problem(form.source, 1, message, form.id))
    return problems


def person_form_problems(library: Library) -> list[Problem]:
    """forms/persona.yaml adds fields to the registry: it cannot redefine the base ones."""
    from .store.persons import FIELDS

    form = library.forms.get("persona")
    if form is None:
        return []
    return [Problem(form.source, form.lines.get(fid, 1), f"il campo '{fid}' è già nella "
                    "scheda anagrafica di base: usare un altro id", form.id, fid)
            for fid in form.fields if fid in FIELDS]


def sync(db: Database, library: Library) -> None:
    """Record every new version; update a same-version definition changed compatibly."""
    for form in library.forms.values():
        outcome = form_store.record(db, form.id, form.version, form.json(), form.sha256,
                                    form.source)
        if outcome == "changed":
            form_store.replace(db, form.id, form.version, form.json(), form.sha256)


def load_catalog(forms_dir: str | Path, db: Database) -> Catalog:
    """Load forms/, check them against stored versions, record them; DefinitionError if bad."""
    library = load_library(forms_dir)
    problems = version_problems(db, library) + person_form_problems(library)
    if problems:
        raise DefinitionError(problems)
    sync(db, library)
    return Catalog(library)
