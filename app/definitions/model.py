"""The shape of a form definition, validated by pydantic.

A definition is plain data from YAML; these models check its structure. What a
field type accepts (choices, expr, sub-fields...) is checked by the type itself
in `fieldtypes`, and expressions by `expressions`.
"""

import difflib
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
PHASES = ("accesso", "valutazione", "progettazione", "attuazione", "monitoraggio",
          "valutazione_finale", "chiusura", "misura", "tribunale")


class Text(BaseModel):
    """A text in Italian with optional translations: `{it: ..., en: ...}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    it: str
    en: str | None = None

    def get(self, lang: str = "it") -> str:
        return (getattr(self, lang, None) or self.it) if lang in ("it", "en") else self.it


def _text(value: Any) -> Any:
    return {"it": value} if isinstance(value, str) else value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChoiceDef(Strict):
    """One option of a choice: the stored value and its label."""

    value: str | int | bool
    label: Text
    score: float | None = None

    _label = field_validator("label", mode="before")(_text)


class FieldDef(Strict):
    """One field of a section (or of a repeat group)."""

    id: str
    type: str
    label: Text | None = None
    help: Text | None = None
    text: Text | None = None
    required: bool = False
    required_if: str | None = None
    show_if: str | None = None
    default: Any = None
    readonly: bool = False
    min: float | None = None
    max: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    choices: list[ChoiceDef] | str | None = None
    widget: Literal["radio", "select", "checkbox"] | None = None
    expr: str | None = None
    format: str | None = None
    prefill: str | None = None
    aliases: list[str] = Field(default_factory=list)
    fields: list["FieldDef"] | None = None
    min_rows: int = 0
    max_rows: int | None = None
    sets: str | None = None

    _texts = field_validator("label", "help", "text", mode="before")(_text)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if value.startswith("cartella_"):
            raise ValueError("gli id che iniziano con 'cartella_' sono riservati")
        if not IDENT.match(value):
            raise ValueError("l'id deve essere in minuscolo, iniziare con una lettera e "
                             "contenere solo lettere, cifre e '_' (es. 'data_nascita')")
        return value

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        # Checked here: WTForms compiles it only when the page is first built.
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"espressione regolare non valida ({exc})") from None
        return value

    @field_validator("choices", mode="before")
    @classmethod
    def _choices(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"value": c, "label": str(c)} if not isinstance(c, dict) else c
                    for c in value]
        return value

    def label_text(self, lang: str = "it") -> str:
        return self.label.get(lang) if self.label else self.id


class SectionDef(Strict):
    """A group of fields shown together; can be conditional or sensitive."""

    id: str
    title: Text
    description: Text | None = None
    show_if: str | None = None
    sensitive: bool = False
    fields: list[FieldDef]

    _texts = field_validator("title", "description", mode="before")(_text)
    _id = field_validator("id")(FieldDef._id.__func__)


class RuleDef(Strict):
    """A cross-field rule: when `expr` is false, `message` is shown on `fields`."""

    expr: str
    message: Text
    fields: list[str] = Field(default_factory=list)

    _texts = field_validator("message", mode="before")(_text)


class FormDef(Strict):
    """A whole form: identity, version, cycle phase, sections and rules."""

    id: str
    version: int = Field(ge=1)
    title: Text
    description: Text | None = None
    phase: str
    areas: list[str] = Field(default_factory=list)
    expected: bool = False
    repeatable: bool = True
    import_key: list[str] = Field(default_factory=list)
    sections: list[SectionDef] = Field(min_length=1)
    rules: list[RuleDef] = Field(default_factory=list)

    _texts = field_validator("title", "description", mode="before")(_text)
    _id = field_validator("id")(FieldDef._id.__func__)

    @field_validator("phase")
    @classmethod
    def _phase(cls, value: str) -> str:
        if value not in PHASES:
            close = difflib.get_close_matches(value, PHASES, n=1)
            hint = f"intendevi '{close[0]}'?" if close else "usare una di " + ", ".join(PHASES)
            raise ValueError(f"fase '{value}' sconosciuta: {hint}")
        return value

    def all_fields(self):
        """(section, field) for every top-level field, in order."""
        for section in self.sections:
            for field in section.fields:
                yield section, field

    def field_map(self) -> dict[str, FieldDef]:
        return {f.id: f for _, f in self.all_fields()}
