"""Finding the header row and matching columns to fields: by id, label, aliases, then fuzzily."""

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from ..definitions import Form, fieldtypes

PERSON_TARGETS = {
    "persona.codice_fiscale": ("Codice fiscale", ["cf", "c f", "cod fiscale", "cod fisc",
                                                  "codice fiscale", "codicefiscale", "c.f."]),
    "persona.cognome": ("Cognome", ["cognome", "surname"]),
    "persona.nome": ("Nome", ["nome", "nome di battesimo"]),
    "persona.cognome_nome": ("Cognome e nome", ["cognome e nome", "cognome nome", "nominativo",
                                                "beneficiario", "utente", "assistito"]),
    "persona.sesso": ("Sesso", ["sesso", "genere", "m f"]),
    "persona.data_nascita": ("Data di nascita", ["data di nascita", "data nascita", "nato il",
                                                 "nata il", "nato a il", "dn"]),
    "persona.luogo_nascita": ("Luogo di nascita", ["luogo di nascita", "nato a", "comune di "
                                                   "nascita"]),
    "persona.cittadinanza": ("Cittadinanza", ["cittadinanza", "nazionalita"]),
    "persona.comune_residenza": ("Comune di residenza", ["comune di residenza", "comune",
                                                         "residenza", "citta"]),
    "persona.indirizzo": ("Indirizzo", ["indirizzo", "via", "indirizzo di residenza"]),
    "persona.telefono": ("Telefono", ["telefono", "tel", "cellulare", "recapito telefonico"]),
    "persona.email": ("Email", ["email", "e mail", "posta elettronica"]),
}
IDENTITY = {"persona.codice_fiscale", "persona.cognome", "persona.nome", "persona.data_nascita",
            "persona.cognome_nome"}
ENTRY_ID = "id_scheda"
THRESHOLD = 85


def normalize(text) -> str:
    """'Cod. Fiscale ' -> 'cod fiscale'; accents, case and punctuation do not matter."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


# Abbreviations registers use in headers ("Com_Nascita", "Cod. Fisc.", "N. figli"), and
# the little words headers drop ("Data nascita" for "Data di nascita"): both sides of a
# header match are read through them (match_key).
ABBREVIATIONS = {
    "com": "comune", "nasc": "nascita", "res": "residenza", "resid": "residenza",
    "cod": "codice", "fisc": "fiscale", "tel": "telefono", "cell": "cellulare",
    "ind": "indirizzo", "dt": "data", "naz": "nazionalita", "citt": "cittadinanza",
    "num": "numero", "nr": "numero", "n": "numero", "prov": "provincia", "sost": "sostegno",
    "tipol": "tipologia", "descr": "descrizione",
}
LITTLE_WORDS = {"di", "del", "della", "dello", "dei", "degli", "delle", "d"}


def match_key(text) -> str:
    """How a header is compared: normalised, camelCase split, abbreviations spelt out and
    little words dropped: 'Com_Nascita' and 'ComNascita' -> 'comune nascita'."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(text))
    words = (ABBREVIATIONS.get(w, w) for w in normalize(spaced).split())
    return " ".join(w for w in words if w not in LITTLE_WORDS)


@dataclass
class Target:
    """Where a column can go: a person field, a field of the form, or the entry id."""

    key: str
    label: str
    names: set[str]


def targets(form: Form, hidden: Collection[str] = ()) -> list[Target]:
    """Every destination of a column for this form, but the fields in `hidden` (those of
    sensitive sections, for a role that may not see them)."""
    result = [Target(key, label, {normalize(label), normalize(key.split(".")[1]),
                                  *map(normalize, aliases)})
              for key, (label, aliases) in PERSON_TARGETS.items()]
    result.append(Target(ENTRY_ID, "Id della scheda (esportazione)", {"id scheda", "id_scheda",
                                                                       "idscheda"}))
    for fid, f in form.fields.items():
        kind = fieldtypes.get(f.type)
        if not kind.has_input or f.type == "repeat" or fid in hidden:
            continue
        names = {normalize(fid), normalize(f.label_text()), *map(normalize, f.aliases)}
        if f.label and f.label.en:
            names.add(normalize(f.label.en))
        result.append(Target(fid, f.label_text(), names))
    return result


@dataclass
class Match:
    """A suggested destination for a column, with how sure the match is (0-100)."""

    column: int
    header: str
    target: str | None
    score: float
    how: str = ""


@dataclass
class Layout:
    """Where the header is, which rows are data, and the suggested mapping."""

    header_row: int
    data_rows: list[int]
    matches: list[Match]
    skipped: dict = field(default_factory=dict)
    set_aside: list[tuple[int, str]] = field(default_factory=list)  # (row, why): totals, notes

    @property
    def mapping(self) -> dict[int, str]:
        return {m.column: m.target for m in self.matches if m.target}

    @property
    def ignored(self) -> list[Match]:
        return [m for m in self.matches if not m.target]


EXPLICIT_ID = re.compile(r"\[([A-Za-z0-9_.]+)\]\s*$")


def match_headers(headers: list, candidates: list[Target]) -> list[Match]:
    """Each header to its best destination; a destination goes to one column only.

    'Vestirsi [katz_vestirsi]' names its field outright: the export writes such headers
    where two fields share a label, so that the file imports back into the same fields.
    """
    index: dict[str, str] = {}
    for target in candidates:
        for name in map(match_key, target.names):
            # Who the row is about comes first: a form's own 'Codice fiscale' (the minor's,
            # the beneficiary's) must not leave every row without its person.
            if name and index.get(name) not in IDENTITY:
                index[name] = target.key
    keys = {t.key for t in candidates}
    choices = list(index)
    proposals = []
    for column, header in enumerate(headers):
        text = match_key(header) if header not in (None, "") else ""
        if not text:
            continue
        explicit = EXPLICIT_ID.search(str(header))
        if explicit and explicit.group(1) in keys:
            proposals.append(Match(column, str(header), explicit.group(1), 100.0, "id"))
            continue
        if text in index:
            proposals.append(Match(column, str(header), index[text], 100.0, "esatto"))
            continue
        found = process.extractOne(text, choices, scorer=fuzz.token_sort_ratio,
                                   score_cutoff=THRESHOLD)
        if found:
            proposals.append(Match(column, str(header), index[found[0]], float(found[1]),
                                   "simile"))
        else:
            proposals.append(Match(column, str(header), None, 0.0))
    taken: dict[str, Match] = {}
    for match in sorted(proposals, key=lambda m: -m.score):
        if match.target and match.target in taken:
            match.target, match.how = None, f"già usato dalla colonna «{taken[match.target].header}»"
        elif match.target:
            taken[match.target] = match
    return sorted(proposals, key=lambda m: m.column)


TOTALS = re.compile(r"^\s*(totale|totali|tot|somma|subtotale)\b", re.I)
NOTE = "nota: meno di due colonne del modulo compilate"
TOTAL = "riga di totale"


def _filled(row: list) -> int:
    return sum(1 for v in row if v not in (None, ""))


def find_layout(rows: list[list], form: Form, scan: int = 30,
                hidden: Collection[str] = ()) -> Layout:
    """The header row (the one whose cells best match the form), then the data rows."""
    candidates = targets(form, hidden)
    best, best_score = 0, -1.0
    for number, row in enumerate(rows[:scan]):
        matches = match_headers(row, candidates)
        hits = sum(1 for m in matches if m.target)
        strings = sum(1 for v in row if isinstance(v, str) and v.strip())
        score = hits + strings * 0.1
        if hits >= 2 and score > best_score:
            best, best_score = number, score
    if best_score < 0:
        best = next((i for i, r in enumerate(rows[:scan]) if _filled(r) >= 2), 0)
    header = rows[best] if rows else []
    matches = match_headers(header, candidates)
    mapped = {m.column for m in matches if m.target}
    data, skipped, set_aside = [], {"vuote": 0, "totali": 0, "note": 0}, []
    for number in range(best + 1, len(rows)):
        row = rows[number]
        if not _filled(row):
            skipped["vuote"] += 1
            continue
        texts = [v for v in row if isinstance(v, str) and v.strip()]
        # "Totale" and numbers; not Mr Somma, whose row has his name, code and town.
        if texts and TOTALS.match(texts[0]) and len(texts) <= 2:
            skipped["totali"] += 1
            set_aside.append((number, TOTAL))
            continue
        if sum(1 for c in mapped if c < len(row) and row[c] not in (None, "")) < 2:
            skipped["note"] += 1
            set_aside.append((number, NOTE))
            continue
        data.append(number)
    return Layout(best, data, matches, skipped, set_aside)
