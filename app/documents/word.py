"""Word documents: docxtpl rendering, always sandboxed and autoescaped."""

import io
import re
from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor
from docxtpl import DocxTemplate
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from .values import FILTERS, blank_none

DRAFT_MARK = "BOZZA — documento non definitivo, generato da una scheda non completa"
# Word's autocorrect turns typed quotes into typographic ones; inside a tag they mean quotes.
SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'"})
XML_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot|apos)|#(\d+)|#x([0-9a-fA-F]+));")
ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
TAG_IN_XML = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def environment() -> SandboxedEnvironment:
    """The only environment templates run in: sandboxed (no code), autoescaped (no lost '<')."""
    env = ImmutableSandboxedEnvironment(autoescape=True, finalize=blank_none)
    env.filters.update(FILTERS)
    return env


def tag_source(text: str) -> str:
    """The code of a tag as the author meant it: typographic quotes made straight."""
    return text.translate(SMART_QUOTES)


def _unescape(match: re.Match) -> str:
    name, decimal, hexadecimal = match.groups()
    if name:
        return ENTITIES[name]
    return chr(int(decimal) if decimal else int(hexadecimal, 16))


def _clean_tag(match: re.Match) -> str:
    """A tag's code, out of its XML escaping: 'A &amp; B' is the literal 'A & B' (escaped
    once, by autoescape, when printed) and “x” is "x"."""
    return tag_source(XML_ENTITY.sub(_unescape, match.group(0)))


class WordTemplate(DocxTemplate):
    """docxtpl, with the code of every tag read as written (body, headers, footers)."""

    def patch_xml(self, src_xml):
        return TAG_IN_XML.sub(_clean_tag, super().patch_xml(src_xml))


def render_docx(template: Path | bytes, context: dict) -> bytes:
    """Fill a .docx template; a draft is marked BOZZA at the top of the first page."""
    source = io.BytesIO(template) if isinstance(template, bytes) else str(template)
    document = WordTemplate(source)
    try:
        document.render(context, jinja_env=environment(), autoescape=True)
    except OverflowError as exc:  # the sandbox's range() refuses more than 100,000 numbers
        raise ValueError("il modello chiede un ciclo su più di 100.000 elementi (range): "
                         "ridurlo") from exc
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
