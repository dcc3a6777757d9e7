"""Item use cases: create, edit, move (pull), block, unblock, discard, archive, pull next."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from pullplan.domain.board import Board, ClassOfService, StageKind
from pullplan.domain.items import TransitionKind, WorkItem
from pullplan.domain.pull_next import Candidate, rank_pull_next
from pullplan.domain.pull_policy import SAME_LANE, PullDecision, decide_change, decide_pull
from pullplan.domain.rules import EventKind
from pullplan.services import aggregates, rules
from pullplan.services import validation as v
from pullplan.services.accounts import record
from pullplan.services.clock import utcnow
from pullplan.services.errors import Conflict, InvalidInput, NotFound, PullRefused
from pullplan.storage.database import Database
from pullplan.storage.repositories import (
    append_transition,
    board_workspace_id,
    load_board,
    load_item,
    load_items,
    load_wip,
    load_wip_counts,
    run,
)
from pullplan.storage.tables import (
    BlockerRow,
    ItemRow,
    MembershipRow,
    TransitionRow,
    UserRow,
    WorkTypeRow,
)


@dataclass(frozen=True)
class MoveResult:
    item: WorkItem
    decision: PullDecision


EDITABLE = (
    "title",
    "description",
    "work_type_id",
    "class_of_service",
    "lane_id",
    "owner_id",
    "due_date",
    "value",
    "size",
    "tags",
    "external_ref",
    "ready",
    "parent_id",
)


def create_item(
    db: Database,
    *,
    actor_id: int | None,
    board_id: int,
    title: str,
    stage_id: int | None = None,
    reason: str | None = None,
    now: datetime | None = None,
    **fields,
) -> MoveResult:
    """Create an item, by default in the board's first option stage."""
    now = now or utcnow()
    with db.write() as session:
        board = _board(session, board_id, lock=True)
        return _create(session, board, actor_id, title, stage_id, reason, now, fields)


class RowProblems(InvalidInput):
    """Some of many items cannot be created: (row number from 1, field, message) for each."""

    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        shown = "; ".join(f"row {n} {field}: {message}" for n, field, message in problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__("rows", f"{len(problems)} of the items cannot be created: {shown}{more}.")
        self.problems = problems


class _DryRun(Exception):
    def __init__(self, created: list[WorkItem]) -> None:
        self.created = created


def create_items(
    db: Database,
    *,
    actor_id: int | None,
    board_id: int,
    items: list[dict],
    reason: str | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[WorkItem]:
    """Create many items (each a dict of `title`, `stage_id` and item fields) in one
    transaction, each as `create_item` would, the pull policy included: all of them, or none
    and RowProblems naming every row at fault. A dry run does it all and writes nothing."""
    now = now or utcnow()
    try:
        with db.write() as session:
            board = _board(session, board_id, lock=True)
            created, problems = [], []
            for n, fields in enumerate(items, start=1):
                fields = dict(fields)
                title, stage_id = fields.pop("title", None), fields.pop("stage_id", None)
                try:
                    result = _create(session, board, actor_id, title, stage_id, reason, now, fields)
                    created.append(result.item)
                    if progress:
                        progress(n)
                except PullRefused as e:
                    problems.append((n, "stage", " ".join(e.decision.reasons)))
                except InvalidInput as e:
                    problems.append((n, e.field, e.message.removeprefix(f"{e.field}: ")))
            if problems:
                raise RowProblems(problems)
            if dry_run:
                raise _DryRun(created)
    except _DryRun as done:
        return done.created
    return created


def _create(session, board, actor_id, title, stage_id, reason, now, fields) -> MoveResult:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "is not a field of an item.")
    stage = _target_stage(board, stage_id)
    values = _clean(session, board, {"title": title, **fields})
    values.setdefault("class_of_service", ClassOfService.STANDARD)
    if "lane_id" not in values:
        values["lane_id"] = _lane_for(board, values["class_of_service"])
    if values["class_of_service"] == ClassOfService.FIXED_DATE and not values.get("due_date"):
        raise InvalidInput("due_date", "a fixed-date item needs a due date.")
    draft = WorkItem(id=-1, board_id=board.id, stage_id=-1, **_domain_fields(values))
    decision = decide_pull(board, draft, stage.id, load_wip_counts(session, board), reason=reason)
    if not decision.allowed:
        raise PullRefused(decision)
    row = ItemRow(
        board_id=board.id,
        stage_id=stage.id,
        created_at=now,
        updated_at=now,
        stage_entered_at=now,
        committed_at=now if stage.kind in (StageKind.COMMITTED, StageKind.DONE) else None,
        done_at=now if stage.kind == StageKind.DONE else None,
        **{k: (x.value if isinstance(x, ClassOfService) else x) for k, x in values.items()},
    )
    session.add(row)
    session.flush()
    append_transition(
        session,
        item_id=row.id,
        board_id=board.id,
        at=now,
        kind=TransitionKind.CREATED,
        actor_id=actor_id,
        to_stage_id=stage.id,
        reason=_reason(reason) if decision.override else None,
        details=_decision_details(decision),
    )
    _record_override(session, board, row.id, now, actor_id, None, stage.id, decision, reason)
    rules.item_event(session, EventKind.ITEM_CREATED, item_id=row.id, now=now, decision=decision)
    return MoveResult(load_item(session, row.id), decision)


def edit_item(
    db: Database,
    *,
    actor_id: int | None,
    item_id: int,
    changes: dict,
    reason: str | None = None,
    now: datetime | None = None,
) -> MoveResult:
    now = now or utcnow()
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "is not a field of an item.")
    with db.write() as session:
        board, before = _board_and_item(session, item_id)
        values = _clean(session, board, changes, item_id=item_id)
        if "class_of_service" in values and "lane_id" not in values:
            values.update(_lane_follows_class(board, before, values["class_of_service"]))
        after = replace(before, **_domain_fields(values))
        if after.class_of_service == ClassOfService.FIXED_DATE and after.due_date is None:
            raise InvalidInput("due_date", "a fixed-date item needs a due date.")
        wip = load_wip_counts(session, board, excluding=item_id)
        decision = decide_change(board, before, after, wip, reason=reason)
        if not decision.allowed:
            raise PullRefused(decision)
        row = session.get(ItemRow, item_id)
        changed = {}
        for key, new in values.items():
            new_db = new.value if isinstance(new, ClassOfService) else new
            old = getattr(row, key)
            if old != new_db:
                changed[key] = [_json(old), _json(new_db)]
                setattr(row, key, new_db)
        if changed:
            row.updated_at = now
            append_transition(
                session,
                item_id=item_id,
                board_id=board.id,
                at=now,
                kind=TransitionKind.EDITED,
                actor_id=actor_id,
                details={"changes": changed, **_decision_details(decision)},
            )
            _record_override(
                session, board, item_id, now, actor_id, row.stage_id, row.stage_id, decision, reason
            )
        session.flush()
        return MoveResult(load_item(session, item_id), decision)


def move_item(
    db: Database,
    *,
    actor_id: int | None,
    item_id: int,
    to_stage_id: int,
    to_lane_id: int | None | object = SAME_LANE,
    reason: str | None = None,
    now: datetime | None = None,
) -> MoveResult:
    """Pull an item into a stage (and, with `to_lane_id`, into a lane of it; None: no lane):
    lock, count, ask the pull policy, write what it allows."""
    now = now or utcnow()
    with db.write() as session:
        board, item = _board_and_item(session, item_id)
        if board.stage(to_stage_id) is None:
            raise InvalidInput("to_stage_id", f"stage {to_stage_id} is not on the board {board.name}.")
        if to_lane_id is not SAME_LANE and to_lane_id is not None and board.lane(to_lane_id) is None:
            raise InvalidInput("to_lane_id", f"lane {to_lane_id} is not on the board {board.name}.")
        decision = decide_pull(
            board,
            item,
            to_stage_id,
            load_wip_counts(session, board, excluding=item_id),
            reason=reason,
            to_lane_id=to_lane_id,
        )
        if not decision.allowed:
            raise PullRefused(decision)
        lane = {}
        if to_lane_id is not SAME_LANE and to_lane_id != item.lane_id:
            session.execute(update(ItemRow).where(ItemRow.id == item.id).values(lane_id=to_lane_id))
            lane = {"lane_id": [item.lane_id, to_lane_id]}
            item = replace(item, lane_id=to_lane_id)
        moved = write_move(session, board, item, to_stage_id, now, actor_id, decision, reason, lane)
        # A parent crossing the commitment point is split; a last child done finishes its parent.
        aggregates.after_move(
            session, board=board, before=item, after=moved, now=now, actor_id=actor_id, reason=reason
        )
        rules.item_event(session, EventKind.ITEM_MOVED, item_id=item.id, now=now, decision=decision)
        return MoveResult(moved, decision)


def discard_item(
    db: Database,
    *,
    actor_id: int | None,
    item_id: int,
    reason: str | None = None,
    now: datetime | None = None,
) -> MoveResult:
    with db.read() as session:
        board, _ = _board_and_item(session, item_id)
    discarded = [s for s in board.stages if s.kind == StageKind.DISCARDED]
    if not discarded:
        raise Conflict("no_discarded_stage", f"The board {board.name} has no discarded stage.")
    return move_item(
        db, actor_id=actor_id, item_id=item_id, to_stage_id=discarded[0].id, reason=reason, now=now
    )


def block_item(
    db: Database,
    *,
    actor_id: int | None,
    item_id: int,
    reason: str,
    category: str | None = None,
    now: datetime | None = None,
) -> WorkItem:
    now = now or utcnow()
    reason = v.text("reason", reason, max_len=v.REASON_MAX)
    category = v.text("category", category, max_len=v.NAME_MAX, required=False) or None
    with db.write() as session:
        board, item = _board_and_item(session, item_id)
        if item.blocked:
            raise Conflict("already_blocked", f"The item is already blocked: {item.blocked_reason}")
        if item.archived:
            raise Conflict("archived", "The item is archived.")
        session.add(
            BlockerRow(
                item_id=item_id,
                reason=reason,
                category=category,
                started_at=now,
                started_by=actor_id,
            )
        )
        append_transition(
            session,
            item_id=item_id,
            board_id=board.id,
            at=now,
            kind=TransitionKind.BLOCKED,
            actor_id=actor_id,
            reason=reason,
            details={"category": category} if category else {},
        )
        rules.item_event(session, EventKind.ITEM_BLOCKED, item_id=item_id, now=now)
        session.flush()
        return load_item(session, item_id)


def unblock_item(
    db: Database,
    *,
    actor_id: int | None,
    item_id: int,
    reason: str | None = None,
    now: datetime | None = None,
) -> WorkItem:
    """End the open blocker. Where blocked items do not count against WIP, unblocking counts
    the item again, so it must fit the limits like a pull."""
    now = now or utcnow()
    reason = v.text("reason", reason, max_len=v.REASON_MAX, required=False) or None
    with db.write() as session:
        board, item = _board_and_item(session, item_id)
        if not item.blocked:
            raise Conflict("not_blocked", "The item is not blocked.")
        after = replace(item, blocked=False, blocked_reason=None)
        wip = load_wip_counts(session, board, excluding=item_id)
        decision = decide_change(board, item, after, wip, reason=reason)
        if not decision.allowed:
            raise PullRefused(decision)
        blocker = session.scalars(
            select(BlockerRow).where(BlockerRow.item_id == item_id, BlockerRow.ended_at.is_(None))
        ).one()
        blocker.ended_at = now
        blocker.ended_by = actor_id
        append_transition(
            session,
            item_id=item_id,
            board_id=board.id,
            at=now,
            kind=TransitionKind.UNBLOCKED,
            actor_id=actor_id,
            reason=reason,
            details={
                "blocked_seconds": int((now - blocker.started_at).total_seconds()),
                **_decision_details(decision),
            },
        )
        _record_override(
            session, board, item_id, now, actor_id, item.stage_id, item.stage_id, decision, reason
        )
        rules.item_event(session, EventKind.ITEM_UNBLOCKED, item_id=item_id, now=now)
        session.flush()
        return load_item(session, item_id)


def archive_item(
    db: Database, *, actor_id: int | None, item_id: int, now: datetime | None = None
) -> WorkItem:
    now = now or utcnow()
    with db.write() as session:
        board, item = _board_and_item(session, item_id)
        if item.archived:
            raise Conflict("archived", "The item is already archived.")
        if board.stage(item.stage_id).is_wip:
            raise Conflict(
                "not_finished",
                "Only done or discarded items are archived; discard the item first.",
            )
        session.get(ItemRow, item_id).archived_at = now
        append_transition(
            session,
            item_id=item_id,
            board_id=board.id,
            at=now,
            kind=TransitionKind.ARCHIVED,
            actor_id=actor_id,
        )
        session.flush()
        return load_item(session, item_id)


def get_item(db: Database, item_id: int) -> WorkItem:
    with db.read() as session:
        item = load_item(session, item_id)
    if item is None:
        raise NotFound("Item", item_id)
    return item


def item_history(db: Database, item_id: int) -> list[TransitionRow]:
    with db.read() as session:
        if session.get(ItemRow, item_id) is None:
            raise NotFound("Item", item_id)
        return list(
            session.scalars(
                select(TransitionRow).where(TransitionRow.item_id == item_id).order_by(TransitionRow.id)
            )
        )


def item_history_with_actors(db: Database, item_id: int) -> list[tuple[TransitionRow, str | None]]:
    """The item's history, oldest first, each change with the name of who made it (None for
    a change made by no one signed in, or by a removed user)."""
    with db.read() as session:
        if session.get(ItemRow, item_id) is None:
            raise NotFound("Item", item_id)
        return [
            (row, name)
            for row, name in session.execute(
                select(TransitionRow, UserRow.display_name)
                .outerjoin(UserRow, UserRow.id == TransitionRow.actor_id)
                .where(TransitionRow.item_id == item_id)
                .order_by(TransitionRow.id)
            )
        ]


def pull_next(
    db: Database, *, board_id: int, stage_id: int, limit: int = 20
) -> tuple[list[Candidate], list[Candidate]]:
    """Ranked candidates from the stage just upstream of `stage_id` (ready ones first where
    that stage is split)."""
    with db.read() as session:
        board = _board(session, board_id)
        stage = board.stage(stage_id)
        if stage is None:
            raise InvalidInput("stage_id", f"stage {stage_id} is not on the board {board.name}.")
        upstream = board.upstream_of(stage)
        if upstream is None:
            return [], []
        candidates = load_items(session, [ItemRow.stage_id == upstream.id, ItemRow.archived_at.is_(None)])
        wip = load_wip(session, board)
    if upstream.split:
        candidates = [c for c in candidates if c.ready] or candidates
    pullable, refused = rank_pull_next(board, stage_id, candidates, wip)
    return pullable[:limit], refused[:limit]


# --- helpers -------------------------------------------------------------------------------


def _board(session: Session, board_id: int, *, lock: bool = False) -> Board:
    board = load_board(session, board_id, lock=lock)
    if board is None:
        raise NotFound("Board", board_id)
    return board


_ITEM_BOARD = select(ItemRow.board_id).where(ItemRow.id == bindparam("item_id"))
# A move's write, built once (the SET values are bound as `to_*`).
_MOVE = (
    update(ItemRow)
    .where(ItemRow.id == bindparam("item_id"))
    .values(
        stage_id=bindparam("to_stage_id"),
        stage_entered_at=bindparam("to_entered_at", type_=ItemRow.stage_entered_at.type),
        updated_at=bindparam("to_updated_at", type_=ItemRow.updated_at.type),
        ready=False,
        committed_at=bindparam("to_committed_at", type_=ItemRow.committed_at.type),
        done_at=bindparam("to_done_at", type_=ItemRow.done_at.type),
    )
)


def _board_and_item(session: Session, item_id: int) -> tuple[Board, WorkItem]:
    board_id = run(session, _ITEM_BOARD, {"item_id": item_id}).scalar()
    if board_id is None:
        raise NotFound("Item", item_id)
    board = _board(session, board_id, lock=True)
    return board, load_item(session, item_id, lock=True)


def _target_stage(board: Board, stage_id: int | None):
    if stage_id is None:
        options = [s for s in board.stages if s.kind == StageKind.OPTION]
        if not options:
            raise InvalidInput("stage_id", f"the board {board.name} has no option stage; name one.")
        return options[0]
    stage = board.stage(stage_id)
    if stage is None:
        raise InvalidInput("stage_id", f"stage {stage_id} is not on the board {board.name}.")
    return stage


def _lane_follows_class(board: Board, item: WorkItem, cos: ClassOfService) -> dict:
    """An item in its class's lane moves to the new class's lane when its class changes."""
    current = board.lane(item.lane_id)
    if item.lane_id is not None and (current is None or current.class_of_service != item.class_of_service):
        return {}  # the item was put in a lane by hand: leave it there
    lane_id = _lane_for(board, cos)
    return {"lane_id": lane_id} if lane_id is not None else {}


def _lane_for(board: Board, cos: ClassOfService) -> int | None:
    lane = next((lane for lane in board.lanes if lane.class_of_service == cos), None)
    return lane.id if lane else None


def _clean(session: Session, board: Board, values: dict, item_id: int | None = None) -> dict:
    """Validate fields and references; return values ready for the row."""
    workspace_id = board_workspace_id(session, board.id)
    out: dict = {}
    for key, value in values.items():
        if key == "title":
            out[key] = v.text("title", value, max_len=v.TITLE_MAX)
        elif key == "description":
            out[key] = v.text("description", value, max_len=v.DESCRIPTION_MAX, required=False)
        elif key == "external_ref":
            out[key] = v.text("external_ref", value, max_len=120, required=False) or None
        elif key == "class_of_service":
            out[key] = v.class_of_service(value)
        elif key == "due_date":
            out[key] = v.due_date(value)
        elif key == "value":
            out[key] = v.money("value", value)
        elif key == "size":
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000
            ):
                raise InvalidInput("size", "must be a whole number from 0 to 10000.")
            out[key] = value
        elif key == "tags":
            out[key] = v.tags(value)
        elif key == "ready":
            if not isinstance(value, bool):
                raise InvalidInput("ready", "must be true or false.")
            out[key] = value
        elif key == "lane_id":
            if value is not None and board.lane(value) is None:
                raise InvalidInput("lane_id", f"lane {value} is not on the board {board.name}.")
            out[key] = value
        elif key == "work_type_id":
            if (
                value is not None
                and session.scalar(
                    select(WorkTypeRow.id).where(
                        WorkTypeRow.id == value, WorkTypeRow.workspace_id == workspace_id
                    )
                )
                is None
            ):
                raise InvalidInput("work_type_id", f"work type {value} is not in this workspace.")
            out[key] = value
        elif key == "owner_id":
            if (
                value is not None
                and session.scalar(
                    select(MembershipRow.user_id).where(
                        MembershipRow.user_id == value, MembershipRow.workspace_id == workspace_id
                    )
                )
                is None
            ):
                raise InvalidInput("owner_id", f"user {value} is not a member of this workspace.")
            out[key] = value
        elif key == "parent_id":
            if value is not None:
                parent_board = session.scalar(select(ItemRow.board_id).where(ItemRow.id == value))
                if parent_board is None or board_workspace_id(session, parent_board) != workspace_id:
                    raise InvalidInput("parent_id", f"item {value} is not in this workspace.")
                _no_parent_cycle(session, item_id, value)
            out[key] = value
    return out


def _no_parent_cycle(session: Session, item_id: int | None, parent_id: int) -> None:
    """An item cannot be its own parent, nor the child of one of its children."""
    if item_id is None:
        return
    seen: set[int] = set()
    up: int | None = parent_id
    while up is not None and up not in seen:
        if up == item_id:
            raise InvalidInput("parent_id", "an item cannot be its own parent or its child's child.")
        seen.add(up)
        up = session.scalar(select(ItemRow.parent_id).where(ItemRow.id == up))


def _domain_fields(values: dict) -> dict:
    fields = {k: x for k, x in values.items() if k in WorkItem.__dataclass_fields__}
    if "tags" in fields:
        fields["tags"] = tuple(fields["tags"])
    if "owner_id" in values:
        fields["owner_name"] = None  # re-read after the write
    return fields


def write_move(session, board, item, to_stage_id, now, actor_id, decision, reason, details=None) -> WorkItem:
    """Write a decided move and its log rows (`details` adds to the move's); return the item as
    it now stands. The one way a move is written: pulls, aggregate parents, rule actions."""
    target = board.stage(to_stage_id)
    committed_at = item.committed_at
    if committed_at is None and target.kind in (StageKind.COMMITTED, StageKind.DONE):
        committed_at = now
    done_at = None
    if target.kind == StageKind.DONE:
        done_at = item.done_at if board.stage(item.stage_id).kind == StageKind.DONE else now
    moved = replace(
        item,
        stage_id=target.id,
        stage_entered_at=now,
        ready=False,
        committed_at=committed_at,
        done_at=done_at,
    )
    run(
        session,
        _MOVE,
        {
            "item_id": item.id,
            "to_stage_id": target.id,
            "to_entered_at": now,
            "to_updated_at": now,
            "to_committed_at": committed_at,
            "to_done_at": done_at,
        },
    )
    held = session.identity_map.get(identity_key(ItemRow, item.id))
    if held is not None:
        session.expire(held)  # the row object a caller may hold is read again when next used
    append_transition(
        session,
        item_id=item.id,
        board_id=board.id,
        at=now,
        kind=TransitionKind.MOVED,
        actor_id=actor_id,
        from_stage_id=item.stage_id,
        to_stage_id=target.id,
        reason=_reason(reason),
        details={**(details or {}), **_decision_details(decision)},
    )
    _record_override(session, board, item.id, now, actor_id, item.stage_id, target.id, decision, reason)
    return moved


def _record_override(session, board, item_id, now, actor_id, from_id, to_id, decision, reason):
    """A limit exceeded with a reason: a row in the item's log and in the audit log."""
    if decision.override:
        record(
            session,
            actor_id,
            board_workspace_id(session, board.id),
            "item.override",
            f"item {item_id}",
            {"reason": _reason(reason), "limits": [f.message for f in decision.findings]},
            now,
        )
        append_transition(
            session,
            item_id=item_id,
            board_id=board.id,
            at=now,
            kind=TransitionKind.OVERRIDE,
            actor_id=actor_id,
            from_stage_id=from_id,
            to_stage_id=to_id,
            reason=_reason(reason),
            details=_decision_details(decision),
        )


def _reason(reason: str | None) -> str | None:
    return v.text("reason", reason, max_len=v.REASON_MAX, required=False) or None


def _decision_details(decision: PullDecision) -> dict:
    if not decision.findings:
        return {}
    return {
        "outcome": decision.outcome.value,
        "override": decision.override,
        "findings": [
            {"code": f.code, "severity": f.severity.value, "message": f.message} for f in decision.findings
        ],
    }


def _json(value):
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
