"""Definition problems: each names the file, the line, the form and the field, with a hint."""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    """One mistake in a definition file."""

    path: str
    line: int
    message: str
    form: str = ""
    field: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        where = ", ".join(p for p in (f"modulo '{self.form}'" if self.form else "",
                                       f"campo '{self.field}'" if self.field else "") if p)
        prefix = f"{self.path}:{self.line}: "
        return prefix + (f"{where}: " if where else "") + self.message

    def as_dict(self) -> dict:
        return asdict(self)


class DefinitionError(Exception):
    """Raised when definitions are invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
