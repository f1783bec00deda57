"""Registers across cases: one Excel row per case (e.g. Misura B1 beneficiaries for the Region)."""

from datetime import date

from sqlite_utils import Database

from ..store import cases as case_store
from ..store import documents as document_store
from ..store import persons as person_store
from ..store.scope import Scope
from .context import Disclosure, build_context, office_values, operator_values
from .service import MIMETYPES, Documents, Produced
from .values import Data


def register_cases(db: Database, documents: Documents, template_id: str, office_id: int, *,
                   stato: str = "", date_from: str = "", date_to: str = "") -> list[int]:
    """Cases of the office with a complete sheet of the register's form in the period."""
    template = documents.templates[template_id]
    scope = Scope(office_id=office_id)
    ids: set[int] = set()
    for form_id in template.definition.forms:
        ids |= set(case_store.with_complete_sheet(db, scope, form_id, stato=stato,
                                                  updated_from=date_from, updated_to=date_to))
    return sorted(ids)


def produce_register(db: Database, documents: Documents, template_id: str, fmt: str, *,
                     office: dict, user: dict, stato: str = "", date_from: str = "",
                     date_to: str = "", hide_sensitive: bool = False) -> tuple[Produced, int]:
    """The register for an office and a period; archived; returns it and its row count.

    Marked sensitive if any row read a filled sensitive field (see Documents.produce).
    """
    template = documents.templates[template_id]
    scope = Scope(office_id=office["id"])
    disclosure = Disclosure()
    rows = []
    for case_id in register_cases(db, documents, template_id, office["id"], stato=stato,
                                  date_from=date_from, date_to=date_to):
        case = case_store.get(db, scope, case_id)
        person = person_store.get(db, scope, case["person_id"])
        rows.append(build_context(db, documents.catalog, case=case, person=person,
                                  office=office, user=user, hide_sensitive=hide_sensitive,
                                  disclosure=disclosure))
    context = {
        "pratiche": rows, "ufficio": office_values(office), "operatore": operator_values(user),
        "oggi": Data.fromordinal(date.today().toordinal()), "bozza": False,
        "periodo": {"dal": Data.fromisoformat(date_from) if date_from else None,
                    "al": Data.fromisoformat(date_to) if date_to else None},
    }
    content = documents.render(template, context)
    filename = template.file_name(context, fmt)
    if fmt == "pdf":
        content = documents.pdf.convert(content, ".xlsx")
    document_id = document_store.archive(
        db, office_id=office["id"], case_id=None, person_id=None, entry_id=None,
        entry_rev=None, template_id=template.id, template_sha256=template.sha256, fmt=fmt,
        filename=filename, draft=False, content=content, user_id=user.get("id"),
        sensitive=disclosure.sensitive)
    return Produced(document_id, filename, MIMETYPES[fmt], content), len(rows)
