"""One safe expression language: Jinja2 expressions compiled in a sandbox.

Used for `show_if`, `required_if`, computed values (`expr`) and cross-field `rules`.
Each expression is compiled once per definition version; the names it uses are
checked against the form's fields when the definition is loaded.
"""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from jinja2 import TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment, _mutable_spec

# Methods that change a list, dict or set in place: no expression may call them.
MUTATORS = frozenset().union(*(names for _kind, names in _mutable_spec))


def _flatten(values):
    for value in values:
        if isinstance(value, list | tuple):
            yield from _flatten(value)
        else:
            yield value


def _number(value):
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, int | float | Decimal):
        return value
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def somma(*values):
    """Sum of the numbers given (lists are flattened), ignoring blanks: somma(a, b, c)."""
    numbers = [n for n in (_number(v) for v in _flatten(values)) if n is not None]
    if any(isinstance(n, Decimal) for n in numbers):
        return sum((Decimal(str(n)) for n in numbers), Decimal(0))
    return sum(numbers)


def somma_campo(rows, field: str, where: str | None = None, equals=None):
    """Sum of `field` over repeat rows, optionally only where row[where] == equals."""
    return somma([row.get(field) for row in rows or []
                  if where is None or row.get(where) == equals])


def conta(values, equals=True):
    """How many of the values equal `equals` (default: how many are true)."""
    return sum(1 for v in _flatten([values]) if v == equals)


def compilati(*values):
    """How many of the values are filled in."""
    return sum(1 for v in _flatten(values) if v not in (None, "", []))


def eta(born, on=None):
    """Age in whole years at `on` (today by default)."""
    if not born:
        return None
    on = on or date.today()
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def giorni(start, end):
    """Days from `start` to `end`."""
    if not start or not end:
        return None
    return (end - start).days


def almeno_uno(*values):
    """True when at least one value is true."""
    return any(bool(v) for v in _flatten(values))


HELPERS = {
    "somma": somma, "somma_campo": somma_campo, "conta": conta, "compilati": compilati,
    "eta": eta, "giorni": giorni, "almeno_uno": almeno_uno,
}
CONTEXT_NAMES = {"persona", "pratica", "oggi", "parametri", "riga"}


class ExpressionError(Exception):
    """An expression that does not parse."""


def freeze(value):
    """A deep read-only copy: mappings become read-only views, lists and sets tuples and
    frozensets, so shared data (the parameters) cannot be changed by what reads it."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(item) for item in value)
    if isinstance(value, set | frozenset):
        return frozenset(freeze(item) for item in value)
    return value


class _Sandbox(ImmutableSandboxedEnvironment):
    """Read-only: no list, dict or set can be changed in place. Arithmetic lets amounts
    (Decimal) meet decimal literals and parameters (float)."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%"})

    def call_binop(self, context, operator, left, right):
        if isinstance(left, Decimal) and isinstance(right, float):
            right = Decimal(str(right))
        elif isinstance(left, float) and isinstance(right, Decimal):
            left = Decimal(str(left))
        return super().call_binop(context, operator, left, right)

    def make_globals(self, d):
        # A plain dict instead of Jinja's ChainMap: every evaluation copies the globals
        # into a new context, and copying a ChainMap runs in Python, key by key. The
        # helpers are set once, before any expression is compiled.
        return {**self.globals, **(d or {})}


def _environment() -> SandboxedEnvironment:
    env = _Sandbox(autoescape=False)
    # Jinja's default globals (range, dict, cycler, joiner, namespace, lipsum) are not
    # part of the language: only the helpers are, so no expression can reach a class.
    env.globals.clear()
    env.globals.update(HELPERS)
    return env


ENV = _environment()


def _parse(source: str) -> nodes.Template:
    try:
        # Compiled alone first, as it will be used: "a) or (b" must not slip through
        # the parentheses below, and unknown filters are found here.
        ENV.compile_expression(source)
        return ENV.parse("{{ (" + source + ") }}")
    except TemplateSyntaxError as exc:
        raise ExpressionError(f"espressione non valida «{source}»: {exc.message}") from exc


def names_used(source: str) -> set[str]:
    """The top-level names an expression reads (fields, context objects, helpers); an
    expression that would change data in place is an error."""
    tree = _parse(source)
    changed = mutating_calls(tree)
    if changed:
        raise ExpressionError(
            f"l'espressione «{source}» chiama {', '.join(f'«{m}»' for m in sorted(changed))}, "
            "che modificherebbe i dati: le espressioni possono solo leggere e calcolare")
    return meta.find_undeclared_variables(tree)


def mutating_calls(tree: nodes.Node) -> set[str]:
    """Names of in-place changing methods an expression calls (x.clear(), x['pop'](),
    x|attr('append')): refused when the definition is checked, blocked when it runs."""
    found = set()
    for call in tree.find_all(nodes.Call):
        callee = call.node
        if isinstance(callee, nodes.Getattr):
            name = callee.attr
        elif isinstance(callee, nodes.Getitem) and isinstance(callee.arg, nodes.Const):
            name = callee.arg.value
        elif isinstance(callee, nodes.Filter) and callee.name == "attr" and callee.args and \
                isinstance(callee.args[0], nodes.Const):
            name = callee.args[0].value
        else:
            continue
        if name in MUTATORS:
            found.add(name)
    return found


def parameter_paths(source: str) -> set[tuple[str, ...]]:
    """The `parametri.<gruppo>.<nome>` paths an expression reads, as tuples of keys."""
    paths = set()
    for node in ENV.parse("{{ (" + source + ") }}").find_all((nodes.Getattr, nodes.Getitem)):
        path = []
        while isinstance(node, nodes.Getattr | nodes.Getitem):
            key = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
            if not isinstance(key, str):
                path = []
            else:
                path.insert(0, key)
            node = node.node
        if isinstance(node, nodes.Name) and node.name == "parametri" and path:
            paths.add(tuple(path))
    return paths


_ABSENT = object()
_PLAIN = frozenset({type(None), bool, int, float, str, Decimal, date})


class _Same:
    """The parameters, compared by identity: loaded once per catalog, never changed."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Same) and other.value is self.value


def _memo_key(name: str, value):
    if name == "parametri":
        return _Same(value)
    hash(value)  # TypeError for what cannot be a key
    return type(value), value


class Expression:
    """A compiled expression with the names it reads."""

    __slots__ = ("source", "names", "_reads", "_compiled", "_memo")

    MEMO_SIZE = 4096

    def __init__(self, source: str):
        self.source = source
        # Not names_used: a stored old version must still load; the sandbox blocks changes.
        self.names = meta.find_undeclared_variables(_parse(source))
        self._reads = tuple(sorted(self.names))
        self._compiled = ENV.compile_expression(source, undefined_to_none=True)
        self._memo: dict = {}

    def evaluate(self, context: dict):
        """The value of the expression; None when it cannot be computed (e.g. blanks).

        Results are remembered by the values the expression reads (with their types, since
        1 == 1.0 == True), when those are hashable and the result is a plain value: an
        import evaluates the same show_if over the same few answers thousands of times.
        """
        try:
            key = (date.today(), *[_memo_key(n, context.get(n, _ABSENT)) for n in self._reads])
            found = self._memo.get(key, _ABSENT)
        except TypeError:  # a list, a repeat's rows, a person: computed every time
            key, found = None, _ABSENT
        if found is not _ABSENT:
            return found
        value = self._compute(context)
        if key is not None and type(value) in _PLAIN:
            if len(self._memo) >= self.MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = value
        return value

    def _compute(self, context: dict):
        # Only the names it reads: Jinja copies every variable it is given into a new
        # context, and a form's scope holds all of its fields.
        try:
            return self._compiled(**{n: context[n] for n in self._reads if n in context})
        except (TypeError, ArithmeticError, ValueError, AttributeError, KeyError,
                UndefinedError, SecurityError):
            return None

    def unknown_names(self, known: set[str]) -> set[str]:
        return self.names - known - set(HELPERS) - CONTEXT_NAMES


def private_attributes(source: str) -> set[str]:
    """Attributes starting with '_' that an expression reaches for (never allowed)."""
    from jinja2 import nodes

    try:
        tree = ENV.parse("{{ (" + source + ") }}")
    except TemplateSyntaxError:
        return set()
    return {n.attr for n in tree.find_all(nodes.Getattr) if n.attr.startswith("_")}
