"""All SQL that reads boards, items and the log, and turns rows into domain objects."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache

from sqlalchemy import DateTime, String, and_, bindparam, false, func, insert, select, type_coerce
from sqlalchemy.orm import Session

from pullplan.domain.board import (
    Board,
    CapacityAllocation,
    ClassOfService,
    Lane,
    Stage,
    StageKind,
    WipMode,
)
from pullplan.domain.items import Transition, TransitionKind, WipEntry, WorkItem
from pullplan.storage.tables import (
    BlockerRow,
    BoardRow,
    CapacityAllocationRow,
    ItemRow,
    LaneRow,
    StageRow,
    TransitionRow,
    UserRow,
    WorkTypeRow,
)


def stage_of(row) -> Stage:
    """A Stage from a row of the stages table (an ORM object or a Core row)."""
    return Stage(
        id=row.id,
        name=row.name,
        kind=StageKind(row.kind),
        position=row.position,
        wip_limit=row.wip_limit,
        wip_mode=WipMode(row.wip_mode),
        requires_owner=row.requires_owner,
        requires_due_date=row.requires_due_date,
        requires_ready=row.requires_ready,
        split=row.split,
        policy=row.policy,
    )


def lane_of(row) -> Lane:
    """A Lane from a row of the lanes table (an ORM object or a Core row)."""
    return Lane(
        id=row.id,
        name=row.name,
        position=row.position,
        class_of_service=ClassOfService(row.class_of_service) if row.class_of_service else None,
        wip_limit=row.wip_limit,
        wip_mode=WipMode(row.wip_mode),
    )


def run(session: Session, statement, params: dict | None = None):
    """Execute a statement on the session's connection, as SQLAlchemy Core: rows, never ORM
    entities, and none of the ORM's per-execution work (about half the cost of a small
    statement). What the session holds is flushed first, as an ORM execution would; a write
    made this way is not seen by ORM objects the session already holds."""
    session.flush()  # nearly free when the session holds no change
    return session.connection().execute(statement, params)


# The statements of a pull, built once: building a statement costs more than running it.
_BOARD = select(BoardRow).where(BoardRow.id == bindparam("board_id"))
_BOARD_LOCKED = _BOARD.with_for_update()  # PostgreSQL: every pull on the board waits here
_STAGES = select(StageRow).where(StageRow.board_id == bindparam("board_id"))
_LANES = select(LaneRow).where(LaneRow.board_id == bindparam("board_id")).order_by(LaneRow.position)
_ALLOCATIONS = (
    select(CapacityAllocationRow, WorkTypeRow.name.label("work_type_name"))
    .outerjoin(WorkTypeRow, WorkTypeRow.id == CapacityAllocationRow.work_type_id)
    .where(CapacityAllocationRow.board_id == bindparam("board_id"))
    .order_by(CapacityAllocationRow.id)
)


def _locks(session: Session) -> bool:
    """Whether row locks exist: SQLite serialises writers instead (BEGIN IMMEDIATE)."""
    return session.get_bind().dialect.name != "sqlite"


def load_board(session: Session, board_id: int, *, lock: bool = False) -> Board | None:
    """The board with its stages, lanes and allocations. `lock` serialises pulls on it."""
    key = {"board_id": board_id}
    row = run(session, _BOARD_LOCKED if lock and _locks(session) else _BOARD, key).one_or_none()
    if row is None:
        return None
    stages = run(session, _STAGES, key).all()
    lanes = run(session, _LANES, key).all()
    allocations = run(session, _ALLOCATIONS, key).all()
    return Board(
        id=row.id,
        name=row.name,
        stages=tuple(stage_of(s) for s in stages),
        lanes=tuple(lane_of(lane) for lane in lanes),
        allocations=tuple(
            CapacityAllocation(
                id=a.id,
                work_type_id=a.work_type_id,
                work_type_name=a.work_type_name,
                class_of_service=ClassOfService(a.class_of_service) if a.class_of_service else None,
                limit_count=a.limit_count,
                limit_percent=a.limit_percent,
                wip_mode=WipMode(a.wip_mode),
            )
            for a in allocations
        ),
        expedite_limit=row.expedite_limit,
        blocked_counts_against_wip=row.blocked_counts_against_wip,
        person_wip_limit=row.person_wip_limit,
        person_wip_mode=WipMode(row.person_wip_mode),
    )


_BOARD_WORKSPACE = select(BoardRow.workspace_id).where(BoardRow.id == bindparam("board_id"))


def board_workspace_id(session: Session, board_id: int) -> int | None:
    return run(session, _BOARD_WORKSPACE, {"board_id": board_id}).scalar()


_open_blocker = and_(BlockerRow.item_id == ItemRow.id, BlockerRow.ended_at.is_(None))

ITEM_COLUMNS = (
    ItemRow,
    WorkTypeRow.name.label("work_type_name"),
    UserRow.display_name.label("owner_name"),
    BlockerRow.reason.label("blocked_reason"),
    BlockerRow.id.label("blocker_id"),
)


def _item_query():
    return (
        select(*ITEM_COLUMNS)
        .outerjoin(WorkTypeRow, WorkTypeRow.id == ItemRow.work_type_id)
        .outerjoin(UserRow, UserRow.id == ItemRow.owner_id)
        .outerjoin(BlockerRow, _open_blocker)
    )


def item_of(row) -> WorkItem:
    """A WorkItem from a row of ITEM_COLUMNS read as Core (see `run`)."""
    return WorkItem(
        id=row.id,
        board_id=row.board_id,
        stage_id=row.stage_id,
        title=row.title,
        class_of_service=ClassOfService(row.class_of_service),
        lane_id=row.lane_id,
        work_type_id=row.work_type_id,
        work_type_name=row.work_type_name,
        owner_id=row.owner_id,
        owner_name=row.owner_name,
        due_date=row.due_date,
        description=row.description,
        value=row.value,
        size=row.size,
        tags=tuple(row.tags or ()),
        external_ref=row.external_ref,
        parent_id=row.parent_id,
        ready=row.ready,
        blocked=row.blocker_id is not None,
        blocked_reason=row.blocked_reason,
        created_at=row.created_at,
        stage_entered_at=row.stage_entered_at,
        committed_at=row.committed_at,
        done_at=row.done_at,
        archived_at=row.archived_at,
    )


_ITEM = _item_query().where(ItemRow.id == bindparam("item_id"))
_ITEM_LOCKED = _ITEM.with_for_update(of=ItemRow)


def load_item(session: Session, item_id: int, *, lock: bool = False) -> WorkItem | None:
    query = _ITEM_LOCKED if lock and _locks(session) else _ITEM
    row = run(session, query, {"item_id": item_id}).one_or_none()
    return item_of(row) if row else None


def load_items(session: Session, where: Iterable, *, order=None, limit: int | None = None, offset: int = 0):
    query = _item_query().where(*where)
    query = query.order_by(*(order or (ItemRow.id,)))
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return [item_of(row) for row in run(session, query)]


_CLASS = {c.value: c for c in ClassOfService}


# --- cards: the items of a board as the board shows them ------------------------------------


@dataclass(slots=True)
class ItemCard:
    """An item as a board shows it: the fields of a card, without the description, tags,
    external reference, size, and the ids of its board, type and owner (the full item is
    `load_item`'s). The attributes have the names and types of `WorkItem`'s, so code that
    reads those fields of a WorkItem (`domain.items.age_days`, the CLI, the board page) reads
    a card. Not frozen, because a frozen dataclass costs twice as much to build and a board
    builds thousands; treat it as read-only."""

    id: int
    title: str
    stage_id: int
    lane_id: int | None
    class_of_service: ClassOfService
    work_type_name: str | None
    owner_name: str | None
    due_date: date | None
    value: Decimal | None
    blocked: bool
    blocked_reason: str | None
    ready: bool
    parent_id: int | None
    created_at: datetime
    stage_entered_at: datetime
    committed_at: datetime | None
    done_at: datetime | None
    archived_at: datetime | None

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


_TIMESTAMPS = (
    ItemRow.created_at,
    ItemRow.stage_entered_at,
    ItemRow.committed_at,
    ItemRow.done_at,
    ItemRow.archived_at,
)


def _card_query(sqlite: bool):
    # Timestamps skip UtcDateTime's per-value Python conversion: SQLite's are read as their
    # stored text and parsed in one go by the row builder; PostgreSQL's come from the driver
    # as aware datetimes (in UTC: see load_cards).
    timestamps = [
        type_coerce(c, String() if sqlite else DateTime(timezone=True)).label(c.key) for c in _TIMESTAMPS
    ]
    return (
        select(
            ItemRow.id,
            ItemRow.title,
            ItemRow.stage_id,
            ItemRow.lane_id,
            ItemRow.class_of_service,
            WorkTypeRow.name,
            UserRow.display_name,
            ItemRow.due_date,
            ItemRow.value,
            BlockerRow.reason,
            ItemRow.ready,
            ItemRow.parent_id,
            *timestamps,
        )
        .outerjoin(WorkTypeRow, WorkTypeRow.id == ItemRow.work_type_id)
        .outerjoin(UserRow, UserRow.id == ItemRow.owner_id)
        .outerjoin(BlockerRow, _open_blocker)
    )


def load_cards(
    session: Session, where: Iterable, *, order: Sequence, limit: int | None = None, offset: int = 0
) -> list[ItemCard]:
    """The cards of the items `where` selects, in `order`. SQLAlchemy Core rows (no ORM
    entities), one row builder per dialect: the board view reads thousands of these."""
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    if not sqlite:
        # This transaction's timestamps arrive in UTC, so the driver's values are already
        # what UtcDateTime returns and the row builder converts none of them.
        connection.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
    query = _card_query(sqlite).where(*where).order_by(*order)
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    build = _sqlite_cards if sqlite else _cards
    cards: list[ItemCard] = []
    # A thousand rows at a time: fewer row objects alive at once for the garbage collector.
    for rows in connection.execute(query).partitions(1000):
        cards += build(rows)
    return cards


def _sqlite_cards(rows) -> list[ItemCard]:
    # SQLite keeps UtcDateTime values as naive UTC text ("2026-05-01 09:30:00.000000").
    parse, card, cls = datetime.fromisoformat, ItemCard, _CLASS
    try:
        return [
            card(
                i, title, stage, lane, cls[cos], work_type, owner, due, value,
                reason is not None, reason, ready, parent,
                parse(created + "+00:00"),
                parse(entered + "+00:00"),
                None if committed is None else parse(committed + "+00:00"),
                None if done is None else parse(done + "+00:00"),
                None if archived is None else parse(archived + "+00:00"),
            )
            for (
                i, title, stage, lane, cos, work_type, owner, due, value, reason, ready, parent,
                created, entered, committed, done, archived,
            ) in rows
        ]  # fmt: skip
    except (TypeError, ValueError):  # not the text SQLAlchemy writes: parse each value alone
        return [
            card(*r[:4], cls[r[4]], *r[5:9], r[9] is not None, *r[9:12], *map(_utc, r[12:])) for r in rows
        ]


def _cards(rows) -> list[ItemCard]:
    card, cls, utc, to_utc = ItemCard, _CLASS, UTC, _utc
    return [
        card(
            i, title, stage, lane, cls[cos], work_type, owner, due, value,
            reason is not None, reason, ready, parent,
            created if created.tzinfo is utc else to_utc(created),
            entered if entered.tzinfo is utc else to_utc(entered),
            committed if committed is None or committed.tzinfo is utc else to_utc(committed),
            done if done is None or done.tzinfo is utc else to_utc(done),
            archived if archived is None or archived.tzinfo is utc else to_utc(archived),
        )
        for (
            i, title, stage, lane, cos, work_type, owner, due, value, reason, ready, parent,
            created, entered, committed, done, archived,
        ) in rows
    ]  # fmt: skip


def _utc(value: datetime | str | None) -> datetime | None:
    """What UtcDateTime returns for a value read without it."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def load_wip(session: Session, board: Board) -> list[WipEntry]:
    """What the WIP counts need: the unarchived items of the board's committed stages and of
    its stages with a WIP limit (an unlimited option stage never counts, however long)."""
    stage_ids = [
        s.id for s in board.stages if s.is_wip and (s.kind == StageKind.COMMITTED or s.wip_limit is not None)
    ]
    if not stage_ids:
        return []
    rows = session.execute(
        select(
            ItemRow.id,
            ItemRow.stage_id,
            ItemRow.class_of_service,
            ItemRow.lane_id,
            ItemRow.work_type_id,
            ItemRow.owner_id,
            BlockerRow.id,
        )
        .outerjoin(BlockerRow, _open_blocker)
        .where(
            ItemRow.board_id == board.id,
            ItemRow.stage_id.in_(stage_ids),
            ItemRow.archived_at.is_(None),
        )
        .order_by(ItemRow.id)
    )
    return [
        WipEntry(
            item_id=r[0],
            stage_id=r[1],
            class_of_service=_CLASS[r[2]],
            lane_id=r[3],
            work_type_id=r[4],
            owner_id=r[5],
            blocked=r[6] is not None,
        )
        for r in rows
    ]


@cache
def _wip_counts_query(stages: int, excluding: bool, blocked: bool):
    """The grouped WIP counts of `stages` stages (bound as s0, s1...): one statement per
    number of stages, rendered once (an expanding IN would be rendered on every pull). With
    `blocked`, grouped by blocked state too: a look-up of open blockers per item."""
    group = [ItemRow.stage_id, ItemRow.class_of_service, ItemRow.lane_id, ItemRow.work_type_id]
    group.append(ItemRow.owner_id)
    if blocked:
        open_blocker = BlockerRow.item_id == ItemRow.id, BlockerRow.ended_at.is_(None)
        group.append(select(BlockerRow.id).where(*open_blocker).exists())
    else:
        group.append(false())  # a constant: not grouped by
    query = (
        select(*group, func.count())
        .where(
            ItemRow.board_id == bindparam("board_id"),
            ItemRow.stage_id.in_([bindparam(f"s{n}") for n in range(stages)]),
            ItemRow.archived_at.is_(None),
        )
        .group_by(*(group if blocked else group[:5]))
    )
    return query.where(ItemRow.id != bindparam("excluding")) if excluding else query


def load_wip_counts(session: Session, board: Board, *, excluding: int | None = None) -> list[WipEntry]:
    """The same WIP as `load_wip`, counted in SQL: one entry per group of alike items (stage,
    class, lane, type, owner, blocked) with its `count`, less the item `excluding` (the one
    being decided on). A pull then costs one small grouped read of an index, however long the
    board. On a board where blocked items count against the limits (the default) the blocked
    state changes no decision: it is not looked up, and every entry says not blocked."""
    stage_ids = [
        s.id for s in board.stages if s.is_wip and (s.kind == StageKind.COMMITTED or s.wip_limit is not None)
    ]
    if not stage_ids:
        return []
    params = {"board_id": board.id} | {f"s{n}": s for n, s in enumerate(stage_ids)}
    if excluding is not None:
        params["excluding"] = excluding
    query = _wip_counts_query(len(stage_ids), excluding is not None, not board.blocked_counts_against_wip)
    entry, cls = WipEntry, _CLASS
    return [
        entry(None, stage, cls[cos], lane, work_type, owner, bool(blocked), count)
        for stage, cos, lane, work_type, owner, blocked, count in run(session, query, params)
    ]


def stage_counts(session: Session, board_id: int) -> dict[int, int]:
    """Unarchived items per stage."""
    rows = session.execute(
        select(ItemRow.stage_id, func.count())
        .where(ItemRow.board_id == board_id, ItemRow.archived_at.is_(None))
        .group_by(ItemRow.stage_id)
    )
    return {stage_id: n for stage_id, n in rows}


_TRANSITION = insert(TransitionRow)


def append_transition(
    session: Session,
    *,
    item_id: int,
    board_id: int,
    at: datetime,
    kind: TransitionKind,
    actor_id: int | None,
    from_stage_id: int | None = None,
    to_stage_id: int | None = None,
    reason: str | None = None,
    details: dict | None = None,
) -> None:
    run(
        session,
        _TRANSITION,
        {
            "item_id": item_id,
            "board_id": board_id,
            "at": at,
            "kind": kind.value,
            "from_stage_id": from_stage_id,
            "to_stage_id": to_stage_id,
            "actor_id": actor_id,
            "reason": reason,
            "details": details or {},
        },
    )


def transition_of(row: TransitionRow) -> Transition:
    return Transition(
        item_id=row.item_id,
        at=row.at,
        kind=TransitionKind(row.kind),
        from_stage_id=row.from_stage_id,
        to_stage_id=row.to_stage_id,
        reason=row.reason,
        details=row.details or {},
    )


def load_transitions(
    session: Session,
    *,
    item_id: int | None = None,
    board_id: int | None = None,
    after_id: int = 0,
    limit: int = 500,
) -> Sequence[TransitionRow]:
    query = select(TransitionRow).where(TransitionRow.id > after_id)
    if item_id is not None:
        query = query.where(TransitionRow.item_id == item_id)
    if board_id is not None:
        query = query.where(TransitionRow.board_id == board_id)
    return session.scalars(query.order_by(TransitionRow.id).limit(limit)).all()
