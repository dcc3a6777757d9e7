"""Importing a Trello board export (tests/fixtures/trello_board.json, shaped like Trello's own)
on a SQLite file and on PostgreSQL: lists become stages, cards items, labels types, classes and
tags, card actions the history (so the flow metrics see real cycle times); a dry run and a bad
file write nothing."""

from __future__ import annotations

import json
from copy import deepcopy
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pullplan.domain.board import ClassOfService, StageKind
from pullplan.services import accounts
from pullplan.services import boards as board_service
from pullplan.services.errors import Conflict, InvalidInput
from pullplan.services.trello_import import import_trello
from pullplan.storage.database import Database
from pullplan.storage.repositories import load_board, load_items, load_transitions
from pullplan.storage.tables import BoardRow, ItemRow, TransitionRow, WorkTypeRow

EXPORT = json.loads((Path(__file__).parents[1] / "fixtures" / "trello_board.json").read_text())


@pytest.fixture
def team(db: Database) -> dict:
    ws = board_service.create_workspace(db, name="Marketing team")
    ids = {}
    for username, name in (("alice", "Alice Martin"), ("bob", "Bob Nguyen")):
        user = accounts.create_user(db, username=username, display_name=name)
        accounts.set_role(db, workspace_id=ws.id, user_id=user.id, role="member")
        ids[username] = user.id
    board_service.create_work_type(db, workspace_id=ws.id, name="Content")
    return {"db": db, "workspace": ws.id, **ids}


def _counts(db: Database) -> tuple[int, int, int, int]:
    with db.read() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(t))
            for t in (BoardRow, ItemRow, TransitionRow, WorkTypeRow)
        )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_trello_board_becomes_a_pull_board_with_its_history(team):
    db = team["db"]
    report = import_trello(
        db, workspace_id=team["workspace"], document=deepcopy(EXPORT), actor_id=team["alice"]
    )
    assert report.stages == [
        ("Ideas", "option"),
        ("Doing", "committed"),
        ("Review", "committed"),
        ("Done", "done"),
    ]
    assert report.per_stage == {"Done": 1, "Doing": 1, "Ideas": 1, "Review": 1} and report.archived == 1
    assert report.work_types_created == ["Event"]  # Content existed already
    assert report.unmatched_members == ["zoe"]

    with db.read() as session:
        board = load_board(session, report.board_id)
        items = {i.title: i for i in load_items(session, [ItemRow.board_id == board.id])}
        log = {
            title: [(t.kind, t.to_stage_id, t.at) for t in load_transitions(session, item_id=item.id)]
            for title, item in items.items()
        }
    stage = {s.name: s.id for s in board.stages}
    assert [s.kind for s in board.stages] == [
        StageKind.OPTION,
        StageKind.COMMITTED,
        StageKind.COMMITTED,
        StageKind.DONE,
    ]
    assert next(s for s in board.stages if s.name == "Doing").wip_limit == 3

    webinar = items["Q4 webinar: revenue operations"]
    assert webinar.class_of_service == ClassOfService.FIXED_DATE and webinar.due_date == date(2026, 11, 20)
    assert webinar.work_type_name == "Event" and webinar.owner_id == team["alice"]
    assert webinar.tags == ("Event", "Fixed date") and webinar.external_ref == "https://trello.com/c/abc1"
    assert log["Q4 webinar: revenue operations"] == [
        ("created", stage["Ideas"], at("2026-09-01T09:00:00")),
        ("moved", stage["Doing"], at("2026-09-10T09:00:00")),
        ("moved", stage["Review"], at("2026-10-01T14:00:00")),
        ("moved", stage["Done"], at("2026-10-05T16:00:00")),
    ]
    assert webinar.committed_at == at("2026-09-10T09:00:00") and webinar.done_at == at("2026-10-05T16:00:00")

    case_study = items["Case study: Halvorsen Foods"]
    assert case_study.owner_id == team["bob"] and case_study.work_type_name == "Content"
    assert case_study.stage_id == stage["Doing"] and case_study.done_at is None

    newsletter = items["Partner newsletter"]
    assert newsletter.class_of_service == ClassOfService.INTANGIBLE and newsletter.committed_at is None

    # No creating action kept: created when its id says, in the list its first known move left.
    pricing = items["Pricing page fix"]
    assert pricing.class_of_service == ClassOfService.EXPEDITE and pricing.owner_id is None
    assert log["Pricing page fix"] == [
        ("created", stage["Doing"], at("2026-10-28T09:00:00")),
        ("moved", stage["Review"], at("2026-11-02T15:00:00")),
    ]

    # No actions at all, archived: created at its id's time, where it is, then archived.
    summer = items["Summer campaign"]
    assert summer.archived_at == at("2026-07-01T17:00:00")
    assert [k for k, _, _ in log["Summer campaign"]] == ["created", "archived"]


def test_the_lists_can_be_named_and_a_dry_run_writes_nothing(team):
    db = team["db"]
    before = _counts(db)
    report = import_trello(
        db, workspace_id=team["workspace"], document=deepcopy(EXPORT), name="Marketing 2026",
        option_lists=["Ideas", "Doing"], done_lists=["Done"], dry_run=True,
    )  # fmt: skip
    assert report.board_id is None and report.board_name == "Marketing 2026"
    assert [k for _, k in report.stages] == ["option", "option", "committed", "done"]
    assert _counts(db) == before


def _broken() -> list[tuple[str, dict, str]]:
    cases = []

    def case(what, field, change):
        doc = deepcopy(EXPORT)
        change(doc)
        cases.append((what, doc, field))

    case("not Trello", "lists", lambda d: d.pop("lists"))
    case("no cards", "cards", lambda d: d.update(cards="none"))
    case("a card in no list", "cards[1].idList", lambda d: d["cards"][1].update(idList="nowhere"))
    case("a bad due date", "cards[0].due", lambda d: d["cards"][0].update(due="soon"))
    case("a list without a name", "lists[2].name", lambda d: d["lists"][2].update(name=7))
    case("a bad position", "lists[0].pos", lambda d: d["lists"][0].update(pos="first"))
    case("done in the middle", "lists", lambda d: d["lists"][1].update(name="Done already"))
    return cases


def test_a_broken_export_names_the_problem_and_writes_nothing(team):
    db = team["db"]
    before = _counts(db)
    for what, document, field in _broken():
        with pytest.raises(InvalidInput) as refused:
            import_trello(db, workspace_id=team["workspace"], document=document)
        assert refused.value.field == field, what
        assert _counts(db) == before, what
    with pytest.raises(InvalidInput) as refused:
        import_trello(db, workspace_id=team["workspace"], document=deepcopy(EXPORT), done_lists=["Shipped"])
    assert "no list 'Shipped'" in refused.value.message


def test_a_second_import_of_the_same_board_is_refused_whole(team):
    db = team["db"]
    import_trello(db, workspace_id=team["workspace"], document=deepcopy(EXPORT))
    before = _counts(db)
    with pytest.raises(Conflict):
        import_trello(db, workspace_id=team["workspace"], document=deepcopy(EXPORT))
    assert _counts(db) == before
