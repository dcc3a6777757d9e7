"""Item use cases on the real databases (SQLite file and PostgreSQL): what a user sees change,
what the transition log records, and that a bad request changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from pullplan.domain.board import Board
from pullplan.domain.history import commit_date, done_date
from pullplan.domain.items import TransitionKind
from pullplan.services.accounts import create_user, set_role
from pullplan.services.boards import (
    create_board,
    create_work_type,
    create_workspace,
    finished_items,
    read_board,
    update_board,
)
from pullplan.services.errors import Conflict, InvalidInput, NotFound, PullRefused
from pullplan.services.items import (
    archive_item,
    block_item,
    create_item,
    discard_item,
    edit_item,
    get_item,
    item_history,
    move_item,
    pull_next,
    unblock_item,
)
from pullplan.storage.database import Database
from pullplan.storage.repositories import transition_of
from pullplan.storage.tables import BlockerRow, ItemRow, TransitionRow

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
UNKNOWN = 987_654


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours, minutes=minutes)


@dataclass(frozen=True)
class Team:
    """alice (manager), bob (member), carol (viewer) in Marketing; dave only in Sales."""

    board: Board
    stage: dict[str, int]
    lane: dict[str, int]
    alice: int
    bob: int
    carol: int
    dave: int
    campaign: int  # a work type of Marketing
    sales_board: Board
    sales_stage: dict[str, int]
    sales_lane: int
    deal: int  # a work type of Sales


@pytest.fixture
def team(db: Database) -> Team:
    marketing = create_workspace(db, name="Marketing team", now=T0)
    sales = create_workspace(db, name="Sales team", now=T0)
    people = {}
    for username, name in [
        ("alice", "Alice Adams"),
        ("bob", "Bob Brown"),
        ("carol", "Carol Cruz"),
        ("dave", "Dave Dunn"),
    ]:
        people[username] = create_user(db, username=username, display_name=name, now=T0).id
    set_role(db, workspace_id=marketing.id, user_id=people["alice"], role="manager")
    set_role(db, workspace_id=marketing.id, user_id=people["bob"], role="member")
    set_role(db, workspace_id=marketing.id, user_id=people["carol"], role="viewer")
    set_role(db, workspace_id=sales.id, user_id=people["dave"], role="member")
    campaign = create_work_type(db, workspace_id=marketing.id, name="Campaign").id
    deal = create_work_type(db, workspace_id=sales.id, name="Deal").id
    board = create_board(
        db,
        workspace_id=marketing.id,
        name="Marketing",
        stages=[
            {"name": "Options", "kind": "option"},
            {"name": "Ready", "kind": "option", "split": True},
            {"name": "Doing", "kind": "committed", "wip_limit": 2, "wip_mode": "reason"},
            {
                "name": "Review",
                "kind": "committed",
                "wip_limit": 1,
                "wip_mode": "block",
                "requires_owner": True,
            },
            {"name": "Done", "kind": "done"},
            {"name": "Discarded", "kind": "discarded"},
        ],
        lanes=[
            {"name": "Expedite", "class_of_service": "expedite"},
            {"name": "Fixed date", "class_of_service": "fixed_date"},
            {"name": "Standard", "class_of_service": "standard"},
            {"name": "Intangible", "class_of_service": "intangible"},
            {"name": "Events", "wip_limit": 1, "wip_mode": "reason"},
        ],
        now=T0,
    )
    sales_board = create_board(
        db,
        workspace_id=sales.id,
        name="Deals",
        stages=[
            {"name": "Leads", "kind": "option"},
            {"name": "Working", "kind": "committed"},
            {"name": "Won", "kind": "done"},
        ],
        lanes=[{"name": "Standard", "class_of_service": "standard"}],
        now=T0,
    )
    return Team(
        board=board,
        stage={s.name: s.id for s in board.stages},
        lane={lane.name: lane.id for lane in board.lanes},
        alice=people["alice"],
        bob=people["bob"],
        carol=people["carol"],
        dave=people["dave"],
        campaign=campaign,
        sales_board=sales_board,
        sales_stage={s.name: s.id for s in sales_board.stages},
        sales_lane=sales_board.lanes[0].id,
        deal=deal,
    )


# --- helpers ---------------------------------------------------------------------------------


def new_item(
    db: Database,
    team: Team,
    title: str = "Spring webinar",
    *,
    stage: str | None = None,
    now: datetime = T0,
    **fields,
):
    stage_id = team.stage[stage] if stage else None
    return create_item(
        db, actor_id=team.alice, board_id=team.board.id, title=title, stage_id=stage_id, now=now, **fields
    ).item


def state(db: Database) -> dict[str, list[tuple]]:
    """Every row of the tables a use case writes, to prove a refused request wrote nothing."""
    with db.read() as session:
        return {
            table.name: [tuple(r) for r in session.execute(select(table).order_by(table.c.id))]
            for table in (ItemRow.__table__, TransitionRow.__table__, BlockerRow.__table__)
        }


def log(db: Database, item_id: int) -> list[TransitionRow]:
    return item_history(db, item_id)


def kinds_of(db: Database, item_id: int) -> list[str]:
    return [row.kind for row in log(db, item_id)]


def assert_dates_agree_with_log(db: Database, team: Team, item_id: int) -> None:
    """committed_at and done_at are caches; the transition log is the source of truth."""
    item = get_item(db, item_id)
    transitions = [transition_of(row) for row in log(db, item_id)]
    kinds = {s.id: s.kind for s in team.board.stages}
    assert item.committed_at == commit_date(transitions, kinds)
    assert item.done_at == done_date(transitions, kinds)


def refused(call: Callable[[], object], error=PullRefused):
    with pytest.raises(error) as info:
        call()
    return info.value


# --- create ----------------------------------------------------------------------------------


def test_create_puts_the_item_in_the_first_option_stage_and_logs_it_once(db, team):
    item = new_item(
        db,
        team,
        "  Spring webinar  ",
        owner_id=team.bob,
        work_type_id=team.campaign,
        tags=["b2b", " events ", "b2b"],
        value="1250.5",
        size=3,
        description="For CFOs",
        external_ref="CRM-42",
    )

    assert item.stage_id == team.stage["Options"]
    assert item.lane_id == team.lane["Standard"]
    assert item.title == "Spring webinar"
    assert item.owner_name == "Bob Brown"
    assert item.work_type_name == "Campaign"
    assert item.tags == ("b2b", "events")
    assert item.value == Decimal("1250.50")
    assert (item.size, item.description, item.external_ref) == (3, "For CFOs", "CRM-42")
    assert item.created_at == item.stage_entered_at == T0
    assert item.committed_at is None and item.done_at is None
    assert get_item(db, item.id) == item

    [created] = log(db, item.id)
    assert created.kind == TransitionKind.CREATED
    assert (created.from_stage_id, created.to_stage_id) == (None, team.stage["Options"])
    assert (created.actor_id, created.at, created.reason) == (team.alice, T0, None)


def test_create_picks_the_lane_of_the_class_of_service(db, team):
    expedite = new_item(db, team, "Press response", class_of_service="expedite")
    fixed = new_item(db, team, "Trade fair", class_of_service="fixed_date", due_date=date(2024, 5, 1))
    intangible = new_item(db, team, "Refresh templates", class_of_service="intangible")
    placed = new_item(db, team, "Partner event", lane_id=team.lane["Events"])

    assert expedite.lane_id == team.lane["Expedite"]
    assert (fixed.lane_id, fixed.due_date) == (team.lane["Fixed date"], date(2024, 5, 1))
    assert intangible.lane_id == team.lane["Intangible"]
    assert placed.lane_id == team.lane["Events"]


def test_a_fixed_date_item_without_a_due_date_is_refused_and_nothing_is_written(db, team):
    fixed = new_item(db, team, "Trade fair", class_of_service="fixed_date", due_date=date(2024, 5, 1))
    standard = new_item(db, team, "Newsletter")
    before = state(db)

    for call in (
        lambda: new_item(db, team, "Summit", class_of_service="fixed_date"),
        lambda: new_item(db, team, "Summit", class_of_service="fixed_date", stage="Doing"),
        lambda: edit_item(db, actor_id=team.alice, item_id=fixed.id, changes={"due_date": None}),
        lambda: edit_item(
            db, actor_id=team.alice, item_id=standard.id, changes={"class_of_service": "fixed_date"}
        ),
    ):
        error = refused(call, InvalidInput)
        assert error.field == "due_date"
        assert "due date" in error.message
        assert state(db) == before


def test_create_in_a_committed_or_done_stage_sets_the_dates_the_log_implies(db, team):
    doing = new_item(db, team, "Urgent brief", stage="Doing", now=at(1))
    done = new_item(db, team, "Already shipped", stage="Done", now=at(2))

    assert (doing.committed_at, doing.done_at) == (at(1), None)
    assert (done.committed_at, done.done_at) == (at(2), at(2))
    for item in (doing, done):
        assert_dates_agree_with_log(db, team, item.id)


# --- edit ------------------------------------------------------------------------------------


def test_edit_appends_one_row_per_change_and_none_for_no_change(db, team):
    item = new_item(db, team, "Newsletter")

    edited = edit_item(
        db,
        actor_id=team.bob,
        item_id=item.id,
        now=at(1),
        changes={
            "title": "April newsletter",
            "size": 5,
            "owner_id": team.bob,
            "value": "10",
            "tags": ["email"],
        },
    ).item
    assert (edited.title, edited.size, edited.owner_name) == ("April newsletter", 5, "Bob Brown")
    assert (edited.value, edited.tags) == (Decimal("10.00"), ("email",))
    created, change = log(db, item.id)
    assert change.kind == TransitionKind.EDITED
    assert (change.actor_id, change.at) == (team.bob, at(1))
    assert change.details["changes"] == {
        "title": ["Newsletter", "April newsletter"],
        "size": [None, 5],
        "owner_id": [None, team.bob],
        "value": [None, "10.00"],
        "tags": [[], ["email"]],
    }
    assert get_item(db, item.id).stage_id == team.stage["Options"]

    before = state(db)
    same = edit_item(
        db,
        actor_id=team.bob,
        item_id=item.id,
        now=at(2),
        changes={"title": " April newsletter ", "size": 5, "value": Decimal("10.00")},
    )
    assert same.item == edited
    assert state(db) == before

    edit_item(db, actor_id=team.alice, item_id=item.id, now=at(3), changes={"due_date": date(2024, 4, 1)})
    rows = log(db, item.id)
    assert [r.id for r in rows[:2]] == [created.id, change.id]
    assert [transition_of(r) for r in rows[:2]] == [transition_of(created), transition_of(change)]
    assert rows[2].details["changes"] == {"due_date": [None, "2024-04-01"]}


def test_an_edit_over_a_reason_mode_limit_needs_a_reason_and_records_an_override(db, team):
    new_item(db, team, "Partner event", stage="Doing", lane_id=team.lane["Events"])
    item = new_item(db, team, "Roadshow", stage="Doing")
    before = state(db)

    error = refused(
        lambda: edit_item(db, actor_id=team.alice, item_id=item.id, changes={"lane_id": team.lane["Events"]})
    )
    assert error.code == "needs_reason"
    assert "Events lane has 1 of 1" in error.message
    assert state(db) == before

    result = edit_item(
        db,
        actor_id=team.alice,
        item_id=item.id,
        now=at(1),
        changes={"lane_id": team.lane["Events"]},
        reason="Same venue",
    )
    assert result.decision.override
    assert result.item.lane_id == team.lane["Events"]
    edited, override = log(db, item.id)[-2:]
    assert edited.kind == TransitionKind.EDITED
    assert override.kind == TransitionKind.OVERRIDE
    assert (override.reason, override.at) == ("Same venue", at(1))
    assert [f["code"] for f in override.details["findings"]] == ["lane_wip"]


# --- move ------------------------------------------------------------------------------------


def test_moves_set_commit_and_done_dates_exactly_as_the_log_says(db, team):
    item = new_item(db, team, "Case study", owner_id=team.bob)
    path = [
        ("Ready", 1),
        ("Doing", 2),
        ("Review", 3),
        ("Done", 4),
        ("Doing", 5),
        ("Options", 6),
        ("Doing", 7),
        ("Done", 8),
    ]
    for name, day in path:
        moved = move_item(
            db, actor_id=team.bob, item_id=item.id, to_stage_id=team.stage[name], now=at(day)
        ).item
        assert moved.stage_id == team.stage[name]
        assert moved.stage_entered_at == at(day)
        assert moved == get_item(db, item.id)  # what the caller is told is what was stored
        assert_dates_agree_with_log(db, team, item.id)

    final = get_item(db, item.id)
    assert final.committed_at == at(2)  # the first crossing of the commitment point
    assert final.done_at == at(8)  # the last arrival in done
    moves = [r for r in log(db, item.id) if r.kind == TransitionKind.MOVED]
    stages = ["Options"] + [name for name, _ in path]
    assert [(r.from_stage_id, r.to_stage_id) for r in moves] == [
        (team.stage[a], team.stage[b]) for a, b in zip(stages, stages[1:], strict=False)
    ]
    assert [r.at for r in moves] == [at(day) for _, day in path]
    assert all(r.actor_id == team.bob and r.reason is None for r in moves)
    assert kinds_of(db, item.id) == ["created"] + ["moved"] * len(path)


def test_a_move_clears_ready_to_pull(db, team):
    item = new_item(db, team, "Brochure", stage="Ready", ready=True)
    assert item.ready
    moved = move_item(
        db, actor_id=team.alice, item_id=item.id, to_stage_id=team.stage["Doing"], now=at(1)
    ).item
    assert moved.ready is False


def test_a_reason_mode_limit_needs_a_reason_and_records_the_override(db, team):
    new_item(db, team, "One", stage="Doing")
    new_item(db, team, "Two", stage="Doing")
    item = new_item(db, team, "Three")
    before = state(db)

    for reason in (None, "   "):
        error = refused(
            lambda r=reason: move_item(
                db, actor_id=team.alice, item_id=item.id, to_stage_id=team.stage["Doing"], reason=r
            )
        )
        assert error.code == "needs_reason"
        assert "Doing has 2 of 2 items (its WIP limit)" in error.message
        assert state(db) == before

    result = move_item(
        db,
        actor_id=team.alice,
        item_id=item.id,
        to_stage_id=team.stage["Doing"],
        reason="  Launch week  ",
        now=at(1),
    )
    assert result.decision.override
    assert result.item.stage_id == team.stage["Doing"]
    moved, override = log(db, item.id)[1:]
    assert moved.kind == TransitionKind.MOVED and override.kind == TransitionKind.OVERRIDE
    assert moved.reason == override.reason == "Launch week"
    for row in (moved, override):
        assert (row.from_stage_id, row.to_stage_id) == (team.stage["Options"], team.stage["Doing"])
        assert row.actor_id == team.alice and row.at == at(1)
    assert override.details["override"] is True
    assert [f["code"] for f in override.details["findings"]] == ["stage_wip"]
    assert len(state(db)["transitions"]) == len(before["transitions"]) + 2


def test_creating_into_a_full_reason_mode_stage_records_the_override(db, team):
    new_item(db, team, "One", stage="Doing")
    new_item(db, team, "Two", stage="Doing")
    before = state(db)
    error = refused(lambda: new_item(db, team, "Three", stage="Doing"))
    assert error.code == "needs_reason"
    assert state(db) == before

    item = new_item(db, team, "Three", stage="Doing", reason="CEO request", now=at(1))
    created, override = log(db, item.id)
    assert (created.kind, created.reason) == ("created", "CEO request")
    assert (override.kind, override.reason) == ("override", "CEO request")
    assert override.to_stage_id == team.stage["Doing"]


def test_a_block_mode_limit_refuses_even_with_a_reason_and_changes_nothing(db, team):
    first = new_item(db, team, "One", stage="Doing", owner_id=team.bob)
    second = new_item(db, team, "Two", stage="Doing", owner_id=team.bob)
    move_item(db, actor_id=team.bob, item_id=first.id, to_stage_id=team.stage["Review"], now=at(1))
    before, item_before = state(db), get_item(db, second.id)

    for reason in (None, "Please"):
        error = refused(
            lambda r=reason: move_item(
                db, actor_id=team.bob, item_id=second.id, to_stage_id=team.stage["Review"], reason=r
            )
        )
        assert error.code == "pull_refused"
        assert error.message == (
            "This pull is not allowed: Review has 1 of 1 items (its WIP limit); this pull would make it 2."
        )
        assert [f.code for f in error.decision.findings] == ["stage_wip"]
        assert state(db) == before
        assert get_item(db, second.id) == item_before


def test_expedite_may_exceed_a_stage_limit_with_a_warning_but_not_the_expedite_limit(db, team):
    new_item(db, team, "One", stage="Doing")
    new_item(db, team, "Two", stage="Doing")
    first = new_item(db, team, "Press response", class_of_service="expedite")
    second = new_item(db, team, "Outage statement", class_of_service="expedite")

    result = move_item(db, actor_id=team.alice, item_id=first.id, to_stage_id=team.stage["Doing"], now=at(1))
    assert result.decision.allowed and not result.decision.override
    moved = log(db, first.id)[-1]
    assert (moved.kind, moved.reason) == ("moved", None)
    assert moved.details["outcome"] == "warn"
    assert [f["code"] for f in moved.details["findings"]] == ["stage_wip_expedite"]
    assert kinds_of(db, first.id) == ["created", "moved"]  # a warning is not an override

    before = state(db)
    error = refused(
        lambda: move_item(
            db, actor_id=team.alice, item_id=second.id, to_stage_id=team.stage["Doing"], reason="Urgent"
        )
    )
    assert error.code == "pull_refused"
    assert "expedite_limit" in {f.code for f in error.decision.findings}
    assert "allows 1 expedite item in progress" in error.message
    assert state(db) == before


def test_entry_rules_refuse_a_pull_with_every_reason(db, team):
    item = new_item(db, team, "No owner", stage="Doing")
    before = state(db)
    error = refused(
        lambda: move_item(db, actor_id=team.bob, item_id=item.id, to_stage_id=team.stage["Review"])
    )
    assert "Review requires an owner" in error.message
    assert {f.code for f in error.decision.findings} == {"requires_owner"}
    error = refused(
        lambda: move_item(db, actor_id=team.bob, item_id=item.id, to_stage_id=team.stage["Doing"])
    )
    assert "already in Doing" in error.message
    assert state(db) == before


# --- block and unblock -----------------------------------------------------------------------


def test_block_and_unblock_are_logged_and_a_blocked_item_cannot_move_forward(db, team):
    item = new_item(db, team, "Whitepaper", stage="Doing")

    blocked = block_item(
        db, actor_id=team.bob, item_id=item.id, reason=" Waiting for legal ", category="approval", now=at(1)
    )
    assert blocked.blocked and blocked.blocked_reason == "Waiting for legal"
    row = log(db, item.id)[-1]
    assert (row.kind, row.reason, row.details) == ("blocked", "Waiting for legal", {"category": "approval"})
    assert (row.actor_id, row.at) == (team.bob, at(1))

    before = state(db)
    error = refused(lambda: move_item(db, actor_id=team.bob, item_id=item.id, to_stage_id=team.stage["Done"]))
    assert "blocked: Waiting for legal" in error.message
    assert (
        refused(lambda: block_item(db, actor_id=team.bob, item_id=item.id, reason="Again"), Conflict).code
        == "already_blocked"
    )
    assert state(db) == before

    unblocked = unblock_item(db, actor_id=team.alice, item_id=item.id, reason="Signed", now=at(1, hours=2))
    assert not unblocked.blocked and unblocked.blocked_reason is None
    row = log(db, item.id)[-1]
    assert (row.kind, row.reason, row.actor_id) == ("unblocked", "Signed", team.alice)
    assert row.details == {"blocked_seconds": 7200}
    with db.read() as session:
        blocker = session.scalars(select(BlockerRow).where(BlockerRow.item_id == item.id)).one()
    assert (blocker.started_at, blocker.ended_at) == (at(1), at(1, hours=2))
    assert (blocker.started_by, blocker.ended_by, blocker.category) == (team.bob, team.alice, "approval")

    before = state(db)
    assert (
        refused(lambda: unblock_item(db, actor_id=team.alice, item_id=item.id), Conflict).code
        == "not_blocked"
    )
    assert state(db) == before
    assert kinds_of(db, item.id) == ["created", "blocked", "unblocked"]


def test_a_blocked_item_may_move_back(db, team):
    item = new_item(db, team, "Whitepaper", stage="Doing")
    block_item(db, actor_id=team.bob, item_id=item.id, reason="Scope unclear", now=at(1))
    moved = move_item(
        db, actor_id=team.bob, item_id=item.id, to_stage_id=team.stage["Options"], now=at(2)
    ).item
    assert moved.stage_id == team.stage["Options"] and moved.blocked


def test_unblocking_into_a_full_stage_needs_a_reason_where_blocked_items_do_not_count(db, team):
    update_board(db, board_id=team.board.id, changes={"blocked_counts_against_wip": False})
    item = new_item(db, team, "Whitepaper", stage="Doing")
    block_item(db, actor_id=team.bob, item_id=item.id, reason="Waiting for legal", now=at(1))
    new_item(db, team, "One", stage="Doing", now=at(2))
    new_item(db, team, "Two", stage="Doing", now=at(2))
    before = state(db)

    error = refused(lambda: unblock_item(db, actor_id=team.bob, item_id=item.id, now=at(3)))
    assert error.code == "needs_reason"
    assert "Doing has 2 of 2" in error.message
    assert state(db) == before
    assert get_item(db, item.id).blocked

    unblock_item(db, actor_id=team.bob, item_id=item.id, reason="Legal signed", now=at(3))
    unblocked, override = log(db, item.id)[-2:]
    assert (unblocked.kind, unblocked.reason) == ("unblocked", "Legal signed")
    assert (override.kind, override.reason) == ("override", "Legal signed")
    assert override.from_stage_id == override.to_stage_id == team.stage["Doing"]


# --- discard and archive ---------------------------------------------------------------------


def test_discard_then_archive(db, team):
    item = new_item(db, team, "Podcast", stage="Doing", now=at(1))
    before = state(db)
    assert (
        refused(lambda: archive_item(db, actor_id=team.alice, item_id=item.id), Conflict).code
        == "not_finished"
    )
    assert state(db) == before

    discarded = discard_item(db, actor_id=team.alice, item_id=item.id, reason="Budget cut", now=at(2)).item
    assert discarded.stage_id == team.stage["Discarded"]
    assert (discarded.committed_at, discarded.done_at) == (at(1), None)
    row = log(db, item.id)[-1]
    assert (row.kind, row.reason, row.to_stage_id) == ("moved", "Budget cut", team.stage["Discarded"])
    assert_dates_agree_with_log(db, team, item.id)

    archived = archive_item(db, actor_id=team.alice, item_id=item.id, now=at(3))
    assert archived.archived_at == at(3)
    assert log(db, item.id)[-1].kind == TransitionKind.ARCHIVED
    before = state(db)
    assert (
        refused(lambda: archive_item(db, actor_id=team.alice, item_id=item.id), Conflict).code == "archived"
    )
    assert (
        refused(lambda: block_item(db, actor_id=team.alice, item_id=item.id, reason="x"), Conflict).code
        == "archived"
    )
    error = refused(
        lambda: move_item(db, actor_id=team.alice, item_id=item.id, to_stage_id=team.stage["Options"])
    )
    assert "archived" in error.message
    assert state(db) == before
    assert kinds_of(db, item.id) == ["created", "moved", "archived"]

    view = read_board(db, team.board.id)
    assert all(i.id != item.id for sv in view.stages for i in sv.items)
    assert {sv.stage.name: sv.count for sv in view.stages}["Discarded"] == 0


def test_discard_needs_a_discarded_stage(db, team):
    item = create_item(db, actor_id=team.dave, board_id=team.sales_board.id, title="Acme deal").item
    before = state(db)
    assert (
        refused(lambda: discard_item(db, actor_id=team.dave, item_id=item.id), Conflict).code
        == "no_discarded_stage"
    )
    assert state(db) == before


# --- bad input -------------------------------------------------------------------------------


def test_unknown_ids_are_not_found_and_change_nothing(db, team):
    item = new_item(db, team, "Existing")
    before, item_before = state(db), get_item(db, item.id)
    cases = {
        "get_item": ("Item", lambda: get_item(db, UNKNOWN)),
        "item_history": ("Item", lambda: item_history(db, UNKNOWN)),
        "create_item": ("Board", lambda: create_item(db, actor_id=team.alice, board_id=UNKNOWN, title="x")),
        "edit_item": (
            "Item",
            lambda: edit_item(db, actor_id=team.alice, item_id=UNKNOWN, changes={"title": "x"}),
        ),
        "move_item": (
            "Item",
            lambda: move_item(db, actor_id=team.alice, item_id=UNKNOWN, to_stage_id=team.stage["Doing"]),
        ),
        "block_item": ("Item", lambda: block_item(db, actor_id=team.alice, item_id=UNKNOWN, reason="x")),
        "unblock_item": ("Item", lambda: unblock_item(db, actor_id=team.alice, item_id=UNKNOWN)),
        "discard_item": ("Item", lambda: discard_item(db, actor_id=team.alice, item_id=UNKNOWN)),
        "archive_item": ("Item", lambda: archive_item(db, actor_id=team.alice, item_id=UNKNOWN)),
        "pull_next": ("Board", lambda: pull_next(db, board_id=UNKNOWN, stage_id=team.stage["Doing"])),
        "read_board": ("Board", lambda: read_board(db, UNKNOWN)),
        "finished_items": ("Stage", lambda: finished_items(db, stage_id=UNKNOWN)),
    }
    problems = []
    for name, (what, call) in cases.items():
        try:
            call()
            problems.append(f"{name}: no error")
        except NotFound as e:
            if (e.what, e.key) != (what, UNKNOWN) or str(UNKNOWN) not in e.message:
                problems.append(f"{name}: {e.what} {e.key} {e.message!r}")
        except Exception as e:  # noqa: BLE001 - collect every case, then fail once
            problems.append(f"{name}: {type(e).__name__}: {e}")
        if state(db) != before:
            problems.append(f"{name}: wrote to the database")
    assert problems == []
    assert get_item(db, item.id) == item_before


def test_invalid_input_names_the_field_and_changes_nothing(db, team):
    item = new_item(db, team, "Existing", owner_id=team.bob)
    new_item(db, team, "One", stage="Doing")
    new_item(db, team, "Two", stage="Doing")
    before, item_before = state(db), get_item(db, item.id)

    def create(**fields):
        return lambda: new_item(db, team, **{"title": "New", **fields})

    def edit(**changes):
        return lambda: edit_item(db, actor_id=team.alice, item_id=item.id, changes=changes)

    def move(stage_id, **kw):
        return lambda: move_item(db, actor_id=team.alice, item_id=item.id, to_stage_id=stage_id, **kw)

    def block(**kw):
        return lambda: block_item(db, actor_id=team.alice, item_id=item.id, **kw)

    cases = [
        ("title", create(title="   ")),
        ("title", create(title="x" * 201)),
        ("title", create(title="bell\x07")),
        ("colour", create(colour="red")),
        ("class_of_service", create(class_of_service="urgent")),
        ("size", create(size=-1)),
        ("size", create(size=True)),
        ("value", create(value="lots")),
        ("value", create(value=-5)),
        ("tags", create(tags="a,b")),
        ("due_date", create(due_date="2024-05-01")),
        ("lane_id", create(lane_id=team.sales_lane)),
        ("work_type_id", create(work_type_id=team.deal)),
        ("owner_id", create(owner_id=team.dave)),
        ("parent_id", create(parent_id=UNKNOWN)),
        (
            "stage_id",
            lambda: create_item(
                db,
                actor_id=team.alice,
                board_id=team.board.id,
                title="New",
                stage_id=team.sales_stage["Working"],
            ),
        ),
        ("title", edit(title=None)),
        ("ready", edit(ready="yes")),
        ("parent_id", edit(parent_id=item.id)),
        ("owner_id", edit(owner_id=team.dave)),
        ("stage_id", edit(stage_id=team.stage["Doing"])),
        ("to_stage_id", move(team.sales_stage["Working"])),
        ("reason", move(team.stage["Doing"], reason="x" * 501)),
        ("reason", block(reason="  ")),
        ("reason", block(reason="x" * 501)),
        ("category", block(reason="Waiting", category="x" * 61)),
        ("stage_id", lambda: pull_next(db, board_id=team.board.id, stage_id=team.sales_stage["Working"])),
    ]
    problems = []
    for field, call in cases:
        try:
            call()
            problems.append(f"{field}: no error")
        except InvalidInput as e:
            if e.field != field or not e.message.startswith(f"{field}: "):
                problems.append(f"{field}: named {e.field!r} ({e.message!r})")
        except Exception as e:  # noqa: BLE001 - collect every case, then fail once
            problems.append(f"{field}: {type(e).__name__}: {e}")
        if state(db) != before:
            problems.append(f"{field}: wrote to the database")
            before = state(db)
    assert problems == []
    assert get_item(db, item.id) == item_before


def test_a_parent_cannot_be_its_own_descendant(db, team):
    campaign = new_item(db, team, "Spring campaign")
    page = new_item(db, team, "Landing page", parent_id=campaign.id)
    copy = new_item(db, team, "Page copy", parent_id=page.id)
    before = state(db)
    for child in (page, copy):
        error = refused(
            lambda c=child: edit_item(
                db, actor_id=team.alice, item_id=campaign.id, changes={"parent_id": c.id}
            ),
            InvalidInput,
        )
        assert error.field == "parent_id"
        assert state(db) == before


# --- pull next -------------------------------------------------------------------------------


def test_pull_next_ranks_expedite_then_fixed_date_then_fifo_then_intangible(db, team):
    def ready_item(title, minutes, **fields):
        return new_item(db, team, title, stage="Ready", now=at(minutes=minutes), **fields).id

    standard_new = ready_item("Standard, newer", 10)
    intangible = ready_item("Intangible", 0, class_of_service="intangible")
    standard_old = ready_item("Standard, older", 5)
    fixed_late = ready_item("Fixed, June", 20, class_of_service="fixed_date", due_date=date(2024, 6, 1))
    fixed_soon = ready_item("Fixed, May", 30, class_of_service="fixed_date", due_date=date(2024, 5, 1))
    expedite = ready_item("Expedite", 40, class_of_service="expedite")
    stuck = ready_item("Blocked", 1)
    block_item(db, actor_id=team.bob, item_id=stuck, reason="No budget", now=at(1))
    new_item(db, team, "Not upstream", stage="Options")
    before = state(db)

    pullable, not_pullable = pull_next(db, board_id=team.board.id, stage_id=team.stage["Doing"])
    assert [c.item.id for c in pullable] == [
        expedite,
        fixed_soon,
        fixed_late,
        standard_old,
        standard_new,
        intangible,
    ]
    assert [c.rank for c in pullable] == [1, 2, 3, 4, 5, 6]
    assert all(c.decision.allowed for c in pullable)
    assert pullable[0].why.startswith("Expedite")
    assert "2024-05-01" in pullable[1].why
    assert [c.item.id for c in not_pullable] == [stuck]
    assert "blocked: No budget" in " ".join(not_pullable[0].decision.reasons)
    assert state(db) == before  # a read

    top, _ = pull_next(db, board_id=team.board.id, stage_id=team.stage["Doing"], limit=2)
    assert [c.item.id for c in top] == [expedite, fixed_soon]
    assert pull_next(db, board_id=team.board.id, stage_id=team.stage["Options"]) == ([], [])


def test_pull_next_from_a_split_stage_offers_ready_to_pull_items_first(db, team):
    new_item(db, team, "Older, still in progress", stage="Ready", now=at(minutes=1))
    finished = new_item(db, team, "Newer, ready to pull", stage="Ready", now=at(minutes=2), ready=True).id
    pullable, _ = pull_next(db, board_id=team.board.id, stage_id=team.stage["Doing"])
    # First in, first out alone would put `waiting` first.
    assert [c.item.id for c in pullable][0] == finished


def test_pull_next_lists_candidates_a_full_block_mode_stage_would_refuse(db, team):
    owner = {"owner_id": team.bob}
    new_item(db, team, "In review", stage="Doing", **owner)
    in_review = new_item(db, team, "Under review", stage="Doing", **owner)
    move_item(db, actor_id=team.bob, item_id=in_review.id, to_stage_id=team.stage["Review"])
    pullable, not_pullable = pull_next(db, board_id=team.board.id, stage_id=team.stage["Review"])
    assert pullable == []
    assert len(not_pullable) == 1
    assert "Review has 1 of 1" in not_pullable[0].decision.reasons[0]


# --- the board as it is read -----------------------------------------------------------------


def test_read_board_pages_done_stages_and_never_shows_archived_items(db, team):
    done = [new_item(db, team, f"Done {n}", stage="Done", now=at(minutes=n)).id for n in range(30)]
    archived = {done[29], done[15], done[0]}
    for item_id in sorted(archived):
        archive_item(db, actor_id=team.alice, item_id=item_id, now=at(1))
    gone = new_item(db, team, "Dropped", now=at(minutes=40)).id
    discard_item(db, actor_id=team.alice, item_id=gone, now=at(1))
    archive_item(db, actor_id=team.alice, item_id=gone, now=at(1, minutes=1))
    kept = new_item(db, team, "Dropped, kept", now=at(minutes=41)).id
    discard_item(db, actor_id=team.alice, item_id=kept, now=at(1))
    open_ids = [new_item(db, team, f"Open {n}", now=at(minutes=50 - n)).id for n in range(3)]

    visible = [i for i in reversed(done) if i not in archived]  # most recently finished first
    view = read_board(db, team.board.id, finished_page=10)
    stages = {sv.stage.name: sv for sv in view.stages}
    assert stages["Done"].count == 27
    assert [i.id for i in stages["Done"].items] == visible[:10]
    assert stages["Options"].count == 3
    assert [i.id for i in stages["Options"].items] == list(reversed(open_ids))  # oldest first
    assert (stages["Discarded"].count, [i.id for i in stages["Discarded"].items]) == (1, [kept])
    shown = {i.id for sv in view.stages for i in sv.items}
    assert not shown & (archived | {gone})
    assert (view.board.id, view.workspace_name) == (team.board.id, "Marketing team")

    last = read_board(db, team.board.id, finished_page=10, finished_offset=20)
    assert [i.id for i in {sv.stage.name: sv for sv in last.stages}["Done"].items] == visible[20:]

    total, page = finished_items(db, stage_id=team.stage["Done"], limit=10, offset=10)
    assert total == 27
    assert [i.id for i in page] == visible[10:20]
