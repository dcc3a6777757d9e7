"""The board as it is read (services.boards.read_board and its JSON, GET /boards/{id}/view) on
the real databases (SQLite file and PostgreSQL): every open item as a card that agrees with
the full item, counts, paging of done and discarded stages, archived items never shown."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, text, update

from pullplan.domain.board import ClassOfService
from pullplan.domain.items import age_days
from pullplan.services.accounts import create_user, set_role
from pullplan.services.boards import (
    create_board,
    create_work_type,
    create_workspace,
    finished_items,
    read_board,
)
from pullplan.services.errors import InvalidInput
from pullplan.services.items import (
    archive_item,
    block_item,
    create_item,
    discard_item,
    get_item,
    move_item,
    unblock_item,
)
from pullplan.storage.database import Database
from pullplan.storage.repositories import ItemCard, _cards
from pullplan.storage.tables import ItemRow
from pullplan.web.api.schemas import BoardViewRead, CardRead, ItemRead
from pullplan.web.api.views import board_view_json, board_view_read

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
CARD_FIELDS = [f.name for f in dataclasses.fields(ItemCard)]


def at(days: float = 0, minutes: float = 0) -> datetime:
    return T0 + timedelta(days=days, minutes=minutes)


@dataclass
class Seeded:
    db: Database
    board_id: int
    stage: dict[str, int]
    open_ids: dict[str, list[int]]  # option and committed stages: ids, longest in the stage first
    done_ids: list[int]  # unarchived, most recently finished first
    archived_ids: set[int]
    discarded_ids: list[int]  # unarchived
    blocked: dict[int, str]
    alice: int
    bob: int


@pytest.fixture
def seeded(db: Database) -> Seeded:
    """A board of 4 option, 3 committed, 12 done (3 of them archived) and 2 discarded (1
    archived) items, with owners, work types, due dates, values and 2 blocked items; and a
    second board whose items must never show up."""
    ws = create_workspace(db, name="Marketing team", now=T0)
    alice = create_user(db, username="alice", display_name="Alice Adams", now=T0).id
    bob = create_user(db, username="bob", display_name="Bob Brown", now=T0).id
    for user in (alice, bob):
        set_role(db, workspace_id=ws.id, user_id=user, role="member")
    campaign = create_work_type(db, workspace_id=ws.id, name="Campaign").id
    content = create_work_type(db, workspace_id=ws.id, name="Content").id
    lanes = [{"name": c.value, "class_of_service": c.value} for c in ClassOfService]
    stages = [
        {"name": "Options", "kind": "option"},
        {"name": "Doing", "kind": "committed", "wip_limit": 3},
        {"name": "Review", "kind": "committed", "wip_limit": 5},
        {"name": "Done", "kind": "done"},
        {"name": "Discarded", "kind": "discarded"},
    ]
    board = create_board(db, workspace_id=ws.id, name="Campaigns", stages=stages, lanes=lanes, now=T0)
    other = create_board(db, workspace_id=ws.id, name="Other", stages=stages, lanes=lanes, now=T0)
    stage = {s.name: s.id for s in board.stages}

    def new(title: str, minute: int, **fields) -> int:
        return create_item(
            db, actor_id=alice, board_id=board.id, title=title, now=at(minutes=minute), **fields
        ).item.id

    def move(item_id: int, to: str, day: float) -> None:
        move_item(db, actor_id=alice, item_id=item_id, to_stage_id=stage[to], now=at(day))

    options = [
        new("Podcast idea", 1),
        new("Trade show booth", 2, owner_id=bob, work_type_id=content),
        new(
            "Spring launch",
            3,
            class_of_service="fixed_date",
            due_date=date(2024, 5, 1),
            value=Decimal("1234.5"),
        ),
        new("Partner webinar", 4, class_of_service="intangible", ready=True),
    ]
    parent = options[0]
    doing = [
        new("Newsletter", 5, owner_id=alice, work_type_id=campaign, value=Decimal("90000")),
        new("Landing page", 6, owner_id=bob, parent_id=parent, class_of_service="expedite"),
    ]
    review = [new("Case study", 7, owner_id=alice)]
    for i, item_id in enumerate(doing):
        move(item_id, "Doing", 1 + i / 10)
    move(review[0], "Review", 1.5)
    blocked = {
        doing[1]: "Waiting for legal review",
        options[1]: "Booth supplier has not answered",
    }
    for item_id, reason in blocked.items():
        block_item(db, actor_id=alice, item_id=item_id, reason=reason, now=at(2))
    # A blocker that ended does not make an item blocked.
    block_item(db, actor_id=alice, item_id=review[0], reason="Holiday", now=at(2))
    unblock_item(db, actor_id=alice, item_id=review[0], now=at(2.5))

    done = []
    for n in range(12):
        item_id = new(f"Shipped {n}", 10 + n, owner_id=alice if n % 2 else None, work_type_id=campaign)
        move(item_id, "Done", 3 + n / 100)  # later n: finished later
        done.append(item_id)
    archived = {done[0], done[5], done[11]}
    for item_id in sorted(archived):
        archive_item(db, actor_id=alice, item_id=item_id, now=at(4))
    dropped = [new(f"Dropped {n}", 30 + n) for n in range(3)]
    for n, item_id in enumerate(dropped):
        discard_item(db, actor_id=alice, item_id=item_id, now=at(5 + n / 100))
    archive_item(db, actor_id=alice, item_id=dropped[1], now=at(6))
    archived.add(dropped[1])

    for n in range(3):
        create_item(db, actor_id=alice, board_id=other.id, title=f"Elsewhere {n}", now=at(minutes=40 + n))

    return Seeded(
        db=db,
        board_id=board.id,
        stage=stage,
        open_ids={"Options": options, "Doing": doing, "Review": review},
        done_ids=[i for i in reversed(done) if i not in archived],
        archived_ids=archived,
        discarded_ids=[dropped[2], dropped[0]],
        blocked=blocked,
        alice=alice,
        bob=bob,
    )


def stages_of(view) -> dict:
    return {sv.stage.name: sv for sv in view.stages}


def test_every_open_item_is_on_the_board_with_counts(seeded: Seeded):
    view = read_board(seeded.db, seeded.board_id, now=at(10))
    stages = stages_of(view)

    assert list(stages) == ["Options", "Doing", "Review", "Done", "Discarded"]
    for name, ids in seeded.open_ids.items():
        assert [c.id for c in stages[name].items] == ids  # longest in the stage first
        assert stages[name].count == len(ids)
    assert (stages["Done"].count, stages["Discarded"].count) == (9, 2)
    assert [c.id for c in stages["Done"].items] == seeded.done_ids  # 9 < one page of 25
    assert [c.id for c in stages["Discarded"].items] == seeded.discarded_ids
    shown = [c.id for sv in view.stages for c in sv.items]
    assert len(shown) == len(set(shown))
    assert not set(shown) & seeded.archived_ids
    assert all(c.stage_id == sv.stage.id for sv in view.stages for c in sv.items)
    assert (stages["Doing"].at_limit, stages["Doing"].over_limit) == (False, False)
    assert (view.workspace_name, view.board.name, view.read_at) == ("Marketing team", "Campaigns", at(10))


def test_a_card_is_the_full_item_s_fields(seeded: Seeded):
    view = read_board(seeded.db, seeded.board_id)
    cards = [c for sv in view.stages for c in sv.items]
    assert cards and all(isinstance(c, ItemCard) for c in cards)
    for card in cards:
        item = get_item(seeded.db, card.id)
        assert {f: getattr(card, f) for f in CARD_FIELDS} == {f: getattr(item, f) for f in CARD_FIELDS}
        assert card.archived is False
        for f in ("created_at", "stage_entered_at", "committed_at", "done_at"):
            value = getattr(card, f)
            assert value is None or value.tzinfo is UTC, (f, value)
        today = date(2024, 6, 1)
        assert age_days(card, today) == age_days(item, today)
        assert type(card.class_of_service) is ClassOfService
        assert type(card.blocked) is bool and type(card.ready) is bool


def test_names_blockers_and_values_on_the_cards(seeded: Seeded):
    cards = {c.id: c for sv in read_board(seeded.db, seeded.board_id).stages for c in sv.items}
    trade_show, spring, webinar = seeded.open_ids["Options"][1:]
    newsletter, landing = seeded.open_ids["Doing"]
    case_study = seeded.open_ids["Review"][0]

    assert {i for i, c in cards.items() if c.blocked} == set(seeded.blocked)
    for item_id, reason in seeded.blocked.items():
        assert (cards[item_id].blocked, cards[item_id].blocked_reason) == (True, reason)
    assert (cards[case_study].blocked, cards[case_study].blocked_reason) == (False, None)  # unblocked
    assert (cards[trade_show].owner_name, cards[trade_show].work_type_name) == ("Bob Brown", "Content")
    assert (cards[newsletter].owner_name, cards[newsletter].work_type_name) == ("Alice Adams", "Campaign")
    assert (cards[webinar].owner_name, cards[webinar].work_type_name) == (None, None)
    assert cards[spring].class_of_service is ClassOfService.FIXED_DATE
    assert (cards[spring].due_date, cards[spring].value) == (date(2024, 5, 1), Decimal("1234.50"))
    assert cards[newsletter].value == Decimal("90000")
    assert cards[webinar].ready is True
    assert (cards[landing].parent_id, cards[landing].class_of_service) == (
        seeded.open_ids["Options"][0],
        ClassOfService.EXPEDITE,
    )
    assert cards[newsletter].committed_at == at(1)
    assert (cards[webinar].committed_at, cards[webinar].done_at) == (None, None)
    assert [cards[i].done_at for i in seeded.done_ids] == sorted(
        (cards[i].done_at for i in seeded.done_ids), reverse=True
    )


def test_done_and_discarded_stages_are_paged_newest_first(seeded: Seeded):
    db, done = seeded.db, seeded.done_ids
    first = stages_of(read_board(db, seeded.board_id, finished_page=4))
    assert [c.id for c in first["Done"].items] == done[:4]
    assert first["Done"].count == 9
    assert [c.id for c in first["Discarded"].items] == seeded.discarded_ids  # 2 < 4
    assert [c.id for c in first["Options"].items] == seeded.open_ids["Options"]  # never paged

    last = stages_of(read_board(db, seeded.board_id, finished_page=4, finished_offset=8))
    assert [c.id for c in last["Done"].items] == done[8:]
    assert last["Discarded"].items == []

    total, page = finished_items(db, stage_id=seeded.stage["Done"], limit=4, offset=4)
    assert (total, [i.id for i in page]) == (9, done[4:8])
    assert page[0].description == ""  # the stage's own page has full items

    with pytest.raises(InvalidInput):
        read_board(db, seeded.board_id, finished_page=0)


def test_the_json_is_a_board_view_read_of_cards(seeded: Seeded):
    view = read_board(seeded.db, seeded.board_id)
    body = board_view_json(view)

    model = BoardViewRead.model_validate_json(body)
    assert model.model_dump_json().encode() == body  # the documented shape, field for field
    data = json.loads(body)
    assert (data["workspace_id"], data["workspace_name"]) == (view.workspace_id, "Marketing team")
    assert data["board"]["id"] == seeded.board_id
    stages = {s["stage"]["name"]: s for s in data["stages"]}
    assert [s["stage"]["id"] for s in data["stages"]] == list(seeded.stage.values())
    for name, ids in seeded.open_ids.items():
        assert [i["id"] for i in stages[name]["items"]] == ids
        assert stages[name]["count"] == len(ids)
    assert [i["id"] for i in stages["Done"]["items"]] == seeded.done_ids
    assert not {i["id"] for s in data["stages"] for i in s["items"]} & seeded.archived_ids
    assert stages["Doing"]["stage"]["wip_limit"] == 3

    for card in (i for s in data["stages"] for i in s["items"]):
        assert list(card) == list(CardRead.model_fields) == CARD_FIELDS
        full = json.loads(ItemRead.model_validate(get_item(seeded.db, card["id"])).model_dump_json())
        assert card == {f: full[f] for f in CARD_FIELDS}  # the same values as GET /items/{id}
        assert card["created_at"].endswith("Z")
    landing = next(i for i in stages["Doing"]["items"] if i["id"] == seeded.open_ids["Doing"][1])
    assert (landing["blocked"], landing["blocked_reason"]) == (True, "Waiting for legal review")
    assert (landing["owner_name"], landing["class_of_service"]) == ("Bob Brown", "expedite")
    spring = next(i for i in stages["Options"]["items"] if i["title"] == "Spring launch")
    assert (spring["due_date"], spring["value"]) == ("2024-05-01", "1234.50")


def test_the_route_gets_a_finished_json_response(seeded: Seeded):
    view = read_board(seeded.db, seeded.board_id)
    response = board_view_read(view)
    assert response.media_type == "application/json"
    assert response.body == board_view_json(view)


def test_an_empty_board(seeded: Seeded):
    db = seeded.db
    ws = create_workspace(db, name="Empty", now=T0)
    board = create_board(
        db,
        workspace_id=ws.id,
        name="Empty",
        stages=[{"name": "Doing", "kind": "committed"}, {"name": "Done", "kind": "done"}],
        now=T0,
    )
    view = read_board(db, board.id)
    assert [(sv.count, sv.items) for sv in view.stages] == [(0, []), (0, [])]
    assert [s["items"] for s in json.loads(board_view_json(view))["stages"]] == [[], []]


def test_timestamps_are_utc_whatever_the_server_s_time_zone(seeded: Seeded, database_url: str):
    db = seeded.db
    item_id = seeded.open_ids["Doing"][0]
    with db.write() as session:
        session.execute(update(ItemRow).where(ItemRow.id == item_id).values(created_at=at(minutes=30)))
        if db.is_sqlite:
            # Text that SQLAlchemy does not write (a 'T', an offset) is parsed value by value.
            session.execute(
                text("UPDATE items SET created_at = '2024-03-04T11:30:00+02:00' WHERE id = :id"),
                {"id": item_id},
            )
        else:
            name = session.execute(text("SELECT current_database()")).scalar_one()
            session.execute(text(f"ALTER DATABASE \"{name}\" SET timezone TO 'America/New_York'"))
    db.dispose()  # PostgreSQL: new connections start in New York time
    card = next(c for sv in read_board(db, seeded.board_id).stages for c in sv.items if c.id == item_id)
    item = get_item(db, item_id)
    assert card.created_at == item.created_at == at(minutes=30)
    assert card.committed_at == item.committed_at == at(1)
    assert card.created_at.tzinfo is UTC and card.committed_at.tzinfo is UTC
    assert card.created_at.date() == date(2024, 3, 4)


def test_cards_convert_timestamps_that_are_not_in_utc():
    kolkata = ZoneInfo("Asia/Kolkata")
    local = datetime(2024, 3, 4, 14, 30, tzinfo=kolkata)  # 09:00 UTC
    row = (1, "Title", 2, None, "standard", None, None, None, None, "why", False, None)
    rows = [
        (*row, local, datetime(2024, 3, 4, 9, 0), None, local.astimezone(timezone(timedelta(hours=-5))), None)
    ]
    [card] = _cards(rows)
    assert (card.created_at, card.stage_entered_at, card.done_at) == (T0, T0, T0)
    assert card.created_at.tzinfo is UTC and card.stage_entered_at.tzinfo is UTC
    assert (card.committed_at, card.archived_at) == (None, None)
    assert (card.blocked, card.blocked_reason) == (True, "why")
    assert card.class_of_service is ClassOfService.STANDARD


def test_many_open_items(db: Database):
    """A few hundred items straight into the table (as the benchmark seeds them): all on the
    board, in order, none of another stage, board or archived."""
    ws = create_workspace(db, name="Big", now=T0)
    board = create_board(
        db,
        workspace_id=ws.id,
        name="Big",
        stages=[
            {"name": "Backlog", "kind": "option"},
            {"name": "Doing", "kind": "committed"},
            {"name": "Done", "kind": "done"},
        ],
        now=T0,
    )
    backlog, doing, done = (s.id for s in board.stages)
    rows = []
    for n in range(600):
        stage = (backlog, doing, done)[n % 3]
        rows.append(
            {
                "board_id": board.id,
                "stage_id": stage,
                "class_of_service": "standard",
                "title": f"Item {n}",
                "description": "",
                "tags": [],
                "ready": False,
                "created_at": at(minutes=n),
                "updated_at": at(minutes=n),
                "stage_entered_at": at(1, minutes=-n),  # later items entered earlier
                "committed_at": at(1) if stage != backlog else None,
                "done_at": at(1) if stage == done else None,
                "archived_at": at(2) if stage == done and n % 2 else None,
            }
        )
    with db.write() as session:
        ids = list(session.scalars(insert(ItemRow).returning(ItemRow.id, sort_by_parameter_order=True), rows))
    view = stages_of(read_board(db, board.id, finished_page=500))
    by_stage = {
        s: [i for i, r in zip(ids, rows, strict=True) if r["stage_id"] == s] for s in (backlog, doing)
    }
    assert [c.id for c in view["Backlog"].items] == list(reversed(by_stage[backlog]))
    assert [c.id for c in view["Doing"].items] == list(reversed(by_stage[doing]))
    assert (view["Backlog"].count, view["Doing"].count, view["Done"].count) == (200, 200, 100)
    assert len(view["Done"].items) == 100
    assert all(c.archived_at is None for c in view["Done"].items)
