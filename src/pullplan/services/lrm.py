"""Commit-by dates and LRM statuses of a board's items, from its own history (DESIGN §2), with
the workspace's LRM settings (p and buffer per class, calendar) and, for an aggregate, a
Monte Carlo forecast of its children."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import select

from pullplan.analytics.aggregate_forecast import aggregate_lead_time
from pullplan.domain.aggregates import AggregateProgress
from pullplan.domain.board import CLASS_LABELS, ClassOfService, StageKind
from pullplan.domain.calendar import WorkCalendar
from pullplan.domain.items import WorkItem
from pullplan.domain.lrm import (
    CommitBy,
    CycleTimeModel,
    LeadTime,
    LrmPolicy,
    LrmStatus,
    commit_by,
    commitment_timing,
    committed_status,
    option_status,
)
from pullplan.services import aggregates, flow, lrm_settings
from pullplan.services.clock import utcnow
from pullplan.services.errors import InvalidInput, NotFound
from pullplan.storage.database import Database
from pullplan.storage.repositories import load_board, load_items
from pullplan.storage.tables import BoardRow, ItemRow, WorkspaceRow, WorkTypeRow

# Statuses in the order a team deals with them.
URGENCY = {
    LrmStatus.LATE: 0,
    LrmStatus.DUE: 1,
    LrmStatus.AT_RISK: 2,
    LrmStatus.APPROACHING: 3,
    LrmStatus.OPTION: 4,
    LrmStatus.ON_TRACK: 5,
}


@dataclass(frozen=True)
class ItemLrm:
    item: WorkItem
    board_name: str
    status: LrmStatus
    commit_by: dt.date | None  # uncommitted items with a due date
    lead_time: LeadTime | None
    why: str
    buffer_days: int | None = None  # the buffer its commit-by date keeps
    aggregate: AggregateProgress | None = None  # its children's progress, once split
    forecast_children: int | None = None  # LT_p forecast from this many children (Monte Carlo)


def board_model(db: Database, board_id: int) -> tuple[CycleTimeModel, dt.date]:
    """Cycle times of the board's finished items per (work type, class), and today, in the
    workspace's time zone and calendar (calendar days, or working days). The commit and done
    dates are the ones the transition log gives, kept on each item (so this reads one row
    per finished item, not the whole log)."""
    with db.read() as session:
        tz = _zone_of(session, board_id)
        calendar = lrm_settings.board_settings(session, board_id).calendar
        rows = session.execute(
            select(WorkTypeRow.name, ItemRow.class_of_service, ItemRow.committed_at, ItemRow.done_at)
            .outerjoin(WorkTypeRow, WorkTypeRow.id == ItemRow.work_type_id)
            .where(
                ItemRow.board_id == board_id,
                ItemRow.done_at.is_not(None),
                ItemRow.committed_at.is_not(None),
            )
        ).all()
    samples = [
        (work_type, cos, calendar.days_between(committed.astimezone(tz).date(), done.astimezone(tz).date()))
        for work_type, cos, committed, done in rows
    ]
    return CycleTimeModel.from_samples(samples), utcnow().astimezone(tz).date()


def _zone_of(session, board_id: int) -> dt.tzinfo:
    """The time zone of the board's workspace, in which its days are counted."""
    name = session.scalar(
        select(WorkspaceRow.time_zone)
        .join(BoardRow, BoardRow.workspace_id == WorkspaceRow.id)
        .where(BoardRow.id == board_id)
    )
    if name is None:
        raise NotFound("Board", board_id)
    return flow.zone(name)


def board_lrm(
    db: Database,
    *,
    board_id: int,
    policy: LrmPolicy | None = None,
    calendar: WorkCalendar | None = None,
    model: tuple[CycleTimeModel, dt.date] | None = None,
) -> list[ItemLrm]:
    """Every open item with a commit-by date or a committed status, most urgent first
    (`model`: the board's model and today, when the caller has them already; `policy` and
    `calendar`: the workspace's settings unless given)."""
    model, today = model or board_model(db, board_id)
    with db.read() as session:
        board = load_board(session, board_id)
        if board is None:
            raise NotFound("Board", board_id)
        settings = lrm_settings.board_settings(session, board_id)
        policy = policy or settings.policy
        calendar = calendar or settings.calendar
        option_ids = [s.id for s in board.stages if s.kind == StageKind.OPTION]
        committed_ids = [s.id for s in board.stages if s.kind == StageKind.COMMITTED]
        items = load_items(
            session,
            [
                ItemRow.board_id == board_id,
                ItemRow.stage_id.in_(option_ids + committed_ids),
                ItemRow.archived_at.is_(None),
            ],
        )
        progress = aggregates.children_progress(session, board_id=board_id)
        children = _children_of_options(session, [i for i in items if i.id in progress], committed_ids)
        templates = aggregates.load_templates(session, settings.workspace_id)
    forecast = _AggregateForecast(model, policy)
    rows = []
    for item in items:
        committed = item.stage_id in committed_ids
        spec = None
        if not committed:
            spec = children.get(item.id) or _template_spec(item, templates.get(item.work_type_id))
        row = _item_lrm(item, board.name, committed, model, today, policy, calendar, spec, forecast)
        if row is not None:
            done = progress.get(item.id)
            why = f"{row.why}; children: {done.label}" if done else row.why
            rows.append(replace(row, aggregate=done, why=why))
    rows.sort(key=lambda r: (URGENCY[r.status], r.commit_by or dt.date.max, r.item.id))
    return rows


def workspace_lrm(
    db: Database, *, workspace_id: int, owner_id: int | None = None, board_id: int | None = None
) -> list[ItemLrm]:
    """The commit-by view of a workspace (optionally one board's, one owner's items), most
    urgent first."""
    with db.read() as session:
        board_ids = session.scalars(
            select(BoardRow.id).where(BoardRow.workspace_id == workspace_id).order_by(BoardRow.id)
        ).all()
    if board_id is not None:
        if board_id not in board_ids:
            raise InvalidInput("board_id", f"board {board_id} is not in this workspace.")
        board_ids = [board_id]
    rows = [r for b in board_ids for r in board_lrm(db, board_id=b)]
    if owner_id is not None:
        rows = [r for r in rows if r.item.owner_id == owner_id]
    rows.sort(key=lambda r: (URGENCY[r.status], r.commit_by or dt.date.max, r.item.id))
    return rows


# An aggregate's children as the forecast needs them: (work type name, offset in days from
# the parent's due date) each.
ChildSpec = tuple[tuple[str | None, int], ...]


def _template_spec(item, template) -> ChildSpec | None:
    if not template or item.parent_id is not None:
        return None  # a child is work already split: it is not split again
    return tuple(
        (c.work_type_name if c.work_type_id else item.work_type_name, c.offset_days) for c in template
    )


def _children_of_options(session, parents, committed_ids) -> dict[int, ChildSpec]:
    """The children of the parents (not in `committed_ids`) that were split already."""
    options = {p.id: p for p in parents if p.stage_id not in committed_ids}
    if not options:
        return {}
    found: dict[int, list[tuple[str | None, int]]] = {}
    for child in load_items(session, [ItemRow.parent_id.in_(list(options))]):
        parent = options[child.parent_id]
        offset = (child.due_date - parent.due_date).days if child.due_date and parent.due_date else 0
        found.setdefault(parent.id, []).append((child.work_type_name, offset))
    return {k: tuple(x) for k, x in found.items()}


class _AggregateForecast:
    """LT_p of aggregates by Monte Carlo over their children (analytics.aggregate_forecast),
    each child sampled from its type and class, or the board's pooled history when that cell
    has fewer than the model's minimum. Seeded: the same history gives the same dates."""

    def __init__(self, model: CycleTimeModel, policy: LrmPolicy) -> None:
        self.model, self.policy, self._done = model, policy, {}

    def lead_time(self, spec: ChildSpec, cos: ClassOfService) -> LeadTime | None:
        key = (spec, cos)
        if key not in self._done:
            self._done[key] = self._forecast(spec, cos)
        return self._done[key]

    def _forecast(self, spec: ChildSpec, cos: ClassOfService) -> LeadTime | None:
        pooled = self.model.pooled
        if not pooled:
            return None
        samples, any_pooled = [], False
        for work_type, _ in spec:
            cell = self.model.by_cell.get((work_type, cos), ())
            use_pool = len(cell) < self.model.min_samples
            any_pooled |= use_pool
            samples.append(pooled if use_pool else cell)
        p = self.policy.p(cos)
        result = aggregate_lead_time(samples, [offset for _, offset in spec], p)
        return LeadTime(max(1, result.days), p, len(pooled), any_pooled)


def _item_lrm(
    item, board_name, committed, model, today, policy, calendar, spec=None, forecast=None
) -> ItemLrm | None:
    cos = item.class_of_service
    if committed:
        lt = model.lead_time(item.work_type_name, cos, policy.p(cos))
        since = (item.committed_at or item.stage_entered_at).date()
        status = committed_status(today, since, lt, item.due_date, calendar)
        why = (
            f"committed {since}; {lt.percentile}% of such items finish within {lt.days} days"
            + (f"; due {item.due_date}" if item.due_date else "")
            if lt
            else "no finished items yet to compare with"
        )
        return ItemLrm(item, board_name, status, None, lt, why)
    if cos == ClassOfService.INTANGIBLE:
        return None  # intangible work has no last responsible moment
    if cos == ClassOfService.EXPEDITE:
        return ItemLrm(item, board_name, LrmStatus.DUE, today, None, "expedite: due now")
    if item.due_date is None:
        return None
    buffer = policy.buffer(cos)
    if spec and forecast is not None:
        lt = forecast.lead_time(spec, cos)
        if lt is None:
            return None
        by = commit_by(item.due_date, lt, buffer, calendar)
        why = (
            f"due {item.due_date}, minus {lt.days} days ({lt.percentile}th percentile of a Monte Carlo "
            f"forecast of its {len(spec)} children, each sampled from the cycle times of its type"
            f"{' or the board' if lt.pooled else ''}), minus a {buffer}-day buffer"
        )
        status = option_status(today, by.date, policy)
        return ItemLrm(item, board_name, status, by.date, lt, why, buffer, None, len(spec))
    lt = model.lead_time(item.work_type_name, cos, policy.p(cos))
    if lt is None:
        return None
    by: CommitBy = commit_by(item.due_date, lt, buffer, calendar)
    return ItemLrm(item, board_name, option_status(today, by.date, policy), by.date, lt, by.why, buffer)


@dataclass(frozen=True)
class ServiceLevel:
    """A service level expectation: p% of these items finish within N days (`work_type` and
    `class_of_service` None: the whole board's)."""

    work_type: str | None
    class_of_service: ClassOfService | None
    lead_time: LeadTime

    @property
    def sentence(self) -> str:
        lt = self.lead_time
        if self.class_of_service is None:
            return (
                f"{lt.percentile}% of the board's items finish within {lt.days} days ({lt.samples} finished)"
            )
        kind = f"{CLASS_LABELS[self.class_of_service].lower()} {self.work_type or 'untyped'}"
        return f"{lt.percentile}% of {kind} items finish within {lt.days} days ({lt.samples} finished)"


def service_levels(db: Database, *, board_id: int) -> list[ServiceLevel]:
    """The board's SLE at the workspace's default p, then that of each work type and class
    with at least 20 finished items, at the workspace's p of its class (the others' commit-by
    dates use the board's history)."""
    model, _ = board_model(db, board_id)
    with db.read() as session:
        policy = lrm_settings.board_settings(session, board_id).policy
    board = model.board_lead_time(policy.default_percentile)
    if board is None:
        return []
    cells = sorted(model.by_cell, key=lambda c: (c[0] or "", list(ClassOfService).index(c[1])))
    own = [(t, cos, model.sle(t, cos, policy.p(cos))) for t, cos in cells]
    return [ServiceLevel(None, None, board)] + [
        ServiceLevel(t, cos, lt) for t, cos, lt in own if not lt.pooled
    ]


@dataclass(frozen=True)
class TimedCommitment:
    item_id: int
    title: str
    committed: dt.date
    commit_by: dt.date
    days: int  # negative: committed that many days before its commit-by date


@dataclass(frozen=True)
class CommitmentTimingSummary:
    """How close to their last responsible moment items crossed the commitment point."""

    items: list[TimedCommitment]
    cadence_days: int
    median_days: float | None
    too_early_share: float | None  # committed more than one replenishment cadence early
    late_share: float | None  # committed after their commit-by date


def commitment_timing_summary(
    db: Database,
    *,
    board_id: int,
    policy: LrmPolicy | None = None,
    calendar: WorkCalendar | None = None,
) -> CommitmentTimingSummary:
    """For every item with a due date that crossed the commitment point: the days between its
    commitment and its commit-by date (by the board's cycle times now, and the workspace's
    settings unless `policy` and `calendar` are given; an aggregate's by the forecast of its
    children, as while it was an option)."""
    model, _ = board_model(db, board_id)
    with db.read() as session:
        tz = _zone_of(session, board_id)
        settings = lrm_settings.board_settings(session, board_id)
        policy = policy or settings.policy
        calendar = calendar or settings.calendar
        items = load_items(
            session,
            [
                ItemRow.board_id == board_id,
                ItemRow.committed_at.is_not(None),
                ItemRow.due_date.is_not(None),
                ItemRow.class_of_service.in_(
                    [ClassOfService.STANDARD.value, ClassOfService.FIXED_DATE.value]
                ),
            ],
        )
        split = aggregates.children_progress(session, board_id=board_id)
        parents = [i for i in items if i.id in split]
        children = _children_of_options(session, parents, committed_ids=())
    forecast = _AggregateForecast(model, policy)
    timed = []
    for item in items:
        if item.id in children and item.parent_id is None:
            lt = forecast.lead_time(children[item.id], item.class_of_service)
        else:
            lt = model.lead_time(item.work_type_name, item.class_of_service, policy.p(item.class_of_service))
        if lt is None:
            continue
        by = commit_by(item.due_date, lt, policy.buffer(item.class_of_service), calendar).date
        committed = item.committed_at.astimezone(tz).date()
        timed.append(TimedCommitment(item.id, item.title, committed, by, commitment_timing(committed, by)))
    days = sorted(t.days for t in timed)
    n = len(days)
    return CommitmentTimingSummary(
        items=sorted(timed, key=lambda t: t.days),
        cadence_days=policy.cadence_days,
        median_days=None if not n else (days[(n - 1) // 2] + days[n // 2]) / 2,
        too_early_share=None if not n else sum(d < -policy.cadence_days for d in days) / n,
        late_share=None if not n else sum(d > 0 for d in days) / n,
    )
