"""Handoff use cases on the real databases (SQLite file and PostgreSQL): a Sales deal asks
Marketing for a case study; the linked item, the blocker, the step log, refusals that write
nothing, two people answering at once, and the migration matching the tables."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from pullplan.services.accounts import create_user, set_role
from pullplan.services.boards import create_board, create_workspace
from pullplan.services.errors import Conflict, InvalidInput
from pullplan.services.handoffs import (
    StepRefused,
    get_handoff,
    list_handoffs,
    request_handoff,
    take_step,
    waiting_item_ids,
)
from pullplan.services.items import create_item, get_item, item_history, move_item, unblock_item
from pullplan.storage.database import Database
from pullplan.storage.handoff_tables import HandoffRow, HandoffStepRow
from pullplan.storage.tables import Base, BlockerRow, ItemRow

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DUE = date(2026, 3, 20)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@dataclass(frozen=True)
class World:
    workspace: int
    marketing: int
    sales: int
    ideas: int  # Marketing's first option stage
    writing: int  # and its committed stage
    dropped: int  # and its discarded stage
    deal: int  # an item of the Sales board
    hugo: int  # account executive: asks
    emma: int  # content writer: performs
    farid: int  # designer: also on the team
    carol: int  # viewer


@pytest.fixture
def world(db: Database) -> World:
    workspace = create_workspace(db, name="Acme", now=T0).id
    people = {
        name: create_user(db, username=name, display_name=name.title(), now=T0).id
        for name in ("hugo", "emma", "farid", "carol")
    }
    for name, role in [("hugo", "member"), ("emma", "member"), ("farid", "member"), ("carol", "viewer")]:
        set_role(db, workspace_id=workspace, user_id=people[name], role=role)
    marketing = create_board(
        db,
        workspace_id=workspace,
        name="Marketing",
        stages=[
            {"name": "Ideas", "kind": "option"},
            {"name": "Writing", "kind": "committed", "wip_limit": 3},
            {"name": "Published", "kind": "done"},
            {"name": "Dropped", "kind": "discarded"},
        ],
        now=T0,
    )
    sales = create_board(
        db,
        workspace_id=workspace,
        name="Sales",
        stages=[
            {"name": "Leads", "kind": "option"},
            {"name": "Proposal", "kind": "committed"},
            {"name": "Won", "kind": "done"},
        ],
        now=T0,
    )
    deal = create_item(
        db,
        actor_id=people["hugo"],
        board_id=sales.id,
        title="Globex — 120 seats",
        stage_id=sales.stages[1].id,
        now=T0,
    ).item.id
    return World(
        workspace=workspace,
        marketing=marketing.id,
        sales=sales.id,
        ideas=marketing.stages[0].id,
        writing=marketing.stages[1].id,
        dropped=marketing.stages[3].id,
        deal=deal,
        **people,
    )


def ask(db: Database, w: World, **overrides):
    terms = {
        "actor_id": w.hugo,
        "requesting_item_id": w.deal,
        "performer_board_id": w.marketing,
        "title": "Case study: Globex",
        "conditions": "Two pages with a customer quote, approved by Globex.",
        "due_date": DUE,
        "performer_id": w.emma,
        "now": at(1),
    }
    return request_handoff(db, **{**terms, **overrides})


def counts(db: Database) -> tuple[int, ...]:
    with db.read() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table))
            for table in (HandoffRow, HandoffStepRow, ItemRow, BlockerRow)
        )


def test_the_whole_promise_cycle_is_recorded_and_the_deal_waits_blocked_until_accepted(db, world):
    w = world
    handoff = ask(db, w, block=True)

    linked = get_item(db, handoff.linked_item_id)
    assert (linked.board_id, linked.stage_id, linked.owner_id) == (w.marketing, w.ideas, w.emma)
    assert linked.due_date == DUE and "customer quote" in linked.description
    assert get_item(db, w.deal).blocked_reason == "waiting for handoff: Case study: Globex"
    assert waiting_item_ids(db, w.sales) == {w.deal}

    for hours, actor, step, note in [
        (2, w.emma, "promise", "I'll interview their ops lead."),
        (26, w.emma, "perform", None),
        (50, w.emma, "declare_complete", "Draft in the folder."),
        (51, w.hugo, "reject", "The quote is not approved yet."),
        (70, w.emma, "declare_complete", "Approved by Globex."),
    ]:
        handoff = take_step(db, actor_id=actor, handoff_id=handoff.id, step=step, note=note, now=at(hours))
        assert get_item(db, w.deal).blocked
    handoff = take_step(db, actor_id=w.hugo, handoff_id=handoff.id, step="accept", now=at(72))

    assert handoff.status == "accepted" and handoff.closed_at == at(72)
    assert not get_item(db, w.deal).blocked and waiting_item_ids(db, w.sales) == set()
    steps = get_handoff(db, handoff.id).steps
    assert [(s.step, s.actor_name, s.from_status, s.to_status, s.at) for s in steps] == [
        ("request", "Hugo", None, "requested", at(1)),
        ("promise", "Emma", "requested", "promised", at(2)),
        ("perform", "Emma", "promised", "performing", at(26)),
        ("declare_complete", "Emma", "performing", "declared_complete", at(50)),
        ("reject", "Hugo", "declared_complete", "performing", at(51)),
        ("declare_complete", "Emma", "performing", "declared_complete", at(70)),
        ("accept", "Hugo", "declared_complete", "accepted", at(72)),
    ]
    assert steps[4].note == "The quote is not approved yet."
    assert (steps[0].due_date, steps[0].conditions) == (
        DUE,
        "Two pages with a customer quote, approved by Globex.",
    )
    log = [(t.kind, t.at) for t in item_history(db, w.deal)]
    assert log[-2:] == [("blocked", at(1)), ("unblocked", at(72))]


def test_a_refused_step_writes_nothing(db, world):
    handoff = ask(db, world)
    take_step(
        db, actor_id=world.emma, handoff_id=handoff.id, step="decline", note="Not this month.", now=at(2)
    )
    before = counts(db)

    with pytest.raises(StepRefused) as not_now:
        take_step(db, actor_id=world.emma, handoff_id=handoff.id, step="declare_complete", now=at(3))
    with pytest.raises(StepRefused):
        take_step(db, actor_id=world.hugo, handoff_id=handoff.id, step="accept", now=at(3))

    assert not_now.value.code == "step_not_allowed" and "cannot be completed" in not_now.value.message
    assert counts(db) == before
    assert get_handoff(db, handoff.id).status == "declined"


def test_only_the_requester_accepts_and_the_refusal_says_so(db, world):
    handoff = ask(db, world)
    for step in ("promise", "declare_complete"):
        take_step(db, actor_id=world.emma, handoff_id=handoff.id, step=step, now=at(2))

    with pytest.raises(StepRefused) as refused:
        take_step(db, actor_id=world.emma, handoff_id=handoff.id, step="accept", now=at(3))

    assert refused.value.wrong_person and refused.value.code == "not_your_step"
    assert refused.value.message == "Only the requester (Hugo) may accept this handoff."


def test_a_request_that_cannot_be_made_whole_is_not_made_at_all(db, world):
    create_item(db, actor_id=world.hugo, board_id=world.sales, title="Blocked already", now=T0)
    before = counts(db)

    with pytest.raises(InvalidInput, match="performer_id"):
        ask(db, world, performer_id=world.carol)  # a viewer promises nothing
    with pytest.raises(InvalidInput, match="due_date"):
        ask(db, world, due_date=date(2026, 2, 1))
    # the deal is blocked by the first handoff; a second that would block it again is refused whole
    ask(db, world, block=True)
    middle = counts(db)
    with pytest.raises(Conflict, match="already blocked"):
        ask(db, world, block=True, title="Reference call")

    assert counts(db) == middle and middle != before
    assert len(list_handoffs(db, item_id=world.deal)) == 1


def test_a_blocker_ended_by_hand_does_not_stop_the_acceptance(db, world):
    handoff = ask(db, world, block=True)
    unblock_item(db, actor_id=world.hugo, item_id=world.deal, reason="We go ahead anyway.", now=at(2))
    for step in ("promise", "declare_complete"):
        take_step(db, actor_id=world.emma, handoff_id=handoff.id, step=step, now=at(3))

    accepted = take_step(db, actor_id=world.hugo, handoff_id=handoff.id, step="accept", now=at(4))

    assert accepted.status == "accepted" and not get_item(db, world.deal).blocked


def test_cancelling_ends_the_wait_and_the_block(db, world):
    handoff = ask(db, world, block=True, performer_id=None)

    cancelled = take_step(
        db, actor_id=world.hugo, handoff_id=handoff.id, step="cancel", note="Deal lost.", now=at(5)
    )

    assert cancelled.status == "cancelled" and not cancelled.blocks_item
    assert not get_item(db, world.deal).blocked
    assert item_history(db, world.deal)[-1].reason == "Deal lost."


def test_two_people_of_the_team_answer_at_once_and_one_promise_is_kept(db, world):
    handoff = ask(db, world, performer_id=None)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def answer(actor: int) -> None:
        start.wait()
        try:
            take_step(db, actor_id=actor, handoff_id=handoff.id, step="promise", now=at(2))
            outcomes.append("promised")
        except StepRefused as refused:
            outcomes.append(refused.code)

    threads = [threading.Thread(target=answer, args=(who,)) for who in (world.emma, world.farid)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["promised", "step_not_allowed"]
    final = get_handoff(db, handoff.id)
    assert final.handoff.performer_id in (world.emma, world.farid)
    assert [s.step for s in final.steps] == ["request", "promise"]


def test_the_migration_makes_exactly_the_handoff_tables(db):
    with db.write_engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )

    mine = [d for d in differences if "handoff" in repr(d)]
    assert mine == []


def test_the_demo_has_a_deal_that_asked_marketing_for_case_studies(db):
    from pullplan.demo import create_demo, reset_demo

    workspace = create_demo(db, today=date(2025, 2, 14))
    views = list_handoffs(db, workspace_id=workspace)

    assert sorted(v.status.value for v in views) == ["accepted", "performing", "requested"]
    for view in views:
        assert view.requesting_board_name == "Sales" and view.performer_board_name == "Marketing"
        assert view.title.startswith("Case study:") and view.linked_item_title == view.title
        assert [s.at for s in view.steps] == sorted(s.at for s in view.steps)
    accepted = next(v for v in views if v.status == "accepted")
    assert [s.step for s in accepted.steps] == ["request", "promise", "perform", "declare_complete", "accept"]
    waiting = next(v for v in views if v.status == "requested")
    assert waiting.handoff.performer_id is None  # the Marketing team has not answered yet
    first = [(v.title, v.status, v.requested_at) for v in views]

    again = reset_demo(db, today=date(2025, 2, 14))

    assert [(v.title, v.status, v.requested_at) for v in list_handoffs(db, workspace_id=again)] == first


def test_a_declined_or_cancelled_handoff_drops_its_linked_item_unless_work_has_started(db, world):
    declined = ask(db, world)
    cancelled = ask(db, world, title="Reference call")
    started = ask(db, world, title="Webinar slot")
    move_item(db, actor_id=world.emma, item_id=started.linked_item_id, to_stage_id=world.writing, now=at(2))

    take_step(
        db, actor_id=world.emma, handoff_id=declined.id, step="decline", note="No writer free.", now=at(3)
    )
    take_step(db, actor_id=world.hugo, handoff_id=cancelled.id, step="cancel", now=at(3))
    take_step(db, actor_id=world.hugo, handoff_id=started.id, step="cancel", now=at(3))

    assert get_item(db, declined.linked_item_id).stage_id == world.dropped
    assert item_history(db, declined.linked_item_id)[-1].reason == "No writer free."
    assert get_item(db, cancelled.linked_item_id).stage_id == world.dropped
    assert item_history(db, cancelled.linked_item_id)[-1].reason == "handoff cancelled: Reference call"
    assert get_item(db, started.linked_item_id).stage_id == world.writing
