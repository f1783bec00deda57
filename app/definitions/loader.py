"""Load forms/*.yaml, validate every definition, and report every problem with its line."""

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from . import fieldtypes
from .compiled import CircularComputation, Form
from .errors import DefinitionError, Problem
from .expressions import ExpressionError, names_used, parameter_paths, private_attributes
from .model import IDENT, PHASES, ChoiceDef, FieldDef, FormDef
from .yamlines import LineDict, line_of, load_yaml

LISTS_FILE = "_liste.yaml"
PARAMETERS_FILE = "_parametri.yaml"
PERSON_FIELDS = {"id", "codice_fiscale", "cognome", "nome", "sesso", "data_nascita",
                 "luogo_nascita", "cittadinanza", "comune_residenza", "indirizzo", "domicilio",
                 "telefono", "email", "eta"}
CASE_FIELDS = {"id", "area", "fase", "stato", "data_apertura", "data_chiusura",
               "prossima_verifica", "manager_name", "note"}
SETTABLE = {"pratica.prossima_verifica"}
# Ids a field may not take: names expressions already read (persona, oggi, riga...) and
# names the sheet page uses for itself (its form element, the CSRF token).
PAGE_NAMES = {"csrf_token": "il codice di sicurezza della pagina",
              "scheda": "il modulo della pagina", "errori": "il riquadro degli errori"}
UNION_TAG = re.compile(r"^(str|int|bool|float|[a-z-]+\[.*\])$")

MESSAGES = {
    "missing": "manca la chiave obbligatoria '{key}'",
    "extra_forbidden": "chiave '{key}' sconosciuta",
    "int_parsing": "'{key}' deve essere un numero intero",
    "int_type": "'{key}' deve essere un numero intero",
    "float_parsing": "'{key}' deve essere un numero",
    "bool_parsing": "'{key}' deve essere sì/no (true/false)",
    "string_type": "'{key}' deve essere un testo",
    "list_type": "'{key}' deve essere un elenco",
    "too_short": "'{key}' non può essere vuoto",
    "greater_than_equal": "'{key}' deve essere almeno 1",
    "literal_error": "'{key}' ha un valore non ammesso: {detail}",
}


@dataclass
class Library:
    """Every form currently in forms/, by id, plus shared lists and parameters."""

    forms: dict[str, Form] = field(default_factory=dict)
    lists: dict[str, list[ChoiceDef]] = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    def get(self, form_id: str) -> Form:
        return self.forms[form_id]


def _hint(word: str, candidates) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f": intendevi '{close[0]}'?" if close else ""


def _keys_of(model) -> list[str]:
    return list(model.model_fields)


def _pydantic_problems(path: str, raw, form_id: str, exc: ValidationError) -> list[Problem]:
    problems, off_branch, fitting = [], [], set()
    for error in exc.errors():
        loc, branches = _split_union_tags(error["loc"])
        misfit = None
        for prefix, tag in branches:
            if not _fits_branch(_node(raw, prefix), tag):
                misfit = prefix
                break
            fitting.add(prefix)
        if misfit is not None:
            # A union branch the value was never meant for ("choices" as a text when it is a
            # list): say nothing unless no branch fits at all.
            if misfit not in off_branch:
                off_branch.append(misfit)
            continue
        problems.append(_pydantic_problem(path, raw, form_id, loc, error))
    for loc in off_branch:
        if loc not in fitting:
            key = next((p for p in reversed(loc) if isinstance(p, str)), "")
            problems.append(Problem(path, line_of(raw, loc), f"'{key}' ha un valore non ammesso",
                                    form_id, _field_at(raw, loc)))
    return problems


def _split_union_tags(loc: tuple) -> tuple[tuple, list[tuple[tuple, str]]]:
    """pydantic puts a union's branch ('str', 'list[ChoiceDef]') in the location: take it out."""
    clean, branches = [], []
    for part in loc:
        if isinstance(part, str) and UNION_TAG.match(part):
            branches.append((tuple(clean), part))
        else:
            clean.append(part)
    return tuple(clean), branches


def _fits_branch(value, tag: str) -> bool:
    if tag.startswith("list["):
        return isinstance(value, list)
    if tag.startswith("dict["):
        return isinstance(value, dict)
    kind = {"str": str, "int": int, "bool": bool, "float": int | float}.get(tag)
    return kind is None or isinstance(value, kind)


def _pydantic_problem(path: str, raw, form_id: str, loc: tuple, error: dict) -> Problem:
    key = next((p for p in reversed(loc) if isinstance(p, str)), "")
    template = MESSAGES.get(error["type"])
    if template:
        detail = str(error.get("ctx", {}).get("expected", "")).replace(" or ", " o ")
        message = template.format(key=key, detail=detail)
    else:
        message = f"'{key}': {error['msg']}" if key else error["msg"]
    if error["type"] == "extra_forbidden":
        message += _hint(key, _keys_of(_owner_model(loc)))
    if error["type"] == "value_error":
        message = f"'{key}': {error['ctx']['error']}" if "ctx" in error else error["msg"]
    return Problem(path, line_of(raw, loc), message, form_id, _field_at(raw, loc))


def _owner_model(loc: tuple):
    from .model import ChoiceDef, RuleDef, SectionDef

    owner = FormDef
    for part in loc[:-1]:
        if part == "sections":
            owner = SectionDef
        elif part == "fields":
            owner = FieldDef
        elif part == "rules":
            owner = RuleDef
        elif part == "choices":
            owner = ChoiceDef
    return owner


def _field_at(raw, loc: tuple) -> str:
    """The id of the innermost field the location is in, for the message."""
    node, found = raw, ""
    for part in loc:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            break
        if isinstance(node, dict) and "type" in node and "id" in node:
            found = str(node["id"])
    return found


class _Checker:
    """Semantic checks of one parsed definition (types, ids, expressions, references)."""

    def __init__(self, path: str, raw: LineDict, form: FormDef, lists: dict,
                 parameters: dict | None = None):
        self.path, self.raw, self.form, self.lists = path, raw, form, lists
        self.parameters = parameters or {}
        self.problems: list[Problem] = []

    def problem(self, loc: tuple, message: str, field_id: str = "") -> None:
        self.problems.append(Problem(self.path, line_of(self.raw, loc), message, self.form.id,
                                     field_id))

    def run(self) -> FormDef:
        seen: dict[str, tuple] = {}
        self.seen = seen
        sections = list(self.form.sections)
        section_ids: dict[str, int] = {}
        for s_index, section in enumerate(sections):
            if section.id in section_ids:
                first = line_of(self.raw, ("sections", section_ids[section.id], "id"))
                self.problem(("sections", s_index, "id"), f"sezione '{section.id}' ripetuta "
                             f"(già usata alla riga {first})")
            section_ids.setdefault(section.id, s_index)
            fields = [self._field(f, ("sections", s_index, "fields", f_index), seen)
                      for f_index, f in enumerate(section.fields)]
            sections[s_index] = section.model_copy(update={"fields": fields})
        form = self.form.model_copy(update={"sections": sections})
        self._expressions(form, seen)
        self._references(form, seen)
        return form

    def _field(self, f: FieldDef, loc: tuple, seen: dict, parent: str = "") -> FieldDef:
        key = f"{parent}.{f.id}" if parent else f.id
        if key in seen:
            self.problem(loc + ("id",), f"id '{f.id}' ripetuto (già usato alla riga "
                                        f"{line_of(self.raw, seen[key] + ('id',))})", f.id)
        seen[key] = loc
        reserved = _reserved(f.id)
        if reserved:
            self.problem(loc + ("id",), f"l'id '{f.id}' è riservato ({reserved}): scegliere un "
                         f"nome più preciso, es. '{f.id}_{parent or self.form.id}'", f.id)
        if parent and f.type == "repeat":
            self.problem(loc + ("type",), f"il gruppo '{f.id}' non può stare dentro un altro "
                         f"gruppo ('{parent}')", f.id)
        if f.type not in fieldtypes.REGISTRY:
            self.problem(loc + ("type",), f"tipo '{f.type}' sconosciuto"
                         + _hint(f.type, fieldtypes.REGISTRY), f.id)
            return f
        for message in fieldtypes.get(f.type).check(f):
            self.problem(loc, message, f.id)
        if isinstance(f.choices, str):
            if f.choices not in self.lists:
                self.problem(loc + ("choices",), f"lista '{f.choices}' inesistente in "
                             f"{LISTS_FILE}" + _hint(f.choices, self.lists), f.id)
            else:
                f = f.model_copy(update={"choices": self.lists[f.choices]})
        if f.fields:
            subs = [self._field(sub, loc + ("fields", i), seen, parent=f.id)
                    for i, sub in enumerate(f.fields)]
            f = f.model_copy(update={"fields": subs})
        return f

    def _expressions(self, form: FormDef, seen: dict) -> None:
        top = {k for k in seen if "." not in k}
        for key, loc in seen.items():
            raw_field = _node(self.raw, loc)
            known = top | ({k.split(".", 1)[1] for k in seen if k.startswith(key.split(".")[0]
                                                                                + ".")}
                           if "." in key else set())
            for attr in ("show_if", "required_if", "expr"):
                source = raw_field.get(attr) if isinstance(raw_field, dict) else None
                if source:
                    self._expression(loc + (attr,), source, known, key.split(".")[-1])
        for s_index, section in enumerate(form.sections):
            if section.show_if:
                self._expression(("sections", s_index, "show_if"), section.show_if, top, "")
        for r_index, rule in enumerate(form.rules):
            self._expression(("rules", r_index, "expr"), rule.expr, top, "")
            for name in rule.fields:
                if name not in top:
                    self.problem(("rules", r_index, "fields"), f"la regola indica il campo "
                                 f"'{name}' che non esiste" + _hint(name, top))

    def _expression(self, loc: tuple, source: str, known: set, field_id: str) -> None:
        from .expressions import CONTEXT_NAMES, HELPERS

        try:
            names = names_used(str(source))
        except ExpressionError as exc:
            self.problem(loc, str(exc), field_id)
            return
        for name in sorted(names - known - set(HELPERS) - CONTEXT_NAMES):
            self.problem(loc, f"l'espressione «{source}» usa '{name}', che non è un campo del "
                         "modulo" + _hint(name, known | set(HELPERS) | CONTEXT_NAMES), field_id)
        for attr in sorted(private_attributes(str(source))):
            self.problem(loc, f"l'espressione «{source}» usa '{attr}': i nomi che iniziano "
                         "con '_' non sono accessibili", field_id)
        if "parametri" in names and "parametri" not in known:
            self._parameters(loc, str(source), field_id)

    def _parameters(self, loc: tuple, source: str, field_id: str) -> None:
        """A misspelt parameter would silently never match: report it with a hint."""
        missing = set()
        for path in parameter_paths(source):
            node = self.parameters
            for depth, key in enumerate(path):
                if not isinstance(node, dict):
                    break
                if key not in node:
                    missing.add((path[:depth + 1], tuple(node)))
                    break
                node = node[key]
        for path, siblings in sorted(missing):
            self.problem(loc, f"l'espressione «{source}» usa 'parametri.{'.'.join(path)}', che "
                         f"non è in {PARAMETERS_FILE}" + _hint(path[-1], siblings), field_id)

    def _references(self, form: FormDef, seen: dict) -> None:
        top = {k for k in seen if "." not in k}
        for key, loc in seen.items():
            raw_field = _node(self.raw, loc)
            prefill = raw_field.get("prefill") if isinstance(raw_field, dict) else None
            if prefill:
                self._prefill(loc + ("prefill",), str(prefill), key)
            target = raw_field.get("sets") if isinstance(raw_field, dict) else None
            if target and target not in SETTABLE:
                self.problem(loc + ("sets",), f"'sets: {target}' non ammesso: si può impostare "
                             "solo " + ", ".join(sorted(SETTABLE)), key)
        for name in form.import_key:
            if name not in top and name != "anno":
                self.problem(("import_key",), f"import_key indica '{name}', che non è un campo"
                             + _hint(name, top))
        from ..cycle import AREAS

        for area in form.areas:
            if area not in AREAS:
                self.problem(("areas",), f"area '{area}' sconosciuta" + _hint(area, AREAS))

    def _prefill(self, loc: tuple, source: str, key: str) -> None:
        parts = source.split(".")
        if parts[0] == "persona" and len(parts) == 2:
            if parts[1] not in PERSON_FIELDS:
                self.problem(loc, f"prefill '{source}': la persona non ha '{parts[1]}'"
                             + _hint(parts[1], PERSON_FIELDS), key)
        elif parts[0] == "pratica" and len(parts) == 2:
            if parts[1] not in CASE_FIELDS:
                self.problem(loc, f"prefill '{source}': la pratica non ha '{parts[1]}'"
                             + _hint(parts[1], CASE_FIELDS), key)
        elif parts[0] == "schede" and len(parts) == 3 and all(IDENT.match(p) for p in parts[1:]):
            pass  # checked across forms once all are loaded
        else:
            self.problem(loc, f"prefill '{source}' non valido: usare persona.<campo>, "
                         "pratica.<campo> oppure schede.<id_modulo>.<campo>", key)


def _node(raw, loc: tuple):
    node = raw
    for part in loc:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node


def _read(path: Path, problems: list[Problem]):
    try:
        return load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 1
        detail = str(getattr(exc, "problem", None) or exc)
        problems.append(Problem(str(path), line, "YAML non valido: " + detail
                                + _yaml_hint(detail)))
    except UnicodeDecodeError:
        problems.append(Problem(str(path), 1, "il file non è in UTF-8"))
    return None


def _yaml_hint(detail: str) -> str:
    if "'\\t'" in detail:
        return " (rientro con un tabulatore: usare solo spazi)"
    if "block end" in detail or "not allowed here" in detail or "expected <block" in detail:
        return " (controllare il rientro: le chiavi dello stesso livello vanno allineate)"
    return ""


def _load_lists(directory: Path, problems: list[Problem]) -> dict[str, list[ChoiceDef]]:
    path = directory / LISTS_FILE
    if not path.exists():
        return {}
    raw = _read(path, problems) or {}
    if not isinstance(raw, dict):
        problems.append(Problem(str(path), 1, "il file deve contenere liste con un nome "
                                "(nome_lista: [voci...])"))
        return {}
    lists = {}
    for name, items in raw.items():
        if not isinstance(items, list):
            problems.append(Problem(str(path), raw.key_lines.get(name, 1),
                                    f"lista '{name}' non valida: serve un elenco di voci"))
            continue
        try:
            lists[name] = [ChoiceDef.model_validate(
                {"value": item, "label": str(item)} if not isinstance(item, dict) else item)
                for item in items]
        except (ValidationError, TypeError) as exc:
            problems.append(Problem(str(path), raw.key_lines.get(name, 1),
                                    f"lista '{name}' non valida: {exc}"))
    return lists


def load_library(directory: str | Path) -> Library:
    """Load and check every definition in `directory`; raise DefinitionError on any problem."""
    directory = Path(directory)
    problems: list[Problem] = []
    if not directory.is_dir():
        raise DefinitionError([Problem(str(directory), 0, "cartella dei moduli inesistente")])
    library = Library(lists=_load_lists(directory, problems))
    params_path = directory / PARAMETERS_FILE
    if params_path.exists():
        library.parameters = _read(params_path, problems) or {}
    origins: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        form = _load_one(path, library, problems, origins)
        if form is not None:
            library.forms[form.id] = form
    problems += _cross_checks(library)
    if problems:
        raise DefinitionError(problems)
    return library


def _load_one(path: Path, library: Library, problems: list[Problem],
              origins: dict[str, str]) -> Form | None:
    known = len(problems)
    raw = _read(path, problems)
    if len(problems) > known:
        return None
    if not isinstance(raw, dict):
        problems.append(Problem(str(path), 1, "il file deve descrivere un modulo "
                                "(chiavi id, version, title, phase, sections)"))
        return None
    form_id = str(raw.get("id", path.stem))
    try:
        definition = FormDef.model_validate(raw)
    except ValidationError as exc:
        problems += _pydantic_problems(str(path), raw, form_id, exc)
        return None
    id_line = raw.key_lines.get("id", 1)
    if definition.id != path.stem:
        problems.append(Problem(str(path), id_line, f"l'id '{definition.id}' "
                                f"deve coincidere con il nome del file ('{path.stem}')",
                                definition.id))
    if definition.id in origins:
        problems.append(Problem(str(path), id_line, f"id '{definition.id}' già usato da "
                                f"{origins[definition.id]}", definition.id))
        return None
    origins[definition.id] = str(path)
    checker = _Checker(str(path), raw, definition, library.lists, library.parameters)
    definition = checker.run()
    problems += checker.problems
    if checker.problems:
        return None
    try:
        form = Form(definition, source=str(path))
    except CircularComputation as exc:
        problems.append(Problem(str(path), line_of(raw, checker.seen[exc.field]), str(exc),
                                definition.id, exc.field))
        return None
    except ValueError as exc:
        problems.append(Problem(str(path), 1, str(exc), definition.id))
        return None
    form.lines = {key: line_of(raw, loc) for key, loc in checker.seen.items()}
    return form


def _cross_checks(library: Library) -> list[Problem]:
    """Prefills that name another form's field must point at something that exists."""
    problems = []
    for form in library.forms.values():
        for key, f in _all_with_prefill(form):
            source = f.prefill or ""
            parts = source.split(".")
            if parts[0] != "schede":
                continue
            other = library.forms.get(parts[1])
            if other is None:
                problems.append(Problem(form.source, form.lines.get(key, 1), f"prefill "
                                        f"'{source}': il modulo '{parts[1]}' non esiste"
                                        + _hint(parts[1], library.forms), form.id, key))
            elif parts[2] not in other.fields:
                problems.append(Problem(form.source, form.lines.get(key, 1), f"prefill "
                                        f"'{source}': il modulo '{parts[1]}' non ha il campo "
                                        f"'{parts[2]}'"
                                        + _hint(parts[2], other.fields), form.id, key))
    return problems


def _all_with_prefill(form: Form):
    for fid, f in form.fields.items():
        if f.prefill:
            yield fid, f
        for sub in f.fields or []:
            if sub.prefill:
                yield f"{fid}.{sub.id}", sub


__all__ = ["DefinitionError", "Library", "Problem", "load_library", "PHASES"]


def _reserved(field_id: str) -> str:
    """Why an id is reserved ('' when it is free)."""
    from .expressions import CONTEXT_NAMES

    if field_id in CONTEXT_NAMES:
        return "è un nome che le espressioni usano già"
    return PAGE_NAMES.get(field_id, "")
