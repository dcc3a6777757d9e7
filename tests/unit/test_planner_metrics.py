"""PPC, TA, TMR and PCR on hand-computed weeks (DESIGN §3), the Pareto of reasons, and the
metrics by person and team."""

from __future__ import annotations

import datetime as dt

from pullplan.domain.planner import ConstraintStatus as S
from pullplan.domain.planner import Outcome
from pullplan.domain.planner_metrics import (
    AnticipatedFact,
    ConstraintFact,
    PromiseFact,
    Ratio,
    by_person,
    by_team,
    pareto,
    pcr,
    ppc,
    ta,
    tmr,
    week_metrics,
)

W = dt.date(2026, 3, 16)  # a Monday: the week under test
W1 = W - dt.timedelta(weeks=1)
W2 = W - dt.timedelta(weeks=2)
DONE, MISSED = Outcome.DONE, Outcome.NOT_DONE
ANN, BEN = 1, 2


def promise(task, week=W, *, outcome=DONE, later=False, reason=None, who=ANN, team="Marketing", ready=True):
    return PromiseFact(
        task=task,
        week=week,
        performer=who,
        team=team,
        added_later=later,
        outcome=outcome,
        reason=reason,
        ready=ready,
    )


def seen(task, *, at=W2, week=W, who=ANN, team="Marketing"):
    return AnticipatedFact(snapshot_week=at, task=task, week=week, performer=who, team=team)


def constraint(n, created, need_by, status=S.OPEN, closed=None, owner=ANN, team="Marketing"):
    return ConstraintFact(
        id=n, created_on=created, need_by=need_by, status=status, closed_on=closed, owner=owner, team=team
    )


def day(n: int) -> dt.date:
    """The n-th day of week W (0: Monday)."""
    return W + dt.timedelta(days=n)


# --- PPC ---------------------------------------------------------------------------------------


def test_ppc_is_promises_kept_over_promises_made_before_the_week():
    promises = [
        promise("task:1"),
        promise("task:2"),
        promise("task:3", outcome=MISSED, reason="approval_late"),
        promise("task:4"),
        promise("task:5", outcome=MISSED, reason="over_commitment"),
    ]
    assert ppc(promises, W) == Ratio(3, 5)
    assert ppc(promises, W).percent == 60.0


def test_promises_added_later_count_neither_kept_nor_made():
    promises = [
        promise("task:1"),
        promise("task:2", outcome=MISSED, reason="approval_late"),
        promise("task:3", later=True),  # kept, but added after Monday
        promise("task:4", later=True, outcome=MISSED, reason="underestimated"),
    ]
    assert ppc(promises, W) == Ratio(1, 2)


def test_a_carried_over_task_counts_once_in_each_week_it_was_promised():
    promises = [
        promise("task:7", W1, outcome=MISSED, reason="prerequisite_not_done"),
        promise("task:8", W1),
        promise("task:7", W),  # carried over, kept this time
    ]
    assert ppc(promises, W1) == Ratio(1, 2)
    assert ppc(promises, W) == Ratio(1, 1)


def test_an_empty_week_has_no_ppc_not_zero_nor_a_hundred():
    only_later = [promise("task:1", later=True)]
    assert ppc([], W) is None
    assert ppc(only_later, W) is None
    assert ppc([promise("task:1", W1)], W) is None


def test_ppc_is_absent_until_the_week_is_closed():
    promises = [promise("task:1"), promise("task:2", outcome=None)]
    assert ppc(promises, W) is None


# --- TA ----------------------------------------------------------------------------------------


def test_ta_is_promises_that_were_in_the_lookahead_two_weeks_before():
    snapshot = [seen("task:1"), seen("task:2", week=W + dt.timedelta(weeks=1)), seen("task:9")]
    promises = [
        promise("task:1"),  # anticipated for W
        promise("task:2"),  # anticipated for the week after: still in the snapshot
        promise("task:3"),  # not anticipated
        promise("item:4", later=True),  # added later: still a promise of W
    ]
    assert ta(promises, snapshot, W, lag=2) == Ratio(2, 4)


def test_ta_reads_the_snapshot_of_week_w_minus_k_only():
    snapshots = [seen("task:1", at=W1), seen("task:2", at=W2)]
    promises = [promise("task:1"), promise("task:2")]
    assert ta(promises, snapshots, W, lag=2) == Ratio(1, 2)
    assert ta(promises, snapshots, W, lag=1) == Ratio(1, 2)
    assert ta(promises, [seen("task:1", at=W1)], W, lag=2) is None  # no snapshot at W−2


def test_a_carried_over_task_was_anticipated_when_the_snapshot_had_it_for_an_earlier_week():
    snapshot = [seen("task:7", week=W1)]  # planned for W−1, missed, promised again in W
    assert ta([promise("task:7")], snapshot, W, lag=2) == Ratio(1, 1)


def test_ta_of_an_empty_week_is_absent():
    assert ta([], [seen("task:1")], W, lag=2) is None


# --- TMR ---------------------------------------------------------------------------------------


def test_tmr_is_tasks_anticipated_for_w_made_ready_and_planned():
    snapshot = [
        seen("task:1"),
        seen("task:2"),
        seen("task:3"),
        seen("task:4"),
        seen("task:5", week=W + dt.timedelta(weeks=1)),  # anticipated for a later week: not counted
    ]
    promises = [
        promise("task:1"),
        promise("task:2", ready=False),  # promised with an override: not made ready
        promise("task:5"),
        promise("task:6"),
    ]
    assert tmr(promises, snapshot, W, lag=2) == Ratio(1, 4)


def test_tmr_counts_a_carried_over_task_only_where_it_was_anticipated():
    snapshot_w1 = [seen("task:7", at=W1 - dt.timedelta(weeks=2), week=W1)]
    promises = [promise("task:7", W1, outcome=MISSED, reason="underestimated"), promise("task:7", W)]
    assert tmr(promises, snapshot_w1, W1, lag=2) == Ratio(1, 1)
    assert tmr(promises, snapshot_w1, W, lag=2) is None  # nothing was anticipated for W


def test_tmr_with_nothing_anticipated_is_absent():
    assert tmr([promise("task:1")], [seen("task:1", week=W1)], W, lag=2) is None


# --- PCR ---------------------------------------------------------------------------------------


def test_pcr_is_constraints_removed_over_those_due_by_the_end_of_the_week():
    constraints = [
        constraint(1, W1, day(2), S.REMOVED, day(1)),  # due in W, removed in W
        constraint(2, W1, day(6), S.REMOVED, day(6)),  # removed on Sunday: still in W
        constraint(3, W1, day(4)),  # due in W, still open
        constraint(4, W1, W1 + dt.timedelta(days=3)),  # overdue since last week, still open
        constraint(5, W1, day(3), S.REMOVED, day(7)),  # removed the Monday after: too late
        constraint(6, W1, day(9)),  # need-by next week: not counted
        constraint(7, day(1), day(3), S.REMOVED, day(2)),  # created during W: not open at its start
        constraint(8, W2, W1, S.REMOVED, W1 + dt.timedelta(days=2)),  # removed before W
    ]
    assert pcr(constraints, W) == Ratio(2, 5)


def test_a_waived_constraint_is_not_a_removed_one():
    constraints = [
        constraint(1, W1, day(2), S.REMOVED, day(1)),
        constraint(2, W1, day(2), S.WAIVED, day(3)),  # waived during W: counts against PCR
        constraint(3, W1, day(2), S.WAIVED, W1 + dt.timedelta(days=4)),  # waived before W: gone
    ]
    assert pcr(constraints, W) == Ratio(1, 2)


def test_a_week_without_constraints_due_has_no_pcr():
    assert pcr([], W) is None
    assert pcr([constraint(1, W1, day(10))], W) is None


# --- together, by person and team, and the Pareto ----------------------------------------------


def test_an_empty_week_has_every_metric_absent():
    metrics = week_metrics(W, promises=[], anticipated=[], constraints=[], lag=2)
    assert (metrics.ppc, metrics.ta, metrics.tmr, metrics.pcr) == (None, None, None, None)


def test_metrics_by_person_and_by_team_split_the_same_facts():
    promises = [
        promise("task:1", who=ANN, team="Marketing"),
        promise("task:2", who=ANN, team="Marketing", outcome=MISSED, reason="approval_late"),
        promise("item:3", who=BEN, team="Sales"),
    ]
    snapshot = [seen("task:1", who=ANN), seen("item:3", who=BEN, team="Sales")]
    constraints = [constraint(1, W1, day(1), S.REMOVED, day(0), owner=BEN, team="Sales")]

    people = by_person([W], promises=promises, anticipated=snapshot, constraints=constraints, lag=2)
    teams = by_team([W], promises=promises, anticipated=snapshot, constraints=constraints, lag=2)

    assert people[ANN][0].ppc == Ratio(1, 2) and people[BEN][0].ppc == Ratio(1, 1)
    assert people[ANN][0].ta == Ratio(1, 2) and people[ANN][0].pcr is None
    assert people[BEN][0].pcr == Ratio(1, 1)
    assert teams["Marketing"][0].ppc == Ratio(1, 2) and teams["Sales"][0].tmr == Ratio(1, 1)


def test_pareto_orders_reasons_by_count_with_cumulative_shares():
    promises = [
        promise("task:1", outcome=MISSED, reason="approval_late"),
        promise("task:2", outcome=MISSED, reason="over_commitment"),
        promise("task:3", outcome=MISSED, reason="approval_late"),
        promise("task:4", W1, outcome=MISSED, reason="approval_late"),
        promise("task:5", outcome=MISSED, reason="information_missing", later=True),
        promise("task:6"),
    ]
    bars = pareto(promises)
    assert [(b.reason, b.count) for b in bars] == [
        ("approval_late", 3),
        ("information_missing", 1),
        ("over_commitment", 1),
    ]
    assert [round(b.cumulative, 2) for b in bars] == [0.6, 0.8, 1.0]
    assert pareto([promise("task:1")]) == []
