"""A validated definition made ready for use: compiled expressions, lookups, evaluation."""

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property

from . import fieldtypes
from .expressions import Expression
from .model import FieldDef, FormDef, SectionDef


class CircularComputation(ValueError):
    """Computed fields that read each other: no order can compute them."""

    def __init__(self, trail: tuple):
        self.field = trail[0]
        super().__init__("calcolo circolare: " + " → ".join(trail))


@dataclass
class FormState:
    """What a form looks like for given values: computed values, visibility, requirements."""

    values: dict
    hidden: set = field(default_factory=set)
    required: set = field(default_factory=set)
    row_hidden: dict = field(default_factory=dict)


class Form:
    """One version of a form definition, compiled once."""

    def __init__(self, definition: FormDef, source: str = ""):
        self.definition = definition
        self.source = source
        self.lines: dict[str, int] = {}
        self.id = definition.id
        self.version = definition.version
        self.sections: list[SectionDef] = list(definition.sections)
        self.fields: dict[str, FieldDef] = definition.field_map()
        self.section_of: dict[str, SectionDef] = {
            f.id: s for s, f in definition.all_fields()}
        self.exprs: dict[tuple[str, str], Expression] = {}
        for section in self.sections:
            if section.show_if:
                self.exprs[("show", section.id)] = Expression(section.show_if)
            for f in section.fields:
                self._compile_field(f, prefix="")
        self.rules = [(Expression(rule.expr), rule) for rule in definition.rules]
        self.computed_order = self._computed_order()
        # The fields that hold a value, with their type: decode and encode run per save
        # and per imported row, and need not look the type up each time.
        self._codec = [(fid, f, fieldtypes.get(f.type)) for fid, f in self.fields.items()
                       if fieldtypes.get(f.type).has_value]

    def _compile_field(self, f: FieldDef, prefix: str) -> None:
        key = prefix + f.id
        if f.show_if:
            self.exprs[("show", key)] = Expression(f.show_if)
        if f.required_if:
            self.exprs[("required", key)] = Expression(f.required_if)
        if f.expr:
            self.exprs[("expr", key)] = Expression(f.expr)
        for sub in f.fields or []:
            self._compile_field(sub, prefix=key + ".")

    def _computed_order(self) -> list[str]:
        """Top-level computed fields, each after the computed fields it reads."""
        computed = [i for i, f in self.fields.items() if f.type == "computed"]
        order, seen = [], set()

        def visit(name: str, trail: tuple) -> None:
            if name in seen:
                return
            if name in trail:
                raise CircularComputation((*trail[trail.index(name):], name))
            for dep in self.exprs[("expr", name)].names:
                if dep in computed:
                    visit(dep, (*trail, name))
            seen.add(name)
            order.append(name)

        for name in computed:
            visit(name, ())
        return order

    @property
    def title(self) -> str:
        return self.definition.title.it

    def json(self) -> str:
        """The definition as canonical JSON (stored with every version)."""
        return json.dumps(self.definition.model_dump(mode="json"), sort_keys=True,
                          ensure_ascii=False)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.json().encode()).hexdigest()

    @classmethod
    def from_json(cls, text: str) -> "Form":
        return cls(FormDef.model_validate(json.loads(text)))

    # --- values -------------------------------------------------------------------------

    def decode(self, data: dict) -> dict:
        """Stored JSON -> Python values by field id (repeat rows as lists of dicts)."""
        data = data or {}
        return {fid: _decode_field(f, data.get(fid)) if f.type == "repeat" else
                kind.from_json(data.get(fid)) for fid, f, kind in self._codec}

    def encode(self, values: dict) -> dict:
        """Python or web values -> JSON to store."""
        return {fid: _encode_field(f, values.get(fid)) if f.type == "repeat" else
                kind.to_json(values.get(fid)) for fid, f, kind in self._codec}

    def evaluate(self, values: dict, context: dict) -> FormState:
        """Compute calculated fields, visibility and requirements for the given values."""
        values = dict(values)
        scope = {**context, **values}
        for f in self.fields.values():
            if f.type == "repeat":
                values[f.id] = scope[f.id] = self._compute_rows(f, values.get(f.id), scope)
        for name in self.computed_order:
            values[name] = scope[name] = self.exprs[("expr", name)].evaluate(scope)
        state = FormState(values=values)
        for section in self.sections:
            show = self.exprs.get(("show", section.id))
            section_hidden = bool(show) and not show.evaluate(scope)
            if section_hidden:
                state.hidden.add(section.id)
            for f in section.fields:
                self._state_of_field(f, scope, state, section_hidden)
        return state

    def settle(self, values: dict, context: dict) -> FormState:
        """Evaluate as a sheet is saved: hidden fields emptied, and what is computed or shown
        evaluated again without them (a total must not count a hidden amount)."""
        state = self.evaluate(values, context)
        for _ in range(len(self.fields)):  # each pass can only hide more; bounded anyway
            filled = [fid for fid in state.hidden if fid in self.fields
                      and fieldtypes.get(self.fields[fid].type).has_input
                      and state.values.get(fid) not in (None, "", [])]
            if not filled:
                break
            state = self.evaluate({**state.values, **{fid: _empty(self.fields[fid])
                                                      for fid in filled}}, context)
        for fid in state.hidden:
            if fid in self.fields and fieldtypes.get(self.fields[fid].type).has_value:
                state.values[fid] = _empty(self.fields[fid])
        return state

    def _state_of_field(self, f: FieldDef, scope: dict, state: FormState,
                        section_hidden: bool) -> None:
        show = self.exprs.get(("show", f.id))
        if section_hidden or (show and not show.evaluate(scope)):
            state.hidden.add(f.id)
            return
        required = self.exprs.get(("required", f.id))
        if f.required or (required and required.evaluate(scope)):
            state.required.add(f.id)
        if f.type == "repeat":
            self._state_of_rows(f, scope, state)

    def _compute_rows(self, f: FieldDef, rows, scope: dict) -> list[dict]:
        """Rows with their computed sub-fields filled in."""
        result = []
        for row in rows or []:
            row = dict(row)
            for sub in f.fields or []:
                key = ("expr", f"{f.id}.{sub.id}")
                if key in self.exprs:
                    row[sub.id] = self.exprs[key].evaluate({**scope, **row, "riga": row})
            result.append(row)
        return result

    def _state_of_rows(self, f: FieldDef, scope: dict, state: FormState) -> None:
        rows = state.values.get(f.id) or []
        for index, row in enumerate(rows):
            row_scope = {**scope, **row, "riga": row}
            for sub in f.fields or []:
                key = f"{f.id}.{sub.id}"
                show = self.exprs.get(("show", key))
                if show and not show.evaluate(row_scope):
                    state.row_hidden.setdefault(f.id, set()).add((index, sub.id))
                    continue
                required = self.exprs.get(("required", key))
                if sub.required or (required and required.evaluate(row_scope)):
                    state.required.add((f.id, index, sub.id))

    def check(self, state: FormState, context: dict, complete: bool) -> dict:
        """Errors by field id (or (repeat, row, field)) for required fields and rules."""
        errors: dict = {}
        if complete:
            for key in state.required:
                value = _lookup(state.values, key)
                if value in (None, "", []):
                    errors.setdefault(key, []).append("Campo obbligatorio.")
        scope = {**context, **state.values}
        for expression, rule in self.rules:
            if any(name in state.hidden for name in rule.fields):
                continue
            if expression.evaluate(scope) is False:
                for name in rule.fields or ["__form__"]:
                    errors.setdefault(name, []).append(rule.message.it)
        return errors

    def dependents(self, field_id: str) -> set[str]:
        """Ids of sections and fields whose rendering depends on `field_id`."""
        result = set()
        for (_kind, owner), expression in self.exprs.items():
            # A repeat whose rows compute or show something re-renders when a row changes.
            if field_id in expression.names or owner.startswith(field_id + "."):
                result.add(owner.split(".")[0])
        for name in self.computed_order:
            if name in result:
                result |= self.dependents(name) - {field_id}
        return result

    @cached_property
    def live_fields(self) -> frozenset:
        """Fields whose change alters another part of the form (they trigger live updates)."""
        return frozenset(fid for fid in self.fields if self.dependents(fid))

    def sensitive_fields(self) -> set[str]:
        return {f.id for s in self.sections if s.sensitive for f in s.fields}


def _empty(f: FieldDef):
    return [] if f.type == "repeat" else None


def _lookup(values: dict, key):
    if isinstance(key, tuple):
        repeat, index, sub = key
        rows = values.get(repeat) or []
        return rows[index].get(sub) if index < len(rows) else None
    return values.get(key)


def _decode_field(f: FieldDef, raw):
    kind = fieldtypes.get(f.type)
    if f.type == "repeat":
        return [{sub.id: _decode_field(sub, (row or {}).get(sub.id)) for sub in f.fields
                 if fieldtypes.get(sub.type).has_value} for row in raw or []]
    return kind.from_json(raw)


def _encode_field(f: FieldDef, value):
    kind = fieldtypes.get(f.type)
    if f.type == "repeat":
        return [{sub.id: _encode_field(sub, (row or {}).get(sub.id)) for sub in f.fields
                 if fieldtypes.get(sub.type).has_value} for row in value or []]
    return kind.to_json(value)
