"""Timestamps as the store writes them: ISO 8601, UTC."""

from datetime import UTC, datetime


def now_iso() -> str:
    """Current UTC time, ISO 8601 with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")
