"""Checks of user input shared by every entry point (API, CLI, imports)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from pullplan.domain.board import ClassOfService, StageKind, WipMode
from pullplan.services.errors import InvalidInput

TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
REASON_MAX = 500
NAME_MAX = 60
TAG_MAX = 40
TAGS_MAX = 20


def text(field: str, value: object, *, max_len: int, required: bool = True) -> str:
    if value is None:
        if required:
            raise InvalidInput(field, "is required.")
        return ""
    if not isinstance(value, str):
        raise InvalidInput(field, "must be text.")
    value = value.strip()
    if required and not value:
        raise InvalidInput(field, "must not be empty.")
    if len(value) > max_len:
        raise InvalidInput(field, f"is {len(value)} characters long; the limit is {max_len}.")
    if any(ord(c) < 32 and c not in "\n\t\r" for c in value):
        raise InvalidInput(field, "contains control characters.")
    return value


def enum(field: str, value: object, kind):
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise InvalidInput(field, f"{value!r} is not one of: {allowed}.") from None


def class_of_service(value: object) -> ClassOfService:
    return enum("class_of_service", value, ClassOfService)


def wip_mode(field: str, value: object) -> WipMode:
    return enum(field, value, WipMode)


def stage_kind(value: object) -> StageKind:
    return enum("kind", value, StageKind)


def positive_limit(field: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 100_000:
        raise InvalidInput(field, "must be a whole number from 0 to 100000, or empty for no limit.")
    return value


def money(field: str, value: object) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(field, f"{value!r} is not a number.") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise InvalidInput(field, "must be a non-negative amount below 1,000,000,000,000.")
    return amount.quantize(Decimal("0.01"))


def tags(value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InvalidInput("tags", "must be a list of words.")
    if len(value) > TAGS_MAX:
        raise InvalidInput("tags", f"at most {TAGS_MAX} tags.")
    cleaned = [text("tags", t, max_len=TAG_MAX) for t in value]
    return list(dict.fromkeys(cleaned))


def due_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    raise InvalidInput("due_date", "must be a date (YYYY-MM-DD).")
