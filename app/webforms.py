"""FormDefinition -> WTForms class, built once per form version and cached.

The class holds one WTForms field per input field of the definition; repeat groups
are FieldLists of plain `wtforms.Form` subforms (a FlaskForm subform would carry its
own CSRF token). Required fields, `required_if`, `show_if` and rules are checked by
the definition itself (`Form.check`) after WTForms has coerced and validated types.
"""

from functools import lru_cache

from flask_wtf import FlaskForm
from wtforms import Form as PlainForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import NumberRange, Optional

from .definitions import Form, fieldtypes

# A field id is the HTML name of its input, but never a Python attribute of the WTForms
# class: an id such as `data`, `errors`, `meta` or `validate` would shadow the form's own
# members (and `data` collides with the keyword FormField passes a row's values with).
ATTRIBUTE_PREFIX = "f_"


def attribute(field_id: str) -> str:
    """The WTForms attribute holding the field `field_id` (its HTML name stays the id)."""
    return ATTRIBUTE_PREFIX + field_id


class _ById:
    """`form[field_id]` and `field_id in form` look fields up by their definition id."""

    def __getitem__(self, name):
        key = attribute(name)
        return self._fields[key if key in self._fields else name]

    def __contains__(self, name):
        return attribute(name) in self._fields or name in self._fields

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        """Initial values may be keyed by field id as well as by attribute."""
        super().process(formdata, obj, data=self._by_attribute(data), extra_filters=extra_filters,
                        **self._by_attribute(kwargs))

    def _by_attribute(self, mapping):
        if not mapping:
            return mapping
        return {attribute(k) if attribute(k) in self._fields else k: v
                for k, v in mapping.items()}

    @property
    def errors(self) -> dict:
        """Errors by field id (WTForms would key them by attribute)."""
        errors = {f.short_name: f.errors for f in self._fields.values() if f.errors}
        if self.form_errors:
            errors[self._form_error_key] = self.form_errors
        return errors


class _SheetForm(_ById, FlaskForm):
    pass


class _RowForm(_ById, PlainForm):
    pass


def _fields_of(field_defs) -> dict:
    attrs = {}
    for f in field_defs:
        kind = fieldtypes.get(f.type)
        if not kind.has_input:
            continue
        subform = None
        if f.type == "repeat":
            subform = type(f"Riga_{f.id}", (_RowForm,), _fields_of(f.fields))
        unbound = kind.wtforms_field(f, subform)
        unbound.name = f.id
        attrs[attribute(f.id)] = unbound
    return attrs


@lru_cache(maxsize=512)
def _form_class(form: Form) -> type[FlaskForm]:
    attrs = {}
    for section in form.sections:
        attrs.update(_fields_of(section.fields))
    # Bounded: a forged revision number must fail validation, not overflow SQLite.
    attrs["cartella_rev"] = IntegerField(validators=[Optional(), NumberRange(0, 2**62)])
    attrs["cartella_nota"] = TextAreaField(validators=[Optional()])
    return type(f"Modulo_{form.id}_v{form.version}", (_SheetForm,), attrs)


def form_class(form: Form) -> type[FlaskForm]:
    """The WTForms class of a form version (cached)."""
    return _form_class(form)


def values_from(form: Form, wtform) -> dict:
    """The typed values the user submitted (strings coerced by each field type)."""
    values = {}
    for fid, f in form.fields.items():
        if fid in wtform:
            field = wtform[fid]
            if f.type == "repeat":
                values[fid] = [_row_values(entry.form) for entry in field.entries]
            else:
                values[fid] = field.data
    return form.decode(form.encode(values))


def _row_values(row_form) -> dict:
    """A repeat row's values by sub-field id."""
    return {field.short_name: field.data for field in row_form}


def form_data(form: Form, values: dict) -> dict:
    """Stored values -> the `data=` mapping that fills a WTForms instance (by attribute)."""
    data = {}
    for fid, f in form.fields.items():
        if f.type == "repeat":
            data[attribute(fid)] = [{attribute(k): v for k, v in row.items()}
                                    for row in values.get(fid) or []]
        elif fieldtypes.get(f.type).has_input:
            data[attribute(fid)] = values.get(fid)
    return data


def _row_indexes(formdata, repeat_id: str) -> list[int]:
    prefix = repeat_id + "-"
    found = set()
    for key in formdata.keys():
        if key.startswith(prefix):
            index = key[len(prefix):].split("-", 1)[0]
            if index.isdigit():
                found.add(int(index))
    return sorted(found)


def apply_row_action(form: Form, formdata, action: str):
    """Add or remove a repeat row in the posted data itself, so every typed string is kept.

    `action` is 'aggiungi_riga:<repeat>' or 'rimuovi_riga:<repeat>:<index>'.
    """
    from werkzeug.datastructures import MultiDict

    verb, _, rest = action.partition(":")
    repeat_id, _, position = rest.partition(":")
    f = form.fields.get(repeat_id)
    if f is None or f.type != "repeat":
        return formdata
    indexes = _row_indexes(formdata, repeat_id)
    count = max(len(indexes), f.min_rows)
    inputs = [sub.id for sub in f.fields if fieldtypes.get(sub.type).has_input]
    prefix = repeat_id + "-"
    kept = [(k, v) for k, v in formdata.items(multi=True) if not k.startswith(prefix)]
    rows = [[(k.split("-", 2)[2], v) for k, v in formdata.items(multi=True)
             if k.startswith(f"{prefix}{i}-")] for i in indexes]
    rows += [[] for _ in range(count - len(rows))]
    if verb == "aggiungi_riga" and (f.max_rows is None or len(rows) < f.max_rows):
        rows.append([(inputs[0], "")] if inputs else [])
    elif verb == "rimuovi_riga" and position.isdigit() and int(position) < len(rows):
        rows.pop(int(position))
    pairs = kept + [(f"{prefix}{i}-{name}", value) for i, row in enumerate(rows)
                    for name, value in (row or [(inputs[0], "")])]
    return MultiDict(pairs)
