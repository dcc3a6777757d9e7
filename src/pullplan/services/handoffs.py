"""Handoff use cases: request a handoff from an item to a performer's board, take each step of
the promise cycle, and read handoffs with their history. Each use case is one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from pullplan.domain.handoffs import (
    CLOSED,
    WAITING,
    Handoff,
    HandoffStatus,
    Step,
    StepDecision,
    apply_step,
    decide_step,
    next_steps,
)
from pullplan.domain.permissions import Role, at_least
from pullplan.services import items as item_service
from pullplan.services import validation as v
from pullplan.services.clock import utcnow
from pullplan.services.errors import Conflict, InvalidInput, NotFound, PullRefused
from pullplan.storage.database import Database
from pullplan.storage.handoff_tables import HandoffRow, HandoffStepRow
from pullplan.storage.tables import (
    BlockerRow,
    BoardRow,
    ItemRow,
    MembershipRow,
    StageRow,
    UserRow,
    WorkspaceRow,
)

CONDITIONS_MAX = 5_000
NOTE_MAX = 2_000
WAITING_PREFIX = "waiting for handoff: "


class StepRefused(Conflict):
    """The promise cycle does not allow this step now, or not to this person; `decision` says
    why. `wrong_person`: the step is possible now, for someone else."""

    def __init__(self, decision: StepDecision) -> None:
        super().__init__("not_your_step" if decision.wrong_person else "step_not_allowed", decision.message)
        self.decision = decision
        self.wrong_person = decision.wrong_person


@dataclass(frozen=True)
class StepView:
    id: int
    at: datetime
    step: str
    actor_id: int | None
    actor_name: str | None
    from_status: str | None
    to_status: str
    note: str | None
    due_date: date | None
    conditions: str | None


@dataclass(frozen=True)
class HandoffView:
    """A handoff as people read it: the rules' view, the names around it and its history."""

    handoff: Handoff
    workspace_id: int
    title: str
    requesting_item_id: int
    requesting_item_title: str
    requesting_board_id: int
    requesting_board_name: str
    linked_item_id: int | None
    linked_item_title: str | None
    performer_board_id: int
    performer_board_name: str
    blocks_item: bool  # it put a blocker on the requesting item that is still open
    requested_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    steps: tuple[StepView, ...] = ()

    @property
    def id(self) -> int:
        return self.handoff.id

    @property
    def status(self) -> HandoffStatus:
        return self.handoff.status

    def next_steps(self, actor_id: int | None) -> list[Step]:
        return next_steps(self.handoff, actor_id)


class _Within:
    """A Database whose units of work are the transaction already open: the item services
    (create, block, unblock) run inside a handoff's use case and commit or roll back with it."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @contextmanager
    def write(self) -> Iterator[Session]:
        yield self._session

    read = write


# --- use cases --------------------------------------------------------------------------------


def request_handoff(
    db: Database,
    *,
    actor_id: int | None,
    requesting_item_id: int,
    performer_board_id: int,
    title: str,
    conditions: str,
    due_date: date,
    performer_id: int | None = None,
    stage_id: int | None = None,
    block: bool = False,
    now: datetime | None = None,
) -> HandoffView:
    """Ask a performer's board (and a person on it, or anyone there) for something: the
    handoff, its linked item on the performer's board (in its first option stage, or
    `stage_id`) and, with `block`, a blocker on the requesting item; all or nothing."""
    now = now or utcnow()
    if actor_id is None:
        raise InvalidInput("requester", "a handoff is requested by a person; name who asks.")
    title = v.text("title", title, max_len=v.TITLE_MAX)
    conditions = v.text("conditions", conditions, max_len=CONDITIONS_MAX)
    if not isinstance(due_date, date) or isinstance(due_date, datetime):
        raise InvalidInput("due_date", "must be a date (YYYY-MM-DD).")
    if due_date < now.date():
        raise InvalidInput(
            "due_date", f"{due_date.isoformat()} is in the past; ask for a date from today on."
        )
    if not isinstance(block, bool):
        raise InvalidInput("block", "must be true or false.")
    with db.write() as session:
        item = session.get(ItemRow, requesting_item_id)
        if item is None:
            raise NotFound("Item", requesting_item_id)
        workspace_id = session.scalar(select(BoardRow.workspace_id).where(BoardRow.id == item.board_id))
        performer_workspace = session.scalar(
            select(BoardRow.workspace_id).where(BoardRow.id == performer_board_id)
        )
        if performer_workspace != workspace_id:
            raise InvalidInput(
                "performer_board_id", f"board {performer_board_id} is not a board of this workspace."
            )
        if item.archived_at is not None:
            raise Conflict("archived", "The requesting item is archived; it cannot wait for a handoff.")
        if performer_id is not None:
            _check_performer(session, workspace_id, performer_id, actor_id)
        _lock_boards(session, {item.board_id, performer_board_id})
        row = HandoffRow(
            workspace_id=workspace_id,
            requesting_item_id=item.id,
            performer_board_id=performer_board_id,
            requester_id=actor_id,
            performer_id=performer_id,
            title=title,
            conditions=conditions,
            due_date=due_date,
            status=HandoffStatus.REQUESTED.value,
            requested_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        linked = item_service.create_item(
            _Within(session),
            actor_id=actor_id,
            board_id=performer_board_id,
            title=title,
            stage_id=stage_id,
            now=now,
            description=f"Handoff #{row.id} for “{item.title}” (item {item.id}).\n\n"
            f"Conditions of satisfaction: {conditions}"[: v.DESCRIPTION_MAX],
            owner_id=performer_id,
            due_date=due_date,
        ).item
        row.linked_item_id = linked.id
        if block:
            blocked = item_service.block_item(
                _Within(session),
                actor_id=actor_id,
                item_id=item.id,
                reason=(WAITING_PREFIX + title)[: v.REASON_MAX],
                category="handoff",
                now=now,
            )
            row.blocker_id = session.scalar(
                select(BlockerRow.id).where(BlockerRow.item_id == blocked.id, BlockerRow.ended_at.is_(None))
            )
        _log(session, row, Step.REQUEST, actor_id, now, None, note=None, due=due_date, conditions=conditions)
        session.flush()
        return _views(session, [row.id])[0]


def take_step(
    db: Database,
    *,
    actor_id: int | None,
    handoff_id: int,
    step: Step | str,
    note: str | None = None,
    due_date: date | None = None,
    conditions: str | None = None,
    now: datetime | None = None,
) -> HandoffView:
    """Take one step of the promise cycle, if the rules allow it to `actor_id` now. Closing a
    handoff (accepted, declined, cancelled) ends the blocker it put on the requesting item."""
    now = now or utcnow()
    step = v.enum("step", step, Step)
    note = v.text("note", note, max_len=NOTE_MAX, required=False) or None
    if conditions is not None:
        conditions = v.text("conditions", conditions, max_len=CONDITIONS_MAX, required=False) or None
    if due_date is not None and (not isinstance(due_date, date) or isinstance(due_date, datetime)):
        raise InvalidInput("due_date", "must be a date (YYYY-MM-DD).")
    with db.write() as session:
        row = _locked(session, handoff_id)
        before = _domain(session, row)
        decision = decide_step(
            before, step, actor_id=actor_id, note=note, due_date=due_date, conditions=conditions
        )
        if not decision.allowed:
            raise StepRefused(decision)
        if step == Step.COUNTER and due_date is not None and due_date < now.date():
            raise InvalidInput("due_date", f"{due_date.isoformat()} is in the past.")
        after = apply_step(before, decision, actor_id=actor_id, due_date=due_date, conditions=conditions)
        row.status = after.status.value
        row.performer_id = after.performer_id
        row.due_date = after.due_date
        row.conditions = after.conditions
        row.counter_due_date = after.counter_due_date
        row.counter_conditions = after.counter_conditions
        row.updated_at = now
        if after.status in CLOSED:
            row.closed_at = now
            _end_wait(session, row, actor_id, note, now)
            if after.status != HandoffStatus.ACCEPTED:
                _discard_unstarted(session, row, actor_id, note, now)
        terms = (after.counter_due_date, after.counter_conditions) if step == Step.COUNTER else (None, None)
        _log(session, row, step, actor_id, now, before.status, note=note, due=terms[0], conditions=terms[1])
        session.flush()
        return _views(session, [row.id])[0]


def get_handoff(db: Database, handoff_id: int) -> HandoffView:
    with db.read() as session:
        views = _views(session, [handoff_id])
    if not views:
        raise NotFound("Handoff", handoff_id)
    return views[0]


def list_handoffs(
    db: Database,
    *,
    workspace_id: int | None = None,
    item_id: int | None = None,
    requester_id: int | None = None,
    performer_id: int | None = None,
    status: str | None = None,
    limit: int = 200,
) -> list[HandoffView]:
    """Handoffs newest first: of a workspace, or of an item (requesting it or linked to it);
    `status` is a status, "open" (still waited for) or "closed"."""
    where = []
    if workspace_id is not None:
        where.append(HandoffRow.workspace_id == workspace_id)
    if item_id is not None:
        where.append(or_(HandoffRow.requesting_item_id == item_id, HandoffRow.linked_item_id == item_id))
    if requester_id is not None:
        where.append(HandoffRow.requester_id == requester_id)
    if performer_id is not None:
        # Mine to perform: named to me, or to my team's board with nobody named yet.
        where.append(
            or_(
                HandoffRow.performer_id == performer_id,
                and_(HandoffRow.performer_id.is_(None), HandoffRow.requester_id != performer_id),
            )
        )
    if status is not None:
        where.append(HandoffRow.status.in_([s.value for s in status_filter(status)]))
    with db.read() as session:
        if item_id is not None and session.get(ItemRow, item_id) is None:
            raise NotFound("Item", item_id)
        ids = session.scalars(
            select(HandoffRow.id).where(*where).order_by(HandoffRow.id.desc()).limit(limit)
        ).all()
        return _views(session, list(ids))


def status_filter(status: str) -> frozenset[HandoffStatus]:
    if status == "open":
        return WAITING
    if status == "closed":
        return CLOSED
    try:
        return frozenset({HandoffStatus(status)})
    except ValueError:
        allowed = ", ".join(["open", "closed", *(s.value for s in HandoffStatus)])
        raise InvalidInput("status", f"{status!r} is not one of: {allowed}.") from None


def waiting_item_ids(db: Database, board_id: int) -> set[int]:
    """The items of a board that wait for a handoff not yet accepted (nor declined, nor
    cancelled)."""
    with db.read() as session:
        return set(
            session.scalars(
                select(HandoffRow.requesting_item_id)
                .join(ItemRow, ItemRow.id == HandoffRow.requesting_item_id)
                .where(ItemRow.board_id == board_id, HandoffRow.status.in_([s.value for s in WAITING]))
            )
        )


def handoff_workspace_id(session: Session, handoff_id: int) -> int | None:
    return session.scalar(select(HandoffRow.workspace_id).where(HandoffRow.id == handoff_id))


# --- helpers ----------------------------------------------------------------------------------


def _check_performer(session: Session, workspace_id: int, performer_id: int, actor_id: int) -> None:
    if performer_id == actor_id:
        raise InvalidInput("performer_id", "you cannot request a handoff from yourself.")
    role = session.scalar(
        select(MembershipRow.role).where(
            MembershipRow.workspace_id == workspace_id, MembershipRow.user_id == performer_id
        )
    )
    if role is None:
        raise InvalidInput("performer_id", f"user {performer_id} is not a member of this workspace.")
    if not at_least(role, Role.MEMBER):
        raise InvalidInput("performer_id", f"user {performer_id} is a {role} here and cannot promise work.")


def _lock_boards(session: Session, board_ids: set[int]) -> None:
    """PostgreSQL: lock both boards in id order before the item services lock them one by one,
    so two handoffs requested in opposite directions at once never deadlock."""
    if session.bind.dialect.name != "sqlite":
        session.execute(
            select(BoardRow.id).where(BoardRow.id.in_(board_ids)).order_by(BoardRow.id).with_for_update()
        ).all()


def _locked(session: Session, handoff_id: int) -> HandoffRow:
    query = select(HandoffRow).where(HandoffRow.id == handoff_id)
    if session.bind.dialect.name != "sqlite":
        query = query.with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None:
        raise NotFound("Handoff", handoff_id)
    return row


def _end_wait(session: Session, row: HandoffRow, actor_id: int | None, note: str | None, now) -> None:
    """The handoff is over: end the blocker it put on the requesting item, if still open."""
    if row.blocker_id is None:
        return
    blocker = session.get(BlockerRow, row.blocker_id)
    if blocker is None or blocker.ended_at is not None:
        return  # someone unblocked the item by hand
    words = {"accepted": "accepted", "declined": "declined", "cancelled": "cancelled"}[row.status]
    item_service.unblock_item(
        _Within(session),
        actor_id=actor_id,
        item_id=row.requesting_item_id,
        reason=(note or f"handoff {words}: {row.title}")[: v.REASON_MAX],
        now=now,
    )


def _discard_unstarted(session: Session, row: HandoffRow, actor_id, note: str | None, now) -> None:
    """A declined or cancelled handoff takes its linked item off the performer's options: an
    item still in an option stage goes to the board's discarded stage. Work already committed
    stays where it is, for the team to decide."""
    if row.linked_item_id is None:
        return
    item = session.get(ItemRow, row.linked_item_id)
    kinds = dict(
        session.execute(select(StageRow.id, StageRow.kind).where(StageRow.board_id == item.board_id)).all()
    )
    if (
        item.archived_at is not None
        or kinds.get(item.stage_id) != "option"
        or "discarded" not in kinds.values()
    ):
        return
    try:
        item_service.discard_item(
            _Within(session),
            actor_id=actor_id,
            item_id=item.id,
            reason=(note or f"handoff {row.status}: {row.title}")[: v.REASON_MAX],
            now=now,
        )
    except PullRefused:
        pass  # the discarded stage's policy refuses it (nothing was written): the team decides


def _log(session, row, step, actor_id, now, from_status, *, note, due, conditions) -> None:
    session.add(
        HandoffStepRow(
            handoff_id=row.id,
            at=now,
            step=Step(step).value,
            actor_id=actor_id,
            from_status=from_status.value if from_status is not None else None,
            to_status=row.status,
            note=note,
            due_date=due,
            conditions=conditions,
        )
    )


def _domain(session: Session, row: HandoffRow) -> Handoff:
    names = dict(
        session.execute(
            select(UserRow.id, UserRow.display_name).where(
                UserRow.id.in_([i for i in (row.requester_id, row.performer_id) if i is not None])
            )
        ).all()
    )
    return _handoff_of(row, names.get(row.requester_id), names.get(row.performer_id))


def _handoff_of(row: HandoffRow, requester_name, performer_name) -> Handoff:
    return Handoff(
        id=row.id,
        status=HandoffStatus(row.status),
        requester_id=row.requester_id,
        performer_id=row.performer_id,
        due_date=row.due_date,
        conditions=row.conditions,
        counter_due_date=row.counter_due_date,
        counter_conditions=row.counter_conditions,
        requester_name=requester_name,
        performer_name=performer_name,
    )


def _views(session: Session, ids: list[int]) -> list[HandoffView]:
    """The handoffs of `ids` with their names and steps, in the order of `ids`: three queries."""
    if not ids:
        return []
    requester, performer = aliased(UserRow), aliased(UserRow)
    asking, linked = aliased(ItemRow), aliased(ItemRow)
    asking_board, performer_board = aliased(BoardRow), aliased(BoardRow)
    rows = session.execute(
        select(
            HandoffRow,
            requester.display_name,
            performer.display_name,
            asking.title,
            asking.board_id,
            asking_board.name,
            linked.title,
            performer_board.name,
            BlockerRow.id,
        )
        .join(asking, asking.id == HandoffRow.requesting_item_id)
        .join(asking_board, asking_board.id == asking.board_id)
        .join(performer_board, performer_board.id == HandoffRow.performer_board_id)
        .outerjoin(linked, linked.id == HandoffRow.linked_item_id)
        .outerjoin(requester, requester.id == HandoffRow.requester_id)
        .outerjoin(performer, performer.id == HandoffRow.performer_id)
        .outerjoin(BlockerRow, and_(BlockerRow.id == HandoffRow.blocker_id, BlockerRow.ended_at.is_(None)))
        .where(HandoffRow.id.in_(ids))
    ).all()
    actor = aliased(UserRow)
    steps: dict[int, list[StepView]] = {}
    for s, actor_name in session.execute(
        select(HandoffStepRow, actor.display_name)
        .outerjoin(actor, actor.id == HandoffStepRow.actor_id)
        .where(HandoffStepRow.handoff_id.in_(ids))
        .order_by(HandoffStepRow.id)
    ):
        steps.setdefault(s.handoff_id, []).append(
            StepView(
                id=s.id,
                at=s.at,
                step=s.step,
                actor_id=s.actor_id,
                actor_name=actor_name,
                from_status=s.from_status,
                to_status=s.to_status,
                note=s.note,
                due_date=s.due_date,
                conditions=s.conditions,
            )
        )
    by_id = {}
    for (
        row,
        req_name,
        perf_name,
        item_title,
        item_board,
        item_board_name,
        linked_title,
        perf_board,
        blocker,
    ) in rows:
        by_id[row.id] = HandoffView(
            handoff=_handoff_of(row, req_name, perf_name),
            workspace_id=row.workspace_id,
            title=row.title,
            requesting_item_id=row.requesting_item_id,
            requesting_item_title=item_title,
            requesting_board_id=item_board,
            requesting_board_name=item_board_name,
            linked_item_id=row.linked_item_id,
            linked_item_title=linked_title,
            performer_board_id=row.performer_board_id,
            performer_board_name=perf_board,
            blocks_item=blocker is not None,
            requested_at=row.requested_at,
            updated_at=row.updated_at,
            closed_at=row.closed_at,
            steps=tuple(steps.get(row.id, ())),
        )
    return [by_id[i] for i in ids if i in by_id]


@dataclass(frozen=True)
class RequestChoices:
    """What the request form offers: the open items of a workspace, its boards, its people."""

    items: list[tuple[int, str, str]]  # id, title, board name
    boards: list[tuple[int, str]]
    people: list[tuple[int, str]]  # members who may perform


def request_choices(db: Database, workspace_id: int, *, limit: int = 500) -> RequestChoices:
    with db.read() as session:
        items = session.execute(
            select(ItemRow.id, ItemRow.title, BoardRow.name)
            .join(BoardRow, BoardRow.id == ItemRow.board_id)
            .join(StageRow, StageRow.id == ItemRow.stage_id)
            .where(
                BoardRow.workspace_id == workspace_id,
                ItemRow.archived_at.is_(None),
                StageRow.kind.in_(["option", "committed"]),
            )
            .order_by(BoardRow.name, ItemRow.title, ItemRow.id)
            .limit(limit)
        ).all()
        boards = session.execute(
            select(BoardRow.id, BoardRow.name)
            .where(BoardRow.workspace_id == workspace_id)
            .order_by(BoardRow.name)
        ).all()
        people = session.execute(
            select(UserRow.id, UserRow.display_name)
            .join(MembershipRow, MembershipRow.user_id == UserRow.id)
            .where(MembershipRow.workspace_id == workspace_id, MembershipRow.role.in_(["member", "manager"]))
            .order_by(UserRow.display_name)
        ).all()
    return RequestChoices([tuple(r) for r in items], [tuple(r) for r in boards], [tuple(r) for r in people])


def workspace_name(db: Database, workspace_id: int) -> str:
    with db.read() as session:
        name = session.scalar(select(WorkspaceRow.name).where(WorkspaceRow.id == workspace_id))
    if name is None:
        raise NotFound("Workspace", workspace_id)
    return name
