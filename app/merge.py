"""Three-way merge of a sheet saved by someone else while the user was editing it.

No Flask here: the entries blueprint calls `three_way` when a save meets a newer revision.
"""

from dataclasses import dataclass, field

from .definitions import Form, fieldtypes


@dataclass
class Clash:
    """A field both people changed, differently: the user's value stays in the form."""

    label: str
    base: str
    mine: str
    theirs: str


@dataclass
class Merge:
    """The values to show again (encoded), what was taken from the other save, what clashed."""

    data: dict
    applied: list = field(default_factory=list)   # sheets.Change: taken from the other save
    clashes: list = field(default_factory=list)   # Clash: both changed; the user's value kept


def three_way(form: Form, base: dict, mine: dict, theirs: dict,
              hidden: set[str] = frozenset()) -> Merge:
    """Merge encoded sheets: take the other save's changes where the user left a field as it
    was, keep the user's where only they changed it, list the fields both changed."""
    from .sheets import Change

    merged = Merge(dict(mine))
    for section in form.sections:
        for f in section.fields:
            kind = fieldtypes.get(f.type)
            if not kind.has_value or f.id not in (*base, *mine, *theirs):
                continue
            b, m, t = base.get(f.id), mine.get(f.id), theirs.get(f.id)
            if _same(t, b) or _same(m, t):
                continue
            if _same(m, b) or section.id in hidden or f.type == "computed":
                merged.data[f.id] = t
                if f.type != "computed" and section.id not in hidden:
                    merged.applied.append(Change(f.label_text(), _show(form, f, b),
                                                 _show(form, f, t)))
            else:
                merged.clashes.append(Clash(f.label_text(), _show(form, f, b), _show(form, f, m),
                                            _show(form, f, t)))
    return merged


def _same(a, b) -> bool:
    """Equal values, an absent one counting as empty."""
    empty = (None, "", [], False)
    return a == b or (a in empty and b in empty)


def _show(form: Form, f, raw) -> str:
    """An encoded value as a person reads it (repeat rows one per line)."""
    value = form.decode({f.id: raw}).get(f.id)
    if f.type == "repeat":
        return "\n".join(
            "; ".join(fieldtypes.get(sub.type).display(row.get(sub.id), sub)
                      for sub in f.fields if fieldtypes.get(sub.type).has_value
                      and row.get(sub.id) not in (None, "", []))
            for row in value or [])
    return fieldtypes.get(f.type).display(value, f)
