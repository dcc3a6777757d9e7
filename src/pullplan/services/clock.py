"""The one place that reads the wall clock, so tests and simulations can pass their own `now`."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
