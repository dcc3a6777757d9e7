"""Aggregates on a real database (SQLite and PostgreSQL): a parent split from its template when
it crosses the commitment point, atomically with the move; split by hand; its children's
progress; done when the last child is; its commit-by date from a forecast of its children."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from pullplan.domain.items import TransitionKind
from pullplan.services import aggregates, lrm
from pullplan.services.boards import create_board, create_work_type, create_workspace
from pullplan.services.errors import Conflict, InvalidInput
from pullplan.services.items import create_item, discard_item, get_item, item_history, move_item
from pullplan.storage.tables import ItemRow, TransitionRow

DAY = dt.timedelta(days=1)
NOW = dt.datetime.now(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0)
TODAY = NOW.date()


@pytest.fixture
def world(db):
    ws = create_workspace(db, name="Acme Marketing")
    board = create_board(
        db,
        workspace_id=ws.id,
        name="Marketing",
        stages=[
            {"name": "Ideas", "kind": "option"},
            {"name": "Requested", "kind": "option", "wip_limit": 2},
            {"name": "Doing", "kind": "committed"},
            {"name": "Done", "kind": "done"},
            {"name": "Discarded", "kind": "discarded"},
        ],
    )
    campaign = create_work_type(db, workspace_id=ws.id, name="Campaign").id
    content = create_work_type(db, workspace_id=ws.id, name="Content").id
    stages = {s.name: s.id for s in board.stages}
    aggregates.set_template(
        db,
        actor_id=None,
        workspace_id=ws.id,
        work_type_id=campaign,
        children=[
            {"title": "Brief", "work_type_id": content, "offset_days": -14},
            {"title": "Landing page", "stage_name": "Requested", "offset_days": -7},
            {"title": "Launch", "offset_days": 0},
        ],
    )

    class World:
        pass

    w = World()
    w.db, w.ws, w.board, w.stages, w.campaign, w.content = db, ws, board, stages, campaign, content
    return w


def _campaign(w, title="Spring launch", due=TODAY + 60 * DAY, **fields):
    return create_item(
        w.db,
        actor_id=None,
        board_id=w.board.id,
        title=title,
        work_type_id=w.campaign,
        due_date=due,
        class_of_service="fixed_date",
        now=NOW - 10 * DAY,
        **fields,
    ).item


def _children(db, parent_id):
    return aggregates.get_aggregate(db, parent_id).children


def test_a_parent_stays_one_card_while_it_is_an_option(world):
    parent = _campaign(world)
    move_item(world.db, actor_id=None, item_id=parent.id, to_stage_id=world.stages["Requested"], now=NOW)

    assert _children(world.db, parent.id) == []


def test_crossing_the_commitment_point_splits_the_parent_from_its_template(world):
    parent = _campaign(world)

    move_item(world.db, actor_id=None, item_id=parent.id, to_stage_id=world.stages["Doing"], now=NOW)

    children = _children(world.db, parent.id)
    assert [c.title for c in children] == [
        "Spring launch: Brief",
        "Spring launch: Landing page",
        "Spring launch: Launch",
    ]
    assert [c.due_date for c in children] == [TODAY + 46 * DAY, TODAY + 53 * DAY, TODAY + 60 * DAY]
    assert [c.stage_id for c in children] == [
        world.stages["Ideas"],  # no stage named: the board's first option stage
        world.stages["Requested"],
        world.stages["Ideas"],
    ]
    assert [c.work_type_name for c in children] == ["Content", "Campaign", "Campaign"]
    assert {c.class_of_service.value for c in children} == {"fixed_date"}
    split = [t for t in item_history(world.db, parent.id) if t.kind == TransitionKind.SPLIT]
    assert len(split) == 1 and split[0].details == {"children": [c.id for c in children], "by": "template"}
    assert aggregates.get_aggregate(world.db, parent.id).progress.label == "0 of 3 done"


def test_a_split_that_cannot_happen_refuses_the_move_and_writes_nothing(world):
    for n in range(2):  # Requested is full (limit 2): the Landing page cannot start there
        create_item(
            world.db,
            actor_id=None,
            board_id=world.board.id,
            title=f"Queued {n}",
            stage_id=world.stages["Requested"],
        )
    parent = _campaign(world)
    with world.db.read() as session:
        before = session.scalar(select(func.count()).select_from(TransitionRow))

    with pytest.raises(Conflict) as refused:
        move_item(world.db, actor_id=None, item_id=parent.id, to_stage_id=world.stages["Doing"], now=NOW)

    assert "Landing page" in refused.value.message and "Requested" in refused.value.message
    assert get_item(world.db, parent.id).stage_id == world.stages["Ideas"]
    with world.db.read() as session:
        assert session.scalar(select(func.count()).select_from(TransitionRow)) == before
        assert session.scalar(select(func.count()).where(ItemRow.parent_id == parent.id)) == 0


def test_the_parent_is_done_when_its_last_child_is(world):
    parent = _campaign(world)
    move_item(world.db, actor_id=None, item_id=parent.id, to_stage_id=world.stages["Doing"], now=NOW)
    brief, landing, launch = _children(world.db, parent.id)

    discard_item(world.db, actor_id=None, item_id=landing.id, reason="No landing page this time.", now=NOW)
    move_item(world.db, actor_id=None, item_id=brief.id, to_stage_id=world.stages["Done"], now=NOW)
    assert get_item(world.db, parent.id).stage_id == world.stages["Doing"]
    assert aggregates.get_aggregate(world.db, parent.id).progress.label == "1 of 2 done"
    row = next(r for r in lrm.board_lrm(world.db, board_id=world.board.id) if r.item.id == parent.id)
    assert row.aggregate.label == "1 of 2 done" and row.why.endswith("; children: 1 of 2 done")

    move_item(world.db, actor_id=None, item_id=launch.id, to_stage_id=world.stages["Doing"], now=NOW)
    move_item(world.db, actor_id=None, item_id=launch.id, to_stage_id=world.stages["Done"], now=NOW + DAY)

    done = get_item(world.db, parent.id)
    assert done.stage_id == world.stages["Done"] and done.done_at == NOW + DAY
    last = item_history(world.db, parent.id)[-1]
    assert last.kind == TransitionKind.MOVED and last.reason == "All its 2 children are done."


def test_an_item_is_split_by_hand_once(world):
    deal = create_item(
        world.db, actor_id=None, board_id=world.board.id, title="Trade show", due_date=TODAY + 30 * DAY
    ).item

    with pytest.raises(Conflict, match="no split template"):
        aggregates.split_item(world.db, actor_id=None, item_id=deal.id)
    aggregate = aggregates.split_item(
        world.db,
        actor_id=None,
        item_id=deal.id,
        children=[
            {"title": "Book the stand", "offset_days": -20},
            {"title": "Print flyers", "offset_days": -5},
        ],
        now=NOW,
    )
    with pytest.raises(Conflict, match="split already"):
        aggregates.split_item(world.db, actor_id=None, item_id=deal.id, children=[{"title": "Again"}])

    assert [c.title for c in aggregate.children] == ["Trade show: Book the stand", "Trade show: Print flyers"]
    assert [c.due_date for c in aggregate.children] == [TODAY + 10 * DAY, TODAY + 25 * DAY]
    assert get_item(world.db, deal.id).stage_id == world.stages["Ideas"]  # it stays an option
    assert item_history(world.db, deal.id)[-1].details["by"] == "hand"


def test_a_template_names_real_work_types(world, db):
    other = create_workspace(db, name="Elsewhere")
    foreign = create_work_type(db, workspace_id=other.id, name="Campaign").id

    with pytest.raises(InvalidInput) as bad:
        aggregates.set_template(
            db, actor_id=None, workspace_id=world.ws.id, work_type_id=world.campaign,
            children=[{"title": "Brief", "work_type_id": foreign}],
        )  # fmt: skip

    assert bad.value.field == "children.0.work_type_id"
    assert [c.title for c in aggregates.list_templates(db, world.ws.id)[0].children] == [
        "Brief",
        "Landing page",
        "Launch",
    ]


def test_an_aggregates_commit_by_date_comes_from_its_childrens_forecast(world):
    # History: 20 finished Campaigns of 5 days and 20 Contents of 10 days (created committed:
    # no split).
    for n in range(20):
        for type_id, days in ((world.campaign, 5), (world.content, 10)):
            item = create_item(
                world.db, actor_id=None, board_id=world.board.id, title=f"Past {n}", work_type_id=type_id,
                class_of_service="fixed_date", due_date=TODAY, stage_id=world.stages["Doing"],
                now=NOW - 80 * DAY,
            ).item  # fmt: skip
            done = NOW - (81 - days) * DAY
            move_item(world.db, actor_id=None, item_id=item.id, to_stage_id=world.stages["Done"], now=done)
    parent = _campaign(world, due=TODAY + 60 * DAY)

    row = next(r for r in lrm.board_lrm(world.db, board_id=world.board.id) if r.item.id == parent.id)

    # Children: Content due 14 days early (10 + 14 = 24), Campaign 7 days early (5 + 7 = 12),
    # Campaign on the day (5): the aggregate needs 24 days; buffer 7: commit by due - 31.
    assert row.forecast_children == 3
    assert row.lead_time.days == 24 and row.lead_time.percentile == 95
    assert row.commit_by == TODAY + 29 * DAY
    assert "Monte Carlo forecast of its 3 children" in row.why


def test_a_child_is_not_split_again(world):
    parent = _campaign(world)
    move_item(world.db, actor_id=None, item_id=parent.id, to_stage_id=world.stages["Doing"], now=NOW)
    launch = _children(world.db, parent.id)[2]  # a Campaign too

    move_item(world.db, actor_id=None, item_id=launch.id, to_stage_id=world.stages["Doing"], now=NOW)

    assert _children(world.db, launch.id) == []
    row = next(r for r in lrm.board_lrm(world.db, board_id=world.board.id) if r.item.id == launch.id)
    assert row.forecast_children is None


def test_an_aggregates_commitment_timing_is_against_its_childrens_forecast(world):
    for n in range(20):  # 20 Campaigns of 5 days and 20 Contents of 10, created committed
        for type_id, days in ((world.campaign, 5), (world.content, 10)):
            item = create_item(
                world.db, actor_id=None, board_id=world.board.id, title=f"Past {n}", work_type_id=type_id,
                stage_id=world.stages["Doing"], now=NOW - 80 * DAY,
            ).item  # fmt: skip
            done = NOW - (81 - days) * DAY
            move_item(world.db, actor_id=None, item_id=item.id, to_stage_id=world.stages["Done"], now=done)
    parent = _campaign(world, due=TODAY + 60 * DAY)
    move_item(world.db, actor_id=None, item_id=parent.id, to_stage_id=world.stages["Doing"], now=NOW)

    timing = {t.item_id: t for t in lrm.commitment_timing_summary(world.db, board_id=world.board.id).items}

    # As its option row said: LT_95 24 days (the Content brief, due 14 days early, takes 10),
    # buffer 7: commit by due - 31 = today + 29; committed today, 29 days early.
    assert timing[parent.id].commit_by == TODAY + 29 * DAY and timing[parent.id].days == -29
