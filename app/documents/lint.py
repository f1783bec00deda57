"""Template lint, like a compiler: every tag parses, every variable exists in the context.

Paragraph texts are read with their runs joined, so a tag Word split across runs is seen
whole. Messages name the template and quote the paragraph (or cell) around the problem.
"""

import difflib
import importlib.util
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from jinja2 import TemplateSyntaxError, nodes

from ..catalog import Catalog
from ..definitions import Form, Problem
from ..definitions.expressions import mutating_calls
from ..definitions.loader import CASE_FIELDS, PERSON_FIELDS
from .excel import KEPT_EXTENSIONS, is_placeholder, sheet_extensions, template_cells
from .templates import Template
from .word import WordTemplate, environment, tag_source

# Every tag, however it is spaced ({%if x%} too): the lint must see what Jinja will run.
TAG = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}", re.S)
# docxtpl's prefixes, spelt as docxtpl recognises them: the letters, then one space.
PREFIX = re.compile(r"^(p|tr|tc|r) ")
KEYWORD = re.compile(r"^(\w+)\s*(.*)$", re.S)
DOCXTPL_INSERTS = {
    "r": "inserisce un testo formattato di docxtpl (RichText), che Cartella non fornisce",
    "p": "inserisce un sottodocumento di docxtpl (Subdoc), che Cartella non fornisce",
    "tr": "inserisce una riga di tabella già pronta in XML, che Cartella non fornisce",
    "tc": "inserisce una cella di tabella già pronta in XML, che Cartella non fornisce",
}
TABLE_MARKS = {"vm": "unisce in verticale le celle ripetute", "hm": "unisce in orizzontale "
               "le celle ripetute"}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
FOR = re.compile(r"^for\s+(\w+)(?:\s*,\s*(\w+))?\s+in\s+(.+)$", re.S)
ROOTS = {"persona", "pratica", "scheda", "schede", "ufficio", "operatore", "oggi", "parametri",
         "bozza", "pratiche", "periodo", "loop", "range", "true", "false", "none", "True", "False",
         "None"}
OFFICE_KEYS = {"id", "code", "name", "nome", "address", "indirizzo", "phone", "telefono",
               "email", "pec", "created_at"}
OPERATOR_KEYS = {"nome", "qualifica", "username"}
SHEET_META = {"_modulo", "_stato", "_revisione", "_aggiornata"}
CASE_KEYS = CASE_FIELDS | {"person_id", "office_id", "manager_id", "motivo_chiusura", "cognome",
                           "nome", "codice_fiscale", "area_etichetta", "fase_etichetta",
                           "case_manager", "equipe", "team", "created_at", "updated_at"}


@dataclass
class Located:
    """A piece of template text and where it is, for messages (line: paragraph or row)."""

    where: str
    text: str
    line: int = 1


def docx_texts(path: Path) -> Iterator[Located]:
    """Paragraph texts of a .docx in document order: body, tables, headers, footers."""
    document = Document(str(path))
    for index, paragraph in enumerate(_paragraphs(document.element.body), start=1):
        yield Located(f"paragrafo {index}", paragraph, index)
    seen = set()  # every header and footer once: first page, even pages, later sections
    for reference in document.element.body.iter(f"{W}headerReference", f"{W}footerReference"):
        rid = reference.get(f"{R}id")
        if rid in seen or rid not in document.part.related_parts:
            continue
        seen.add(rid)
        kind = "intestazione" if reference.tag.endswith("headerReference") else "piè di pagina"
        which = {"first": " della prima pagina", "even": " delle pagine pari"}.get(
            reference.get(f"{W}type"), "")
        for paragraph in _paragraphs(document.part.related_parts[rid].element):
            yield Located(kind + which, paragraph)


def _paragraphs(element) -> Iterator[str]:
    for p in element.iter(f"{W}p"):
        yield "".join(t.text or "" for t in p.iter(f"{W}t"))


def xlsx_texts(path: Path) -> Iterator[Located]:
    """Cell texts of an .xlsx template, sheet by sheet."""
    from openpyxl import load_workbook

    workbook = load_workbook(str(path))
    for sheet in workbook.worksheets:
        for cell in template_cells(sheet):
            if is_placeholder(cell.value):
                yield Located(f"foglio «{sheet.title}», cella {cell.coordinate}", cell.value,
                              cell.row)


class _Scope:
    """Loop variables currently open, each with the path it iterates."""

    def __init__(self):
        self.stack: list[tuple[str, list[str] | None]] = []
        self.loops: list[int] = []  # stack size when each open loop began

    def open_loop(self, *bound: tuple[str, list[str] | None]) -> None:
        self.loops.append(len(self.stack))
        self.stack.extend(bound)

    def close_loop(self) -> bool:
        """Forget the innermost loop's variables (both of `for a, b in`); False if none."""
        if not self.loops:
            return False
        del self.stack[self.loops.pop():]
        return True

    def lookup(self, name: str):
        for var, path in reversed(self.stack):
            if var == name:
                return path
        return False


class TemplateLinter:
    """Checks one template against the forms it declares."""

    def __init__(self, template: Template, catalog: Catalog, db=None):
        self.template, self.catalog, self.db = template, catalog, db
        self.env = environment()
        self.problems: list[Problem] = []
        self.forms = [catalog.forms[f] for f in template.definition.forms if f in catalog.forms]
        for form_id in template.definition.forms:
            if form_id not in catalog.forms:
                self._problem(1, f"il catalogo indica il modulo '{form_id}', che non esiste"
                              + _hint(form_id, catalog.forms), None)

    def _problem(self, line: int, message: str, located: Located | None) -> None:
        if located is not None:
            quote = located.text.strip()
            quote = quote if len(quote) <= 160 else quote[:157] + "…"
            message = f"{located.where}: {message} — «{quote}»"
            line = located.line
        self.problems.append(Problem(str(self.template.path), line,
                                     f"modello '{self.template.id}', {message}"))

    def run(self) -> list[Problem]:
        texts = xlsx_texts if self.template.definition.is_excel else docx_texts
        scope = _Scope()
        excel = self.template.definition.is_excel
        row = None
        for located in texts(self.template.path):
            if excel and located.line != row:
                scope, row = _Scope(), located.line  # an Excel loop lives in its row
            for match in TAG.finditer(located.text):
                if match.group(1) is not None:
                    self._print_tag(tag_source(match.group(1)), scope, located)
                else:
                    self._statement_tag(tag_source(match.group(2)), scope, located, excel)
                    if not excel:
                        self._alone(match.group(0), located)
        if scope.loops and not excel:
            name = scope.stack[scope.loops[-1]][0]
            self._problem(1, f"manca {{% endfor %}} per il ciclo su '{name}'", None)
        name = Located("nome del file ('filename' nel catalogo)", self.template.definition.filename)
        for match in TAG.finditer(name.text):
            if match.group(1) is not None:
                self._expression(match.group(1), _Scope(), name)
        return self.problems

    def _alone(self, tag: str, located: Located) -> None:
        """docxtpl replaces the whole paragraph of a {%p %} (row of a {%tr %}) with the tag."""
        prefix = PREFIX.match(tag[2:].removeprefix("-"))
        rest = located.text.replace(tag, "", 1).strip()
        if prefix and prefix.group(1) in ("p", "tr", "tc") and rest:
            unit = {"p": "il paragrafo", "tr": "la riga", "tc": "la colonna"}[prefix.group(1)]
            self._problem(1, f"«{tag.strip()}» toglie dal documento tutto {unit} in cui sta: "
                          f"il testo «{rest[:60]}» sparirebbe; scrivere il tag in un paragrafo "
                          "a sé", located)

    def _print_tag(self, source: str, scope: _Scope, located: Located) -> None:
        """{{ x }}; docxtpl's {{r x}}, {{p x}}... insert objects Cartella never provides."""
        source = source.removeprefix("-").removesuffix("-")
        prefix = PREFIX.match(source)
        if prefix:
            rest = source[prefix.end():].strip()
            self._problem(1, f"«{{{{{prefix.group(1)} {rest}}}}}» {DOCXTPL_INSERTS[prefix.group(1)]}"
                          f": scrivere «{{{{ {rest} }}}}» (il valore prende la formattazione "
                          "del testo in cui sta)", located)
            return
        self._expression(source, scope, located)

    def _statement_tag(self, source: str, scope: _Scope, located: Located, excel: bool) -> None:
        """{% ... %} with docxtpl's prefix ({%p if %}, {%tr for %}) taken off as docxtpl does."""
        source = source.removeprefix("-")
        prefix = PREFIX.match(source)
        statement = source[prefix.end():] if prefix else source
        statement = statement.strip().removesuffix("-").strip()
        match = KEYWORD.match(statement)
        if not match:
            self._problem(1, "istruzione vuota «{% %}»", located)
            return
        keyword, body = match.group(1), match.group(2).strip()
        if excel and prefix and not (keyword == "for" and prefix.group(1) in ("r", "tr")):
            self._problem(1, f"«{{%{prefix.group(1)} %}}» vale solo nei modelli Word: in Excel "
                          f"scrivere «{{% {statement} %}}»", located)
            return
        self._statement(keyword, body, statement, scope, located, excel)

    def _statement(self, keyword: str, body: str, statement: str, scope: _Scope,
                   located: Located, excel: bool) -> None:
        if keyword == "for":
            match = FOR.match(statement)
            if not match:
                self._problem(1, f"ciclo non valido: «{{% {statement} %}}»", located)
                return
            path = self._expression(match.group(3), scope, located)
            bound = [(match.group(1), path)]
            if match.group(2):
                bound = [(match.group(1), None), (match.group(2), None)]
            scope.open_loop(*bound)
        elif keyword == "endfor":
            if not scope.close_loop() and not excel:
                self._problem(1, "{% endfor %} senza un {% for %} aperto", located)
        elif keyword in ("if", "elif"):
            self._expression(body, scope, located)
        elif keyword == "set":
            name, _, expr = body.partition("=")
            self._expression(expr, scope, located)
            scope.stack.append((name.strip(), None))
        elif keyword in ("colspan", "cellbg") and not excel:
            self._expression(body, scope, located)  # docxtpl: a cell's span or background
        elif keyword in TABLE_MARKS and not excel and not body:
            if not scope.loops:
                self._problem(1, f"«{{% {keyword} %}}» {TABLE_MARKS[keyword]}: va in una cella "
                              "di una riga ripetuta da un ciclo «{%tr for ... %}» o "
                              "«{%tc for ... %}»", located)
        elif keyword in DOCXTPL_INSERTS:
            self._problem(1, f"«{{% {keyword} ... %}}»: il prefisso «{keyword}» va scritto "
                          f"attaccato alla parentesi, «{{%{keyword} {body} %}}»", located)
        elif keyword not in ("else", "endif", "endset"):
            self._problem(1, f"istruzione «{keyword}» non ammessa nei modelli", located)

    def _expression(self, source: str, scope: _Scope, located: Located):
        try:
            tree = self.env.parse("{{ (" + source.strip() + ") }}")
        except TemplateSyntaxError as exc:
            self._problem(1, f"espressione non valida «{source.strip()}»: {exc.message}",
                          located)
            return None
        for node in tree.find_all(nodes.Getattr):
            if node.attr.startswith("_") and node.attr not in SHEET_META:
                self._problem(1, f"'{node.attr}' non è accessibile: i nomi che iniziano con "
                              "'_' sono riservati", located)
        for name in sorted(mutating_calls(tree)):
            self._problem(1, f"«{name}» modificherebbe i dati: nei modelli si può solo leggere "
                          "e stampare", located)
        for node in tree.find_all(nodes.Filter):
            if node.name not in self.env.filters:
                self._problem(1, f"filtro '{node.name}' sconosciuto"
                              + _hint(node.name, self.env.filters), located)
        paths = {tuple(p) for p in (_path(n) for n in tree.find_all(
            (nodes.Getattr, nodes.Getitem, nodes.Name))) if p}
        outermost = [p for p in paths
                     if not any(len(o) > len(p) and o[:len(p)] == p for o in paths)]
        last = None
        for path in sorted(outermost):
            last = self._check_path(list(path), scope, located)
        return last

    def _check_path(self, path: list[str], scope: _Scope, located: Located):
        root = path[0]
        bound = scope.lookup(root)
        if bound == ["pratiche"] and len(path) > 1:
            return self._check_path(path[1:], _Scope(), located)  # p.persona... like persona...
        if bound is not False:
            if bound and len(path) > 1:
                sub = self._repeat_fields(bound)
                if sub is not None and path[1] not in sub and path[1] != "loop":
                    self._problem(1, f"'{'.'.join(path[:2])}' non esiste: le righe di "
                                  f"'{'.'.join(bound)}' hanno {', '.join(sorted(sub))}"
                                  + _hint(path[1], sub), located)
            return None
        if root not in ROOTS and root not in self.env.globals:
            self._problem(1, f"'{root}' non è nel contesto dei modelli (persona, pratica, "
                          "scheda, schede, ufficio, operatore, oggi, parametri)"
                          + _hint(root, ROOTS),
                          located)
            return None
        if len(path) < 2:
            return path
        checkers = {"scheda": self._check_sheet, "schede": self._check_sheets,
                    "persona": self._check_person, "pratica": self._check_case,
                    "ufficio": lambda p, loc: self._check_keys(p, OFFICE_KEYS, loc),
                    "operatore": lambda p, loc: self._check_keys(p, OPERATOR_KEYS, loc)}
        if root in checkers:
            checkers[root](path, located)
        return path

    def _check_keys(self, path, keys, located) -> None:
        if path[1] not in keys:
            self._problem(1, f"'{path[0]}.{path[1]}' non esiste" + _hint(path[1], keys),
                          located)

    def _check_sheet(self, path, located) -> None:
        if not self.forms:
            self._problem(1, "il modello usa 'scheda' ma nel catalogo non indica alcun modulo "
                          "(chiave forms)", located)
            return
        fields = set().union(*(set(f.fields) for f in self.forms)) | SHEET_META
        if path[1] not in fields:
            names = ", ".join(f.id for f in self.forms)
            self._problem(1, f"'scheda.{path[1]}' non esiste nel modulo {names}"
                          + _hint(path[1], fields), located)

    def _check_sheets(self, path, located) -> None:
        form = self.catalog.forms.get(path[1])
        if form is None:
            self._problem(1, f"'schede.{path[1]}': il modulo '{path[1]}' non esiste"
                          + _hint(path[1], self.catalog.forms), located)
        elif len(path) > 2 and path[2] not in form.fields and path[2] not in SHEET_META:
            self._problem(1, f"'schede.{path[1]}.{path[2]}' non esiste nel modulo {form.id}"
                          + _hint(path[2], form.fields), located)

    def _check_person(self, path, located) -> None:
        extra = set(self.catalog.forms["persona"].fields) if "persona" in self.catalog.forms \
            else set()
        self._check_keys(path, PERSON_FIELDS | extra | {"nome_completo", "note", "office_id"},
                         located)

    def _check_case(self, path, located) -> None:
        self._check_keys(path, CASE_KEYS, located)

    def _repeat_fields(self, bound: list[str]) -> set[str] | None:
        form_fields = None
        if bound[0] == "scheda" and len(bound) == 2:
            form_fields = [f.fields.get(bound[1]) for f in self.forms]
        elif bound[0] == "schede" and len(bound) == 3 and bound[1] in self.catalog.forms:
            form_fields = [self.catalog.forms[bound[1]].fields.get(bound[2])]
        if not form_fields:
            return None
        subs = set()
        for f in form_fields:
            if f is not None and f.fields:
                subs |= {s.id for s in f.fields}
        return subs or None


def _path(node) -> list[str] | None:
    parts = []
    while isinstance(node, nodes.Getattr | nodes.Getitem):
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            parts.append(node.arg.value)
        else:
            parts = []
        node = node.node
    if isinstance(node, nodes.Name) and node.ctx == "load":
        return [node.name, *reversed(parts)]
    return None


def _hint(word: str, candidates) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f": intendevi '{close[0]}'?" if close else ""


def lint_template(template: Template, catalog: Catalog) -> list[Problem]:
    """Every problem of one template; a file its reader cannot open is one clear problem."""
    try:
        problems = TemplateLinter(template, catalog).run()
        if template.definition.is_excel:
            return problems + _lost_extensions(template)
        return problems + _whole_document_syntax(template)
    except Exception as exc:  # noqa: BLE001 - a file written by another tool: say why, no traceback
        return [Problem(str(template.path), 1, f"modello '{template.id}': il file non si può "
                        f"leggere ({type(exc).__name__}: {exc}). {_advice(template)}")]


def _advice(template: Template) -> str:
    """What to do with a file the reader chokes on: pivot tables are the usual culprit."""
    if not template.definition.is_excel:
        return "Aprirlo con Word e salvarlo di nuovo come .docx."
    try:
        with zipfile.ZipFile(template.path) as archive:
            pivots = any(name.startswith("xl/pivotTables/") for name in archive.namelist())
    except zipfile.BadZipFile:
        return "Non è un file .xlsx: salvarlo come «Cartella di lavoro di Excel (.xlsx)»."
    if pivots:
        return ("Contiene una tabella pivot scritta in un modo che Cartella non sa leggere: "
                "toglierla dal modello, o ricrearla, e salvare di nuovo.")
    return "Aprirlo con Excel o LibreOffice e salvarlo di nuovo come .xlsx."


LOST_EXTENSIONS = {
    "{A8765BA9-456A-4DAB-B4F3-ACF838C121DE}": "filtri dei dati (slicer)",
    "{3A4CF648-6AED-40F4-86FF-DC5316D8AED3}": "filtri dei dati (slicer)",
    "{7E03D99C-DC04-49D9-9315-930204A7B6E9}": "sequenze temporali",
    "{F7C9EE02-42E1-4005-9D12-6889AFFD525C}": "componenti aggiuntivi web",
}


def _lost_extensions(template: Template) -> list[Problem]:
    """Excel features openpyxl would drop and Cartella cannot put back: said before use."""
    problems = []
    with zipfile.ZipFile(template.path) as archive:
        images = any(name.startswith("xl/media/") for name in archive.namelist())
    if images and importlib.util.find_spec("PIL") is None:
        problems.append(Problem(str(template.path), 1, (
            f"modello '{template.id}': le immagini del modello (il logo) andrebbero perse "
            "perché su questo server manca Pillow: installarlo (pip install pillow)")))
    for title, extensions in sheet_extensions(template.path.read_bytes()).items():
        lost = sorted({LOST_EXTENSIONS.get(uri, f"estensioni di Excel {uri}")
                       for uri in (ext.get("uri", "").upper() for ext in extensions)
                       if uri not in KEPT_EXTENSIONS})
        if lost:
            problems.append(Problem(str(template.path), 1, (
                f"modello '{template.id}', foglio «{title}»: contiene {', '.join(lost)}, che "
                "andrebbero persi nei documenti prodotti: toglierli dal modello")))
    return problems


def _whole_document_syntax(template: Template) -> list[Problem]:
    """Unbalanced blocks show only when each part is parsed whole, as docxtpl will parse it."""
    document = WordTemplate(str(template.path))
    document.init_docx()
    parts = [("documento", document.get_xml())]
    for uri, label in ((document.HEADER_URI, "intestazione"), (document.FOOTER_URI,
                                                               "piè di pagina")):
        parts += [(label, document.get_part_xml(part))
                  for _, part in document.get_headers_footers(uri)]
    problems = []
    for label, xml in parts:
        try:
            environment().parse(document.patch_xml(xml))
        except TemplateSyntaxError as exc:
            problems.append(Problem(str(template.path), 1, f"modello '{template.id}', "
                                    f"{label}: struttura non valida: {_explain(exc)}"))
    return problems


def _explain(exc: TemplateSyntaxError) -> str:
    """Jinja's message, with what to write instead when the tag is one of docxtpl's."""
    unknown = re.match(r"Encountered unknown tag '(\w+)'", exc.message or "")
    tag = unknown.group(1) if unknown else ""
    if tag in ("colspan", "cellbg", "vm", "hm"):
        return (f"«{{% {tag} %}}» vale solo dentro una cella di tabella (il testo della cella "
                "comincia con il tag)")
    if tag in DOCXTPL_INSERTS:
        return f"il prefisso «{tag}» va scritto attaccato alla parentesi: «{{%{tag} ... %}}»"
    return exc.message or str(exc)


def form_of(catalog: Catalog, form_id: str) -> Form | None:
    return catalog.forms.get(form_id)
