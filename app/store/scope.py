"""The SQL side of the access rules: which rows of persons and cases a viewer sees.

The rules themselves (who gets which scope) live in `app.access`; this module only
turns a scope into a WHERE clause, so no query forgets it.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """Rows of one office; with `member_id`, only cases that user manages or is on the team of."""

    office_id: int
    member_id: int | None = None


def person_where(scope: Scope, alias: str = "persons") -> tuple[str, list]:
    """WHERE fragment limiting persons to the scope's office."""
    return f"{alias}.office_id = ?", [scope.office_id]


def case_where(scope: Scope, alias: str = "cases") -> tuple[str, list]:
    """WHERE fragment limiting cases to the scope (office, and membership when set)."""
    if scope.member_id is None:
        return f"{alias}.office_id = ?", [scope.office_id]
    return (
        f"{alias}.office_id = ? AND ({alias}.manager_id = ? OR EXISTS "
        f"(SELECT 1 FROM case_team t WHERE t.case_id = {alias}.id AND t.user_id = ?))",
        [scope.office_id, scope.member_id, scope.member_id],
    )
