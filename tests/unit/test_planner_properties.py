"""Invariants of the Last Planner's rules, for any plan and any week (hypothesis)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from pullplan.domain.planner import Outcome
from pullplan.domain.planner_metrics import PromiseFact, pareto, ppc
from pullplan.domain.pull_plan import WORKING_WEEK, Handoff, schedule, working_days_after

MONDAY = dt.date(2026, 3, 16)


@st.composite
def plans(draw) -> list[Handoff]:
    """A pull plan of up to 12 handoffs, each after some of the ones before it (no loop)."""
    n = draw(st.integers(1, 12))
    handoffs = []
    for i in range(1, n + 1):
        preds = draw(st.lists(st.integers(1, i - 1), max_size=3, unique=True)) if i > 1 else []
        handoffs.append(Handoff(i, draw(st.integers(1, 10)), tuple(preds), draw(st.booleans())))
    return handoffs


@given(plans(), st.integers(0, 120), st.integers(0, 60))
def test_the_backward_pass_keeps_every_handoff_before_its_successors_and_the_milestone(plan, ahead, start_in):
    milestone = MONDAY + dt.timedelta(days=ahead)
    start = MONDAY + dt.timedelta(days=start_in)
    result = schedule(plan, milestone=milestone, start=start)
    for h in plan:
        d = result.dates[h.id]
        assert d.latest_finish <= milestone
        assert WORKING_WEEK.is_working_day(d.latest_start) and d.latest_start <= d.latest_finish
        for p in h.predecessors:
            assert result.dates[p].latest_finish < d.latest_start
            if not h.done and result.dates[p].earliest_finish is not None:
                assert result.dates[p].earliest_finish < d.earliest_start
    if result.finish is not None:
        # The plan fits exactly when its earliest finish is on or before the milestone's last working day.
        assert result.fits == (result.finish <= WORKING_WEEK.on_or_before(milestone))
        assert result.slack_days == working_days_after(result.finish, WORKING_WEEK.on_or_before(milestone))


promises = st.lists(
    st.builds(
        PromiseFact,
        task=st.sampled_from(["task:1", "task:2", "item:3", "item:4"]),
        week=st.sampled_from([MONDAY, MONDAY + dt.timedelta(weeks=1)]),
        performer=st.sampled_from([1, 2, None]),
        team=st.sampled_from(["Marketing", "Sales"]),
        added_later=st.booleans(),
        outcome=st.sampled_from([Outcome.DONE, Outcome.NOT_DONE]),
        reason=st.sampled_from([None, "approval_late", "over_commitment"]),
        ready=st.booleans(),
    ),
    max_size=20,
)


@given(promises)
def test_ppc_is_a_share_of_promises_made_before_the_week_and_absent_without_them(facts):
    ratio = ppc(facts, MONDAY)
    planned = [p for p in facts if p.week == MONDAY and not p.added_later]
    if not planned:
        assert ratio is None
    else:
        assert ratio.denominator == len(planned) and 0 <= ratio.value <= 1


@given(promises)
def test_the_pareto_counts_every_missed_promise_with_a_reason_once(facts):
    bars = pareto(facts)
    assert sum(b.count for b in bars) == sum(1 for p in facts if p.outcome == Outcome.NOT_DONE and p.reason)
    assert [b.count for b in bars] == sorted((b.count for b in bars), reverse=True)
    if bars:
        assert abs(bars[-1].cumulative - 1) < 1e-9
