"""Aggregates in the demo workspace: split templates for Campaigns and Events, a few campaigns
and an event kept whole as options (one due, one late, one approaching, one further off),
and one campaign split into its children when it was committed, its children under way.

Written in the demo's own transaction, after its simulated history; deterministic: the
due dates are set from the board's own cycle times (the same forecast the commit-by page
makes), so the statuses hold whatever day the demo is created on.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pullplan.domain.board import ClassOfService, StageKind
from pullplan.domain.items import TransitionKind
from pullplan.domain.lrm import CycleTimeModel, LrmPolicy
from pullplan.services.lrm import _AggregateForecast
from pullplan.storage.lrm_tables import SplitTemplateChildRow
from pullplan.storage.repositories import append_transition
from pullplan.storage.tables import (
    BoardRow,
    ItemRow,
    LaneRow,
    StageRow,
    TransitionRow,
    UserRow,
    WorkTypeRow,
)

DAY = timedelta(days=1)
# (child title, its work type, its stage, its due date's offset from the parent's)
TEMPLATES = {
    "Campaign": (
        ("Brief and audience", "Campaign", None, -28),
        ("Landing page", "Content", None, -14),
        ("Email sequence", "Content", None, -10),
        ("Social posts", "Content", None, -7),
        ("Launch review", "Campaign", None, -2),
    ),
    "Event": (
        ("Venue and catering", "Event", None, -42),
        ("Invitations", "Content", None, -28),
        ("Speaker briefing", "Event", None, -7),
        ("Follow-up emails", "Content", None, 3),
    ),
}
# (title, work type, owner, days from today to its commit-by date): a late, a due, an
# approaching and an option aggregate.
OPTIONS = (
    ("Q1 launch campaign: Forecast Studio", "Campaign", "bob", -5),
    ("Partner campaign with Atlas Mobility", "Campaign", "farid", 3),
    ("Spring webinar series campaign", "Campaign", "alice", 24),
    ("Customer summit: Lisbon", "Event", "grace", 75),
)


def add(session: Session, workspace_id: int, now: datetime) -> None:
    """Add the templates and aggregates to the demo's Marketing board."""
    types = dict(
        session.execute(
            select(WorkTypeRow.name, WorkTypeRow.id).where(WorkTypeRow.workspace_id == workspace_id)
        ).all()
    )
    for parent_type, children in TEMPLATES.items():
        session.add_all(
            SplitTemplateChildRow(
                work_type_id=types[parent_type],
                position=n,
                title=title,
                child_work_type_id=types[child_type],
                stage_name=stage,
                offset_days=offset,
            )
            for n, (title, child_type, stage, offset) in enumerate(children)
        )
    board_id = session.scalar(
        select(BoardRow.id).where(BoardRow.workspace_id == workspace_id, BoardRow.name == "Marketing")
    )
    stages = {
        name: (stage_id, StageKind(kind))
        for stage_id, name, kind in session.execute(
            select(StageRow.id, StageRow.name, StageRow.kind)
            .where(StageRow.board_id == board_id)
            .order_by(StageRow.position)
        )
    }
    lanes = dict(
        session.execute(
            select(LaneRow.class_of_service, LaneRow.id).where(LaneRow.board_id == board_id)
        ).all()
    )
    users = dict(session.execute(select(UserRow.username, UserRow.id)).all())
    forecast = _AggregateForecast(_model(session, board_id), LrmPolicy())
    ideas = next(stage_id for stage_id, kind in stages.values() if kind == StageKind.OPTION)
    # The board's log grows in time order: what is added here happens just after its last
    # entry, a millisecond apart.
    last = session.scalar(select(func.max(TransitionRow.at)).where(TransitionRow.board_id == board_id))
    clock = _Clock(max(last or now, now - DAY))
    today = now.date()
    for title, work_type, owner, commit_in in OPTIONS:
        spec = tuple((child_type, offset) for _, child_type, _, offset in TEMPLATES[work_type])
        lead = forecast.lead_time(spec, ClassOfService.FIXED_DATE)
        if lead is None:
            continue
        due = today + (commit_in + lead.days + LrmPolicy().buffer(ClassOfService.FIXED_DATE)) * DAY
        row = _item(
            session,
            board_id,
            ideas,
            lanes.get("fixed_date"),
            types[work_type],
            title,
            users.get(owner),
            due,
            clock.tick(),
        )
        row.description = (
            "An aggregate: kept whole while it is an option, split into its children when pulled."
        )
    _split_one(session, board_id, stages, types, lanes, users, clock)


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def tick(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


def _model(session: Session, board_id: int) -> CycleTimeModel:
    rows = session.execute(
        select(WorkTypeRow.name, ItemRow.class_of_service, ItemRow.committed_at, ItemRow.done_at)
        .outerjoin(WorkTypeRow, WorkTypeRow.id == ItemRow.work_type_id)
        .where(ItemRow.board_id == board_id, ItemRow.done_at.is_not(None), ItemRow.committed_at.is_not(None))
    ).all()
    return CycleTimeModel.from_samples(
        (name, cos, (done.date() - committed.date()).days + 1) for name, cos, committed, done in rows
    )


def _item(session, board_id, stage_id, lane_id, type_id, title, owner_id, due, at, parent_id=None) -> ItemRow:
    row = ItemRow(
        board_id=board_id,
        stage_id=stage_id,
        lane_id=lane_id,
        work_type_id=type_id,
        class_of_service=(ClassOfService.FIXED_DATE if due else ClassOfService.STANDARD).value,
        title=title,
        description="",
        owner_id=owner_id,
        due_date=due,
        tags=[],
        parent_id=parent_id,
        ready=False,
        created_at=at,
        updated_at=at,
        stage_entered_at=at,
    )
    session.add(row)
    session.flush()
    append_transition(
        session,
        item_id=row.id,
        board_id=board_id,
        at=at,
        kind=TransitionKind.CREATED,
        actor_id=owner_id,
        to_stage_id=stage_id,
        details={"parent_id": parent_id} if parent_id else {},
    )
    return row


def _move(session, row: ItemRow, stage_id: int, kind: StageKind, at: datetime) -> None:
    append_transition(
        session,
        item_id=row.id,
        board_id=row.board_id,
        at=at,
        kind=TransitionKind.MOVED,
        actor_id=row.owner_id,
        from_stage_id=row.stage_id,
        to_stage_id=stage_id,
    )
    row.stage_id, row.stage_entered_at, row.updated_at = stage_id, at, at
    if kind in (StageKind.COMMITTED, StageKind.DONE) and row.committed_at is None:
        row.committed_at = at
    if kind == StageKind.DONE:
        row.done_at = at


def _split_one(
    session: Session, board_id: int, stages: dict, types: dict, lanes: dict, users: dict, clock
) -> None:
    """A new Campaign pulled across the commitment point and split into its template's
    children, one of them pulled at once (where the first committed stage has room); when
    that stage is full, the oldest Campaign in progress is split instead."""
    committed = [stage_id for stage_id, kind in stages.values() if kind == StageKind.COMMITTED]
    ideas = next(stage_id for stage_id, kind in stages.values() if kind == StageKind.OPTION)
    first_committed = committed[0]
    limit = session.scalar(select(StageRow.wip_limit).where(StageRow.id == first_committed))

    def room(extra: int = 0) -> bool:
        count = session.scalar(
            select(func.count()).where(ItemRow.stage_id == first_committed, ItemRow.archived_at.is_(None))
        )
        return limit is None or count + extra < limit

    if room():
        due = clock.now.date() + 70 * DAY
        parent = _item(
            session, board_id, ideas, lanes.get("fixed_date"), types["Campaign"],
            "Autumn pipeline campaign: CFO roundtables", users.get("bob"), due, clock.tick(),
        )  # fmt: skip
        parent.class_of_service = ClassOfService.FIXED_DATE.value
        _move(session, parent, first_committed, StageKind.COMMITTED, clock.tick())
    else:
        parent = session.scalars(
            select(ItemRow)
            .where(
                ItemRow.board_id == board_id,
                ItemRow.work_type_id == types["Campaign"],
                ItemRow.stage_id.in_(committed),
            )
            .order_by(ItemRow.committed_at, ItemRow.id)
            .limit(1)
        ).first()
        if parent is None:
            return
    at = clock.tick()
    children = []
    for title, child_type, _, offset in TEMPLATES["Campaign"]:
        due = parent.due_date + offset * DAY if parent.due_date else None
        cos = parent.class_of_service if due or parent.class_of_service != "fixed_date" else "standard"
        child = _item(
            session, board_id, ideas, lanes.get(cos), types[child_type], f"{parent.title}: {title}",
            parent.owner_id, due, at, parent.id,
        )  # fmt: skip
        child.class_of_service = cos
        children.append(child)
    append_transition(
        session,
        item_id=parent.id,
        board_id=board_id,
        at=at,
        kind=TransitionKind.SPLIT,
        actor_id=parent.owner_id,
        details={"children": [c.id for c in children], "by": "template"},
    )
    session.flush()
    if room():
        _move(session, children[0], first_committed, StageKind.COMMITTED, clock.tick())
    session.flush()
