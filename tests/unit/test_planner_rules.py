"""Last Planner rules: readiness, promising, added-later promises, over-commitment, week close,
and the pull plan's backward pass with its slack (DESIGN §3)."""

from __future__ import annotations

import datetime as dt

import pytest

from pullplan.domain.planner import (
    DEFAULT_REASONS,
    PromiseRefusal,
    Reason,
    check_outcome,
    check_taxonomy,
    decide_promise,
    is_added_later,
    is_ready,
    lookahead_weeks,
    recent_throughput,
    week_of,
)
from pullplan.domain.pull_plan import Handoff, PlanCycle, schedule

D = dt.date
MONDAY = D(2026, 3, 16)


def promise(**overrides):
    args = dict(
        week=MONDAY,
        today=D(2026, 3, 12),
        ready=True,
        override_reason=None,
        week_closed=False,
        already_promised=False,
        promised_this_week=0,
        recent_throughput=None,
    )
    return decide_promise(**{**args, **overrides})


def test_weeks_start_on_monday_and_the_lookahead_counts_this_week():
    assert week_of(D(2026, 3, 22)) == MONDAY  # a Sunday
    assert week_of(MONDAY) == MONDAY
    weeks = lookahead_weeks(D(2026, 3, 18), 6)
    assert weeks[0] == MONDAY and weeks[-1] == D(2026, 4, 20) and len(weeks) == 6


def test_a_task_is_ready_when_no_constraint_is_open():
    assert is_ready([])
    assert is_ready(["removed", "waived"])
    assert not is_ready(["removed", "open"])


def test_a_ready_task_is_promised_before_the_week_starts():
    decision = promise()
    assert decision.allowed and not decision.override and not decision.added_later


def test_a_promise_made_once_the_week_started_is_added_later():
    assert promise(today=MONDAY).added_later
    assert promise(today=D(2026, 3, 19)).added_later
    assert is_added_later(D(2026, 3, 15), MONDAY) is False


def test_an_unready_task_needs_an_override_reason():
    refused = promise(ready=False, open_constraints=2)
    assert not refused.allowed and refused.refusal == PromiseRefusal.NOT_READY
    assert "2 open constraints" in refused.message
    assert not promise(ready=False, override_reason="  ").allowed
    allowed = promise(ready=False, override_reason="Legal said yes on the phone.")
    assert allowed.allowed and allowed.override


def test_no_promise_into_a_closed_or_past_week_nor_twice():
    assert promise(week_closed=True).refusal == PromiseRefusal.WEEK_CLOSED
    assert promise(today=D(2026, 3, 23)).refusal == PromiseRefusal.PAST_WEEK
    assert promise(already_promised=True).refusal == PromiseRefusal.ALREADY_PROMISED


def test_promising_more_than_the_recent_throughput_warns():
    throughput = recent_throughput([2, 4, 3, 3, 3])  # the last four weeks: 3.25 a week
    assert throughput == 3.25
    # In whole tasks: 4 is not more than 3.25 a week rounded up; 5 is.
    assert promise(promised_this_week=3, recent_throughput=throughput).warnings == ()
    warned = promise(promised_this_week=4, recent_throughput=throughput)
    assert warned.allowed and "Promising 5 this week, more than the 3.2" in warned.warnings[0]
    assert promise(promised_this_week=0, recent_throughput=0.8).warnings == ()
    assert recent_throughput([]) is None
    assert promise(promised_this_week=40, recent_throughput=None).warnings == ()


def test_a_miss_needs_a_reason_of_the_taxonomy_and_other_needs_a_five_why():
    reasons = DEFAULT_REASONS
    assert check_outcome(done=True, reason=None, five_whys=[], taxonomy=reasons) is None
    assert "needs a reason" in check_outcome(done=False, reason=None, five_whys=[], taxonomy=reasons)
    assert "not a reason" in check_outcome(done=False, reason="weather", five_whys=[], taxonomy=reasons)
    assert check_outcome(done=False, reason="approval_late", five_whys=[], taxonomy=reasons) is None
    assert "5-why" in check_outcome(done=False, reason="other", five_whys=[" "], taxonomy=reasons)
    assert (
        check_outcome(done=False, reason="other", five_whys=["The list was late."], taxonomy=reasons) is None
    )
    assert "at most 5" in check_outcome(done=False, reason="other", five_whys=["x"] * 6, taxonomy=reasons)
    assert "no reason" in check_outcome(done=True, reason="approval_late", five_whys=[], taxonomy=reasons)


def test_a_taxonomy_has_distinct_lower_case_codes():
    assert check_taxonomy(DEFAULT_REASONS) is None
    assert check_taxonomy([]) is not None
    assert check_taxonomy([Reason("late", "Late"), Reason("late", "Later")]) is not None
    assert check_taxonomy([Reason("Late Legal", "Late")]) is not None


# --- the pull plan --------------------------------------------------------------------------
# A webinar on Thursday 2 April 2026. Working days are Monday to Friday.
#   1 Topic and speaker (2 days) -> 2 Landing page (3) -> 4 Invitations (2)
#   1 -> 3 Slides (4) ;  webinar needs 3 and 4.
PLAN = [
    Handoff(1, 2),
    Handoff(2, 3, (1,)),
    Handoff(3, 4, (1,)),
    Handoff(4, 2, (2,)),
]
WEBINAR = D(2026, 4, 2)


def test_the_backward_pass_pulls_each_handoff_from_the_milestone():
    plan = schedule(PLAN, milestone=WEBINAR, start=D(2026, 3, 16))
    # Invitations finish on the milestone's day; the landing page the day before they start.
    assert (plan.dates[4].latest_start, plan.dates[4].latest_finish) == (D(2026, 4, 1), D(2026, 4, 2))
    assert (plan.dates[2].latest_start, plan.dates[2].latest_finish) == (D(2026, 3, 27), D(2026, 3, 31))
    assert (plan.dates[3].latest_start, plan.dates[3].latest_finish) == (D(2026, 3, 30), D(2026, 4, 2))
    # Topic and speaker finish before the earlier of its successors' latest starts (27 March).
    assert (plan.dates[1].latest_start, plan.dates[1].latest_finish) == (D(2026, 3, 25), D(2026, 3, 26))


def test_a_plan_that_fits_shows_its_slack_in_working_days():
    plan = schedule(PLAN, milestone=WEBINAR, start=D(2026, 3, 16))
    # Earliest: 1 on 16-17, 2 on 18-20, 4 on 23-24, 3 on 18-23: finished on Tuesday 24 March.
    assert plan.finish == D(2026, 3, 24)
    assert plan.fits and plan.slack_days == 7  # 25, 26, 27, 30, 31 March, 1 and 2 April
    assert plan.dates[1].float_days == 7 and plan.dates[3].float_days == 8


def test_a_plan_that_starts_too_late_says_how_late_it_is():
    plan = schedule(PLAN, milestone=WEBINAR, start=D(2026, 3, 30))
    # 1 on 30-31, 2 on 1-3 April, 4 on 6-7 April: three working days after the webinar.
    assert plan.finish == D(2026, 4, 7)
    assert not plan.fits and plan.slack_days == -3
    assert plan.dates[1].critical


def test_finished_handoffs_take_no_more_time():
    done = [Handoff(1, 2, done=True), *PLAN[1:]]
    plan = schedule(done, milestone=WEBINAR, start=D(2026, 3, 30))
    assert plan.dates[1].earliest_start is None
    assert plan.finish == D(2026, 4, 3)  # 2 on 30 March-1 April, 4 on 2-3 April
    assert plan.slack_days == -1


def test_a_loop_of_predecessors_has_no_schedule():
    with pytest.raises(PlanCycle):
        schedule([Handoff(1, 1, (2,)), Handoff(2, 1, (1,))], milestone=WEBINAR, start=MONDAY)
