"""Workspace and board use cases: workspaces, people, work types, boards, stages, lanes,
capacity allocation, and the board as it is read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pullplan.domain.board import Board, Stage, StageKind
from pullplan.domain.items import WorkItem
from pullplan.services import validation as v
from pullplan.services.accounts import record
from pullplan.services.clock import utcnow
from pullplan.services.errors import Conflict, InvalidInput, NotFound
from pullplan.storage.database import Database
from pullplan.storage.repositories import ItemCard, load_board, load_cards, load_items, stage_counts
from pullplan.storage.tables import (
    BoardRow,
    CapacityAllocationRow,
    ItemRow,
    LaneRow,
    StageRow,
    TransitionRow,
    WorkspaceRow,
    WorkTypeRow,
)

KIND_ORDER = {StageKind.OPTION: 0, StageKind.COMMITTED: 1, StageKind.DONE: 2, StageKind.DISCARDED: 2}


# --- workspaces and people ------------------------------------------------------------------


def create_workspace(
    db: Database,
    *,
    name: str,
    time_zone: str = "UTC",
    is_demo: bool = False,
    now: datetime | None = None,
) -> WorkspaceRow:
    name = v.text("name", name, max_len=120)
    time_zone = v.text("time_zone", time_zone, max_len=64)
    with db.write() as session:
        if session.scalar(select(WorkspaceRow.id).where(WorkspaceRow.name == name)):
            raise Conflict("duplicate", f"A workspace named {name!r} already exists.")
        row = WorkspaceRow(name=name, time_zone=time_zone, is_demo=is_demo, created_at=now or utcnow())
        session.add(row)
        session.flush()
        return row


def list_workspaces(db: Database) -> list[WorkspaceRow]:
    with db.read() as session:
        return list(session.scalars(select(WorkspaceRow).order_by(WorkspaceRow.id)))


def get_workspace(db: Database, workspace_id: int) -> WorkspaceRow:
    with db.read() as session:
        row = session.get(WorkspaceRow, workspace_id)
    if row is None:
        raise NotFound("Workspace", workspace_id)
    return row


def create_work_type(db: Database, *, workspace_id: int, name: str) -> WorkTypeRow:
    name = v.text("name", name, max_len=v.NAME_MAX)
    with db.write() as session:
        _workspace(session, workspace_id)
        if session.scalar(
            select(WorkTypeRow.id).where(WorkTypeRow.workspace_id == workspace_id, WorkTypeRow.name == name)
        ):
            raise Conflict("duplicate", f"The work type {name!r} already exists.")
        row = WorkTypeRow(workspace_id=workspace_id, name=name)
        session.add(row)
        session.flush()
        return row


def list_work_types(db: Database, workspace_id: int) -> list[WorkTypeRow]:
    with db.read() as session:
        _workspace(session, workspace_id)
        return list(
            session.scalars(
                select(WorkTypeRow).where(WorkTypeRow.workspace_id == workspace_id).order_by(WorkTypeRow.name)
            )
        )


# --- boards ---------------------------------------------------------------------------------


def create_board(db: Database, **fields) -> Board:
    """Create a board with its stages (in order) and lanes: `add_board` in a transaction of its
    own."""
    with db.write() as session:
        return add_board(session, **fields)


def add_board(
    session: Session,
    *,
    workspace_id: int,
    name: str,
    stages: list[dict],
    lanes: list[dict] | None = None,
    description: str = "",
    expedite_limit: int | None = 1,
    blocked_counts_against_wip: bool = True,
    person_wip_limit: int | None = None,
    person_wip_mode: str = "warn",
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Board:
    """Create a board with its stages (in order) and lanes, inside the caller's transaction (an
    import creates a board and its items in one)."""
    name = v.text("name", name, max_len=120)
    description = v.text("description", description, max_len=v.DESCRIPTION_MAX, required=False)
    stage_rows = [_stage_row(spec, position, f"stages[{position}]") for position, spec in enumerate(stages)]
    _check_stage_order(stage_rows)
    lane_rows = [_lane_row(spec, position, f"lanes[{position}]") for position, spec in enumerate(lanes or [])]
    _unique([s.name for s in stage_rows], "stages")
    _unique([lane.name for lane in lane_rows], "lanes")
    _workspace(session, workspace_id)
    if session.scalar(
        select(BoardRow.id).where(BoardRow.workspace_id == workspace_id, BoardRow.name == name)
    ):
        raise Conflict("duplicate", f"A board named {name!r} already exists in this workspace.")
    board = BoardRow(
        workspace_id=workspace_id,
        name=name,
        description=description,
        expedite_limit=v.positive_limit("expedite_limit", expedite_limit),
        blocked_counts_against_wip=bool(blocked_counts_against_wip),
        person_wip_limit=v.positive_limit("person_wip_limit", person_wip_limit),
        person_wip_mode=v.wip_mode("person_wip_mode", person_wip_mode).value,
        created_at=now or utcnow(),
    )
    session.add(board)
    session.flush()
    for row in (*stage_rows, *lane_rows):
        row.board_id = board.id
        session.add(row)
    session.flush()
    _audit(session, actor_id, board.id, "board.created", name, {})
    return load_board(session, board.id)


def update_board(db: Database, *, board_id: int, changes: dict, actor_id: int | None = None) -> Board:
    allowed = {
        "name",
        "description",
        "expedite_limit",
        "blocked_counts_against_wip",
        "person_wip_limit",
        "person_wip_mode",
    }
    _only(changes, allowed)
    with db.write() as session:
        row = session.get(BoardRow, board_id)
        if row is None:
            raise NotFound("Board", board_id)
        for key, value in changes.items():
            if key == "name":
                value = v.text("name", value, max_len=120)
            elif key == "description":
                value = v.text("description", value, max_len=v.DESCRIPTION_MAX, required=False)
            elif key in ("expedite_limit", "person_wip_limit"):
                value = v.positive_limit(key, value)
            elif key == "person_wip_mode":
                value = v.wip_mode(key, value).value
            elif key == "blocked_counts_against_wip":
                value = _bool(key, value)
            setattr(row, key, value)
        _flush_unique(session, "A board with that name already exists in this workspace.")
        _audit(session, actor_id, board_id, "board.policy_changed", row.name, changes)
        return load_board(session, board_id)


def list_boards(db: Database, workspace_id: int) -> list[BoardRow]:
    with db.read() as session:
        _workspace(session, workspace_id)
        return list(
            session.scalars(
                select(BoardRow).where(BoardRow.workspace_id == workspace_id).order_by(BoardRow.id)
            )
        )


def all_boards(db: Database) -> list[tuple[BoardRow, WorkspaceRow]]:
    with db.read() as session:
        return list(
            session.execute(
                select(BoardRow, WorkspaceRow)
                .join(WorkspaceRow, WorkspaceRow.id == BoardRow.workspace_id)
                .order_by(WorkspaceRow.id, BoardRow.id)
            ).all()
        )


def get_board(db: Database, board_id: int) -> Board:
    with db.read() as session:
        board = load_board(session, board_id)
    if board is None:
        raise NotFound("Board", board_id)
    return board


def board_workspace(db: Database, board_id: int) -> int:
    with db.read() as session:
        ws = session.scalar(select(BoardRow.workspace_id).where(BoardRow.id == board_id))
    if ws is None:
        raise NotFound("Board", board_id)
    return ws


def add_stage(
    db: Database, *, board_id: int, spec: dict, position: int | None = None, actor_id: int | None = None
) -> Board:
    with db.write() as session:
        board = _board(session, board_id)
        count = len(board.stages)
        position = count if position is None else position
        if not 0 <= position <= count:
            raise InvalidInput("position", f"must be from 0 to {count}.")
        row = _stage_row(spec, position, "stage")
        rows = session.scalars(
            select(StageRow).where(StageRow.board_id == board_id).order_by(StageRow.position)
        ).all()
        ordered = [*rows[:position], row, *rows[position:]]
        _check_stage_order(ordered)
        _unique([s.name for s in ordered], "stages")
        for i, existing in enumerate(ordered):
            existing.position = i
        row.board_id = board_id
        session.add(row)
        session.flush()
        _audit(session, actor_id, board_id, "stage.added", row.name, spec)
        return load_board(session, board_id)


def update_stage(db: Database, *, stage_id: int, changes: dict, actor_id: int | None = None) -> Board:
    allowed = {
        "name",
        "wip_limit",
        "wip_mode",
        "requires_owner",
        "requires_due_date",
        "requires_ready",
        "split",
        "policy",
    }
    _only(changes, allowed)
    with db.write() as session:
        row = session.get(StageRow, stage_id)
        if row is None:
            raise NotFound("Stage", stage_id)
        for key, value in changes.items():
            setattr(row, key, _stage_value(key, value))
        _flush_unique(session, "A stage with that name already exists on this board.")
        _audit(session, actor_id, row.board_id, "stage.policy_changed", row.name, changes)
        return load_board(session, row.board_id)


def add_lane(db: Database, *, board_id: int, spec: dict, actor_id: int | None = None) -> Board:
    with db.write() as session:
        board = _board(session, board_id)
        row = _lane_row(spec, len(board.lanes), "lane")
        _unique([lane.name for lane in board.lanes] + [row.name], "lanes")
        row.board_id = board_id
        session.add(row)
        session.flush()
        _audit(session, actor_id, board_id, "lane.added", row.name, spec)
        return load_board(session, board_id)


def update_lane(db: Database, *, lane_id: int, changes: dict, actor_id: int | None = None) -> Board:
    _only(changes, {"name", "wip_limit", "wip_mode", "class_of_service"})
    with db.write() as session:
        row = session.get(LaneRow, lane_id)
        if row is None:
            raise NotFound("Lane", lane_id)
        for key, value in changes.items():
            setattr(row, key, _lane_value(key, value))
        _flush_unique(session, "A lane with that name already exists on this board.")
        _audit(session, actor_id, row.board_id, "lane.policy_changed", row.name, changes)
        return load_board(session, row.board_id)


def add_allocation(
    db: Database,
    *,
    board_id: int,
    work_type_id: int | None = None,
    class_of_service: str | None = None,
    limit_count: int | None = None,
    limit_percent: float | None = None,
    wip_mode: str = "block",
    actor_id: int | None = None,
) -> Board:
    if (work_type_id is None) == (class_of_service is None):
        raise InvalidInput("work_type_id", "give either a work type or a class of service.")
    if (limit_count is None) == (limit_percent is None):
        raise InvalidInput("limit_count", "give either a count or a percentage.")
    if limit_percent is not None and not (0 < limit_percent <= 100):
        raise InvalidInput("limit_percent", "must be more than 0 and at most 100.")
    with db.write() as session:
        board_row = session.get(BoardRow, board_id)
        if board_row is None:
            raise NotFound("Board", board_id)
        if (
            work_type_id is not None
            and session.scalar(
                select(WorkTypeRow.id).where(
                    WorkTypeRow.id == work_type_id, WorkTypeRow.workspace_id == board_row.workspace_id
                )
            )
            is None
        ):
            raise InvalidInput("work_type_id", f"work type {work_type_id} is not in this workspace.")
        session.add(
            CapacityAllocationRow(
                board_id=board_id,
                work_type_id=work_type_id,
                class_of_service=v.class_of_service(class_of_service).value if class_of_service else None,
                limit_count=v.positive_limit("limit_count", limit_count),
                limit_percent=limit_percent,
                wip_mode=v.wip_mode("wip_mode", wip_mode).value,
            )
        )
        session.flush()
        _audit(
            session,
            actor_id,
            board_id,
            "allocation.added",
            "",
            {
                "work_type_id": work_type_id,
                "class_of_service": class_of_service,
                "limit_count": limit_count,
                "limit_percent": limit_percent,
                "wip_mode": wip_mode,
            },
        )
        return load_board(session, board_id)


def delete_allocation(db: Database, *, allocation_id: int, actor_id: int | None = None) -> Board:
    with db.write() as session:
        row = session.get(CapacityAllocationRow, allocation_id)
        if row is None:
            raise NotFound("Capacity allocation", allocation_id)
        board_id = row.board_id
        session.delete(row)
        session.flush()
        _audit(session, actor_id, board_id, "allocation.removed", "", {"allocation_id": allocation_id})
        return load_board(session, board_id)


# --- the board as it is read ----------------------------------------------------------------


@dataclass(frozen=True)
class StageView:
    stage: Stage
    count: int  # unarchived items in the stage
    items: list[ItemCard]  # all of them for WIP stages; one page, newest first, for others

    @property
    def over_limit(self) -> bool:
        return self.stage.wip_limit is not None and self.count > self.stage.wip_limit

    @property
    def at_limit(self) -> bool:
        return self.stage.wip_limit is not None and self.count >= self.stage.wip_limit


@dataclass(frozen=True)
class BoardView:
    board: Board
    workspace_id: int
    workspace_name: str
    stages: list[StageView]
    read_at: datetime


def read_board(
    db: Database,
    board_id: int,
    *,
    finished_page: int = 25,
    finished_offset: int = 0,
    now: datetime | None = None,
) -> BoardView:
    """The board as a team sees it, as cards (`ItemCard`: the full items are `get_item`'s):
    every unarchived item of the option and committed stages, oldest in the stage first;
    one page of each done and discarded stage, most recently finished first. Archived items
    are never loaded. One read transaction, so counts and cards agree."""
    with db.read() as session:
        board = _board(session, board_id)
        _check_page(finished_page, finished_offset)
        ws = session.execute(
            select(WorkspaceRow.id, WorkspaceRow.name)
            .join(BoardRow, BoardRow.workspace_id == WorkspaceRow.id)
            .where(BoardRow.id == board_id)
        ).one()
        counts = stage_counts(session, board_id)
        by_stage: dict[int, list[ItemCard]] = {s.id: [] for s in board.stages}
        wip_ids = [s.id for s in board.stages if s.is_wip]
        if wip_ids:
            for card in load_cards(
                session,
                [ItemRow.board_id == board_id, ItemRow.stage_id.in_(wip_ids), ItemRow.archived_at.is_(None)],
                order=(ItemRow.stage_entered_at, ItemRow.id),
            ):
                by_stage[card.stage_id].append(card)
        for stage in board.stages:
            if not stage.is_wip:
                by_stage[stage.id] = load_cards(
                    session,
                    _in_stage(stage.id),
                    order=_FINISHED_ORDER,
                    limit=finished_page,
                    offset=finished_offset,
                )
    return BoardView(
        board=board,
        workspace_id=ws.id,
        workspace_name=ws.name,
        stages=[StageView(s, counts.get(s.id, 0), by_stage[s.id]) for s in board.stages],
        read_at=now or utcnow(),
    )


def last_transition_id(db: Database, board_id: int) -> int:
    """The newest entry of the board's transition log (0 when it has none)."""
    with db.read() as session:
        return session.scalar(
            select(func.coalesce(func.max(TransitionRow.id), 0)).where(TransitionRow.board_id == board_id)
        )


def finished_items(
    db: Database, *, stage_id: int, limit: int = 25, offset: int = 0, after_id: int = 0
) -> tuple[int, list[WorkItem]]:
    """One page of a done or discarded stage, most recently finished first, and its total.
    `after_id` (keyset paging) starts the page after that item of the stage, the last one
    of the page before: the page never shifts when items finish meanwhile."""
    with db.read() as session:
        if session.get(StageRow, stage_id) is None:
            raise NotFound("Stage", stage_id)
        total = session.scalar(
            select(func.count()).where(ItemRow.stage_id == stage_id, ItemRow.archived_at.is_(None))
        )
        if not after_id:
            return total, _page(session, stage_id, limit, offset)
        entered = session.scalar(
            select(ItemRow.stage_entered_at).where(*_in_stage(stage_id), ItemRow.id == after_id)
        )
        if entered is None:
            raise InvalidInput("after_id", f"item {after_id} is not in this stage; page with offset.")
        _check_page(limit, offset)
        after = or_(
            ItemRow.stage_entered_at < entered,
            and_(ItemRow.stage_entered_at == entered, ItemRow.id < after_id),
        )
        return total, load_items(
            session, [*_in_stage(stage_id), after], order=_FINISHED_ORDER, limit=limit, offset=offset
        )


_FINISHED_ORDER = (ItemRow.stage_entered_at.desc(), ItemRow.id.desc())  # most recently finished first


def _in_stage(stage_id: int) -> list:
    return [ItemRow.stage_id == stage_id, ItemRow.archived_at.is_(None)]


def _check_page(limit: int, offset: int) -> None:
    if offset < 0 or limit < 1:
        raise InvalidInput("offset", "offset must be 0 or more and limit 1 or more.")


def _page(session: Session, stage_id: int, limit: int, offset: int) -> list[WorkItem]:
    """Full items (`WorkItem`), for GET /stages/{id}/items; the board view pages cards."""
    _check_page(limit, offset)
    return load_items(session, _in_stage(stage_id), order=_FINISHED_ORDER, limit=limit, offset=offset)


# --- helpers --------------------------------------------------------------------------------


def _audit(session: Session, actor_id, board_id: int, action: str, subject: str, details: dict) -> None:
    """Limit and policy changes go to the workspace's audit log."""
    workspace_id = session.scalar(select(BoardRow.workspace_id).where(BoardRow.id == board_id))
    record(session, actor_id, workspace_id, action, subject, {"board_id": board_id, **details})


def _workspace(session: Session, workspace_id: int) -> WorkspaceRow:
    row = session.get(WorkspaceRow, workspace_id)
    if row is None:
        raise NotFound("Workspace", workspace_id)
    return row


def _board(session: Session, board_id: int) -> Board:
    board = load_board(session, board_id)
    if board is None:
        raise NotFound("Board", board_id)
    return board


def _only(changes: dict, allowed: set[str]) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "cannot be changed here.")


def _bool(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(field, "must be true or false.")
    return value


def _stage_value(key: str, value: object):
    if key == "name":
        return v.text("name", value, max_len=v.NAME_MAX)
    if key == "policy":
        return v.text("policy", value, max_len=v.DESCRIPTION_MAX, required=False)
    if key == "wip_limit":
        return v.positive_limit("wip_limit", value)
    if key == "wip_mode":
        return v.wip_mode("wip_mode", value).value
    return _bool(key, value)


def _stage_row(spec: dict, position: int, where: str) -> StageRow:
    if not isinstance(spec, dict):
        raise InvalidInput(where, "must be an object with at least a name and a kind.")
    unknown = set(spec) - {
        "name",
        "kind",
        "wip_limit",
        "wip_mode",
        "requires_owner",
        "requires_due_date",
        "requires_ready",
        "split",
        "policy",
    }
    if unknown:
        raise InvalidInput(f"{where}.{sorted(unknown)[0]}", "is not a field of a stage.")
    try:
        values = {k: _stage_value(k, x) for k, x in spec.items() if k != "kind"}
    except InvalidInput as e:
        raise InvalidInput(f"{where}.{e.field}", e.message.split(": ", 1)[-1]) from None
    if "name" not in values:
        raise InvalidInput(f"{where}.name", "is required.")
    kind = v.stage_kind(spec.get("kind", "committed"))
    return StageRow(
        position=position,
        kind=kind.value,
        **{
            "wip_mode": "block",
            "requires_owner": False,
            "requires_due_date": False,
            "requires_ready": False,
            "split": False,
            "policy": "",
            **values,
        },
    )


def _lane_value(key: str, value: object):
    if key == "name":
        return v.text("name", value, max_len=v.NAME_MAX)
    if key == "wip_limit":
        return v.positive_limit("wip_limit", value)
    if key == "wip_mode":
        return v.wip_mode("wip_mode", value).value
    if key == "class_of_service":
        return v.class_of_service(value).value if value is not None else None
    raise InvalidInput(key, "is not a field of a lane.")


def _lane_row(spec: dict, position: int, where: str) -> LaneRow:
    if not isinstance(spec, dict) or "name" not in spec:
        raise InvalidInput(where, "must be an object with at least a name.")
    try:
        values = {k: _lane_value(k, x) for k, x in spec.items()}
    except InvalidInput as e:
        raise InvalidInput(f"{where}.{e.field}", e.message.split(": ", 1)[-1]) from None
    return LaneRow(position=position, **{"wip_mode": "block", **values})


def _check_stage_order(rows: list[StageRow]) -> None:
    kinds = [StageKind(r.kind) for r in rows]
    if StageKind.COMMITTED not in kinds or StageKind.DONE not in kinds:
        raise InvalidInput("stages", "a board needs at least one committed and one done stage.")
    order = [KIND_ORDER[k] for k in kinds]
    if order != sorted(order):
        raise InvalidInput(
            "stages",
            "put option stages first, then committed stages, then done and discarded stages.",
        )


def _unique(names: list[str], field: str) -> None:
    seen = set()
    for name in names:
        if name.lower() in seen:
            raise InvalidInput(field, f"the name {name!r} is used twice.")
        seen.add(name.lower())


def _flush_unique(session: Session, message: str) -> None:
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("duplicate", message) from None
