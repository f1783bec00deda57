"""Producing documents: pick the template, build the context, render, convert, archive."""

from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from ..catalog import Catalog
from ..definitions import DefinitionError, Problem
from ..store import documents as document_store
from .context import Disclosure, build_context
from .excel import render_xlsx
from .lint import lint_template
from .pdf import PdfPool
from .templates import Template, load_templates
from .word import render_docx

MIMETYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


class DocumentError(Exception):
    """A template could not be filled."""


@dataclass
class Produced:
    """A generated document, archived."""

    document_id: int
    filename: str
    mimetype: str
    content: bytes


class Documents:
    """The templates in use and the way to fill them."""

    def __init__(self, catalog: Catalog, templates: dict[str, Template], pdf: PdfPool,
                 excluded: list[Problem] | None = None):
        self.catalog, self.templates, self.pdf = catalog, templates, pdf
        # Problems of templates left out at start-up (shown to the administrator).
        self.excluded = excluded or []

    def for_entry(self, form_id: str) -> list[Template]:
        """Templates that draw from a sheet of this form."""
        return [t for t in self.templates.values()
                if form_id in t.definition.forms and not t.definition.across_cases]

    def for_case(self, form_ids: set[str]) -> list[Template]:
        """Templates a case can fill: those whose forms it has sheets of (or with no forms)."""
        return [t for t in self.templates.values() if not t.definition.across_cases and (
            not t.definition.forms or set(t.definition.forms) & form_ids)]

    def formats(self, template: Template) -> list[str]:
        """Formats offered now (PDF only where LibreOffice is installed)."""
        return [f for f in template.definition.formats if f != "pdf" or self.pdf.available]

    def render(self, template: Template, context: dict) -> bytes:
        """The filled file; DocumentError (in Italian, naming the template) if it fails."""
        try:
            if template.definition.is_excel:
                return render_xlsx(template.path, context)
            return render_docx(template.path, context)
        except Exception as exc:  # noqa: BLE001 - any template failure is reported, not a 500
            raise DocumentError(f"errore nel modello «{template.definition.title}» "
                                f"({template.path.name}): {exc}") from exc

    def produce(self, db: Database, template_id: str, fmt: str, *, case: dict, person: dict,
                office: dict, user: dict, entry: dict | None = None,
                hide_sensitive: bool = False) -> Produced:
        """Render one document for a case (and a sheet), convert if asked, archive it.

        The archived document is marked sensitive if the rendering read a filled field of a
        sensitive section (never so with `hide_sensitive`, where those fields are blank).
        """
        template = self.templates[template_id]
        disclosure = Disclosure()
        context = build_context(db, self.catalog, case=case, person=person, office=office,
                                user=user, entry=entry, hide_sensitive=hide_sensitive,
                                disclosure=disclosure)
        content = self.render(template, context)
        filename = template.file_name(context, fmt)
        native = "xlsx" if template.definition.is_excel else "docx"
        if fmt == "pdf":
            content = self.pdf.convert(content, "." + native)
        document_id = document_store.archive(
            db, office_id=case["office_id"], case_id=case["id"], person_id=person["id"],
            entry_id=entry["id"] if entry else None, entry_rev=entry["rev"] if entry else None,
            template_id=template.id, template_sha256=template.sha256, fmt=fmt,
            filename=filename, draft=bool(context["bozza"]), content=content,
            user_id=user.get("id"), sensitive=disclosure.sensitive)
        return Produced(document_id, filename, MIMETYPES[fmt], content)


def template_problems(catalog: Catalog, *directories: str | Path) -> tuple[dict, list[Problem]]:
    """Load the catalogs and lint every template against the forms."""
    templates, problems = load_templates(*directories)
    for template in templates.values():
        problems += lint_template(template, catalog)
    return templates, problems


def load_documents(catalog: Catalog, *directories: str | Path, pdf: PdfPool | None = None,
                   strict: bool = True) -> Documents:
    """The documents service.

    Strict (`cartella check`, the CLI): DefinitionError if any template has a problem. Not
    strict (the server): a template with a problem is left out and its problems kept in
    `excluded`, so one broken file never stops the others from being served.
    """
    templates, problems = template_problems(catalog, *directories)
    errors = [p for p in problems if p.severity == "error"]
    if errors and strict:
        raise DefinitionError(problems)
    broken = {str(p.path) for p in errors}
    kept = {tid: t for tid, t in templates.items() if str(t.path) not in broken}
    return Documents(catalog, kept, pdf or PdfPool(), excluded=errors)
