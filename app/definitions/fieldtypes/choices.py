"""Yes/no, single and multiple choices (by code or label, accents ignored)."""

import re
import unicodedata
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from wtforms import (
    RadioField,
    SelectField,
    SelectMultipleField,
)
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from . import FieldType, register


def _fold(text) -> str:
    """Lower case without accents, for matching labels typed by hand."""
    return _folded(str(text))


@lru_cache(maxsize=8192)
def _folded(text: str) -> str:
    # Cached: an import folds the same few answers and the same labels for every row.
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", text).strip().lower()


_UNKNOWN = object()
YES = {"si", "s", "yes", "y", "x", "1", "true", "vero", "ok"}
NO = {"no", "n", "0", "false", "falso"}


def _options(field, is_selected) -> list[Choice]:
    """The options of a choice field, `is_selected(value_as_text)` deciding which are ticked.

    WTForms compares `str(option) == data`, which never holds once data is typed (True, 5):
    a saved or re-shown answer would appear blank and be lost on the next save.
    """
    return [Choice(c.value, c.label, is_selected(c.value), c.render_kw or {})
            for c in field.choices]


class _YesNoInput(RadioField):
    def process_data(self, value):
        self.data = value if isinstance(value, bool) else None

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0] in ("si", "no"):
            self.data = valuelist[0] == "si"
        else:
            self.data = None

    def pre_validate(self, form):
        return None

    def iter_choices(self):
        return _options(self, lambda v: self.data is not None and v == ("si" if self.data
                                                                         else "no"))


@register
class BooleanType(FieldType):
    name = "boolean"
    description = "sì / no"

    def wtforms_field(self, field, subform=None):
        return _YesNoInput(field.label_text(), choices=[SelectChoice("si", _l("Sì")),
                                                        SelectChoice("no", _l("No"))],
                           validators=[Optional()])

    def to_json(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, str):
            return self.parse(value, None)
        return bool(value)

    def parse(self, raw, field):
        if raw is None or str(raw).strip() == "":
            return None
        if isinstance(raw, bool):
            return raw
        folded = _fold(str(raw))
        if isinstance(raw, int | float):
            folded = str(int(raw))
        if folded in YES:
            return True
        if folded in NO:
            return False
        raise ValueError(f"«{raw}» non è sì/no")

    def display(self, value, field, lang="it"):
        return {True: "Sì", False: "No"}.get(value, "")

    def sample(self, field):
        return True


class _ChoiceMixin:
    """Maps the strings of an HTML form back to the typed values of the definition."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0] != "":
            self.data = self.by_text.get(valuelist[0], valuelist[0])

    def pre_validate(self, form):
        if self.data is not None and self.data not in self.by_text.values():
            raise ValidationError(_l("Scelta non valida."))

    def iter_choices(self):
        return _options(self, lambda v: self.data is not None and v == str(self.data))


class _RadioChoice(_ChoiceMixin, RadioField):
    pass


class _SelectChoice(_ChoiceMixin, SelectField):
    pass


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class _MultiChoice(MultiCheckboxField):
    def process_formdata(self, valuelist):
        self.data = [self.by_text.get(v, v) for v in valuelist if v != ""]

    def pre_validate(self, form):
        values = set(self.by_text.values())
        if any(v not in values for v in self.data or []):
            raise ValidationError(_l("Scelta non valida."))

    def iter_choices(self):
        ticked = {str(v) for v in self.data or []}
        return _options(self, lambda v: v in ticked)


@register
class ChoiceType(FieldType):
    name = "choice"
    uses_choices = True
    description = "una scelta tra opzioni (radio o elenco)"

    def check(self, field):
        problems = [p for p in super().check(field) if "'choices'" not in p]
        if not field.choices:
            problems.append("manca 'choices': elenco di opzioni o nome di una lista condivisa")
        return problems

    def _choices(self, field):
        return [SelectChoice(str(c.value), c.label.get()) for c in field.choices or []]

    def wtforms_field(self, field, subform=None):
        by_text = {str(c.value): c.value for c in field.choices or []}
        widget = field.widget or ("radio" if len(field.choices or []) <= 5 else "select")
        if widget == "select":
            choices = [SelectChoice("", "— scegliere —"), *self._choices(field)]
            unbound = _SelectChoice(field.label_text(), choices=choices, validators=[Optional()])
        else:
            unbound = _RadioChoice(field.label_text(), choices=self._choices(field),
                                   validators=[Optional()])
        unbound.field_class = type(unbound.field_class.__name__, (unbound.field_class,),
                                   {"by_text": by_text})
        return unbound

    def to_json(self, value):
        return None if value in (None, "") else value

    def parse(self, raw, field):
        if raw is None or str(raw).strip() == "":
            return None
        folded = _fold(raw if not isinstance(raw, float) or raw != int(raw) else int(raw))
        for choice in field.choices or []:
            if folded in (_fold(choice.value), _fold(choice.label.it)) or (
                    choice.label.en and folded == _fold(choice.label.en)):
                return choice.value
        raise ValueError(f"«{raw}» non è tra le opzioni ammesse")

    def sample(self, field):
        return field.choices[0].value if field.choices else None

    def display(self, value, field, lang="it"):
        for choice in field.choices or []:
            if choice.value == value:
                return choice.label.get(lang)
        return "" if value is None else str(value)


@register
class MultichoiceType(ChoiceType):
    name = "multichoice"
    description = "più scelte tra opzioni (caselle)"

    def wtforms_field(self, field, subform=None):
        by_text = {str(c.value): c.value for c in field.choices or []}
        unbound = _MultiChoice(field.label_text(), choices=self._choices(field),
                               validators=[Optional()])
        unbound.field_class = type("_MultiChoice", (_MultiChoice,), {"by_text": by_text})
        return unbound

    def to_json(self, value):
        return list(value) if value else []

    def parse(self, raw, field):
        """One option a line (as exported), or options separated by ',' or ';' by hand.

        Labels may hold commas ("Neurologiche (ictus, Parkinson...)"): on each line the
        longest run of pieces that is a known option wins before the text is split further.
        """
        if raw is None or str(raw).strip() == "":
            return []
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return [ChoiceType.parse(self, raw, field)]
        known = {}
        for choice in field.choices or []:
            for text in (choice.value, choice.label.it, choice.label.en):
                if text not in (None, ""):
                    known.setdefault(_fold(text), choice.value)
        values = []
        for line in str(raw).splitlines():
            for value in self._parse_line(line, known, field):
                if value not in values:
                    values.append(value)
        return values

    def _parse_line(self, line: str, known: dict, field) -> list:
        pieces = re.split(r"([;,])", line)  # pieces at even indexes, separators between
        values, start = [], 0
        while start < len(pieces):
            if not pieces[start].strip():
                start += 2
                continue
            for end in range(len(pieces) - 1, start - 1, -2):
                value = known.get(_fold("".join(pieces[start:end + 1])), _UNKNOWN)
                if value is not _UNKNOWN:
                    values.append(value)
                    start = end + 2
                    break
            else:
                values.append(ChoiceType.parse(self, pieces[start].strip(), field))
                start += 2
        return values

    def sample(self, field):
        return [c.value for c in (field.choices or [])[:2]]

    def display(self, value, field, lang="it"):
        return ", ".join(ChoiceType.display(self, v, field, lang) for v in value or [])

    def spreadsheet_value(self, value, field):
        """One label a line: a comma inside a label can never be taken for a separator."""
        return "\n".join(ChoiceType.display(self, v, field) for v in value or [])
