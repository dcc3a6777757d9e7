"""The demo workspace: six months of believable, consistent history, the same for the same seed."""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from pullplan.demo import (
    DEMO_WORKSPACE,
    PARTNER_WORKSPACE,
    create_demo,
    create_demo_if_empty,
    has_any_workspace,
    reset_demo,
    simulate,
)
from pullplan.domain.board import Board, ClassOfService, StageKind, WipMode
from pullplan.domain.history import blocked_time, commit_date, current_stage, done_date
from pullplan.domain.items import TransitionKind
from pullplan.services import accounts
from pullplan.services import boards as board_service
from pullplan.services import items as item_service
from pullplan.services.errors import Conflict
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.storage.repositories import load_board, load_wip, transition_of
from pullplan.storage.tables import (
    BlockerRow,
    BoardRow,
    ItemRow,
    MembershipRow,
    TransitionRow,
    UserRow,
    WorkspaceRow,
    WorkTypeRow,
)

SEED = 7
TODAY = date(2025, 2, 14)  # six months back reaches over the holidays
NOW = datetime(2025, 2, 14, 23, 59, 59, tzinfo=UTC)


@dataclass
class Demo:
    """Everything the demo wrote, read back once."""

    backend: str
    db: Database
    workspace_id: int
    seconds: float
    workspaces: dict[str, WorkspaceRow]
    boards: dict[str, Board]  # by name
    board_workspace: dict[int, int]
    items: list[ItemRow]
    log: dict[int, list[TransitionRow]]  # by item, in id order
    blockers: dict[int, list[BlockerRow]]
    members: dict[str, dict[str, str]]  # workspace name -> username -> role
    work_types: dict[int, str]

    def board_items(self, name: str) -> list[ItemRow]:
        board = self.boards[name]
        return [i for i in self.items if i.board_id == board.id]

    @property
    def all_transitions(self) -> list[TransitionRow]:
        return [t for log in self.log.values() for t in log]


def _read(db: Database, backend: str, workspace_id: int, seconds: float) -> Demo:
    with db.read() as session:
        workspaces = {w.name: w for w in session.scalars(select(WorkspaceRow))}
        board_rows = session.scalars(select(BoardRow).order_by(BoardRow.id)).all()
        boards = {b.name: load_board(session, b.id) for b in board_rows}
        items = session.scalars(select(ItemRow).order_by(ItemRow.id)).all()
        log: dict[int, list[TransitionRow]] = defaultdict(list)
        for t in session.scalars(select(TransitionRow).order_by(TransitionRow.id)):
            log[t.item_id].append(t)
        blockers: dict[int, list[BlockerRow]] = defaultdict(list)
        for b in session.scalars(select(BlockerRow).order_by(BlockerRow.id)):
            blockers[b.item_id].append(b)
        members: dict[str, dict[str, str]] = defaultdict(dict)
        for ws_name, username, role in session.execute(
            select(WorkspaceRow.name, UserRow.username, MembershipRow.role)
            .join(MembershipRow, MembershipRow.workspace_id == WorkspaceRow.id)
            .join(UserRow, UserRow.id == MembershipRow.user_id)
        ):
            members[ws_name][username] = role
        work_types = {i: name for i, name in session.execute(select(WorkTypeRow.id, WorkTypeRow.name))}
    return Demo(
        backend,
        db,
        workspace_id,
        seconds,
        workspaces,
        boards,
        {b.id: b.workspace_id for b in board_rows},
        list(items),
        dict(log),
        dict(blockers),
        dict(members),
        work_types,
    )


def _fresh_postgres(admin_url: str) -> tuple[str, Callable[[], None]]:
    name = f"pullplan_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def demo(request, tmp_path_factory) -> Demo:
    """The demo created once per backend for this module's read-only tests."""
    drop = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}"
    else:
        url, drop = _fresh_postgres(request.getfixturevalue("postgres_admin_url"))
    db = Database(url)
    try:
        upgrade(db)
        started = time.perf_counter()
        workspace_id = create_demo(db, seed=SEED, today=TODAY)
        seconds = time.perf_counter() - started
        yield _read(db, request.param, workspace_id, seconds)
    finally:
        db.dispose()
        if drop:
            drop()


def _moves(log: list[TransitionRow]) -> list[TransitionRow]:
    return [t for t in log if t.kind in (TransitionKind.CREATED, TransitionKind.MOVED)]


def _kinds(board: Board) -> dict[int, StageKind]:
    return {s.id: s.kind for s in board.stages}


# --- what a new user sees -------------------------------------------------------------------


def test_prints_how_long_creating_the_demo_takes(demo, capsys):
    transitions = sum(len(log) for log in demo.log.values())
    per_board = ", ".join(f"{name} {len(demo.board_items(name))}" for name in demo.boards)
    with capsys.disabled():
        print(
            f"\n[demo on {demo.backend}] {demo.seconds:.2f} s: {len(demo.items)} items ({per_board}), "
            f"{transitions} transitions, {sum(map(len, demo.blockers.values()))} blockers"
        )


def test_the_demo_workspace_has_a_marketing_and_a_sales_board_with_six_months_of_history(demo):
    workspace = demo.workspaces[DEMO_WORKSPACE]
    assert workspace.id == demo.workspace_id and workspace.is_demo
    demo_boards = [b for b in demo.boards.values() if demo.board_workspace[b.id] == workspace.id]
    assert sorted(b.name for b in demo_boards) == ["Marketing", "Sales"]
    assert len(demo.board_items("Marketing")) >= 200
    assert len(demo.board_items("Sales")) >= 300
    assert len(demo.board_items("Marketing")) + len(demo.board_items("Sales")) >= 600

    moments = [t.at for t in demo.all_transitions]
    assert min(moments) <= NOW - timedelta(days=175)
    assert NOW - timedelta(days=2) <= max(moments) <= NOW
    assert {"Campaign", "Content", "Event", "Webinar", "Deal", "Proposal", "Lead follow-up"} <= set(
        demo.work_types.values()
    )


def test_boards_have_the_stages_lanes_and_limits_of_a_pull_system(demo):
    marketing, sales = demo.boards["Marketing"], demo.boards["Sales"]
    assert [(s.name, s.kind.value) for s in marketing.stages] == [
        ("Ideas", "option"),
        ("Requested", "option"),
        ("Make ready", "committed"),
        ("In progress", "committed"),
        ("Review", "committed"),
        ("Published", "done"),
        ("Discarded", "discarded"),
    ]
    assert [s.name for s in marketing.commitment_point] == ["Requested", "Make ready"]
    by_name = {s.name: s for s in marketing.stages}
    assert by_name["Requested"].wip_limit and by_name["Make ready"].split
    assert by_name["In progress"].requires_owner and by_name["Review"].wip_mode == WipMode.REASON
    assert [(lane.name, lane.wip_limit) for lane in marketing.lanes][0] == ("Expedite", 1)
    assert {lane.class_of_service for lane in marketing.lanes} == set(ClassOfService)
    assert marketing.allocations and marketing.expedite_limit == 1
    assert (marketing.person_wip_limit, marketing.person_wip_mode) == (3, WipMode.WARN)

    assert [(s.name, s.kind.value) for s in sales.stages] == [
        ("Leads", "option"),
        ("Qualified", "option"),
        ("Discovery", "committed"),
        ("Proposal", "committed"),
        ("Negotiation", "committed"),
        ("Won", "done"),
        ("Lost", "discarded"),
    ]
    sales_stages = {s.name: s for s in sales.stages}
    assert sales_stages["Discovery"].requires_owner
    assert sales_stages["Negotiation"].wip_mode == WipMode.REASON


def test_personas_and_a_member_of_another_workspace_only(demo):
    team = demo.members[DEMO_WORKSPACE]
    assert (team["alice"], team["bob"], team["carol"]) == ("manager", "member", "viewer")
    assert len(team) >= 9 and "dave" not in team
    assert demo.members[PARTNER_WORKSPACE] == {"dave": "manager"}
    assert all(name == name.lower() for ws in demo.members.values() for name in ws)

    partner_boards = [
        b for b in demo.boards.values() if demo.board_workspace[b.id] == demo.workspaces[PARTNER_WORKSPACE].id
    ]
    assert len(partner_boards) == 1
    assert 2 <= len(demo.board_items(partner_boards[0].name)) <= 15


def test_open_work_today_fills_the_boards_near_their_limits(demo):
    for name, option, won, lost in (
        ("Marketing", "Ideas", "Published", "Discarded"),
        ("Sales", "Leads", "Won", "Lost"),
    ):
        board = demo.boards[name]
        counts = Counter(i.stage_id for i in demo.board_items(name))
        stage = {s.name: s.id for s in board.stages}
        committed = sum(counts[s.id] for s in board.stages if s.kind == StageKind.COMMITTED)
        assert committed >= 0.6 * board.committed_capacity, name
        assert counts[stage[option]] > 0
        assert counts[stage[won]] >= 40
        assert counts[stage[lost]] >= 40
    sales = Counter(i.stage_id for i in demo.board_items("Sales"))
    stage = {s.name: s.id for s in demo.boards["Sales"].stages}
    assert sales[stage["Lost"]] > 2 * sales[stage["Won"]]  # many leads are lost


def test_classes_of_service_titles_due_dates_and_deal_values_are_believable(demo):
    main = demo.board_items("Marketing") + demo.board_items("Sales")
    share = {cos: n / len(main) for cos, n in Counter(i.class_of_service for i in main).items()}
    assert 0.02 <= share["expedite"] <= 0.09
    assert 0.10 <= share["fixed_date"] <= 0.22
    assert 0.55 <= share["standard"] <= 0.75
    assert 0.09 <= share["intangible"] <= 0.22
    for item in main:
        if item.class_of_service == "fixed_date":
            assert item.due_date is not None and item.due_date > item.created_at.date()
        if item.committed_at is not None:
            assert item.owner_id is not None, item.title
    lanes = {lane.id: lane.class_of_service for b in demo.boards.values() for lane in b.lanes}
    assert all(lanes[i.lane_id] == i.class_of_service for i in main)
    assert sum(1 for i in main if i.class_of_service == "standard" and i.due_date) > 20

    assert len({i.title for i in main}) > 0.8 * len(main)
    assert all(5 <= len(i.title) <= 200 for i in main)
    deals = demo.board_items("Sales")
    assert all(5_000 <= i.value <= 120_000 for i in deals)
    assert all(re.fullmatch(r"CRM-\d{5}", i.external_ref) for i in deals)
    assert len({i.external_ref for i in deals}) == len(deals)
    assert any("—" in i.title for i in deals)


# --- the history is consistent --------------------------------------------------------------


def test_every_item_row_agrees_with_its_transition_log(demo):
    boards = {b.id: b for b in demo.boards.values()}
    for item in demo.items:
        board = boards[item.board_id]
        log = demo.log[item.id]
        entries = [transition_of(t) for t in log]
        moves = _moves(log)
        assert log[0].kind == TransitionKind.CREATED and log[0].to_stage_id == board.stages[0].id
        assert log[0].at == item.created_at
        for before, after in zip(moves, moves[1:], strict=False):
            assert after.kind == TransitionKind.MOVED and after.from_stage_id == before.to_stage_id
        assert current_stage(entries) == item.stage_id
        assert item.stage_entered_at == moves[-1].at
        assert item.committed_at == commit_date(entries, _kinds(board))
        assert item.done_at == done_date(entries, _kinds(board))


def test_timestamps_are_utc_increasing_per_item_and_never_after_now(demo):
    for item in demo.items:
        previous = None
        for t in demo.log[item.id]:
            assert t.at.tzinfo is not None and t.at.utcoffset() == timedelta(0)
            assert t.at <= NOW
            if previous is not None:
                if t.kind == TransitionKind.OVERRIDE:  # written with its move, as the service does
                    assert t.at == previous.at and previous.kind == TransitionKind.MOVED
                else:
                    assert t.at > previous.at, item.title
            previous = t


def test_history_happens_mostly_on_working_days_in_working_hours(demo):
    moments = [t.at for t in demo.all_transitions]
    working = [m for m in moments if m.weekday() < 5 and 7 <= m.hour < 18]
    assert len(working) >= 0.9 * len(moments)
    created = [i.created_at for i in demo.board_items("Marketing")]
    assert sum(1 for c in created if c.weekday() < 5) >= 0.95 * len(created)


def test_no_block_mode_limit_is_exceeded_today(demo):
    with demo.db.read() as session:
        for board in demo.boards.values():
            wip = load_wip(session, board)
            committed_ids = {s.id for s in board.stages if s.kind == StageKind.COMMITTED}
            committed = [e for e in wip if e.stage_id in committed_ids]
            for stage in board.stages:
                if stage.wip_limit is not None and stage.wip_mode == WipMode.BLOCK:
                    assert sum(1 for e in wip if e.stage_id == stage.id) <= stage.wip_limit, stage.name
            for lane in board.lanes:
                if lane.wip_limit is not None and lane.wip_mode == WipMode.BLOCK:
                    assert sum(1 for e in committed if e.lane_id == lane.id) <= lane.wip_limit
            if board.expedite_limit is not None:
                expedite = [e for e in committed if e.class_of_service == ClassOfService.EXPEDITE]
                assert len(expedite) <= board.expedite_limit
            for allocation in board.allocations:
                limit = allocation.limit(board.committed_capacity)
                if limit is not None and allocation.wip_mode == WipMode.BLOCK:
                    n = sum(1 for e in committed if allocation.matches(e.work_type_id, e.class_of_service))
                    assert n <= limit, allocation.label


def test_replaying_the_log_never_breaks_a_stage_limit_without_a_recorded_reason(demo):
    """Over a limit only as the policy allows: an expedite item (a warning) or an override."""
    for board in demo.boards.values():
        limited = {s.id: s for s in board.stages if s.wip_limit is not None}
        log = sorted((t for t in demo.all_transitions if t.board_id == board.id), key=lambda t: t.id)
        assert [t.at for t in log] == sorted(t.at for t in log)  # ids follow time
        count: Counter = Counter()
        for t in log:
            if t.kind not in (TransitionKind.CREATED, TransitionKind.MOVED):
                continue
            stage = limited.get(t.to_stage_id)
            if stage is not None and count[stage.id] >= stage.wip_limit:
                codes = {f["code"] for f in t.details.get("findings", [])}
                if "stage_wip_expedite" not in codes:
                    assert stage.wip_mode == WipMode.REASON, (board.name, stage.name, t.at)
                    assert t.details["override"] and t.reason
            count[t.from_stage_id] -= 1
            count[t.to_stage_id] += 1


def test_overrides_are_recorded_as_the_pull_service_records_them(demo):
    overrides = [t for t in demo.all_transitions if t.kind == TransitionKind.OVERRIDE]
    assert 2 <= len(overrides) <= 15
    assert {demo.boards["Marketing"].id, demo.boards["Sales"].id} == {t.board_id for t in overrides}
    stages = {s.id: s for b in demo.boards.values() for s in b.stages}
    for override in overrides:
        log = demo.log[override.item_id]
        moved = log[log.index(override) - 1]
        assert moved.kind == TransitionKind.MOVED and moved.at == override.at
        assert (moved.from_stage_id, moved.to_stage_id) == (override.from_stage_id, override.to_stage_id)
        assert moved.reason == override.reason and override.reason
        assert moved.details == override.details
        assert set(override.details) == {"outcome", "override", "findings"}
        assert override.details["override"] is True and override.details["outcome"] == "warn"
        assert [f["code"] for f in override.details["findings"]] == ["stage_wip"]
        assert stages[override.to_stage_id].wip_mode == WipMode.REASON


def test_blockers_match_the_log_and_a_few_items_are_blocked_today(demo):
    ended = 0
    blocked_now: dict[str, list[str]] = defaultdict(list)
    board_name = {b.id: b.name for b in demo.boards.values()}
    for item in demo.items:
        log = demo.log[item.id]
        blocks = [t for t in log if t.kind in (TransitionKind.BLOCKED, TransitionKind.UNBLOCKED)]
        rows = demo.blockers.get(item.id, [])
        assert [t.at for t in blocks if t.kind == TransitionKind.BLOCKED] == [b.started_at for b in rows]
        assert [t.reason for t in blocks if t.kind == TransitionKind.BLOCKED] == [b.reason for b in rows]
        assert [t.at for t in blocks if t.kind == TransitionKind.UNBLOCKED] == [
            b.ended_at for b in rows if b.ended_at is not None
        ]
        assert [t.kind for t in blocks] == [
            TransitionKind.BLOCKED if n % 2 == 0 else TransitionKind.UNBLOCKED for n in range(len(blocks))
        ]
        open_rows = [b for b in rows if b.ended_at is None]
        assert len(open_rows) == (1 if blocks and blocks[-1].kind == TransitionKind.BLOCKED else 0)
        for b in rows:
            if b.ended_at is not None:
                ended += 1
                assert b.ended_at > b.started_at
        for t in blocks:
            if t.kind == TransitionKind.UNBLOCKED:
                assert t.details["blocked_seconds"] > 0
        if open_rows:
            blocked_now[board_name[item.board_id]].append(open_rows[0].reason)
            assert blocked_time([transition_of(t) for t in log], NOW) > timedelta(0)
    assert ended >= 20
    assert 3 <= len(blocked_now["Marketing"]) <= 8 and 3 <= len(blocked_now["Sales"]) <= 8
    assert "Waiting for legal review of claims" in blocked_now["Marketing"]
    assert "Customer on holiday until Monday" in blocked_now["Sales"]


# --- the same seed, the same workspace ------------------------------------------------------


def _content(demo: Demo) -> list[tuple]:
    """What a user sees, by names rather than ids."""
    stage_name = {s.id: s.name for b in demo.boards.values() for s in b.stages}
    board_name = {b.id: b.name for b in demo.boards.values()}
    return [
        (
            board_name[i.board_id],
            i.title,
            stage_name[i.stage_id],
            i.class_of_service,
            i.due_date,
            None if i.value is None else str(i.value),
            i.external_ref,
            i.created_at,
            i.done_at,
            [
                (t.kind, stage_name.get(t.from_stage_id), stage_name.get(t.to_stage_id), t.at, t.reason)
                for t in demo.log[i.id]
            ],
        )
        for i in demo.items
    ]


@pytest.fixture(scope="module")
def made_again(tmp_path_factory) -> Demo:
    """The same demo made in another SQLite database."""
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('again') / 'demo.sqlite3'}")
    try:
        upgrade(db)
        yield _read(db, "sqlite", create_demo(db, seed=SEED, today=TODAY), 0)
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def seed_3() -> list:
    return simulate(seed=3, now=NOW).items


def test_the_same_seed_and_day_give_the_same_workspace(demo, made_again):
    """Also across backends: the PostgreSQL demo equals the one made on SQLite."""
    assert _content(made_again) == _content(demo)
    assert sum(map(len, made_again.blockers.values())) == sum(map(len, demo.blockers.values()))


def test_another_seed_gives_another_history(demo, seed_3):
    assert [i.title for i in seed_3][:20] != [i.title for i in demo.items][:20]


# --- creating, resetting --------------------------------------------------------------------


def test_the_demo_is_created_once_and_reset_without_duplicating_anything(db, seed_3):
    assert not has_any_workspace(db)
    first = create_demo_if_empty(db)  # today: history ends at the current time
    assert first is not None and has_any_workspace(db)
    assert create_demo_if_empty(db) is None
    with pytest.raises(Conflict):
        create_demo(db)

    # A real workspace that shares a person with the demo is left alone by the reset.
    with db.read() as session:
        alice = session.scalar(select(UserRow.id).where(UserRow.username == "alice"))
        latest = session.scalar(select(func.max(TransitionRow.at)))
    assert latest <= datetime.now(UTC)
    real = board_service.create_workspace(db, name="Acme marketing")
    accounts.set_role(db, workspace_id=real.id, user_id=alice, role="manager")
    board = board_service.create_board(
        db,
        workspace_id=real.id,
        name="Team",
        stages=[
            {"name": "Next", "kind": "option"},
            {"name": "Doing", "kind": "committed", "wip_limit": 2},
            {"name": "Done", "kind": "done"},
        ],
    )
    item_service.create_item(db, actor_id=alice, board_id=board.id, title="Plan the spring launch")

    reset_demo(db, seed=3, today=TODAY)
    with db.read() as session:
        names = Counter(session.scalars(select(WorkspaceRow.name)))
        assert names == {DEMO_WORKSPACE: 1, PARTNER_WORKSPACE: 1, "Acme marketing": 1}
        assert session.scalar(select(func.count()).select_from(UserRow)) == 12
        demo_titles = session.scalars(
            select(ItemRow.title).where(ItemRow.board_id != board.id).order_by(ItemRow.id)
        ).all()
        # Exactly the new history, nothing left over; then the aggregates of demo_aggregates,
        # each created once (and their parent's move and split).
        added = len(demo_titles) - len(seed_3)
        assert demo_titles[: len(seed_3)] == [i.title for i in seed_3]
        assert 0 < added <= 10
        transitions = session.scalar(select(func.count()).select_from(TransitionRow))
        history_rows = sum(len(i.log) for i in seed_3) + 1
        assert history_rows + added <= transitions <= history_rows + added + 3
        assert (
            session.scalar(select(func.max(TransitionRow.at)).where(TransitionRow.board_id != board.id))
            <= NOW
        )
        kept = session.scalar(
            select(MembershipRow.role).where(
                MembershipRow.workspace_id == real.id, MembershipRow.user_id == alice
            )
        )
        assert kept == "manager"
        assert (
            session.scalar(select(func.count()).select_from(ItemRow).where(ItemRow.board_id == board.id)) == 1
        )
