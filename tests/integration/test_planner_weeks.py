"""Two weeks of Last Planner on the real databases (SQLite file and PostgreSQL): a pull plan, the
lookahead and its snapshots, constraints, promises, check-ins, week close and the metrics a
team reads afterwards, computed by hand here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from pullplan.domain.planner_metrics import Ratio
from pullplan.services import planner, planner_weeks
from pullplan.services.accounts import create_user, set_role
from pullplan.services.boards import create_board, create_workspace
from pullplan.services.errors import Conflict, InvalidInput
from pullplan.services.items import create_item
from pullplan.storage.database import Database
from pullplan.storage.planner_tables import ClosedWeekRow, PromiseRow
from pullplan.storage.tables import ItemRow

W0, W1, W2 = date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)  # Mondays


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@dataclass
class Plan:
    workspace: int
    alice: int
    bob: int
    milestone: int
    speaker: int  # A: speaker confirmed (bob, 2 days)
    landing: int  # B: landing page (bob, 3 days, after A)
    invites: int  # C: invitations (alice, 2 days, after B)
    price_sheet: int  # a board item due on 11 March


@pytest.fixture
def plan(db: Database) -> Plan:
    t0 = at(date(2026, 2, 23))
    workspace = create_workspace(db, name="Marketing team", now=t0).id
    alice = create_user(db, username="alice", display_name="Alice Adams", now=t0).id
    bob = create_user(db, username="bob", display_name="Bob Brown", now=t0).id
    set_role(db, workspace_id=workspace, user_id=alice, role="manager")
    set_role(db, workspace_id=workspace, user_id=bob, role="member")
    board = create_board(
        db,
        workspace_id=workspace,
        name="Marketing",
        stages=[{"name": "Ideas", "kind": "option"}, {"name": "Doing"}, {"name": "Done", "kind": "done"}],
        now=t0,
    )
    item = create_item(
        db,
        actor_id=alice,
        board_id=board.id,
        title="Price sheet",
        owner_id=bob,
        due_date=date(2026, 3, 11),
        now=t0,
    ).item.id
    milestone = planner.create_milestone(
        db,
        actor_id=alice,
        workspace_id=workspace,
        name="Spring webinar",
        date=date(2026, 3, 26),
        conditions="200 registrations; a recording sent to every registrant.",
        now=t0,
    ).id

    def task(title, days, who, preds=()):
        return planner.add_plan_task(
            db,
            actor_id=alice,
            milestone_id=milestone,
            title=title,
            duration_days=days,
            performer_id=who,
            team="Marketing",
            customer="Events",
            predecessor_ids=list(preds),
            now=t0,
        ).id

    speaker = task("Speaker confirmed", 2, bob)
    landing = task("Landing page", 3, bob, [speaker])
    invites = task("Invitations", 2, alice, [landing])
    return Plan(workspace, alice, bob, milestone, speaker, landing, invites, item)


def test_the_pull_plan_is_scheduled_back_from_the_webinar(db, plan):
    view = planner.pull_plan(db, plan.milestone, now=at(W0))
    dates = {t.title: (t.latest_start, t.latest_finish) for t in view.tasks}
    assert dates == {
        "Speaker confirmed": (date(2026, 3, 18), date(2026, 3, 19)),
        "Landing page": (date(2026, 3, 20), date(2026, 3, 24)),
        "Invitations": (date(2026, 3, 25), date(2026, 3, 26)),
    }
    assert view.fits and view.finish == date(2026, 3, 10) and view.slack_days == 12

    late = planner.pull_plan(db, plan.milestone, now=at(date(2026, 3, 23)))
    assert not late.fits and late.slack_days == -3  # 23-24, 25-27, 30-31 March


def test_a_loop_of_predecessors_is_refused_and_changes_nothing(db, plan):
    with pytest.raises(InvalidInput) as refused:
        planner.edit_plan_task(
            db, actor_id=plan.alice, plan_task_id=plan.speaker, changes={"predecessor_ids": [plan.invites]}
        )
    assert refused.value.field == "predecessor_ids"
    speaker = next(t for t in planner.pull_plan(db, plan.milestone).tasks if t.id == plan.speaker)
    assert speaker.predecessor_ids == ()


def test_two_weeks_of_make_ready_promises_and_close(db, plan):
    # Monday W0: the lookahead is stored. Taking it again that week changes nothing.
    first = planner.take_snapshot(db, actor_id=plan.alice, workspace_id=plan.workspace, now=at(W0))
    again = planner.take_snapshot(
        db, actor_id=plan.alice, workspace_id=plan.workspace, now=at(date(2026, 3, 4))
    )
    assert (first.created, first.tasks, again.created, again.id) == (True, 4, False, first.id)

    # Tuesday W0: the speaker is not confirmed: a constraint on task A.
    constraint = planner.add_constraint(
        db,
        actor_id=plan.bob,
        workspace_id=plan.workspace,
        plan_task_id=plan.speaker,
        category="people",
        description="The speaker has not confirmed the date.",
        owner_id=plan.bob,
        need_by=date(2026, 3, 13),
        now=at(date(2026, 3, 3)),
    )
    lookahead = planner.lookahead(db, plan.workspace, now=at(date(2026, 3, 3)))
    by_title = {t.task.title: t for t in lookahead.tasks}
    assert [w.isoformat() for w in lookahead.weeks][:3] == ["2026-03-02", "2026-03-09", "2026-03-16"]
    assert not by_title["Speaker confirmed"].ready and by_title["Landing page"].ready
    assert by_title["Price sheet"].week == W1 and by_title["Speaker confirmed"].week == W2

    # Friday W0: bob plans W1 (the price sheet) and cannot promise the unready task A for W2.
    friday = at(date(2026, 3, 6))
    planner_weeks.promise(
        db, actor_id=plan.bob, workspace_id=plan.workspace, week=W1, item_id=plan.price_sheet, now=friday
    )
    with pytest.raises(Conflict) as refused:
        planner_weeks.promise(
            db, actor_id=plan.bob, workspace_id=plan.workspace, week=W2, plan_task_id=plan.speaker, now=friday
        )
    assert refused.value.code == "not_ready" and "1 open constraint" in refused.value.message

    # W1: the constraint is removed on Tuesday; the price sheet is at risk on Wednesday.
    planner.edit_constraint(
        db,
        actor_id=plan.bob,
        constraint_id=constraint.id,
        changes={"status": "removed"},
        now=at(date(2026, 3, 10)),
    )
    week1 = planner_weeks.weekly_plan(db, plan.workspace, W1, now=at(date(2026, 3, 11)))
    price = week1.promises[0]
    planner_weeks.check_in(
        db,
        actor_id=plan.bob,
        promise_id=price.id,
        status="at_risk",
        note="Legal has not signed off.",
        now=at(date(2026, 3, 11)),
    )
    week1 = planner_weeks.weekly_plan(db, plan.workspace, W1, now=at(date(2026, 3, 11)))
    assert [p.title for p in week1.at_risk] == ["Price sheet"] and week1.at_risk[0].status == "at_risk"
    assert not week1.promises[0].added_later

    # A miss without a reason is refused and closes nothing.
    with pytest.raises(InvalidInput) as no_reason:
        planner_weeks.close_week(
            db,
            actor_id=plan.alice,
            workspace_id=plan.workspace,
            week=W1,
            outcomes=[{"promise_id": price.id, "done": False}],
            now=at(date(2026, 3, 13), 16),
        )
    assert no_reason.value.field == "outcomes.0.reason"
    with db.read() as session:
        assert session.scalars(select(ClosedWeekRow)).all() == []
    closed = planner_weeks.close_week(
        db,
        actor_id=plan.alice,
        workspace_id=plan.workspace,
        week=W1,
        outcomes=[{"promise_id": price.id, "done": False, "reason": "approval_late"}],
        now=at(date(2026, 3, 13), 16),
    )
    assert closed.closed and closed.ppc == Ratio(0, 1)
    with pytest.raises(Conflict):
        planner_weeks.check_in(
            db, actor_id=plan.bob, promise_id=price.id, status="done", now=at(date(2026, 3, 14))
        )

    # Friday W1: bob promises A, B and the price sheet again (carried over) for W2; he finished
    # nothing last week, so the plan warns of over-commitment.
    friday = at(date(2026, 3, 13), 17)
    made = [
        planner_weeks.promise(db, actor_id=plan.bob, workspace_id=plan.workspace, week=W2, now=friday, **task)
        for task in (
            {"plan_task_id": plan.speaker},
            {"plan_task_id": plan.landing},
            {"item_id": plan.price_sheet},
        )
    ]
    assert "Promising 1 this week, more than the 0.0 a week completed recently" in made[0].warnings[0]
    # Tuesday W2: alice adds task C: added later.
    late = planner_weeks.promise(
        db,
        actor_id=plan.alice,
        workspace_id=plan.workspace,
        week=W2,
        plan_task_id=plan.invites,
        now=at(W2, 10),
    )
    assert late.promise.added_later and not made[0].promise.added_later

    ids = {p.promise.title: p.promise.id for p in [*made, late]}
    planner_weeks.close_week(
        db,
        actor_id=plan.alice,
        workspace_id=plan.workspace,
        week=W2,
        outcomes=[
            {"promise_id": ids["Speaker confirmed"], "done": True},
            {"promise_id": ids["Landing page"], "done": False, "reason": "underestimated"},
            {"promise_id": ids["Price sheet"], "done": True},
            {"promise_id": ids["Invitations"], "done": True},
        ],
        now=at(date(2026, 3, 20), 16),
    )

    metrics = planner_weeks.planner_metrics(db, plan.workspace, weeks=3, now=at(date(2026, 3, 20), 17))
    w0, w1, w2 = metrics.trend
    assert (w0.ppc, w0.ta, w0.tmr, w0.pcr) == (None, None, None, None)  # an empty week
    assert (w1.ppc, w1.ta, w1.pcr) == (Ratio(0, 1), None, Ratio(1, 1))  # no snapshot at W−1
    # W2: PPC leaves out the added-later invitations; TA and TMR read the snapshot of W0.
    assert (w2.ppc, w2.ta, w2.tmr, w2.pcr) == (Ratio(2, 3), Ratio(4, 4), Ratio(2, 2), None)
    assert metrics.by_person["Bob Brown"][2].ppc == Ratio(2, 3)
    assert metrics.by_person["Alice Adams"][2].ppc is None
    assert {(row.label, row.count) for row in metrics.pareto} == {("Approval late", 1), ("Underestimated", 1)}

    # A done promise finishes its pull-plan task; the missed one stays in the lookahead.
    tasks = {t.title: t for t in planner.pull_plan(db, plan.milestone, now=at(date(2026, 3, 20))).tasks}
    assert tasks["Speaker confirmed"].done_on == date(2026, 3, 20) and tasks["Landing page"].done_on is None


def test_a_constraint_on_a_board_item_makes_it_unready_until_removed(db, plan):
    made = planner.add_constraint(
        db,
        actor_id=plan.bob,
        workspace_id=plan.workspace,
        item_id=plan.price_sheet,
        category="approval",
        description="Legal reviews the prices.",
        need_by=date(2026, 3, 10),
        now=at(W0),
    )
    with db.read() as session:
        assert session.get(ItemRow, plan.price_sheet).ready is False
    planner.edit_constraint(
        db, actor_id=plan.bob, constraint_id=made.id, changes={"status": "waived"}, now=at(W1)
    )
    with db.read() as session:
        assert session.get(ItemRow, plan.price_sheet).ready is True
    listed = planner.list_constraints(db, plan.workspace, now=at(W1))
    assert [(c.status, c.closed_on) for c in listed] == [("waived", W1)]


def test_a_learning_cycle_on_a_reason_shows_beside_it_in_the_pareto(db, plan):
    promised = planner_weeks.promise(
        db, actor_id=plan.bob, workspace_id=plan.workspace, week=W1, item_id=plan.price_sheet, now=at(W0)
    )
    planner_weeks.close_week(
        db,
        actor_id=plan.alice,
        workspace_id=plan.workspace,
        week=W1,
        outcomes=[{"promise_id": promised.promise.id, "done": False, "reason": "approval_late"}],
        now=at(date(2026, 3, 13)),
    )
    cycle = planner_weeks.create_learning_cycle(
        db,
        actor_id=plan.alice,
        workspace_id=plan.workspace,
        kind="pdca",
        title="Legal review slot every Tuesday",
        plan="Book a standing half hour with legal.",
        owner_id=plan.alice,
        reason="approval_late",
        now=at(date(2026, 3, 13)),
    )
    metrics = planner_weeks.planner_metrics(db, plan.workspace, weeks=2, now=at(date(2026, 3, 13)))
    assert [c.title for c in metrics.pareto[0].learning_cycles] == [cycle.title]
    with pytest.raises(InvalidInput):
        planner_weeks.create_learning_cycle(
            db, actor_id=plan.alice, workspace_id=plan.workspace, kind="pdca", title="x", reason="weather"
        )


def test_a_manager_sets_the_lookahead_and_the_reasons(db, plan):
    settings = planner.update_settings(
        db,
        actor_id=plan.alice,
        workspace_id=plan.workspace,
        lookahead_weeks=3,
        reasons=[
            {"code": "late_legal", "label": "Legal was late"},
            {"code": "other", "label": "Other", "needs_five_why": True},
        ],
    )
    assert settings.lookahead_weeks == 3 and [r.code for r in settings.reasons] == ["late_legal", "other"]
    assert len(planner.lookahead(db, plan.workspace, now=at(W0)).weeks) == 3
    with pytest.raises(InvalidInput) as bad:
        planner.update_settings(db, actor_id=plan.alice, workspace_id=plan.workspace, lookahead_weeks=0)
    assert bad.value.field == "lookahead_weeks"
    promised = planner_weeks.promise(
        db, actor_id=plan.bob, workspace_id=plan.workspace, week=W1, item_id=plan.price_sheet, now=at(W0)
    )
    with pytest.raises(InvalidInput) as old_reason:
        planner_weeks.close_week(
            db,
            actor_id=plan.alice,
            workspace_id=plan.workspace,
            week=W1,
            outcomes=[{"promise_id": promised.promise.id, "done": False, "reason": "approval_late"}],
            now=at(W1),
        )
    assert "not a reason of this workspace" in old_reason.value.message
    with pytest.raises(InvalidInput) as no_why:
        planner_weeks.close_week(
            db,
            actor_id=plan.alice,
            workspace_id=plan.workspace,
            week=W1,
            outcomes=[{"promise_id": promised.promise.id, "done": False, "reason": "other"}],
            now=at(W1),
        )
    assert no_why.value.field == "outcomes.0.five_whys"
    with db.read() as session:
        assert session.get(PromiseRow, promised.promise.id).outcome is None


def test_promises_of_one_task_at_the_same_moment_make_one_promise(db, plan):
    """Eight people promise the same task at once: one promise is made, the others are told
    why not (already promised, or changed meanwhile), never an error."""
    import threading

    start = threading.Barrier(8)
    results: list[object] = []

    def promise() -> None:
        start.wait()
        try:
            results.append(
                planner_weeks.promise(
                    db,
                    actor_id=plan.bob,
                    workspace_id=plan.workspace,
                    week=W1,
                    item_id=plan.price_sheet,
                    now=at(W0),
                )
            )
        except Conflict as refused:
            results.append(refused.code)
        except Exception as error:  # noqa: BLE001 - any other failure is what this test is about
            results.append(error)

    threads = [threading.Thread(target=promise) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    made = [r for r in results if isinstance(r, planner_weeks.PromiseResult)]
    assert len(made) == 1 and len(results) == 8
    assert set(results) - set(made) <= {"already_promised", "changed_meanwhile"}, results
    with db.read() as session:
        assert len(session.scalars(select(PromiseRow).where(PromiseRow.week == W1)).all()) == 1
