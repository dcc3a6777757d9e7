"""Commit-by dates and LRM statuses of a board's items, from its own history (DESIGN §2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from pullplan.domain.board import ClassOfService, StageKind
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
from pullplan.services import flow
from pullplan.services.clock import utcnow
from pullplan.services.errors import NotFound
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


def board_model(db: Database, board_id: int) -> tuple[CycleTimeModel, dt.date]:
    """Cycle times of the board's finished items per (work type, class), and today, in the
    workspace's time zone. The commit and done dates are the ones the transition log gives,
    kept on each item (so this reads one row per finished item, not the whole log)."""
    with db.read() as session:
        tz = _zone_of(session, board_id)
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
        (work_type, cos, (done.astimezone(tz).date() - committed.astimezone(tz).date()).days + 1)
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
    policy: LrmPolicy = LrmPolicy(),
    calendar: WorkCalendar = WorkCalendar(),
    model: tuple[CycleTimeModel, dt.date] | None = None,
) -> list[ItemLrm]:
    """Every open item with a commit-by date or a committed status, most urgent first
    (`model`: the board's model and today, when the caller has them already)."""
    model, today = model or board_model(db, board_id)
    with db.read() as session:
        board = load_board(session, board_id)
        if board is None:
            raise NotFound("Board", board_id)
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
    rows = []
    for item in items:
        row = _item_lrm(item, board.name, item.stage_id in committed_ids, model, today, policy, calendar)
        if row is not None:
            rows.append(row)
    rows.sort(key=lambda r: (URGENCY[r.status], r.commit_by or dt.date.max, r.item.id))
    return rows


def workspace_lrm(db: Database, *, workspace_id: int, owner_id: int | None = None) -> list[ItemLrm]:
    """The commit-by view of a workspace (optionally one owner's items), most urgent first."""
    with db.read() as session:
        board_ids = session.scalars(select(BoardRow.id).where(BoardRow.workspace_id == workspace_id)).all()
    rows = [r for b in board_ids for r in board_lrm(db, board_id=b)]
    if owner_id is not None:
        rows = [r for r in rows if r.item.owner_id == owner_id]
    rows.sort(key=lambda r: (URGENCY[r.status], r.commit_by or dt.date.max, r.item.id))
    return rows


def _item_lrm(item, board_name, committed, model, today, policy, calendar) -> ItemLrm | None:
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
    lt = model.lead_time(item.work_type_name, cos, policy.p(cos))
    if lt is None:
        return None
    by: CommitBy = commit_by(item.due_date, lt, policy.buffer(cos), calendar)
    return ItemLrm(item, board_name, option_status(today, by.date, policy), by.date, lt, by.why)


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
    policy: LrmPolicy = LrmPolicy(),
    calendar: WorkCalendar = WorkCalendar(),
) -> CommitmentTimingSummary:
    """For every item with a due date that crossed the commitment point: the days between its
    commitment and its commit-by date (by the board's cycle times now)."""
    model, _ = board_model(db, board_id)
    with db.read() as session:
        tz = _zone_of(session, board_id)
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
    timed = []
    for item in items:
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
