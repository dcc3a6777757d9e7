"""Last Planner use cases, part one: planner settings, milestones and their pull plans, the
constraint log, and the lookahead with its weekly snapshots (DESIGN §3, conversations 1-2).

Weekly plans, check-ins, week close, metrics and learning cycles are in
pullplan.services.planner_weeks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pullplan.domain import planner as rules
from pullplan.domain.board import StageKind
from pullplan.domain.planner import (
    DEFAULT_LAG_WEEKS,
    DEFAULT_LOOKAHEAD_WEEKS,
    DEFAULT_REASONS,
    ConstraintCategory,
    ConstraintStatus,
    Reason,
)
from pullplan.domain.pull_plan import Handoff, PlanCycle, PlanSchedule, schedule
from pullplan.services import validation as v
from pullplan.services.accounts import record
from pullplan.services.clock import utcnow
from pullplan.services.errors import Conflict, InvalidInput, NotFound
from pullplan.services.flow import zone
from pullplan.storage.database import Database
from pullplan.storage.planner_tables import (
    ConstraintRow,
    LookaheadSnapshotRow,
    MilestoneRow,
    PlannerSettingsRow,
    PlanTaskLinkRow,
    PlanTaskRow,
    PromiseRow,
    SnapshotTaskRow,
)
from pullplan.storage.tables import BoardRow, ItemRow, MembershipRow, StageRow, UserRow, WorkspaceRow

LOOKAHEAD_WEEKS_MAX = 26
LAG_WEEKS_MAX = 8
DURATION_MAX = 250  # working days: about a year
PREDECESSORS_MAX = 50
REASONS_MAX = 30


# --- what the use cases answer ------------------------------------------------------------


@dataclass(frozen=True)
class PlannerSettings:
    workspace_id: int
    lookahead_weeks: int
    lag_weeks: int
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class TaskRef:
    """A task of the planner: a pull-plan task or a board item."""

    kind: str  # "task" or "item"
    id: int
    title: str
    performer_id: int | None
    team: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class ConstraintView:
    id: int
    workspace_id: int
    task: TaskRef
    category: str
    description: str
    owner_id: int | None
    owner_name: str | None
    need_by: dt.date
    status: str
    created_at: dt.datetime
    created_on: dt.date
    closed_on: dt.date | None
    note: str
    overdue: bool


@dataclass(frozen=True)
class PlanTaskView:
    id: int
    milestone_id: int
    title: str
    performer_id: int | None
    performer_name: str | None
    team: str
    customer: str
    duration_days: int
    predecessor_ids: tuple[int, ...]
    done_on: dt.date | None
    latest_start: dt.date
    latest_finish: dt.date
    earliest_start: dt.date | None
    earliest_finish: dt.date | None
    float_days: int | None
    open_constraints: int


@dataclass(frozen=True)
class MilestoneView:
    id: int
    workspace_id: int
    name: str
    date: dt.date
    conditions: str
    tasks: tuple[PlanTaskView, ...] = ()
    fits: bool = True
    slack_days: int = 0
    finish: dt.date | None = None


@dataclass(frozen=True)
class LookaheadTask:
    task: TaskRef
    week: dt.date  # the week it is planned for (overdue tasks: this week)
    start: dt.date | None
    finish: dt.date | None
    performer_name: str | None
    milestone: str | None  # the pull plan it belongs to, or the board of an item
    constraints: tuple[ConstraintView, ...]
    promised_for: tuple[dt.date, ...]  # the weeks it is promised for, from this week on

    @property
    def ready(self) -> bool:
        return rules.is_ready(c.status for c in self.constraints)

    @property
    def open_constraints(self) -> int:
        return sum(1 for c in self.constraints if c.status == ConstraintStatus.OPEN)


@dataclass(frozen=True)
class Lookahead:
    workspace_id: int
    today: dt.date
    weeks: tuple[dt.date, ...]
    tasks: tuple[LookaheadTask, ...]
    snapshot_weeks: tuple[dt.date, ...] = field(default=())

    def in_week(self, week: dt.date) -> list[LookaheadTask]:
        return [t for t in self.tasks if t.week == week]


@dataclass(frozen=True)
class SnapshotView:
    id: int
    week: dt.date
    taken_at: dt.datetime
    tasks: int
    created: bool  # False: the week's snapshot existed already and stands


# --- shared helpers -----------------------------------------------------------------------


@contextmanager
def write(db: Database) -> Iterator[Session]:
    """One unit of work of the planner. Two people changing the same week at the same moment
    (the same task promised twice, the week's snapshot taken twice, a week closed twice) meet
    a uniqueness rule on PostgreSQL: the later one is told to try again, nothing is written."""
    try:
        with db.write() as session:
            yield session
    except IntegrityError:
        raise Conflict(
            "changed_meanwhile", "Someone changed this plan at the same moment; try again."
        ) from None


def workspace_today(session: Session, workspace_id: int, now: dt.datetime | None = None) -> dt.date:
    """Today in the workspace's time zone; NotFound for an unknown workspace."""
    name = session.scalar(select(WorkspaceRow.time_zone).where(WorkspaceRow.id == workspace_id))
    if name is None:
        raise NotFound("Workspace", workspace_id)
    return (now or utcnow()).astimezone(zone(name)).date()


def check_member(session: Session, workspace_id: int, user_id: object, field_name: str) -> int | None:
    if user_id is None:
        return None
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        raise InvalidInput(field_name, "must be a user id.")
    found = session.scalar(
        select(MembershipRow.user_id).where(
            MembershipRow.workspace_id == workspace_id, MembershipRow.user_id == user_id
        )
    )
    if found is None:
        raise InvalidInput(field_name, f"user {user_id} is not a member of this workspace.")
    return user_id


def names(session: Session, user_ids) -> dict[int, str]:
    ids = {u for u in user_ids if u is not None}
    if not ids:
        return {}
    return dict(session.execute(select(UserRow.id, UserRow.display_name).where(UserRow.id.in_(ids))).all())


def resolve_task(
    session: Session, workspace_id: int, plan_task_id: int | None, item_id: int | None
) -> TaskRef:
    """The task a request names by exactly one of plan_task_id and item_id."""
    if (plan_task_id is None) == (item_id is None):
        raise InvalidInput("plan_task_id", "name exactly one of plan_task_id and item_id.")
    if plan_task_id is not None:
        row = session.get(PlanTaskRow, plan_task_id)
        if row is None or row.workspace_id != workspace_id:
            raise InvalidInput("plan_task_id", f"pull-plan task {plan_task_id} is not in this workspace.")
        return TaskRef("task", row.id, row.title, row.performer_id, row.team)
    found = session.execute(
        select(ItemRow, BoardRow.name)
        .join(BoardRow, BoardRow.id == ItemRow.board_id)
        .where(ItemRow.id == item_id, BoardRow.workspace_id == workspace_id)
    ).first()
    if found is None or found[0].archived_at is not None:
        raise InvalidInput("item_id", f"item {item_id} is not an open item of this workspace.")
    item, board_name = found
    return TaskRef("item", item.id, item.title, item.owner_id, board_name)


def task_refs(session: Session, plan_task_ids, item_ids) -> dict[str, TaskRef]:
    refs: dict[str, TaskRef] = {}
    plan_task_ids, item_ids = set(plan_task_ids) - {None}, set(item_ids) - {None}
    if plan_task_ids:
        for row in session.scalars(select(PlanTaskRow).where(PlanTaskRow.id.in_(plan_task_ids))):
            refs[f"task:{row.id}"] = TaskRef("task", row.id, row.title, row.performer_id, row.team)
    if item_ids:
        rows = session.execute(
            select(ItemRow.id, ItemRow.title, ItemRow.owner_id, BoardRow.name)
            .join(BoardRow, BoardRow.id == ItemRow.board_id)
            .where(ItemRow.id.in_(item_ids))
        ).all()
        for item_id, title, owner_id, board_name in rows:
            refs[f"item:{item_id}"] = TaskRef("item", item_id, title, owner_id, board_name)
    return refs


EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


def _date(field_name: str, value: object, *, required: bool = True) -> dt.date | None:
    """A date a plan can hold: from 2000 to 2099 (schedules count the days in between)."""
    if value is None and not required:
        return None
    day = None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    elif isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            pass
    if day is None:
        raise InvalidInput(field_name, "must be a date (YYYY-MM-DD).")
    if not EARLIEST <= day <= LATEST:
        raise InvalidInput(field_name, f"must be a date from {EARLIEST} to {LATEST}.")
    return day


def _whole(field_name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(field_name, f"must be a whole number from {low} to {high}.")
    return value


# --- settings -------------------------------------------------------------------------------


def _settings(session: Session, workspace_id: int) -> PlannerSettings:
    row = session.get(PlannerSettingsRow, workspace_id)
    if row is None:
        return PlannerSettings(workspace_id, DEFAULT_LOOKAHEAD_WEEKS, DEFAULT_LAG_WEEKS, DEFAULT_REASONS)
    reasons = tuple(Reason(r["code"], r["label"], bool(r.get("needs_five_why"))) for r in row.reasons)
    return PlannerSettings(workspace_id, row.lookahead_weeks, row.lag_weeks, reasons)


def get_settings(db: Database, workspace_id: int) -> PlannerSettings:
    with db.read() as session:
        workspace_today(session, workspace_id)
        return _settings(session, workspace_id)


def update_settings(
    db: Database,
    *,
    actor_id: int | None,
    workspace_id: int,
    lookahead_weeks: int | None = None,
    lag_weeks: int | None = None,
    reasons: list[dict] | None = None,
) -> PlannerSettings:
    """Set the lookahead window, the lag k of TA and TMR, and the reasons for variance."""
    with write(db) as session:
        workspace_today(session, workspace_id)
        current = _settings(session, workspace_id)
        weeks = current.lookahead_weeks
        if lookahead_weeks is not None:
            weeks = _whole("lookahead_weeks", lookahead_weeks, 1, LOOKAHEAD_WEEKS_MAX)
        lag = current.lag_weeks if lag_weeks is None else _whole("lag_weeks", lag_weeks, 1, LAG_WEEKS_MAX)
        taxonomy = current.reasons
        if reasons is not None:
            if not isinstance(reasons, list) or len(reasons) > REASONS_MAX:
                raise InvalidInput("reasons", f"must be a list of at most {REASONS_MAX} reasons.")
            taxonomy = tuple(
                Reason(
                    code=v.text(f"reasons.{n}.code", r.get("code"), max_len=40),
                    label=v.text(f"reasons.{n}.label", r.get("label"), max_len=80),
                    needs_five_why=bool(r.get("needs_five_why", False)),
                )
                for n, r in enumerate(reasons)
            )
            problem = rules.check_taxonomy(taxonomy)
            if problem:
                raise InvalidInput("reasons", problem)
        row = session.get(PlannerSettingsRow, workspace_id)
        if row is None:
            row = PlannerSettingsRow(workspace_id=workspace_id)
            session.add(row)
        row.lookahead_weeks, row.lag_weeks = weeks, lag
        row.reasons = [
            {"code": r.code, "label": r.label, "needs_five_why": r.needs_five_why} for r in taxonomy
        ]
        record(
            session,
            actor_id,
            workspace_id,
            "planner.settings",
            "planner settings",
            {"lookahead_weeks": weeks, "lag_weeks": lag, "reasons": [r.code for r in taxonomy]},
        )
        return _settings(session, workspace_id)


# --- milestones and pull plans --------------------------------------------------------------


def create_milestone(
    db: Database,
    *,
    actor_id: int | None,
    workspace_id: int,
    name: str,
    date: object,
    conditions: str = "",
    now: dt.datetime | None = None,
) -> MilestoneView:
    with write(db) as session:
        workspace_today(session, workspace_id)
        row = MilestoneRow(
            workspace_id=workspace_id,
            name=v.text("name", name, max_len=v.TITLE_MAX),
            date=_date("date", date),
            conditions=v.text("conditions", conditions, max_len=v.DESCRIPTION_MAX, required=False),
            created_at=now or utcnow(),
            created_by=actor_id,
        )
        session.add(row)
        session.flush()
        record(session, actor_id, workspace_id, "milestone.create", row.name, {"milestone_id": row.id})
        return _milestone(session, row, now)


def edit_milestone(
    db: Database, *, actor_id: int | None, milestone_id: int, changes: dict, now: dt.datetime | None = None
) -> MilestoneView:
    with write(db) as session:
        row = _milestone_row(session, milestone_id)
        for key, value in changes.items():
            if key == "name":
                row.name = v.text("name", value, max_len=v.TITLE_MAX)
            elif key == "date":
                row.date = _date("date", value)
            elif key == "conditions":
                row.conditions = v.text("conditions", value, max_len=v.DESCRIPTION_MAX, required=False)
            else:
                raise InvalidInput(key, "is not a field of a milestone.")
        record(session, actor_id, row.workspace_id, "milestone.edit", row.name, {"fields": sorted(changes)})
        return _milestone(session, row, now)


def list_milestones(db: Database, workspace_id: int, now: dt.datetime | None = None) -> list[MilestoneView]:
    with db.read() as session:
        workspace_today(session, workspace_id)
        rows = session.scalars(
            select(MilestoneRow).where(MilestoneRow.workspace_id == workspace_id).order_by(MilestoneRow.date)
        ).all()
        return [_milestone(session, row, now) for row in rows]


def pull_plan(db: Database, milestone_id: int, now: dt.datetime | None = None) -> MilestoneView:
    """The milestone with its handoffs scheduled backwards from it, and whether it fits."""
    with db.read() as session:
        return _milestone(session, _milestone_row(session, milestone_id), now)


def add_plan_task(
    db: Database,
    *,
    actor_id: int | None,
    milestone_id: int,
    title: str,
    duration_days: int,
    performer_id: int | None = None,
    team: str = "",
    customer: str = "",
    predecessor_ids: list[int] | None = None,
    now: dt.datetime | None = None,
) -> PlanTaskView:
    """Add a handoff to a pull plan: `performer_id` hands `title` over to `customer`."""
    with write(db) as session:
        milestone = _milestone_row(session, milestone_id)
        row = PlanTaskRow(
            milestone_id=milestone.id,
            workspace_id=milestone.workspace_id,
            title=v.text("title", title, max_len=v.TITLE_MAX),
            duration_days=_whole("duration_days", duration_days, 1, DURATION_MAX),
            performer_id=check_member(session, milestone.workspace_id, performer_id, "performer_id"),
            team=v.text("team", team, max_len=v.NAME_MAX, required=False),
            customer=v.text("customer", customer, max_len=120, required=False),
            created_at=now or utcnow(),
        )
        session.add(row)
        session.flush()
        _set_predecessors(session, row, predecessor_ids or [])
        record(
            session, actor_id, milestone.workspace_id, "plan_task.create", row.title, {"plan_task_id": row.id}
        )
        view = _milestone(session, milestone, now)
        return next(t for t in view.tasks if t.id == row.id)


def edit_plan_task(
    db: Database, *, actor_id: int | None, plan_task_id: int, changes: dict, now: dt.datetime | None = None
) -> PlanTaskView:
    with write(db) as session:
        row = session.get(PlanTaskRow, plan_task_id)
        if row is None:
            raise NotFound("Pull-plan task", plan_task_id)
        for key, value in changes.items():
            if key == "title":
                row.title = v.text("title", value, max_len=v.TITLE_MAX)
            elif key == "duration_days":
                row.duration_days = _whole("duration_days", value, 1, DURATION_MAX)
            elif key == "performer_id":
                row.performer_id = check_member(session, row.workspace_id, value, "performer_id")
            elif key == "team":
                row.team = v.text("team", value, max_len=v.NAME_MAX, required=False)
            elif key == "customer":
                row.customer = v.text("customer", value, max_len=120, required=False)
            elif key == "done_on":
                row.done_on = _date("done_on", value, required=False)
            elif key == "predecessor_ids":
                _set_predecessors(session, row, value or [])
            else:
                raise InvalidInput(key, "is not a field of a pull-plan task.")
        record(session, actor_id, row.workspace_id, "plan_task.edit", row.title, {"fields": sorted(changes)})
        view = _milestone(session, _milestone_row(session, row.milestone_id), now)
        return next(t for t in view.tasks if t.id == row.id)


def _set_predecessors(session: Session, row: PlanTaskRow, predecessor_ids: object) -> None:
    if not isinstance(predecessor_ids, list | tuple) or len(predecessor_ids) > PREDECESSORS_MAX:
        raise InvalidInput("predecessor_ids", f"must be a list of at most {PREDECESSORS_MAX} task ids.")
    wanted = []
    for p in predecessor_ids:
        if isinstance(p, bool) or not isinstance(p, int):
            raise InvalidInput("predecessor_ids", "must be a list of task ids.")
        if p not in wanted:
            wanted.append(p)
    siblings = set(
        session.scalars(select(PlanTaskRow.id).where(PlanTaskRow.milestone_id == row.milestone_id))
    )
    for p in wanted:
        if p == row.id:
            raise InvalidInput("predecessor_ids", "a task cannot come after itself.")
        if p not in siblings:
            raise InvalidInput("predecessor_ids", f"task {p} is not in this pull plan.")
    session.execute(delete(PlanTaskLinkRow).where(PlanTaskLinkRow.task_id == row.id))
    for p in wanted:
        session.add(PlanTaskLinkRow(task_id=row.id, predecessor_id=p))
    session.flush()
    try:
        _schedule(session, _milestone_row(session, row.milestone_id), utcnow().date())
    except PlanCycle:
        raise InvalidInput(
            "predecessor_ids", "these predecessors make a loop: the plan has no order."
        ) from None


def _milestone_row(session: Session, milestone_id: int) -> MilestoneRow:
    row = session.get(MilestoneRow, milestone_id)
    if row is None:
        raise NotFound("Milestone", milestone_id)
    return row


def _schedule(
    session: Session, milestone: MilestoneRow, today: dt.date
) -> tuple[list[PlanTaskRow], dict[int, tuple[int, ...]], PlanSchedule]:
    tasks = session.scalars(
        select(PlanTaskRow).where(PlanTaskRow.milestone_id == milestone.id).order_by(PlanTaskRow.id)
    ).all()
    links = session.execute(
        select(PlanTaskLinkRow.task_id, PlanTaskLinkRow.predecessor_id).where(
            PlanTaskLinkRow.task_id.in_([t.id for t in tasks])
        )
    ).all()
    preds: dict[int, list[int]] = {t.id: [] for t in tasks}
    for task_id, predecessor_id in links:
        preds[task_id].append(predecessor_id)
    frozen = {k: tuple(sorted(x)) for k, x in preds.items()}
    plan = schedule(
        [Handoff(t.id, t.duration_days, frozen[t.id], t.done_on is not None) for t in tasks],
        milestone=milestone.date,
        start=today,
    )
    return list(tasks), frozen, plan


def _open_constraints(session: Session, plan_task_ids) -> dict[int, int]:
    counts: dict[int, int] = {}
    for (task_id,) in session.execute(
        select(ConstraintRow.plan_task_id).where(
            ConstraintRow.plan_task_id.in_(list(plan_task_ids)), ConstraintRow.status == ConstraintStatus.OPEN
        )
    ):
        counts[task_id] = counts.get(task_id, 0) + 1
    return counts


def _milestone(session: Session, row: MilestoneRow, now: dt.datetime | None) -> MilestoneView:
    today = workspace_today(session, row.workspace_id, now)
    tasks, preds, plan = _schedule(session, row, today)
    people = names(session, (t.performer_id for t in tasks))
    open_counts = _open_constraints(session, (t.id for t in tasks))
    views = []
    for t in tasks:
        d = plan.dates[t.id]
        views.append(
            PlanTaskView(
                id=t.id,
                milestone_id=row.id,
                title=t.title,
                performer_id=t.performer_id,
                performer_name=people.get(t.performer_id),
                team=t.team,
                customer=t.customer,
                duration_days=t.duration_days,
                predecessor_ids=preds[t.id],
                done_on=t.done_on,
                latest_start=d.latest_start,
                latest_finish=d.latest_finish,
                earliest_start=d.earliest_start,
                earliest_finish=d.earliest_finish,
                float_days=d.float_days,
                open_constraints=open_counts.get(t.id, 0),
            )
        )
    views.sort(key=lambda t: (t.latest_start, t.id))
    return MilestoneView(
        id=row.id,
        workspace_id=row.workspace_id,
        name=row.name,
        date=row.date,
        conditions=row.conditions,
        tasks=tuple(views),
        fits=plan.fits,
        slack_days=plan.slack_days,
        finish=plan.finish,
    )


# --- the constraint log ---------------------------------------------------------------------


def add_constraint(
    db: Database,
    *,
    actor_id: int | None,
    workspace_id: int,
    category: str,
    description: str,
    need_by: object,
    plan_task_id: int | None = None,
    item_id: int | None = None,
    owner_id: int | None = None,
    now: dt.datetime | None = None,
) -> ConstraintView:
    """Log what stops a task; the task is not ready until it is removed or waived."""
    now = now or utcnow()
    with write(db) as session:
        today = workspace_today(session, workspace_id, now)
        task = resolve_task(session, workspace_id, plan_task_id, item_id)
        ensure_snapshot(session, workspace_id, now, actor_id=actor_id)
        row = ConstraintRow(
            workspace_id=workspace_id,
            plan_task_id=task.id if task.kind == "task" else None,
            item_id=task.id if task.kind == "item" else None,
            category=v.enum("category", category, ConstraintCategory).value,
            description=v.text("description", description, max_len=v.REASON_MAX),
            owner_id=check_member(session, workspace_id, owner_id, "owner_id"),
            need_by=_date("need_by", need_by),
            status=ConstraintStatus.OPEN.value,
            created_at=now,
            created_on=today,
            note="",
        )
        session.add(row)
        session.flush()
        _sync_item_ready(session, row.item_id)
        record(
            session, actor_id, workspace_id, "constraint.create", row.description, {"constraint_id": row.id}
        )
        return _constraint_views(session, [row], today)[0]


def edit_constraint(
    db: Database, *, actor_id: int | None, constraint_id: int, changes: dict, now: dt.datetime | None = None
) -> ConstraintView:
    """Change a constraint: remove or waive it (status), reopen it, or edit its fields."""
    now = now or utcnow()
    with write(db) as session:
        row = session.get(ConstraintRow, constraint_id)
        if row is None:
            raise NotFound("Constraint", constraint_id)
        today = workspace_today(session, row.workspace_id, now)
        ensure_snapshot(session, row.workspace_id, now, actor_id=actor_id)
        for key, value in changes.items():
            if key == "status":
                status = v.enum("status", value, ConstraintStatus)
                if status != row.status:
                    row.status = status.value
                    row.closed_on = None if status == ConstraintStatus.OPEN else today
            elif key == "category":
                row.category = v.enum("category", value, ConstraintCategory).value
            elif key == "description":
                row.description = v.text("description", value, max_len=v.REASON_MAX)
            elif key == "owner_id":
                row.owner_id = check_member(session, row.workspace_id, value, "owner_id")
            elif key == "need_by":
                row.need_by = _date("need_by", value)
            elif key == "note":
                row.note = v.text("note", value, max_len=v.REASON_MAX, required=False)
            else:
                raise InvalidInput(key, "is not a field of a constraint.")
        session.flush()
        _sync_item_ready(session, row.item_id)
        record(
            session,
            actor_id,
            row.workspace_id,
            "constraint.edit",
            row.description,
            {"constraint_id": row.id, "status": row.status, "fields": sorted(changes)},
        )
        return _constraint_views(session, [row], today)[0]


def list_constraints(
    db: Database, workspace_id: int, *, status: str | None = None, now: dt.datetime | None = None
) -> list[ConstraintView]:
    with db.read() as session:
        today = workspace_today(session, workspace_id, now)
        query = select(ConstraintRow).where(ConstraintRow.workspace_id == workspace_id)
        if status is not None:
            query = query.where(ConstraintRow.status == v.enum("status", status, ConstraintStatus).value)
        rows = session.scalars(query.order_by(ConstraintRow.need_by, ConstraintRow.id)).all()
        return _constraint_views(session, rows, today)


def _sync_item_ready(session: Session, item_id: int | None) -> None:
    """A board item is ready when its constraint log has no open entry (the board's "requires
    ready" policy reads it)."""
    if item_id is None:
        return
    statuses = session.scalars(select(ConstraintRow.status).where(ConstraintRow.item_id == item_id)).all()
    item = session.get(ItemRow, item_id)
    if item is not None:
        item.ready = rules.is_ready(statuses)


def _constraint_views(session: Session, rows, today: dt.date) -> list[ConstraintView]:
    refs = task_refs(session, (r.plan_task_id for r in rows), (r.item_id for r in rows))
    people = names(session, (r.owner_id for r in rows))
    return [
        ConstraintView(
            id=r.id,
            workspace_id=r.workspace_id,
            task=refs[f"task:{r.plan_task_id}" if r.plan_task_id else f"item:{r.item_id}"],
            category=r.category,
            description=r.description,
            owner_id=r.owner_id,
            owner_name=people.get(r.owner_id),
            need_by=r.need_by,
            status=r.status,
            created_at=r.created_at,
            created_on=r.created_on,
            closed_on=r.closed_on,
            note=r.note,
            overdue=r.status == ConstraintStatus.OPEN and r.need_by < today,
        )
        for r in rows
    ]


# --- the lookahead and its snapshots --------------------------------------------------------


def lookahead(db: Database, workspace_id: int, now: dt.datetime | None = None) -> Lookahead:
    with db.read() as session:
        return _lookahead(session, workspace_id, now)


def _lookahead(session: Session, workspace_id: int, now: dt.datetime | None) -> Lookahead:
    """Tasks planned inside the window: pull-plan handoffs not done (by their latest start:
    the last responsible moment) and open board items with a due date in it. A task planned
    before this week and not done is shown in this week."""
    today = workspace_today(session, workspace_id, now)
    settings = _settings(session, workspace_id)
    weeks = rules.lookahead_weeks(today, settings.lookahead_weeks)
    first, last = weeks[0], rules.week_end(weeks[-1])
    found: list[tuple[TaskRef, dt.date, dt.date | None, dt.date | None, str]] = []

    milestones = session.scalars(select(MilestoneRow).where(MilestoneRow.workspace_id == workspace_id)).all()
    for milestone in milestones:
        tasks, _, plan = _schedule(session, milestone, today)
        for t in tasks:
            if t.done_on is not None:
                continue
            d = plan.dates[t.id]
            if d.latest_start > last:
                continue
            week = max(first, rules.week_of(d.latest_start))
            ref = TaskRef("task", t.id, t.title, t.performer_id, t.team)
            found.append((ref, week, d.latest_start, d.latest_finish, milestone.name))

    items = session.execute(
        select(ItemRow.id, ItemRow.title, ItemRow.owner_id, ItemRow.due_date, BoardRow.name)
        .join(BoardRow, BoardRow.id == ItemRow.board_id)
        .join(StageRow, StageRow.id == ItemRow.stage_id)
        .where(
            BoardRow.workspace_id == workspace_id,
            ItemRow.due_date.is_not(None),
            ItemRow.due_date <= last,
            ItemRow.archived_at.is_(None),
            ItemRow.done_at.is_(None),
            StageRow.kind.not_in([StageKind.DONE.value, StageKind.DISCARDED.value]),
        )
    ).all()
    for item_id, title, owner_id, due, board_name in items:
        ref = TaskRef("item", item_id, title, owner_id, board_name)
        found.append((ref, max(first, rules.week_of(due)), None, due, board_name))

    task_ids = [r.id for r, *_ in found if r.kind == "task"]
    item_ids = [r.id for r, *_ in found if r.kind == "item"]
    constraint_rows = session.scalars(
        select(ConstraintRow).where(
            (ConstraintRow.plan_task_id.in_(task_ids)) | (ConstraintRow.item_id.in_(item_ids))
        )
    ).all()
    by_task: dict[str, list[ConstraintView]] = {}
    for c in _constraint_views(session, constraint_rows, today):
        by_task.setdefault(c.task.key, []).append(c)
    promised: dict[str, list[dt.date]] = {}
    for plan_task_id, item_id, week in session.execute(
        select(PromiseRow.plan_task_id, PromiseRow.item_id, PromiseRow.week).where(
            PromiseRow.workspace_id == workspace_id, PromiseRow.week >= first
        )
    ):
        key = f"task:{plan_task_id}" if plan_task_id else f"item:{item_id}"
        promised.setdefault(key, []).append(week)
    people = names(session, (r.performer_id for r, *_ in found))
    tasks = [
        LookaheadTask(
            task=ref,
            week=week,
            start=start,
            finish=finish,
            performer_name=people.get(ref.performer_id),
            milestone=source,
            constraints=tuple(by_task.get(ref.key, ())),
            promised_for=tuple(sorted(promised.get(ref.key, ()))),
        )
        for ref, week, start, finish, source in found
    ]
    tasks.sort(key=lambda t: (t.week, t.finish or t.week, t.task.title, t.task.key))
    snapshot_weeks = tuple(
        session.scalars(
            select(LookaheadSnapshotRow.week)
            .where(LookaheadSnapshotRow.workspace_id == workspace_id)
            .order_by(LookaheadSnapshotRow.week)
        )
    )
    return Lookahead(workspace_id, today, tuple(weeks), tuple(tasks), snapshot_weeks)


def take_snapshot(
    db: Database, *, actor_id: int | None, workspace_id: int, now: dt.datetime | None = None
) -> SnapshotView:
    """Store this week's lookahead, for TA and TMR later. The first snapshot of a week stands:
    taking it again that week changes nothing."""
    with write(db) as session:
        return ensure_snapshot(session, workspace_id, now, actor_id=actor_id)


def ensure_snapshot(
    session: Session, workspace_id: int, now: dt.datetime | None, *, actor_id: int | None = None
) -> SnapshotView:
    """This week's snapshot, taken now when the week has none (inside the caller's
    transaction: every planner write takes it, so an active team never misses a week)."""
    now = now or utcnow()
    today = workspace_today(session, workspace_id, now)
    week = rules.week_of(today)
    row = session.scalar(
        select(LookaheadSnapshotRow).where(
            LookaheadSnapshotRow.workspace_id == workspace_id, LookaheadSnapshotRow.week == week
        )
    )
    if row is not None:
        count = len(
            session.scalars(select(SnapshotTaskRow.id).where(SnapshotTaskRow.snapshot_id == row.id)).all()
        )
        return SnapshotView(row.id, row.week, row.taken_at, count, created=False)
    view = _lookahead(session, workspace_id, now)
    row = LookaheadSnapshotRow(workspace_id=workspace_id, week=week, taken_at=now)
    session.add(row)
    session.flush()
    for t in view.tasks:
        session.add(
            SnapshotTaskRow(
                snapshot_id=row.id,
                task=t.task.key,
                title=t.task.title,
                week=t.week,
                performer_id=t.task.performer_id,
                team=t.task.team,
                ready=t.ready,
            )
        )
    record(session, actor_id, workspace_id, "lookahead.snapshot", str(week), {"tasks": len(view.tasks)}, now)
    return SnapshotView(row.id, row.week, row.taken_at, len(view.tasks), created=True)


# --- for the pages --------------------------------------------------------------------------


def workspace_people(db: Database, workspace_id: int) -> tuple[str, list[tuple[int, str]]]:
    """The workspace's name and its members (id, name) by name, for the planner's forms."""
    with db.read() as session:
        name = session.scalar(select(WorkspaceRow.name).where(WorkspaceRow.id == workspace_id))
        if name is None:
            raise NotFound("Workspace", workspace_id)
        people = session.execute(
            select(UserRow.id, UserRow.display_name)
            .join(MembershipRow, MembershipRow.user_id == UserRow.id)
            .where(MembershipRow.workspace_id == workspace_id)
            .order_by(UserRow.display_name)
        ).all()
        return name, [(i, n) for i, n in people]


def today_in(db: Database, workspace_id: int) -> dt.date:
    """Today in the workspace's time zone."""
    with db.read() as session:
        return workspace_today(session, workspace_id)
