"""Word documents: docxtpl rendering, always sandboxed and autoescaped."""

import io
from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor
from docxtpl import DocxTemplate
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from .values import FILTERS, blank_none

DRAFT_MARK = "BOZZA — documento non definitivo, generato da una scheda non completa"


def environment() -> SandboxedEnvironment:
    """The only environment templates run in: sandboxed (no code), autoescaped (no lost '<')."""
    env = ImmutableSandboxedEnvironment(autoescape=True, finalize=blank_none)
    env.filters.update(FILTERS)
    return env


def render_docx(template: Path | bytes, context: dict) -> bytes:
    """Fill a .docx template; a draft is marked BOZZA at the top of the first page."""
    source = io.BytesIO(template) if isinstance(template, bytes) else str(template)
    document = DocxTemplate(source)
    document.render(context, jinja_env=environment(), autoescape=True)
    if context.get("bozza"):
        _mark_draft(document.docx)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _mark_draft(docx) -> None:
    first = docx.paragraphs[0] if docx.paragraphs else docx.add_paragraph()
    mark = first.insert_paragraph_before()
    mark.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = mark.add_run(DRAFT_MARK)
    run.bold = True
    run.font.size = Pt(14)
    run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
