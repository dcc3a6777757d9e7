"""A workspace's LRM settings: the percentile p and the buffer per class of service, the
replenishment cadence, the lookahead window, and the calendar (calendar days, or working
days with holidays, in the workspace's time zone). Read by every commit-by date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from pullplan.domain.board import ClassOfService
from pullplan.domain.calendar import WorkCalendar
from pullplan.domain.lrm import LrmPolicy
from pullplan.services.accounts import record
from pullplan.services.clock import utcnow
from pullplan.services.errors import InvalidInput, NotFound
from pullplan.storage.database import Database
from pullplan.storage.lrm_tables import LrmSettingsRow
from pullplan.storage.tables import BoardRow, WorkspaceRow

# The classes that have a last responsible moment: expedite items are due now, intangible
# ones have none.
WITH_LRM = (ClassOfService.FIXED_DATE, ClassOfService.STANDARD)
DEFAULT_CLASS_PERCENTILES = {ClassOfService.FIXED_DATE: 95}
WEEKDAYS = (1, 2, 3, 4, 5)
MAX_HOLIDAYS = 400


@dataclass(frozen=True)
class LrmSettings:
    workspace_id: int
    policy: LrmPolicy
    calendar: WorkCalendar
    time_zone: str

    def as_dict(self) -> dict:
        """The settings as the API and the CLI show them, with what each class gets."""
        p = self.policy
        return {
            "workspace_id": self.workspace_id,
            "default_percentile": p.default_percentile,
            "class_percentiles": {c.value: x for c, x in p.percentile.items()},
            "cadence_days": p.cadence_days,
            "class_buffers": {c.value: x for c, x in p.buffer_days.items()},
            "lookahead_days": p.lookahead_days,
            "use_working_days": self.calendar.use_working_days,
            "working_days": sorted(self.calendar.working_days),
            "holidays": [d.isoformat() for d in sorted(self.calendar.holidays)],
            "time_zone": self.time_zone,
            "classes": {c.value: {"percentile": p.p(c), "buffer_days": p.buffer(c)} for c in WITH_LRM},
        }


def _of(workspace_id: int, time_zone: str, row: LrmSettingsRow | None) -> LrmSettings:
    if row is None:
        return LrmSettings(
            workspace_id,
            LrmPolicy(percentile=dict(DEFAULT_CLASS_PERCENTILES)),
            WorkCalendar(),
            time_zone,
        )
    policy = LrmPolicy(
        percentile={ClassOfService(c): int(x) for c, x in (row.class_percentiles or {}).items()},
        default_percentile=row.default_percentile,
        buffer_days={ClassOfService(c): int(x) for c, x in (row.class_buffers or {}).items()},
        cadence_days=row.cadence_days,
        lookahead_days=row.lookahead_days,
    )
    calendar = WorkCalendar(
        use_working_days=row.use_working_days,
        working_days=frozenset(row.working_days or WEEKDAYS),
        holidays=frozenset(dt.date.fromisoformat(d) for d in row.holidays or ()),
    )
    return LrmSettings(workspace_id, policy, calendar, time_zone)


def load_settings(session: Session, workspace_id: int) -> LrmSettings:
    """Inside a caller's transaction: the workspace's settings (the defaults without a row)."""
    time_zone = session.scalar(select(WorkspaceRow.time_zone).where(WorkspaceRow.id == workspace_id))
    if time_zone is None:
        raise NotFound("Workspace", workspace_id)
    return _of(workspace_id, time_zone, session.get(LrmSettingsRow, workspace_id))


def board_settings(session: Session, board_id: int) -> LrmSettings:
    workspace_id = session.scalar(select(BoardRow.workspace_id).where(BoardRow.id == board_id))
    if workspace_id is None:
        raise NotFound("Board", board_id)
    return load_settings(session, workspace_id)


def get_settings(db: Database, workspace_id: int) -> LrmSettings:
    with db.read() as session:
        return load_settings(session, workspace_id)


FIELDS = (
    "default_percentile",
    "class_percentiles",
    "cadence_days",
    "class_buffers",
    "lookahead_days",
    "use_working_days",
    "working_days",
    "holidays",
    "time_zone",
)


def update_settings(
    db: Database, *, actor_id: int | None, workspace_id: int, changes: dict, now: dt.datetime | None = None
) -> LrmSettings:
    """Change some settings (a class's percentile or buffer set to None goes back to the
    default); every value is checked before anything is written. Audited."""
    now = now or utcnow()
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "is not an LRM setting.")
    with db.write() as session:
        current = load_settings(session, workspace_id)
        values = current.as_dict()
        values.update(_clean(changes, values))
        if values["lookahead_days"] < values["cadence_days"]:
            raise InvalidInput(
                "lookahead_days",
                f"the lookahead window ({values['lookahead_days']} days) must be at least one "
                f"replenishment cadence ({values['cadence_days']} days).",
            )
        row = session.get(LrmSettingsRow, workspace_id)
        if row is None:
            row = LrmSettingsRow(workspace_id=workspace_id)
            session.add(row)
        row.default_percentile = values["default_percentile"]
        row.class_percentiles = dict(values["class_percentiles"])
        row.cadence_days = values["cadence_days"]
        row.class_buffers = dict(values["class_buffers"])
        row.lookahead_days = values["lookahead_days"]
        row.use_working_days = values["use_working_days"]
        row.working_days = list(values["working_days"])
        row.holidays = list(values["holidays"])
        row.updated_at = now
        if "time_zone" in changes:
            session.get(WorkspaceRow, workspace_id).time_zone = values["time_zone"]
        session.flush()
        record(
            session,
            actor_id,
            workspace_id,
            "lrm.settings",
            "LRM settings",
            {k: _jsonable(x) for k, x in changes.items()},
            now,
        )
        return load_settings(session, workspace_id)


def _jsonable(value):
    if isinstance(value, list):
        return [_jsonable(x) for x in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(x) for k, x in value.items()}
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _whole(field: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(field, f"must be a whole number from {low} to {high}.")
    return value


def _class_map(field: str, value: object, current: dict, low: int, high: int) -> dict:
    if not isinstance(value, dict):
        raise InvalidInput(field, "must map classes of service to numbers.")
    out = dict(current)
    for key, x in value.items():
        name = key.value if isinstance(key, ClassOfService) else str(key)
        if name not in {c.value for c in WITH_LRM}:
            raise InvalidInput(
                f"{field}.{name}"[:60],
                "only fixed_date and standard items have a commit-by date "
                "(expedite items are due now, intangible ones have none).",
            )
        if x is None:
            out.pop(name, None)
        else:
            out[name] = _whole(f"{field}.{name}", x, low, high)
    return out


def _clean(changes: dict, current: dict) -> dict:
    out: dict = {}
    for key, value in changes.items():
        if key == "default_percentile":
            out[key] = _whole(key, value, 1, 100)
        elif key == "class_percentiles":
            out[key] = _class_map(key, value, current[key], 1, 100)
        elif key == "cadence_days":
            out[key] = _whole(key, value, 1, 90)
        elif key == "class_buffers":
            out[key] = _class_map(key, value, current[key], 0, 365)
        elif key == "lookahead_days":
            out[key] = _whole(key, value, 1, 365)
        elif key == "use_working_days":
            if not isinstance(value, bool):
                raise InvalidInput(key, "must be true or false.")
            out[key] = value
        elif key == "working_days":
            if not isinstance(value, list | tuple | set | frozenset) or not value:
                raise InvalidInput(key, "must list at least one weekday, Monday 1 to Sunday 7.")
            days = {_whole(key, d, 1, 7) for d in value}
            out[key] = sorted(days)
        elif key == "holidays":
            if not isinstance(value, list | tuple) or len(value) > MAX_HOLIDAYS:
                raise InvalidInput(key, f"must be a list of at most {MAX_HOLIDAYS} dates.")
            days = set()
            for d in value:
                if isinstance(d, str):
                    try:
                        d = dt.date.fromisoformat(d)
                    except ValueError:
                        raise InvalidInput(key, f"{d[:40]!r} is not a date like 2026-12-25.") from None
                if not isinstance(d, dt.date):
                    raise InvalidInput(key, "must be dates like 2026-12-25.")
                days.add(d)
            out[key] = [d.isoformat() for d in sorted(days)]
        elif key == "time_zone":
            out[key] = _time_zone(value)
    return out


def _time_zone(value: object) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 64 or "\x00" in value:
        raise InvalidInput("time_zone", "must be a time zone name like Europe/Berlin.")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(
            "time_zone", f"{value[:64]!r} is not a time zone name like Europe/Berlin."
        ) from None
    return value
