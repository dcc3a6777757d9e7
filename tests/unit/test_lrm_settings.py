"""Per-class LRM settings on hand-computed examples: a class's own p and buffer change its
commit-by date and status; the +1 convention and the pooling boundary."""

from __future__ import annotations

import datetime as dt

from pullplan.domain.board import ClassOfService as C
from pullplan.domain.calendar import WorkCalendar
from pullplan.domain.lrm import CycleTimeModel, LrmPolicy, LrmStatus, commit_by, option_status

D = dt.date
# 20 Content items of each class, 1..20 days.
MODEL = CycleTimeModel.from_samples(
    [("Content", C.STANDARD, d) for d in range(1, 21)] + [("Content", C.FIXED_DATE, d) for d in range(1, 21)]
)


def _commit_by(cos: C, policy: LrmPolicy, due=D(2026, 12, 31), calendar=WorkCalendar()) -> dt.date:
    lt = MODEL.lead_time("Content", cos, policy.p(cos))
    return commit_by(due, lt, policy.buffer(cos), calendar).date


def test_each_class_has_its_own_percentile_and_buffer():
    policy = LrmPolicy(
        percentile={C.FIXED_DATE: 95, C.STANDARD: 70},
        buffer_days={C.FIXED_DATE: 14},
        cadence_days=7,
    )
    # Fixed date: LT_95 of 1..20 is rank 19 -> 19 days; buffer 14: 31 Dec - 33 days = 28 Nov.
    assert _commit_by(C.FIXED_DATE, policy) == D(2026, 11, 28)
    # Standard: LT_70 is rank 14 -> 14 days; buffer one cadence, 7: 31 Dec - 21 = 10 Dec.
    assert _commit_by(C.STANDARD, policy) == D(2026, 12, 10)


def test_the_defaults_are_p85_p95_for_fixed_date_and_one_cadence():
    policy = LrmPolicy()
    assert _commit_by(C.STANDARD, policy) == D(2026, 12, 7)  # 31 - 17 - 7
    assert _commit_by(C.FIXED_DATE, policy) == D(2026, 12, 5)  # 31 - 19 - 7
    # A cadence of 14 days is also the default buffer.
    assert _commit_by(C.STANDARD, LrmPolicy(cadence_days=14)) == D(2026, 11, 30)


def test_a_longer_cadence_makes_an_item_due_sooner():
    by = D(2026, 12, 20)
    assert option_status(D(2026, 12, 10), by, LrmPolicy(cadence_days=7)) == LrmStatus.APPROACHING
    assert option_status(D(2026, 12, 10), by, LrmPolicy(cadence_days=14)) == LrmStatus.DUE
    assert option_status(D(2026, 11, 1), by, LrmPolicy(lookahead_days=30)) == LrmStatus.OPTION


def test_working_days_with_a_holiday_in_the_workspace_calendar():
    calendar = WorkCalendar(use_working_days=True, holidays=frozenset({D(2026, 12, 24), D(2026, 12, 25)}))
    policy = LrmPolicy(percentile={C.STANDARD: 25}, buffer_days={C.STANDARD: 0})
    # LT_25 of 1..20 is rank 5 -> 5 working days back from Thu 31 Dec: Wed 30, Tue 29, Mon 28,
    # Wed 23 (24 and 25 are holidays, 26 and 27 a weekend), Tue 22.
    assert _commit_by(C.STANDARD, policy, calendar=calendar) == D(2026, 12, 22)


def test_cycle_time_counts_both_ends():
    # Committed and done the same day is 1 day, Monday to Friday 5 (calendar) or 5 (working),
    # Friday to Monday 4 calendar days but 2 working days.
    assert WorkCalendar().days_between(D(2026, 11, 23), D(2026, 11, 23)) == 1
    assert WorkCalendar().days_between(D(2026, 11, 23), D(2026, 11, 27)) == 5
    assert WorkCalendar(use_working_days=True).days_between(D(2026, 11, 23), D(2026, 11, 27)) == 5
    assert WorkCalendar(use_working_days=True).days_between(D(2026, 11, 20), D(2026, 11, 23)) == 2


def test_a_cell_pools_below_twenty_samples_and_not_at_twenty():
    nineteen = CycleTimeModel.from_samples(
        [("Event", C.STANDARD, 30)] * 19 + [("Content", C.STANDARD, 2)] * 20
    )
    twenty = CycleTimeModel.from_samples([("Event", C.STANDARD, 30)] * 20 + [("Content", C.STANDARD, 2)] * 20)
    # 19 Events: pooled with 20 Contents (39 values, 20 of 2 then 19 of 30): rank 34 -> 30.
    assert nineteen.lead_time("Event", C.STANDARD, 85).pooled
    assert nineteen.lead_time("Event", C.STANDARD, 85).samples == 39
    # 50th percentile of the pool: rank 20 -> 2 days; with 20 Events their own -> 30 days.
    assert nineteen.lead_time("Event", C.STANDARD, 50).days == 2
    assert twenty.lead_time("Event", C.STANDARD, 50).days == 30
    assert not twenty.lead_time("Event", C.STANDARD, 50).pooled
