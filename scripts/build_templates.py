"""Build the starter templates: Word in doc_templates/, Excel in spreadsheets/.

The files are generated, so that they are reproducible and a change is reviewable here:
edit this script, run `python scripts/build_templates.py`, commit script and files together.
Placeholders follow docs/modelli.md; every template must pass `cartella check`.
The catalogs (catalogo.yaml) are written by hand next to the files.
"""

import re
import sys
import zipfile
from contextlib import contextmanager
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GENERATED = "Modello di Cartella generato da scripts/build_templates.py"
FONT = "Arial"
INK = RGBColor(0x1A, 0x1A, 0x1A)
HEAD_FILL = "DCE3EC"
LABEL_FILL = "F2F4F7"
CHECKED, UNCHECKED = "☒", "☐"
CONFIDENTIAL = ("Documento riservato: contiene dati personali particolari (art. 9 Reg. UE "
                "2016/679). Non diffondere.")

NAME = "{{ persona.cognome }} {{ persona.nome }}"
BORN = "nato/a a {{ persona.luogo_nascita }} il {{ persona.data_nascita }}"
RESIDENCE = ("{{ persona.indirizzo }}{% if persona.indirizzo and persona.comune_residenza %}, "
             "{% endif %}{{ persona.comune_residenza }}")
QUALIFICA = "{{ operatore.qualifica or \"L'operatore\" }}"
OPERATOR = "{{ operatore.nome }}{% if operatore.qualifica %}, {{ operatore.qualifica }}{% endif %}"


class WordTemplate:
    """A Word template under construction: letterhead, numbered sections, tables, signatures."""

    def __init__(self, title: str):
        self.doc = Document()
        self.sections = 0
        self.widths = {}
        self.doc.core_properties.title = title
        self.doc.core_properties.author = "Cartella"
        self.doc.core_properties.language = "it-IT"
        self.doc.core_properties.comments = GENERATED
        self._page()
        self._styles()
        self._letterhead()
        self._footer()

    # --- page, styles, header and footer ---------------------------------------------

    def _page(self) -> None:
        section = self.doc.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.top_margin, section.bottom_margin = Cm(3.2), Cm(2.2)
        section.left_margin, section.right_margin = Cm(2.3), Cm(2)
        section.header_distance, section.footer_distance = Cm(1), Cm(1)

    def _styles(self) -> None:
        styles = self.doc.styles
        defaults = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), "it-IT")
        defaults.find(qn("w:rPr")).append(lang)
        normal = styles["Normal"]
        _font(normal.element, FONT)
        normal.font.size = Pt(10.5)
        normal.font.color.rgb = INK
        normal.paragraph_format.space_after = Pt(4)
        normal.paragraph_format.line_spacing = 1.15
        heading = styles["Heading 1"]
        _font(heading.element, FONT)
        heading.font.size, heading.font.bold, heading.font.color.rgb = Pt(11), True, INK
        heading.paragraph_format.space_before = Pt(12)
        heading.paragraph_format.space_after = Pt(4)
        heading.paragraph_format.keep_with_next = True
        cell = styles.add_style("Testo tabella", WD_STYLE_TYPE.PARAGRAPH)
        cell.base_style = normal
        cell.font.size = Pt(9.5)
        cell.paragraph_format.space_after = Pt(0)
        cell.paragraph_format.line_spacing = 1.0

    def _letterhead(self) -> None:
        header = self.doc.sections[0].header
        name = header.paragraphs[0]
        _runs(name, "{{ ufficio.nome }}", bold=True, size=12)
        _runs(header.add_paragraph(), "{{ ufficio.indirizzo }}", size=9)
        contacts = header.add_paragraph()
        _runs(contacts, "{% if ufficio.telefono %}Tel. {{ ufficio.telefono }}   {% endif %}"
              "{% if ufficio.email %}Email {{ ufficio.email }}   {% endif %}"
              "{% if ufficio.pec %}PEC {{ ufficio.pec }}{% endif %}", size=9)
        _border(contacts, "bottom")
        for paragraph in header.paragraphs:
            paragraph.paragraph_format.space_after = Pt(0)

    def _footer(self) -> None:
        footer = self.doc.sections[0].footer
        note = footer.paragraphs[0]
        _runs(note, CONFIDENTIAL, italic=True, size=7.5)
        pages = footer.add_paragraph()
        _runs(pages, "Pagina ", size=8)
        _field(pages, "PAGE")
        _runs(pages, " di ", size=8)
        _field(pages, "NUMPAGES")
        for paragraph in footer.paragraphs:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.paragraph_format.space_after = Pt(0)

    # --- paragraphs ----------------------------------------------------------------------

    def para(self, text: str = "", *, bold=False, italic=False, size=None, align=None,
             indent=None, after=None, before=None):
        """A paragraph; `**...**` in the text is bold."""
        paragraph = self.doc.add_paragraph()
        _runs(paragraph, text, bold=bold, italic=italic, size=size)
        fmt = paragraph.paragraph_format
        if align:
            paragraph.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER,
                                   "right": WD_ALIGN_PARAGRAPH.RIGHT,
                                   "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}[align]
        if indent is not None:
            fmt.left_indent = Cm(indent)
        if after is not None:
            fmt.space_after = Pt(after)
        if before is not None:
            fmt.space_before = Pt(before)
        return paragraph

    def text(self, text: str):
        """A justified body paragraph."""
        return self.para(text, align="justify")

    def tag(self, statement: str) -> None:
        """A paragraph holding only a docxtpl paragraph tag: it vanishes when rendered."""
        self.doc.add_paragraph(f"{{%p {statement} %}}")

    @contextmanager
    def when(self, condition: str):
        self.tag(f"if {condition}")
        yield
        self.tag("endif")

    @contextmanager
    def each(self, loop: str):
        self.tag(f"for {loop}")
        yield
        self.tag("endfor")

    def heading(self, text: str, numbered: bool = True) -> None:
        if numbered:
            self.sections += 1
            text = f"{self.sections}. {text}"
        self.doc.add_paragraph(text, style="Heading 1")

    def field_text(self, label: str, expr: str) -> None:
        """A labelled free text, only when filled in."""
        with self.when(expr):
            self.para(f"**{label}**", after=0, before=4).paragraph_format.keep_with_next = True
            self.text("{{ " + expr + " }}")

    def checkboxes(self, expr: str) -> None:
        """Every option of a (multiple) choice, one a line, ☒ when chosen."""
        with self.each(f"code, label in {expr}.options"):
            self.para(f"{{{{ '{CHECKED}' if code in {expr} else '{UNCHECKED}' }}}} "
                      "{{ label }}", indent=0.6, after=1)

    # --- blocks --------------------------------------------------------------------------

    def protocol(self) -> None:
        self.para("Prot. n. ____________ del {{ oggi|data }}", after=0)
        self.para("Pratica n. {{ pratica.id }} – Referente: " + OPERATOR, size=9, after=10)

    def title(self, text: str, subtitle: str = "") -> None:
        self.para(text, bold=True, size=14, align="center", before=6, after=2 if subtitle else 10)
        if subtitle:
            self.para(subtitle, italic=True, align="center", after=10)

    def addressee(self, *lines: str) -> None:
        for line in lines:
            self.para(line, bold=True, indent=8.5, after=0)
        self.para(after=6)

    def subject(self, text: str) -> None:
        self.para(f"**Oggetto:** {text}", align="justify", after=8)

    def signature(self, role: str, *lines: str, place_date: str = "Data {{ oggi|data }}"):
        """Place and date, then the signer's block on the right, kept on one page."""
        block = [self.para(place_date, before=14, after=6),
                 self.para(role, indent=9, align="center", after=0)]
        block += [self.para(line, indent=9, align="center", after=0) for line in lines]
        for paragraph in block:
            paragraph.paragraph_format.keep_with_next = True
        self.para("_______________________________", indent=9, align="center", before=18)

    def signatures(self, rows: list[tuple[str, str]]) -> None:
        """A table of signatures: role | name | a blank space to sign in."""
        table = self._table(3, [5, 6.2, 5.5])
        for cell, text in zip(table.add_row().cells, ["Per", "Nome e cognome", "Firma"], strict=True):
            _cell(cell, text, bold=True, fill=HEAD_FILL)
        for role, name in rows:
            cells = table.add_row().cells
            _cell(cells[0], role, bold=True)
            _cell(cells[1], name)
            cells[2].paragraphs[0].paragraph_format.space_after = Pt(24)
        self.para(after=2)

    def facts(self, rows: list[tuple], widths=(5.2, 11.5)) -> None:
        """A two-column table label | value; a row with a third item shows only if it holds."""
        table = self._table(2, widths)
        for row in rows:
            label, value, condition = (*row, None)[:3]
            if condition:
                self._tag_row(table, f"if {condition}")
            cells = table.add_row().cells
            _cell(cells[0], label, bold=True, fill=LABEL_FILL)
            _cell(cells[1], value)
            if condition:
                self._tag_row(table, "endif")
        self.para(after=2)

    def grid(self, headers: list[str], cells: list[str], loop: str, widths: list[float],
             empty: str = "", totals: list[str] | None = None) -> None:
        """A table with one row per item of a repeat, an optional line when it has none."""
        table = self._table(len(headers), widths)
        head = table.add_row()
        _repeat_header(head)
        for cell, text in zip(head.cells, headers, strict=True):
            _cell(cell, text, bold=True, fill=HEAD_FILL)
        self._tag_row(table, f"for {loop}")
        for cell, text in zip(table.add_row().cells, cells, strict=True):
            _cell(cell, text)
        self._tag_row(table, "endfor")
        if empty:
            iterable = loop.split(" in ", 1)[1]
            self._tag_row(table, f"if not {iterable}")
            row = table.add_row().cells
            _cell(row[0].merge(row[-1]), empty, italic=True)
            self._tag_row(table, "endif")
        if totals:
            for cell, text in zip(table.add_row().cells, totals, strict=True):
                _cell(cell, text, bold=True, fill=LABEL_FILL)
        self.para(after=2)

    def _table(self, columns: int, widths):
        table = self.doc.add_table(rows=0, cols=columns)
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for column, width in zip(table.columns, widths, strict=True):
            column.width = Cm(width)
        self.widths[table._tbl] = [Cm(w) for w in widths]
        return table

    def _tag_row(self, table, statement: str) -> None:
        """A row holding only a docxtpl row tag: docxtpl replaces the whole row with it."""
        row = table.add_row().cells
        _cell(row[0].merge(row[-1]) if len(row) > 1 else row[0], f"{{%tr {statement} %}}")

    def save(self, path: Path) -> None:
        for table in self.doc.tables:
            widths = self.widths[table._tbl]
            for row in table.rows:
                for cell, width in zip(row.cells, widths, strict=True):
                    cell.width = width
        self.doc.save(str(path))


# --- low-level helpers ---------------------------------------------------------------------

def _font(element, name: str) -> None:
    """Set a style's or run's font for every script, dropping theme fonts that would win."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for key in list(fonts.attrib):
        if key.endswith("Theme"):
            del fonts.attrib[key]
    for key in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(key), name)


def _runs(paragraph, text: str, bold=False, italic=False, size=None) -> None:
    """Runs of a paragraph; `**...**` segments are bold. Tags stay whole inside one run."""
    for index, chunk in enumerate(text.split("**")):
        if not chunk:
            continue
        run = paragraph.add_run(chunk)
        run.bold = bold or index % 2 == 1 or None
        run.italic = italic or None
        if size:
            run.font.size = Pt(size)


def _cell(cell, text: str, bold=False, italic=False, fill=None) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.style = "Testo tabella"
    _runs(paragraph, text, bold=bold, italic=italic)
    if fill:
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:color"), "auto")
        shading.set(qn("w:fill"), fill)
        cell._tc.get_or_add_tcPr().append(shading)


def _repeat_header(row) -> None:
    """The header row repeats on every page the table spans."""
    trpr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    trpr.append(header)


def _border(paragraph, side: str) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    line = OxmlElement(f"w:{side}")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "4"),
                       ("w:color", "1F3A5F")):
        line.set(qn(key), value)
    borders.append(line)
    ppr.append(borders)


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that the office suite computes."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "16")
    props.append(size)
    run.append(props)
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def person_facts(doc: WordTemplate, extra: list[tuple] = ()) -> None:
    doc.facts([
        ("Cognome e nome", NAME),
        ("Luogo e data di nascita", "{{ persona.luogo_nascita }}, {{ persona.data_nascita }}"),
        ("Codice fiscale", "{{ persona.codice_fiscale }}", "persona.codice_fiscale"),
        ("Residenza", RESIDENCE),
        ("Domicilio", "{{ persona.domicilio }}", "persona.domicilio"),
        ("Telefono", "{{ persona.telefono }}", "persona.telefono"),
        *extra,
    ])



# --- Word: assessment and plan ---------------------------------------------------------------

def relazione_sociale() -> WordTemplate:
    doc = WordTemplate("Relazione sociale")
    doc.protocol()
    doc.title("RELAZIONE SOCIALE", "redatta a seguito della valutazione multidimensionale del "
              "{{ scheda.data_valutazione }}")
    doc.subject(f"relazione sociale relativa a {NAME}, {BORN}.")
    doc.heading("Dati anagrafici")
    person_facts(doc, [("Stato civile", "{{ persona.stato_civile }}", "persona.stato_civile"),
                       ("Medico di medicina generale", "{{ persona.mmg_nome }}",
                        "persona.mmg_nome")])
    doc.heading("Presa in carico e valutazione")
    doc.facts([
        ("Area di intervento", "{{ pratica.area_etichetta }}"),
        ("Presa in carico dal", "{{ pratica.data_apertura }}", "pratica.data_apertura"),
        ("Valutazione", "{{ scheda.tipo_valutazione }} del {{ scheda.data_valutazione }}"),
        ("Sede della valutazione", "{{ scheda.sede_valutazione }}", "scheda.sede_valutazione"),
        ("Équipe di valutazione", "{{ scheda.equipe }}", "scheda.equipe"),
        ("Presenti", "{{ scheda.presenti }}", "scheda.presenti"),
    ])
    _assessment_health(doc)
    _assessment_network(doc)
    _assessment_living(doc)
    doc.heading("Il punto di vista della persona e della famiglia")
    doc.para("Partecipazione della persona: {{ scheda.persona_partecipazione }}.")
    doc.field_text("La persona riferisce", "scheda.punto_vista_persona")
    doc.field_text("Il caregiver ({{ scheda.caregiver_nome }}) riferisce",
                   "scheda.punto_vista_caregiver")
    doc.heading("Valutazione professionale")
    doc.field_text("Sintesi dei bisogni", "scheda.sintesi_bisogni")
    doc.field_text("Risorse e punti di forza", "scheda.risorse_punti_forza")
    doc.field_text("Fattori di rischio", "scheda.fattori_rischio")
    with doc.when("scheda.livello_complessita"):
        doc.para("**Livello di complessità del caso:** {{ scheda.livello_complessita }}")
    with doc.when("scheda.interventi_proposti"):
        doc.para("**Interventi proposti:** {{ scheda.interventi_proposti }}")
    doc.field_text("Proposta", "scheda.proposta")
    doc.signature(QUALIFICA, "{{ operatore.nome }}")
    return doc


def _assessment_health(doc: WordTemplate) -> None:
    doc.heading("Situazione sanitaria")
    doc.facts([
        ("Diagnosi principale", "{{ scheda.diagnosi_principale }}",
         "scheda.diagnosi_principale"),
        ("Patologie", "{{ scheda.patologie }}", "scheda.patologie"),
        ("Terapie in corso", "{{ scheda.terapie }}", "scheda.terapie"),
        ("Ricoveri nell'ultimo anno", "{{ scheda.ricoveri_ultimo_anno }}",
         "scheda.ricoveri_ultimo_anno is not none"),
        ("Invalidità civile", "{{ scheda.invalidita_stato }}{% if scheda.invalidita_percentuale "
         "%} ({{ scheda.invalidita_percentuale }}%){% endif %}", "scheda.invalidita_stato"),
        ("L. 104/1992", "{{ scheda.legge_104 }}", "scheda.legge_104"),
        ("Indennità di accompagnamento", "{{ scheda.indennita_accompagnamento }}",
         "scheda.indennita_accompagnamento"),
    ])
    doc.heading("Autonomia nella vita quotidiana")
    doc.facts([
        ("Indice di Barthel (ADL)", "{{ scheda.barthel_totale }}/100 – {{ scheda.barthel_livello }}",
         "scheda.barthel_totale is not none"),
        ("Katz (ADL)", "{{ scheda.katz_totale }}/6", "scheda.katz_totale is not none"),
        ("Lawton (IADL)", "{{ scheda.iadl_totale }}/8", "scheda.iadl_totale is not none"),
        ("MMSE", "{{ scheda.mmse_punteggio }}/30{% if scheda.mmse_rilevatore %}, rilevato da "
         "{{ scheda.mmse_rilevatore }}{% endif %}{% if scheda.mmse_data %} il "
         "{{ scheda.mmse_data }}{% endif %}", "scheda.mmse_punteggio is not none"),
        ("Capacità decisionale", "{{ scheda.capacita_decisionale }}",
         "scheda.capacita_decisionale"),
        ("Ausili in uso", "{{ scheda.ausili_in_uso }}", "scheda.ausili_in_uso"),
        ("Ausili necessari", "{{ scheda.ausili_necessari }}", "scheda.ausili_necessari"),
        ("Assistenza continuativa", "{{ scheda.assistenza_continuativa }}"),
        ("Assistenza notturna", "{{ scheda.assistenza_notturna }}",
         "scheda.assistenza_notturna is not none"),
        ("Ore di assistenza al giorno", "{{ scheda.ore_assistenza_giornaliere }}",
         "scheda.ore_assistenza_giornaliere is not none"),
    ])
    doc.field_text("Disturbi del comportamento", "scheda.disturbi_comportamento")


def _assessment_network(doc: WordTemplate) -> None:
    doc.heading("Rete familiare e informale")
    with doc.when("scheda.convivenza"):
        doc.para("**Convivenza:** {{ scheda.convivenza }}")
    doc.grid(["Nome e cognome", "Relazione", "Convive", "Ruolo nella cura", "Recapito"],
             ["{{ r.nome_cognome }}", "{{ r.parentela }}", "{{ r.convivente }}",
              "{{ r.ruolo_cura }}{% if r.disponibilita %} – {{ r.disponibilita }}{% endif %}",
              "{{ r.indirizzo }}{% if r.indirizzo and r.telefono %}, {% endif %}{{ r.telefono }}"],
             "r in scheda.rete_familiare", [4, 2.8, 1.6, 4.2, 4.1],
             empty="Nessun familiare indicato.")
    with doc.when("scheda.assistente_familiare"):
        doc.para("**Assistente familiare:** {{ scheda.assistente_familiare }}"
                 "{% if scheda.assistente_familiare_contratto %}, con regolare contratto"
                 "{% endif %}.")
    with doc.when("scheda.carico_caregiver"):
        doc.para("**Carico del caregiver:** {{ scheda.carico_caregiver }}")
    doc.field_text("Rete informale (vicini, volontari, associazioni)", "scheda.rete_informale")


def _assessment_living(doc: WordTemplate) -> None:
    doc.heading("Abitazione, reddito, lavoro e tutela giuridica")
    doc.facts([
        ("Condizione abitativa", "{{ scheda.condizione_abitativa }}{% if scheda.piano %}, piano "
         "{{ scheda.piano }}{% endif %}{% if scheda.ascensore is not none %}, ascensore: "
         "{{ scheda.ascensore }}{% endif %}", "scheda.condizione_abitativa"),
        ("Barriere architettoniche", "{{ scheda.barriere_architettoniche }}{% if "
         "scheda.barriere_descrizione %} – {{ scheda.barriere_descrizione }}{% endif %}",
         "scheda.barriere_architettoniche is not none"),
        ("Adeguatezza dell'alloggio", "{{ scheda.alloggio_adeguato }}",
         "scheda.alloggio_adeguato"),
        ("Rischio di perdita dell'alloggio", "{{ scheda.rischio_perdita_alloggio }}",
         "scheda.rischio_perdita_alloggio is not none"),
        ("ISEE", "{{ scheda.isee }}{% if scheda.isee_tipo %} ({{ scheda.isee_tipo }}){% endif %}"
         "{% if scheda.data_dsu %}, DSU del {{ scheda.data_dsu }}{% endif %}", "scheda.isee"),
        ("Fonti di reddito", "{{ scheda.fonti_reddito }}", "scheda.fonti_reddito"),
        ("Reddito mensile", "{{ scheda.reddito_mensile }}", "scheda.reddito_mensile"),
        ("Lavoro", "{{ scheda.situazione_lavorativa }}", "scheda.situazione_lavorativa"),
        ("Scuola", "{{ scheda.scuola_frequentata }}{% if scheda.frequenza_scolastica %} – "
         "frequenza {{ scheda.frequenza_scolastica }}{% endif %}", "scheda.scuola_frequentata"),
        ("Misura di protezione giuridica", "{{ scheda.misura_tutela }}{% if scheda.tutore_nome %}"
         " – {{ scheda.tutore_nome }}{% endif %}{% if scheda.decreto_estremi %} (decreto "
         "{{ scheda.decreto_estremi }}){% endif %}", "scheda.misura_tutela"),
        ("Necessità di una misura di protezione", "{{ scheda.necessita_tutela }}",
         "scheda.necessita_tutela is not none"),
    ])
    doc.field_text("Note sull'abitazione", "scheda.note_abitazione")
    doc.field_text("Difficoltà economiche", "scheda.difficolta_economiche")


def progetto_individualizzato() -> WordTemplate:
    doc = WordTemplate("Progetto individualizzato")
    doc.protocol()
    doc.title("PROGETTO INDIVIDUALIZZATO", "{{ scheda.tipo_progetto }}{% if scheda.tipo_redazione"
              " %} – {{ scheda.tipo_redazione }}{% endif %} del {{ scheda.data_progetto }}")
    doc.heading("La persona")
    person_facts(doc)
    doc.facts([("Case manager", "{{ scheda.case_manager }}{% if scheda.case_manager_recapito %}"
                " – {{ scheda.case_manager_recapito }}{% endif %}"),
               ("Area", "{{ pratica.area_etichetta }}"),
               ("Verifica del progetto entro il", "**{{ scheda.data_verifica }}**")])
    doc.field_text("Sintesi della situazione e dei bisogni", "scheda.sintesi_situazione")
    doc.heading("Obiettivi")
    doc.grid(["N.", "Obiettivo", "Area", "Indicatore di risultato", "Entro il"],
             ["{{ loop.index }}", "{{ o.obiettivo }}", "{{ o.area }}", "{{ o.indicatore }}",
              "{{ o.scadenza }}"], "o in scheda.obiettivi", [1, 6.2, 2.8, 4.6, 2.1])
    doc.heading("Interventi")
    doc.grid(["Intervento", "Erogatore", "Frequenza", "Periodo", "Costo mensile", "Fonte"],
             ["**{{ r.tipo }}**{% if r.descrizione %}: {{ r.descrizione }}{% endif %}",
              "{{ r.erogatore }}", "{{ r.frequenza }}",
              "{% if r.dal %}dal {{ r.dal }}{% endif %}{% if r.al %} al {{ r.al }}{% endif %}",
              "{{ r.costo_mensile }}", "{{ r.fonte }}"],
             "r in scheda.interventi", [4.4, 3, 2.2, 2.6, 2.2, 2.3],
             empty="Nessun intervento previsto.",
             totals=["Totale mensile", "", "", "", "{{ scheda.budget_totale }}", ""])
    _plan_budget(doc)
    _plan_sharing(doc)
    return doc


def _plan_sharing(doc: WordTemplate) -> None:
    doc.heading("Condivisione del progetto")
    doc.para("Il progetto è stato condiviso con la persona: **{{ scheda.condiviso_con_persona }}**.")
    doc.field_text("Modalità di condivisione", "scheda.modalita_condivisione")
    doc.field_text("Motivo della mancata condivisione", "scheda.motivo_mancata_condivisione")
    with doc.when("scheda.copia_consegnata"):
        doc.para("Copia del progetto è stata consegnata alla persona.")
    doc.text("Il progetto sarà verificato entro il **{{ scheda.data_verifica }}** e comunque "
             "ogni volta che la situazione lo richieda.")
    doc.heading("Firme dei partecipanti")
    doc.text("I sottoscritti dichiarano di aver partecipato alla definizione del progetto e di "
             "condividerne obiettivi e impegni.")
    doc.grid(["Nome e cognome", "Ruolo", "Ente / relazione", "Firma"],
             ["{{ p.nome }}", "{{ p.ruolo }}", "{{ p.ente }}",
              "{% if p.firmato %}firmato{% endif %}\n\n"],
             "p in scheda.partecipanti", [4.5, 3.5, 4.2, 4.5],
             empty="Nessun partecipante indicato.")
    doc.signature("Il case manager", "{{ scheda.case_manager }}",
                  place_date="Data {{ scheda.data_progetto }}")


BUDGET_SOURCES = [("FNA – Misura B1", "budget_fna_b1"), ("FNA – Misura B2", "budget_fna_b2"),
                  ("Comune / Ambito", "budget_comune"), ("ASST / SSN", "budget_asst_ssn"),
                  ("Persona / famiglia (compartecipazione)", "budget_famiglia"),
                  ("Dopo di noi (L. 112/2016)", "budget_dopo_di_noi"),
                  ("Altro (fondazioni, terzo settore)", "budget_altro")]


def _plan_budget(doc: WordTemplate) -> None:
    doc.heading("Budget di progetto per fonte di finanziamento")
    doc.facts([(label, f"{{{{ scheda.{field} }}}}", f"scheda.{field}")
               for label, field in BUDGET_SOURCES]
              + [("Totale mensile", "**{{ scheda.budget_totale }}**")], widths=(9, 4))


def verbale_monitoraggio() -> WordTemplate:
    doc = WordTemplate("Verbale di monitoraggio")
    doc.protocol()
    doc.title("VERBALE DI MONITORAGGIO", "del progetto individualizzato – "
              "{{ scheda.data_monitoraggio }}")
    doc.subject(f"monitoraggio del progetto di {NAME}, {BORN}.")
    doc.facts([
        ("Data del monitoraggio", "{{ scheda.data_monitoraggio }}"),
        ("Operatore", "{{ scheda.operatore }}", "scheda.operatore"),
        ("Progetto di riferimento", "{{ schede.progetto_individualizzato.tipo_progetto }} del "
         "{{ schede.progetto_individualizzato.data_progetto }}",
         "schede.progetto_individualizzato"),
        ("Case manager", "{{ pratica.case_manager }}"),
    ])
    doc.heading("Contatti del periodo")
    doc.grid(["Data", "Tipo", "Con chi", "Sintesi"],
             ["{{ c.data }}", "{{ c.tipo }}", "{{ c.con_chi }}", "{{ c.sintesi }}"],
             "c in scheda.contatti", [2.2, 3, 3.8, 7.7], empty="Nessun contatto registrato.",
             totals=["Contatti", "{{ scheda.numero_contatti }}", "", ""])
    doc.heading("Andamento degli obiettivi")
    doc.grid(["Obiettivo", "Entro il", "Andamento", "Note"],
             ["{{ o.obiettivo }}", "{{ o.scadenza }}", "**{{ o.andamento }}**", "{{ o.note }}"],
             "o in scheda.andamento_obiettivi", [6, 2.2, 3.5, 5],
             empty="Nessun obiettivo esaminato.")
    doc.heading("Interventi")
    with doc.when("scheda.interventi_regolari"):
        doc.para("Gli interventi previsti sono erogati regolarmente: "
                 "**{{ scheda.interventi_regolari }}**.")
    doc.field_text("Criticità", "scheda.criticita_interventi")
    doc.heading("Il punto di vista della persona")
    doc.text("{{ scheda.punto_vista_persona or 'Non rilevato.' }}")
    doc.heading("Modifiche al progetto")
    doc.para("Sono necessarie modifiche al progetto: **{{ scheda.modifiche_necessarie }}**.")
    doc.field_text("Modifiche concordate", "scheda.modifiche_progetto")
    doc.para("**Prossima verifica:** {{ scheda.prossima_verifica }}", before=6)
    doc.para("Letto, confermato e sottoscritto.", before=8)
    doc.signature("L'operatore", "{{ scheda.operatore or operatore.nome }}",
                  place_date="Data {{ scheda.data_monitoraggio }}")
    return doc


def relazione_valutazione_finale() -> WordTemplate:
    doc = WordTemplate("Relazione di valutazione finale")
    doc.protocol()
    doc.title("RELAZIONE DI VALUTAZIONE FINALE", "del progetto individualizzato – "
              "{{ scheda.data_valutazione }}")
    doc.subject(f"valutazione finale del progetto di {NAME}, {BORN}.")
    doc.facts([
        ("Data della valutazione", "{{ scheda.data_valutazione }}"),
        ("Operatore", "{{ scheda.operatore }}", "scheda.operatore"),
        ("Progetto valutato", "{{ schede.progetto_individualizzato.tipo_progetto }} del "
         "{{ schede.progetto_individualizzato.data_progetto }}",
         "schede.progetto_individualizzato"),
        ("Presa in carico dal", "{{ pratica.data_apertura }}", "pratica.data_apertura"),
    ])
    doc.heading("Esiti degli obiettivi")
    doc.grid(["Obiettivo", "Indicatore", "Esito", "Evidenze"],
             ["{{ o.obiettivo }}", "{{ o.indicatore }}", "**{{ o.esito }}**", "{{ o.evidenze }}"],
             "o in scheda.esiti_obiettivi", [5, 3.5, 2.8, 5.4])
    doc.para("Obiettivi raggiunti: **{{ scheda.obiettivi_raggiunti }}** – parzialmente "
             "raggiunti: **{{ scheda.obiettivi_parziali }}** – non raggiunti: "
             "**{{ scheda.obiettivi_non_raggiunti }}**.")
    doc.heading("Il punto di vista della persona e del caregiver")
    doc.field_text("La persona", "scheda.punto_vista_persona")
    doc.field_text("Il caregiver", "scheda.punto_vista_caregiver")
    doc.heading("Valutazione dell'operatore")
    doc.text("{{ scheda.valutazione_operatore or 'Non indicata.' }}")
    doc.heading("Esito del percorso")
    doc.para("**{{ scheda.esito_percorso }}**{% if scheda.data_esito %} dal "
             "{{ scheda.data_esito }}{% endif %}.")
    with doc.when("scheda.esito_percorso == 'chiusura'"):
        doc.para("Motivo della chiusura: {{ scheda.motivo_chiusura }}.")
        doc.field_text("Indicazioni dopo la chiusura", "scheda.indicazioni_dopo_chiusura")
    with doc.when("scheda.esito_percorso == 'riformulazione'"):
        doc.field_text("Nuovi bisogni per il nuovo progetto", "scheda.nuovi_bisogni")
    doc.signature("L'operatore", "{{ scheda.operatore or operatore.nome }}",
                  place_date="Data {{ scheda.data_valutazione }}")
    return doc


# --- Word: measures ----------------------------------------------------------------------------

B1_CONDITIONS = [
    ("a", "persone in condizione di coma, stato vegetativo oppure di minima coscienza, con "
          "punteggio nella Glasgow Coma Scale (GCS) ≤ 10",
     "{% if scheda.gcs_totale %}GCS {{ scheda.gcs_totale }}{% endif %}"),
    ("b", "persone dipendenti da ventilazione meccanica assistita o non invasiva continuativa "
          "(24 ore su 24, 7 giorni su 7)", "{{ scheda.ventilazione_tipo }}"),
    ("c", "persone con grave o gravissimo stato di demenza, con punteggio sulla scala Clinical "
          "Dementia Rating Scale (CDRS) ≥ 4", "{% if scheda.cdrs %}CDRS {{ scheda.cdrs }}{% endif %}"),
    ("d", "persone con lesioni spinali fra C0 e C5, con grado ASIA Impairment Scale (AIS) A o B",
     "{% if scheda.lesione_livello %}Livello {{ scheda.lesione_livello }}{% endif %}"
     "{% if scheda.asia_grado %}, ASIA {{ scheda.asia_grado }}{% endif %}"),
    ("e", "persone con gravissima compromissione motoria da patologia neurologica o muscolare: "
          "MRC ≤ 1 ai 4 arti, o EDSS ≥ 9, o stadio 5 di Hoehn e Yahr modificata",
     "{% if scheda.edss is not none %}EDSS {{ scheda.edss }}{% endif %}"
     "{% if scheda.hoehn_yahr %} H&Y {{ scheda.hoehn_yahr }}{% endif %}"),
    ("f", "persone con deprivazione sensoriale complessa: minorazione visiva grave e ipoacusia "
          "≥ 90 dB HTL nell'orecchio migliore",
     "{% if scheda.ipoacusia_db is not none %}{{ scheda.ipoacusia_db }} dB{% endif %}"),
    ("g", "persone con gravissima disabilità comportamentale dello spettro autistico, livello 3 "
          "DSM-5", "{{ scheda.autismo_livello }}"),
    ("h", "persone con disabilità intellettiva grave o profonda, QI ≤ 34 e LAPMER ≤ 8",
     "{% if scheda.qi is not none %}QI {{ scheda.qi }}{% endif %}"
     "{% if scheda.lapmer is not none %}, LAPMER {{ scheda.lapmer }}{% endif %}"),
    ("i", "ogni altra persona in condizione di dipendenza vitale che necessiti di assistenza "
          "continuativa e monitoraggio nelle 24 ore, 7 giorni su 7",
     "{{ scheda.domini_compromessi }}"),
]


def domanda_misura_b1() -> WordTemplate:
    doc = WordTemplate("Misura B1 – domanda e progetto individuale")
    doc.protocol()
    with doc.when("scheda.asst"):
        doc.addressee("Spett.le ASST {{ scheda.asst }}")
    doc.title("MISURA B1 – DISABILITÀ GRAVISSIMA", "Domanda e progetto individuale – anno "
              "{{ scheda.anno }} (Fondo per le Non Autosufficienze)")
    doc.heading("Domanda")
    doc.facts([
        ("Richiedente", "{{ scheda.richiedente_nome }} – {{ scheda.richiedente_ruolo }}"),
        ("Tipo di domanda", "{{ scheda.tipo_domanda }}", "scheda.tipo_domanda"),
        ("Data della domanda", "{{ scheda.data_domanda }}"),
        ("Beneficiario minorenne", "{{ scheda.minorenne }}", "scheda.minorenne is not none"),
        ("Vive al proprio domicilio", "{{ scheda.vive_al_domicilio }}"),
    ])
    doc.heading("Beneficiario")
    person_facts(doc)
    doc.heading("Condizione di disabilità gravissima (DM 26 settembre 2016, art. 3)")
    doc.text("Certificazione rilasciata da {{ scheda.certificatore }} in data "
             "{{ scheda.data_certificazione }}. Condizioni accertate:")
    _b1_conditions(doc)
    doc.heading("Situazione economica")
    doc.facts([
        ("ISEE", "**{{ scheda.isee }}**{% if scheda.isee_tipo %} – {{ scheda.isee_tipo }}"
         "{% endif %}"),
        ("DSU presentata il", "{{ scheda.data_dsu }}", "scheda.data_dsu"),
        ("Soglia applicabile", "{{ scheda.isee_soglia }}", "scheda.isee_soglia"),
        ("ISEE entro la soglia", "{{ scheda.isee_entro_soglia }}",
         "scheda.isee_entro_soglia is not none"),
    ])
    doc.heading("Esito dell'istruttoria")
    doc.para("Idoneità alla Misura B1: **{{ scheda.idoneita }}**")
    doc.text("{{ scheda.motivo_idoneita }}")
    _b1_supports(doc)
    _b1_goals(doc)
    doc.heading("Sottoscrizione", numbered=False)
    doc.text("Il richiedente dichiara di aver condiviso il presente progetto individuale e "
             "si impegna a comunicare ogni variazione della situazione del beneficiario.")
    doc.para("{{ scheda.luogo }}{% if scheda.luogo and scheda.data_firma %}, {% endif %}"
             "{{ scheda.data_firma }}", before=10)
    doc.signatures([("Il richiedente", "{{ scheda.richiedente_nome }}"),
                    ("L'ASST – il valutatore", "{{ scheda.valutatore }}"),
                    ("Il servizio sociale", OPERATOR)])
    return doc


def _b1_conditions(doc: WordTemplate) -> None:
    rows = [(f"{{{{ '{CHECKED}' if scheda.condizione_{key} else '{UNCHECKED}' }}}} {key})",
             text, detail) for key, text, detail in B1_CONDITIONS]
    table = doc._table(3, [1.4, 11.3, 4])
    head = table.add_row().cells
    for cell, label in zip(head, ["", "Condizione", "Rilevazione"], strict=True):
        _cell(cell, label, bold=True, fill=HEAD_FILL)
    for check, text, detail in rows:
        cells = table.add_row().cells
        _cell(cells[0], check, bold=True)
        _cell(cells[1], text)
        _cell(cells[2], detail)
    doc.para(after=2)
    doc.para("**Condizioni soddisfatte:** {{ scheda.condizioni_soddisfatte }}")


def _b1_supports(doc: WordTemplate) -> None:
    doc.heading("Sostegni richiesti")
    doc.facts([
        ("Buono mensile", "{{ scheda.buono_richiesto }}", "scheda.buono_richiesto"),
        ("Contratto dell'assistente personale", "{{ scheda.contratto_assistente }}",
         "scheda.contratto_assistente"),
        ("Importo mensile del buono", "{{ scheda.importo_buono }}", "scheda.importo_buono"),
        ("Voucher sociosanitario", "{{ scheda.voucher_richiesto }}{% if scheda.voucher_finalita "
         "%} – {{ scheda.voucher_finalita }}{% endif %}", "scheda.voucher_richiesto is not none"),
        ("Valore mensile del voucher", "{{ scheda.importo_voucher }}", "scheda.importo_voucher"),
        ("Totale mensile", "**{{ scheda.totale_mensile }}**"),
        ("Decorrenza", "{{ scheda.decorrenza }}", "scheda.decorrenza"),
    ])


def _b1_goals(doc: WordTemplate) -> None:
    with doc.when("schede.progetto_individualizzato"):
        doc.heading("Obiettivi del progetto individuale")
        doc.grid(["Obiettivo", "Indicatore", "Entro il"],
                 ["{{ o.obiettivo }}", "{{ o.indicatore }}", "{{ o.scadenza }}"],
                 "o in schede.progetto_individualizzato.obiettivi", [8.5, 6, 2.2])


# --- Word: courts --------------------------------------------------------------------------

TO_PM = "scheda.modalita_deposito == 'informativa_pm'"
TRIBUNALE = "{{ (scheda.tribunale or '')|replace('Tribunale di ', '')|upper }}"
BENEFICIARY = "{{ scheda.beneficiario_cognome }} {{ scheda.beneficiario_nome }}"


def ricorso_ads() -> WordTemplate:
    doc = WordTemplate("Ricorso per la nomina di amministratore di sostegno")
    _petition_heading(doc)
    doc.text(
        "Il/La sottoscritto/a **{{ scheda.ricorrente_nome }} {{ scheda.ricorrente_cognome }}**"
        "{% if scheda.ricorrente_qualita == 'responsabile_servizio' %}, "
        "{{ scheda.ricorrente_qualifica }}, con sede in {{ scheda.ricorrente_indirizzo }}"
        "{% else %}, nato/a a {{ scheda.ricorrente_luogo_nascita }} il "
        "{{ scheda.ricorrente_data_nascita }}{% if scheda.ricorrente_codice_fiscale %}, C.F. "
        "{{ scheda.ricorrente_codice_fiscale }}{% endif %}, residente in "
        "{{ scheda.ricorrente_indirizzo }}{% endif %}{% if scheda.ricorrente_telefono %}, tel. "
        "{{ scheda.ricorrente_telefono }}{% endif %}{% if scheda.ricorrente_email %}, email/PEC "
        "{{ scheda.ricorrente_email }}{% endif %}, in qualità di: {{ scheda.ricorrente_qualita }} "
        "({{ scheda.ricorrente_relazione }}),")
    doc.para("PREMESSO CHE", bold=True, align="center", before=6)
    doc.text(
        f"il/la sig./sig.ra **{BENEFICIARY}**, nato/a a {{{{ scheda.beneficiario_luogo_nascita }}}} "
        "il {{ scheda.beneficiario_data_nascita }}{% if scheda.beneficiario_codice_fiscale %}, "
        "C.F. {{ scheda.beneficiario_codice_fiscale }}{% endif %}, residente in "
        "{{ scheda.beneficiario_residenza_comune }}, {{ scheda.beneficiario_residenza_indirizzo }}"
        "{% if scheda.beneficiario_dimora %}, con dimora abituale in {{ scheda.beneficiario_dimora }}"
        "{% endif %}{% if scheda.beneficiario_ricoverato %}, attualmente ricoverato/a presso "
        "{{ scheda.beneficiario_ricoverato }}{% endif %} (di seguito «il beneficiario»), per "
        "effetto di un'infermità ovvero di una menomazione fisica o psichica, si trova "
        "nell'impossibilità, anche parziale o temporanea, di provvedere ai propri interessi "
        "(art. 404 c.c.), per i motivi che seguono,")
    _petition_facts(doc)
    _petition_request(doc)
    doc.heading("Allegati", numbered=False)
    doc.para("Si allegano:")
    with doc.each("code, label in scheda.allegati.options"):
        with doc.when("code in scheda.allegati"):
            doc.para("– {% if code == 'altro' and scheda.allegati_altro %}"
                     "{{ scheda.allegati_altro }}{% else %}{{ label }}{% endif %}",
                     indent=0.6, after=1)
    doc.signature("Il ricorrente", "{{ scheda.firmatario }}",
                  place_date="{{ scheda.luogo }}, {{ scheda.data_ricorso }}")
    with doc.when("scheda.referente_caso"):
        doc.para("Assistente sociale referente del caso: {{ scheda.referente_caso }} – "
                 "{{ ufficio.nome }}{% if ufficio.telefono %}, tel. {{ ufficio.telefono }}"
                 "{% endif %}{% if ufficio.pec %}, PEC {{ ufficio.pec }}{% endif %}", size=9,
                 before=10)
    return doc


def _petition_heading(doc: WordTemplate) -> None:
    """Protocol, addressee (the judge, or the prosecutor for an art. 406 report) and title."""
    doc.protocol()
    doc.tag(f"if {TO_PM}")
    doc.addressee("AL PUBBLICO MINISTERO", f"PRESSO IL TRIBUNALE DI {TRIBUNALE}")
    doc.tag("else")
    doc.addressee("AL GIUDICE TUTELARE", f"DEL TRIBUNALE DI {TRIBUNALE}")
    doc.tag("endif")
    doc.title("RICORSO PER LA NOMINA DI AMMINISTRATORE DI SOSTEGNO",
              "(artt. 404 e seguenti del codice civile)")
    with doc.when(TO_PM):
        doc.para("Informativa del servizio che ha in cura la persona (art. 406, comma 3, c.c.)",
                 bold=True, align="center")
    with doc.when("scheda.urgente"):
        doc.para("CON RICHIESTA DI PROVVEDIMENTI URGENTI (art. 405, comma 4, c.c.)", bold=True,
                 align="center", after=10)


def _petition_facts(doc: WordTemplate) -> None:
    doc.heading("Motivi")
    doc.text("{{ scheda.motivi }}")
    doc.field_text("Situazione familiare e sociale", "scheda.situazione_sociale")
    doc.field_text("Situazione reddituale e patrimoniale", "scheda.situazione_patrimoniale")
    doc.field_text("Opinione del beneficiario", "scheda.posizione_beneficiario")
    doc.heading("Parenti e conviventi (art. 407 c.c.)")
    doc.text("Ai sensi dell'art. 407 c.c. si indicano il coniuge, i discendenti, gli ascendenti, "
             "i fratelli e le sorelle e i conviventi del beneficiario, per quanto noti:")
    doc.grid(["Nome e cognome", "Relazione", "Indirizzo", "Telefono"],
             ["{{ r.nome_cognome }}", "{{ r.parentela }}", "{{ r.indirizzo }}",
              "{{ r.telefono }}"], "r in scheda.parenti", [4.6, 3.4, 5.9, 2.8],
             empty="Non risultano parenti o conviventi noti.")
    doc.field_text("Note", "scheda.parenti_note")
    _petition_hearing_and_administrator(doc)


def _petition_hearing_and_administrator(doc: WordTemplate) -> None:
    doc.heading("Audizione del beneficiario")
    doc.tag("if scheda.beneficiario_trasportabile == false")
    doc.text("Il beneficiario non può recarsi presso l'Ufficio del Giudice Tutelare "
             "({{ scheda.motivo_non_trasportabile }}): si chiede che sia sentito nel luogo in cui "
             "si trova (art. 407, comma 2, c.c.).")
    doc.tag("elif scheda.beneficiario_trasportabile")
    doc.text("Il beneficiario può recarsi presso l'Ufficio del Giudice Tutelare per essere "
             "sentito personalmente (art. 407, comma 2, c.c.).")
    doc.tag("else")
    doc.text("Si chiede che il beneficiario sia sentito personalmente, eventualmente nel luogo "
             "in cui si trova (art. 407, comma 2, c.c.).")
    doc.tag("endif")
    doc.heading("Amministratore di sostegno proposto")
    doc.tag("if scheda.proposta_amministratore")
    doc.text("Si propone la nomina di **{{ scheda.amministratore_nome }}**"
             "{% if scheda.amministratore_relazione %}, {{ scheda.amministratore_relazione }}"
             "{% endif %}{% if scheda.amministratore_indirizzo %}, residente in "
             "{{ scheda.amministratore_indirizzo }}{% endif %}{% if scheda.amministratore_telefono"
             " %}, tel. {{ scheda.amministratore_telefono }}{% endif %}"
             "{% if scheda.amministratore_disponibile %}, che ha dichiarato la propria "
             "disponibilità ad assumere l'incarico{% endif %} (art. 408 c.c.).")
    doc.tag("else")
    doc.text("Il ricorrente non propone una persona determinata e si rimette alla scelta del "
             "Giudice Tutelare secondo i criteri dell'art. 408 c.c.")
    doc.tag("endif")


def _petition_request(doc: WordTemplate) -> None:
    doc.para("Tutto ciò premesso, il/la sottoscritto/a", before=8)
    doc.tag(f"if {TO_PM}")
    doc.para("SEGNALA E CHIEDE", bold=True, align="center")
    doc.text(f"che il Pubblico Ministero, valutati i fatti esposti, proponga ricorso al Giudice "
             f"Tutelare per la nomina di un amministratore di sostegno in favore di "
             f"**{BENEFICIARY}** (artt. 406 e 417 c.c.), con il compito di compiere in nome e "
             "per conto del beneficiario, o di assisterlo nel compiere, in particolare i "
             "seguenti atti:")
    doc.tag("else")
    doc.para("CHIEDE", bold=True, align="center")
    doc.text(f"che la S.V. Ill.ma, sentito il beneficiario e assunte le necessarie informazioni, "
             f"voglia nominare un amministratore di sostegno in favore di **{BENEFICIARY}**, "
             "indicando gli atti che l'amministratore ha il potere di compiere in nome e per "
             "conto del beneficiario e quelli che il beneficiario può compiere solo con la sua "
             "assistenza (art. 405, comma 5, c.c.), tra i quali in particolare:")
    doc.tag("endif")
    doc.checkboxes("scheda.atti_richiesti")
    doc.field_text("Descrizione degli atti e urgenze specifiche", "scheda.atti_descrizione")
    with doc.when("scheda.atti_in_autonomia"):
        doc.text("Si chiede che il beneficiario conservi la capacità di compiere da solo i "
                 "seguenti atti (art. 409 c.c.): {{ scheda.atti_in_autonomia }}")
    with doc.when("scheda.urgente"):
        doc.text("Si chiede altresì che siano adottati i provvedimenti urgenti per la cura della "
                 "persona e per la conservazione e l'amministrazione del suo patrimonio, "
                 "nominando se del caso un amministratore di sostegno provvisorio (art. 405, "
                 "comma 4, c.c.), per i seguenti motivi:")
        doc.text("{{ scheda.motivazione_urgenza }}")


PROCURA = ("{{ ((scheda.procura_altra if scheda.procura == 'altra' else "
           "scheda.procura|etichetta) or '')|upper }}")
MINOR = "{{ scheda.minore_cognome }} {{ scheda.minore_nome }}"


def segnalazione_tm() -> WordTemplate:
    doc = WordTemplate("Segnalazione alla Procura presso il Tribunale per i Minorenni")
    _report_addressee(doc)
    doc.title("SEGNALAZIONE DI MINORE IN SITUAZIONE DI PREGIUDIZIO")
    doc.subject(f"segnalazione relativa al/la minore **{MINOR}**, nato/a a "
                "{{ scheda.minore_luogo_nascita }} il {{ scheda.minore_data_nascita }}"
                "{% if scheda.procedimento_pendente %} – procedimento già pendente: "
                "{{ scheda.procedimento_pendente }}{% endif %}.")
    doc.text("Il servizio {{ scheda.servizio }} segnala alla S.V. la situazione del/la minore "
             "sotto indicato/a, per le valutazioni e le iniziative di competenza.")
    with doc.when("scheda.intervento_403"):
        _urgent_placement(doc)
    _minor_and_parents(doc)
    doc.heading("Fatti rilevati")
    doc.grid(["Data", "Fatto", "Fonte"], ["{{ f.data }}", "{{ f.fatto }}", "{{ f.fonte }}"],
             "f in scheda.fatti", [2.3, 10, 4.4])
    doc.field_text("Ascolto del/la minore", "scheda.ascolto_minore")
    doc.heading("Interventi già attuati dal servizio")
    doc.text("{{ scheda.interventi_attuati }}")
    doc.heading("Risposta della famiglia")
    with doc.when("scheda.risposta_famiglia_livello"):
        doc.para("{{ scheda.risposta_famiglia_livello|caselle }}")
    doc.text("{{ scheda.risposta_famiglia }}")
    doc.heading("Valutazione del rischio")
    doc.para("Livello di rischio:   {{ scheda.livello_rischio|caselle }}")
    doc.text("{{ scheda.motivazione_rischio }}")
    doc.field_text("Fattori di protezione", "scheda.fattori_protezione")
    doc.heading("Richiesta")
    doc.text("Per quanto esposto, si chiede alla S.V. di valutare:")
    doc.checkboxes("scheda.richieste")
    doc.para("{{ scheda.richiesta }}", align="justify", before=6)
    doc.text("Si resta a disposizione per ogni ulteriore informazione e si trasmette la "
             "documentazione disponibile.")
    doc.signature("Per il servizio {{ scheda.servizio }}", "{{ scheda.operatori }}", OPERATOR,
                  place_date="{{ scheda.luogo }}, {{ scheda.data_segnalazione }}")
    return doc


def _report_addressee(doc: WordTemplate) -> None:
    """Protocol, the prosecutor's office, copies, and the art. 403 banner when urgent."""
    doc.protocol()
    doc.addressee("ALLA PROCURA DELLA REPUBBLICA",
                  f"PRESSO IL TRIBUNALE PER I MINORENNI DI {PROCURA}")
    with doc.when("scheda.per_conoscenza"):
        doc.para("e p.c. {{ scheda.per_conoscenza }}", indent=8.5, after=8)
    with doc.when("scheda.intervento_403"):
        urgent = doc.para("URGENTE – COLLOCAMENTO IN LUOGO SICURO AI SENSI DELL'ART. 403 C.C.",
                          bold=True, align="center", after=8)
        for side in ("top", "bottom"):
            _border(urgent, side)


def _urgent_placement(doc: WordTemplate) -> None:
    doc.heading("Intervento urgente ai sensi dell'art. 403 c.c.", numbered=False)
    doc.text("Si comunica che in data **{{ scheda.data_provvedimento }}**"
             "{% if scheda.ora_provvedimento %} alle ore {{ scheda.ora_provvedimento }}{% endif %}"
             " {{ scheda.autorita_provvedimento }} ha disposto, ai sensi dell'art. 403 c.c., il "
             "collocamento del/la minore in luogo sicuro ({{ scheda.luogo_collocamento }}), "
             "trovandosi il/la minore esposto/a, nell'ambiente familiare, a grave pregiudizio e "
             "pericolo per la propria incolumità psico-fisica, con emergenza di provvedere.")
    doc.text("{% if scheda.avviso_orale_pm %}Del provvedimento è stato dato immediato avviso "
             "orale a codesto Ufficio{% if scheda.ora_avviso_pm %} alle ore "
             "{{ scheda.ora_avviso_pm }}{% endif %}. {% endif %}La presente relazione, con il "
             "provvedimento e la documentazione utile, è trasmessa entro le ventiquattro ore dal "
             "collocamento, come previsto dall'art. 403 c.c., per la richiesta di convalida al "
             "Tribunale per i Minorenni nelle successive settantadue ore.")


def _minor_and_parents(doc: WordTemplate) -> None:
    doc.heading("Il/la minore")
    doc.facts([
        ("Cognome e nome", f"**{MINOR}**"),
        ("Luogo e data di nascita", "{{ scheda.minore_luogo_nascita }}, "
         "{{ scheda.minore_data_nascita }}"),
        ("Codice fiscale", "{{ scheda.minore_codice_fiscale }}", "scheda.minore_codice_fiscale"),
        ("Cittadinanza", "{{ scheda.minore_cittadinanza }}", "scheda.minore_cittadinanza"),
        ("Residenza", "{{ scheda.minore_residenza }}{% if scheda.minore_comune %}, "
         "{{ scheda.minore_comune }}{% endif %}", "scheda.minore_residenza or scheda.minore_comune"),
        ("Domicilio", "{{ scheda.minore_domicilio }}", "scheda.minore_domicilio"),
        ("Scuola", "{{ scheda.minore_scuola }}", "scheda.minore_scuola"),
        ("Vive attualmente", "{{ scheda.minore_collocamento }}", "scheda.minore_collocamento"),
    ])
    doc.heading("Genitori ed esercenti la responsabilità genitoriale")
    doc.grid(["Ruolo", "Cognome e nome", "Nascita", "Residenza e recapito",
              "Responsabilità genitoriale"],
             ["{{ g.ruolo }}", "**{{ g.cognome }} {{ g.nome }}**",
              "{{ g.luogo_nascita }}{% if g.data_nascita %} {{ g.data_nascita }}{% endif %}",
              "{{ g.residenza }}{% if g.telefono %} – tel. {{ g.telefono }}{% endif %}",
              "{{ g.responsabilita_genitoriale }}"],
             "g in scheda.genitori", [2, 3.8, 3.4, 4.5, 3])
    doc.field_text("Altri familiari e persone significative", "scheda.altri_familiari")


AUTHORITIES = [
    ("tribunale_minorenni", "AL TRIBUNALE PER I MINORENNI DI {sede}"),
    ("procura_minorenni", "ALLA PROCURA DELLA REPUBBLICA PRESSO IL TRIBUNALE PER I MINORENNI "
                          "DI {sede}"),
    ("giudice_tutelare", "AL GIUDICE TUTELARE DEL TRIBUNALE DI {sede}"),
    ("tribunale_ordinario", "AL TRIBUNALE DI {sede}"),
    ("procura_ordinaria", "ALLA PROCURA DELLA REPUBBLICA PRESSO IL TRIBUNALE DI {sede}"),
    ("arp", "ALL'AUTORITÀ REGIONALE DI PROTEZIONE – {sede}"),
]
SEDE = "{{ (scheda.sede_autorita or '')|replace('Tribunale di ', '')|upper }}"


def relazione_aggiornamento_ag() -> WordTemplate:
    doc = WordTemplate("Relazione di aggiornamento all'Autorità Giudiziaria")
    doc.protocol()
    for index, (code, line) in enumerate(AUTHORITIES):
        doc.tag(f"{'if' if index == 0 else 'elif'} scheda.autorita == '{code}'")
        doc.para(line.format(sede=SEDE), bold=True, indent=8.5, after=0)
    doc.tag("else")
    doc.para(SEDE, bold=True, indent=8.5, after=0)
    doc.tag("endif")
    with doc.when("scheda.giudice"):
        doc.para("alla c.a. del Giudice {{ scheda.giudice }}", indent=8.5, after=0)
    doc.para(after=6)
    doc.para("**Proc. n. {{ scheda.numero_rg }}**{% if scheda.provvedimento_riferimento %} – "
             "{{ scheda.provvedimento_riferimento }}{% endif %}")
    doc.title("RELAZIONE DI AGGIORNAMENTO", "{{ scheda.motivo_relazione }}{% if "
              "scheda.motivo_relazione %} – {% endif %}periodo dal {{ scheda.periodo_dal }} al "
              "{{ scheda.periodo_al }}")
    doc.subject(f"relazione di aggiornamento relativa a **{NAME}**, {BORN}, residente in "
                f"{RESIDENCE}.")
    doc.text("In riferimento al procedimento in oggetto, si trasmette la relazione del servizio "
             "sull'andamento della situazione nel periodo dal {{ scheda.periodo_dal }} al "
             "{{ scheda.periodo_al }}{% if scheda.giorni_periodo %} ({{ scheda.giorni_periodo }}"
             " giorni){% endif %}.")
    doc.field_text("Fonti e metodologia", "scheda.fonti")
    doc.heading("Situazione attuale")
    doc.text("{{ scheda.situazione_attuale }}")
    doc.heading("Interventi svolti nel periodo")
    doc.text("{{ scheda.interventi_svolti }}")
    doc.heading("Esiti")
    doc.text("{{ scheda.esiti }}")
    doc.field_text("Il punto di vista degli interessati", "scheda.punto_vista_interessati")
    doc.heading("Valutazione e proposte")
    doc.text("{{ scheda.proposte }}")
    doc.text("Si resta a disposizione per ogni chiarimento e ci si riserva di informare "
             "tempestivamente codesta Autorità di ogni fatto rilevante.")
    doc.signature("Gli operatori", "{{ scheda.estensori }}", OPERATOR,
                  place_date="{{ scheda.luogo }}, {{ scheda.data_relazione }}")
    return doc


WORD_TEMPLATES = {
    "relazione_sociale": relazione_sociale,
    "progetto_individualizzato": progetto_individualizzato,
    "verbale_monitoraggio": verbale_monitoraggio,
    "relazione_valutazione_finale": relazione_valutazione_finale,
    "domanda_misura_b1": domanda_misura_b1,
    "ricorso_ads": ricorso_ads,
    "segnalazione_tm": segnalazione_tm,
    "relazione_aggiornamento_ag": relazione_aggiornamento_ag,
}


# --- Excel -----------------------------------------------------------------------------------

EURO = '#,##0.00 [$€-410];-#,##0.00 [$€-410]'
DATE = "DD/MM/YYYY"
THIN = Side(style="thin", color="9AA5B1")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
XL_HEAD = PatternFill("solid", fgColor=HEAD_FILL)
XL_TOTAL = PatternFill("solid", fgColor=LABEL_FILL)


def _workbook(title: str) -> Workbook:
    book = Workbook()
    book.properties.title, book.properties.creator = title, "Cartella"
    book.properties.description = GENERATED
    return book


def _xl_title(sheet, text: str, last_column: str, subtitle: str = "") -> None:
    sheet.merge_cells(f"A1:{last_column}1")
    sheet["A1"] = text
    sheet["A1"].font = Font(name=FONT, size=14, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 26
    if subtitle:
        sheet.merge_cells(f"A2:{last_column}2")
        sheet["A2"] = subtitle
        sheet["A2"].font = Font(name=FONT, size=10, italic=True)
        sheet["A2"].alignment = Alignment(horizontal="center")


def _xl_row(sheet, row: int, values: list, *, bold=False, fill=None, formats=None,
            wrap=True) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column, value=value)
        cell.font = Font(name=FONT, size=10, bold=bold)
        cell.border = BOX
        cell.alignment = Alignment(vertical="top", wrap_text=wrap)
        if fill:
            cell.fill = fill
        if formats and formats[column - 1]:
            cell.number_format = formats[column - 1]


def _xl_print(sheet, header_row: int, last_column: str) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.oddFooter.center.text = "Pagina &P di &N"
    sheet.oddFooter.right.text = "&D"
    sheet.page_margins.left = sheet.page_margins.right = 0.5


PLAN_COLUMNS = [  # header, placeholder or formula of the repeating row, width, format
    ("Intervento", "{% for r in scheda.interventi %}{{ r.tipo }}", 26, None),
    ("Descrizione", "{{ r.descrizione }}", 30, None),
    ("Erogatore", "{{ r.erogatore }}", 22, None),
    ("Frequenza", "{{ r.frequenza }}", 16, None),
    ("Dal", "{{ r.dal }}", 11, DATE),
    ("Al", "{{ r.al }}", 11, DATE),
    ("Costo mensile", "{{ r.costo_mensile }}", 14, EURO),
    ("Fonte di finanziamento", "{{ r.fonte }}", 26, None),
    ("Mesi", '=IF(OR(E{r}="",F{r}=""),"",IFERROR(DATEDIF(E{r},F{r}+1,"m"),""))', 7, "0"),
    ("Costo del periodo", '=IF(I{r}="","",G{r}*I{r})', 15, EURO),
]
PLAN_ROW = 8  # the facts above, a blank row, the header, then the repeating row


def piano_economico(path: Path, sources: list[str]) -> None:
    """The budget of a plan: one row per intervention, totals and a summary by funding source."""
    book = _workbook("Piano economico del progetto")
    sheet = book.active
    sheet.title = "Piano economico"
    _xl_title(sheet, "PIANO ECONOMICO DEL PROGETTO INDIVIDUALIZZATO", "J", "{{ ufficio.nome }}")
    facts = [("Persona", "{{ persona.cognome }} {{ persona.nome }}", "Codice fiscale",
              "{{ persona.codice_fiscale }}"),
             ("Progetto del", "{{ scheda.data_progetto }}", "Case manager",
              "{{ scheda.case_manager }}"),
             ("Verifica entro il", "{{ scheda.data_verifica }}", "Documento del", "{{ oggi }}")]
    for offset, (label1, value1, label2, value2) in enumerate(facts):
        row = 3 + offset
        for column, value, bold in ((1, label1, True), (2, value1, False), (4, label2, True),
                                    (5, value2, False)):
            cell = sheet.cell(row=row, column=column, value=value)
            cell.font = Font(name=FONT, size=10, bold=bold)
            cell.alignment = Alignment(horizontal="left")
            if value in ("{{ scheda.data_progetto }}", "{{ scheda.data_verifica }}", "{{ oggi }}"):
                cell.number_format = DATE
        sheet.merge_cells(start_row=row, start_column=5, end_row=row, end_column=7)
    header = PLAN_ROW - 1
    _xl_row(sheet, header, [c[0] for c in PLAN_COLUMNS], bold=True, fill=XL_HEAD)
    sheet.row_dimensions[header].height = 28
    _xl_row(sheet, PLAN_ROW, [c[1].format(r=PLAN_ROW) if c[1].startswith("=") else c[1]
                              for c in PLAN_COLUMNS],
            formats=[c[3] for c in PLAN_COLUMNS])
    sheet.row_dimensions[PLAN_ROW].height = 40  # copied to every row: room for three lines
    total = PLAN_ROW + 1
    _xl_row(sheet, total, ["Totale", None, None, None, None, None,
                           f"=SUM(G{PLAN_ROW}:G{PLAN_ROW})", None, None,
                           f"=SUM(J{PLAN_ROW}:J{PLAN_ROW})"],
            bold=True, fill=XL_TOTAL, formats=[c[3] for c in PLAN_COLUMNS])
    _plan_summary(sheet, total + 2, sources)
    for index, column in enumerate(PLAN_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column[2]
    _xl_print(sheet, header, "J")
    book.save(path)


def _plan_summary(sheet, top: int, sources: list[str]) -> None:
    """Budget by source: SUMIF over the intervention rows, beside the plan's own figure."""
    sheet.merge_cells(start_row=top, start_column=1, end_row=top, end_column=3)
    sheet.cell(row=top, column=1, value="Budget per fonte di finanziamento").font = Font(
        name=FONT, size=11, bold=True)
    head = top + 1
    _xl_row(sheet, head, ["Fonte di finanziamento", "Costo mensile", "Costo del periodo"],
            bold=True, fill=XL_HEAD)
    for offset, source in enumerate(sources, start=1):
        row = head + offset
        _xl_row(sheet, row, [
            source,
            f"=SUMIF($H${PLAN_ROW}:$H${PLAN_ROW},A{row},$G${PLAN_ROW}:$G${PLAN_ROW})",
            f"=SUMIF($H${PLAN_ROW}:$H${PLAN_ROW},A{row},$J${PLAN_ROW}:$J${PLAN_ROW})",
        ], formats=[None, EURO, EURO])
    last = head + len(sources)
    _xl_row(sheet, last + 1, ["Totale", f"=SUM(B{head + 1}:B{last})",
                              f"=SUM(C{head + 1}:C{last})"],
            bold=True, fill=XL_TOTAL, formats=[None, EURO, EURO])
    _xl_row(sheet, last + 2, ["Totale mensile dal progetto", "{{ scheda.budget_totale }}",
                              f"=B{last + 1}-B{last + 2}"], formats=[None, EURO, EURO])
    sheet.cell(row=last + 3, column=1, value="La terza colonna dell'ultima riga è la differenza "
               "tra i totali: deve essere zero.").font = Font(name=FONT, size=8, italic=True)


B1_COLUMNS = [  # header, placeholder or formula of the repeating row, width, format
    ("N.", "=ROW()-{first}", 5, "0"),
    ("Cognome", "{% for p in pratiche %}{{ p.persona.cognome }}", 16, None),
    ("Nome", "{{ p.persona.nome }}", 14, None),
    ("Codice fiscale", "{{ p.persona.codice_fiscale }}", 19, None),
    ("Data di nascita", "{{ p.persona.data_nascita }}", 12, DATE),
    ("Comune di residenza", "{{ p.persona.comune_residenza }}", 16, None),
    ("Anno", "{{ p.schede.misura_b1.anno }}", 7, "0"),
    ("Data domanda", "{{ p.schede.misura_b1.data_domanda }}", 12, DATE),
    ("Tipo di domanda", "{{ p.schede.misura_b1.tipo_domanda }}", 16, None),
    ("Condizioni DM 26/9/2016 art. 3", "{{ p.schede.misura_b1.condizioni_soddisfatte }}", 44,
     None),
    ("ISEE", "{{ p.schede.misura_b1.isee }}", 13, EURO),
    ("Tipo di ISEE", "{{ p.schede.misura_b1.isee_tipo }}", 15, None),
    ("Idoneità", "{{ p.schede.misura_b1.idoneita }}", 9, None),
    ("Buono richiesto", "{{ p.schede.misura_b1.buono_richiesto }}", 24, None),
    ("Importo buono mensile", "{{ p.schede.misura_b1.importo_buono }}", 13, EURO),
    ("Voucher mensile", "{{ p.schede.misura_b1.importo_voucher }}", 13, EURO),
    ("Totale mensile", "{{ p.schede.misura_b1.totale_mensile }}", 13, EURO),
    ("Decorrenza", "{{ p.schede.misura_b1.decorrenza }}", 12, DATE),
    ("Case manager", "{{ p.pratica.case_manager }}", 18, None),
]
B1_ROW = 5


def rendicontazione_b1(path: Path) -> None:
    """The periodic B1 report to the Region: one row per beneficiary, with totals."""
    book = _workbook("Rendicontazione Misura B1")
    sheet = book.active
    sheet.title = "Beneficiari B1"
    last = get_column_letter(len(B1_COLUMNS))
    _xl_title(sheet, "MISURA B1 – RENDICONTAZIONE DEI BENEFICIARI", last,
              "{{ ufficio.nome }}{% if periodo and periodo.dal %} – dal {{ periodo.dal }}"
              "{% endif %}{% if periodo and periodo.al %} al {{ periodo.al }}{% endif %}"
              " – estrazione del {{ oggi|data }}")
    header = B1_ROW - 1
    _xl_row(sheet, header, [c[0] for c in B1_COLUMNS], bold=True, fill=XL_HEAD)
    sheet.row_dimensions[header].height = 28
    _xl_row(sheet, B1_ROW, [c[1].format(first=header) if c[1].startswith("=") else c[1]
                            for c in B1_COLUMNS], formats=[c[3] for c in B1_COLUMNS])
    sheet.row_dimensions[B1_ROW].height = 54  # copied to every row: room for four lines
    total = B1_ROW + 1
    values = ["Totale", f"=COUNTA(B{B1_ROW}:B{B1_ROW})"] + [None] * (len(B1_COLUMNS) - 2)
    values[12] = f'=COUNTIF(M{B1_ROW}:M{B1_ROW},"Sì")'
    for column in "OPQ":
        index = ord(column) - ord("A")
        values[index] = f"=SUM({column}{B1_ROW}:{column}{B1_ROW})"
    formats = [None, "0"] + [c[3] for c in B1_COLUMNS[2:]]
    formats[12] = "0"
    _xl_row(sheet, total, values, bold=True, fill=XL_TOTAL, formats=formats)
    notes = [("Beneficiari", f"=B{total}", "0"), ("di cui idonei", f"=M{total}", "0"),
             ("Spesa mensile complessiva", f"=Q{total}", EURO),
             ("Spesa annua stimata (× 12)", f"=Q{total}*12", EURO)]
    for offset, (label, formula, fmt) in enumerate(notes, start=2):
        _xl_row(sheet, total + offset, [None, label, None, formula], wrap=False,
                formats=[None, None, None, fmt])
        sheet.cell(row=total + offset, column=2).font = Font(name=FONT, size=10, bold=True)
        sheet.merge_cells(start_row=total + offset, start_column=2, end_row=total + offset,
                          end_column=3)
    for index, column in enumerate(B1_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column[2]
    _xl_print(sheet, header, last)
    book.save(path)


def fund_sources() -> list[str]:
    """The labels of the plan's funding sources, as the repeating rows print them."""
    from app.definitions import load_library

    form = load_library(ROOT / "forms").forms["progetto_individualizzato"]
    fonte = next(f for f in form.fields["interventi"].fields if f.id == "fonte")
    return [choice.label.it for choice in fonte.choices]


FIXED_TIME = (2026, 1, 1, 0, 0, 0)
CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def reproducible(path: Path) -> None:
    """Same content, same bytes: fixed dates in the zip and in docProps, so git shows only
    real changes and a document archive's template hash stays put."""
    with zipfile.ZipFile(path) as source:
        items = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w") as target:
        for name, data in items:
            if name == "docProps/core.xml":
                data = CORE_DATES.sub(rb"\g<1>2026-01-01T00:00:00Z\3", data)
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)


def build_all(root: Path = ROOT) -> list[Path]:
    """Write every template under root/doc_templates and root/spreadsheets."""
    (root / "doc_templates").mkdir(parents=True, exist_ok=True)
    (root / "spreadsheets").mkdir(parents=True, exist_ok=True)
    built = []
    for name, build in WORD_TEMPLATES.items():
        built.append(root / "doc_templates" / f"{name}.docx")
        build().save(built[-1])
    built.append(root / "spreadsheets" / "piano_economico.xlsx")
    piano_economico(built[-1], fund_sources())
    built.append(root / "spreadsheets" / "rendicontazione_b1.xlsx")
    rendicontazione_b1(built[-1])
    for path in built:
        reproducible(path)
    return built


def main() -> None:
    for path in build_all():
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
