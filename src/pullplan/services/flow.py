"""Flow metrics and forecasts of a board, from its transition log (DESIGN §2).

The numbers come from pullplan.analytics (pure numpy); this module reads the log and the
items' attributes in one read transaction and hands them over.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from sqlalchemy import select

from pullplan import analytics
from pullplan.analytics.forecast import HowManyForecast, WhenForecast
from pullplan.domain.board import ClassOfService
from pullplan.domain.calendar import WorkCalendar
from pullplan.services import validation as v
from pullplan.services.clock import utcnow
from pullplan.services.errors import InvalidInput, NotFound
from pullplan.storage.database import Database
from pullplan.storage.tables import (
    BoardRow,
    ItemRow,
    LaneRow,
    StageRow,
    TransitionRow,
    WorkspaceRow,
    WorkTypeRow,
)

DEFAULT_WINDOW_DAYS = 90
MAX_WINDOW_DAYS = 3660
METHODS = ("exact", "monte_carlo")


@dataclass(frozen=True)
class Filters:
    work_type: str | None = None
    class_of_service: ClassOfService | None = None
    lane: str | None = None

    @property
    def any(self) -> bool:
        return any((self.work_type, self.class_of_service, self.lane))


@dataclass(frozen=True)
class BoardLog:
    board_id: int
    board_name: str
    stage_names: dict[int, str]
    today: dt.date  # in the workspace's time zone
    log: analytics.FlowLog

    def items(self, filters: Filters) -> np.ndarray | None:
        """A mask of the items the filters keep; a name the board does not use is refused."""
        if not filters.any:
            return None
        chosen = {
            "work_type": filters.work_type,
            "class_of_service": filters.class_of_service.value if filters.class_of_service else None,
            "lane": filters.lane,
        }
        for name in ("work_type", "lane"):
            wanted = chosen[name]
            known = [level for level in self.log.attributes[name][1] if level is not None]
            if wanted is not None and wanted not in known:
                raise InvalidInput(name, f"{wanted!r} is not used on this board; it has: {', '.join(known)}.")
        return self.log.select(**chosen)


def filters(work_type: str | None, class_of_service: str | None, lane: str | None) -> Filters:
    return Filters(
        work_type=v.text("work_type", work_type, max_len=v.NAME_MAX, required=False) or None,
        class_of_service=v.class_of_service(class_of_service) if class_of_service else None,
        lane=v.text("lane", lane, max_len=v.NAME_MAX, required=False) or None,
    )


def read_log(db: Database, board_id: int, *, now: dt.datetime | None = None) -> BoardLog:
    """The board's transition log and its items' type, class and lane, as a FlowLog. The
    forecasts take it as `board` when the caller has read it already (a page that asks
    several questions of one board reads its log once)."""
    now = now or utcnow()
    with db.read() as session:
        board = session.execute(
            select(BoardRow.id, BoardRow.name, WorkspaceRow.time_zone)
            .join(WorkspaceRow, WorkspaceRow.id == BoardRow.workspace_id)
            .where(BoardRow.id == board_id)
        ).one_or_none()
        if board is None:
            raise NotFound("Board", board_id)
        stages = session.execute(
            select(StageRow.id, StageRow.kind, StageRow.position, StageRow.name).where(
                StageRow.board_id == board_id
            )
        ).all()
        rows = session.execute(
            select(
                TransitionRow.item_id,
                TransitionRow.at,
                TransitionRow.kind,
                TransitionRow.to_stage_id,
                TransitionRow.from_stage_id,
                TransitionRow.reason,
                TransitionRow.details,
            )
            .where(TransitionRow.board_id == board_id)
            .order_by(TransitionRow.id)
        ).all()
        items = session.execute(
            select(ItemRow.id, WorkTypeRow.name, ItemRow.class_of_service, LaneRow.name)
            .outerjoin(WorkTypeRow, WorkTypeRow.id == ItemRow.work_type_id)
            .outerjoin(LaneRow, LaneRow.id == ItemRow.lane_id)
            .where(ItemRow.board_id == board_id)
        ).all()
    tz = zone(board.time_zone)
    log = analytics.FlowLog.from_rows(
        rows, [(s.id, s.kind, s.position) for s in stages], items=[tuple(i) for i in items], tz=tz
    )
    return BoardLog(
        board_id=board.id,
        board_name=board.name,
        stage_names={s.id: s.name for s in stages},
        today=now.astimezone(tz).date(),
        log=log,
    )


def board_metrics(
    db: Database,
    *,
    board_id: int,
    start: dt.date | None = None,
    end: dt.date | None = None,
    filters: Filters = Filters(),
    calendar: WorkCalendar | None = None,
) -> tuple[BoardLog, analytics.FlowMetrics]:
    """Every flow metric of the board over [start, end] (default: the 90 days to today);
    cycle times and ages in the working days of `calendar` when it counts working days."""
    board = read_log(db, board_id)
    end = end or board.today
    start = start or end - dt.timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    if start > end:
        raise InvalidInput("start", f"{start} is after the end {end}.")
    if (end - start).days >= MAX_WINDOW_DAYS:  # a century of days would take seconds and 100 MB
        days = (end - start).days + 1
        raise InvalidInput("start", f"the window is {days} days; at most {MAX_WINDOW_DAYS}.")
    try:
        metrics = analytics.flow_metrics(
            board.log, start=start, end=end, items=board.items(filters), calendar=calendar
        )
    except ValueError as e:
        raise InvalidInput(str(e).split(":", 1)[0], str(e).split(": ", 1)[-1]) from None
    return board, metrics


def _history(board: BoardLog, window_days: int, filters: Filters) -> tuple[np.ndarray, dt.date]:
    """Daily throughput of the `window_days` days before today (today is still running)."""
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise InvalidInput("window_days", f"must be from 1 to {MAX_WINDOW_DAYS}.")
    end = board.today - dt.timedelta(days=1)
    start = end - dt.timedelta(days=window_days - 1)
    history = analytics.daily_throughput(board.log, start=start, end=end, items=board.items(filters))
    if int(np.sum(history)) == 0:
        raise InvalidInput(
            "window_days",
            f"no item was finished in the {window_days} days before today, so there is nothing "
            "to forecast from; choose a longer window.",
        )
    return history, board.today


def _method(method: str) -> str:
    if method not in METHODS:
        raise InvalidInput("method", f"{method!r} is not one of: {', '.join(METHODS)}.")
    return method


def forecast_how_many(
    db: Database,
    *,
    board_id: int,
    days: int | None = None,
    by: dt.date | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    method: str = "exact",
    trials: int = 10_000,
    seed: int | None = None,
    filters: Filters = Filters(),
    board: BoardLog | None = None,
) -> HowManyForecast:
    """How many items will be done from today through `by` (or in `days` days)."""
    board = board or read_log(db, board_id)
    history, today = _history(board, window_days, filters)
    if days is not None and by is not None:
        raise InvalidInput("by", "give either a number of days or a date (by), not both.")
    if days is None and by is None:
        raise InvalidInput("days", "give either a number of days or a date (by).")
    if by is not None:
        if by < today:
            raise InvalidInput("by", f"{by} is in the past.")
        days = (by - today).days + 1
    if not 1 <= days <= MAX_WINDOW_DAYS:
        raise InvalidInput("days", f"must be from 1 to {MAX_WINDOW_DAYS}.")
    return analytics.how_many(history, days, start=today, method=_method(method), trials=trials, seed=seed)


def forecast_when(
    db: Database,
    *,
    board_id: int,
    items: int,
    target: dt.date | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    method: str = "exact",
    trials: int = 10_000,
    seed: int | None = None,
    filters: Filters = Filters(),
    board: BoardLog | None = None,
) -> WhenForecast:
    """When will `items` more items be done, counting from today."""
    if not 1 <= items <= 100_000:
        raise InvalidInput("items", "must be from 1 to 100000.")
    board = board or read_log(db, board_id)
    history, today = _history(board, window_days, filters)
    if target is not None and target < today:
        raise InvalidInput("target", f"{target} is in the past.")
    return analytics.when(
        history, items, start=today, target=target, method=_method(method), trials=trials, seed=seed
    )


WEEKDAYS = WorkCalendar(use_working_days=True)


def calendar(working_days: bool, workspace_calendar: WorkCalendar | None = None) -> WorkCalendar | None:
    """The calendar metrics count days in: the workspace's working days (Monday to Friday
    when it has none of its own) when `working_days` is asked for, else calendar days."""
    if not working_days:
        return None
    if workspace_calendar is not None and workspace_calendar.use_working_days:
        return workspace_calendar
    return WEEKDAYS


def zone(name: str) -> dt.tzinfo:
    """The workspace's time zone; UTC when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC
