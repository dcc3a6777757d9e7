"""Commit-by dates and LRM statuses on hand-computed examples (DESIGN §2)."""

from __future__ import annotations

import datetime as dt

import pytest

from pullplan.domain.board import ClassOfService as C
from pullplan.domain.calendar import WorkCalendar
from pullplan.domain.lrm import (
    CycleTimeModel,
    LeadTime,
    LrmPolicy,
    LrmStatus,
    commit_by,
    commitment_timing,
    committed_status,
    option_status,
)

D = dt.date


def test_percentile_of_a_full_cell_is_nearest_rank():
    # 20 Content/standard items of 1..20 days: the 85th percentile is rank ceil(17) = 17.
    model = CycleTimeModel.from_samples(("Content", C.STANDARD, d) for d in range(1, 21))
    lt = model.lead_time("Content", C.STANDARD, 85)
    assert lt == LeadTime(days=17, percentile=85, samples=20, pooled=False)
    assert model.lead_time("Content", C.STANDARD, 50).days == 10
    assert model.lead_time("Content", C.STANDARD, 95).days == 19


def test_a_small_cell_falls_back_to_the_pooled_board_history():
    samples = [("Content", C.STANDARD, d) for d in range(1, 21)]  # 20 samples
    samples += [("Event", C.FIXED_DATE, 40)] * 5  # only 5: pooled
    model = CycleTimeModel.from_samples(samples)
    lt = model.lead_time("Event", C.FIXED_DATE, 95)
    # Pooled: 1..20 and five 40s, 25 values; rank ceil(0.95 * 25) = 24 -> 40.
    assert lt == LeadTime(days=40, percentile=95, samples=25, pooled=True)
    assert model.lead_time("Webinar", C.STANDARD, 85).pooled  # an empty cell pools too
    assert CycleTimeModel.from_samples([]).lead_time("Content", C.STANDARD, 85) is None


def test_commit_by_in_calendar_days():
    lt = LeadTime(days=17, percentile=85, samples=20, pooled=False)
    by = commit_by(D(2026, 12, 31), lt, buffer_days=7)
    assert by.date == D(2026, 12, 7)  # 31 - 17 - 7 = 7
    assert "due 2026-12-31, minus 17 days (85th percentile" in by.why
    assert "7-day buffer" in by.why


def test_commit_by_in_working_days_skips_weekends_and_holidays():
    calendar = WorkCalendar(use_working_days=True, holidays=frozenset({D(2026, 12, 25)}))
    lt = LeadTime(days=5, percentile=85, samples=30, pooled=False)
    # Due Wednesday 30 Dec; 5 working days back: Tue 29, Mon 28, Thu 24 (25 is a holiday),
    # Wed 23, Tue 22 -> Tue 22; minus a 2-day buffer -> Sun 20 -> back to Fri 18.
    assert commit_by(D(2026, 12, 30), lt, buffer_days=2, calendar=calendar).date == D(2026, 12, 18)


def test_working_day_cycle_time_uses_the_plus_one_convention():
    calendar = WorkCalendar(use_working_days=True)
    assert calendar.days_between(D(2026, 11, 27), D(2026, 11, 30)) == 2  # Fri..Mon
    assert calendar.days_between(D(2026, 11, 28), D(2026, 11, 28)) == 1  # a Saturday: never 0
    assert WorkCalendar().days_between(D(2026, 11, 27), D(2026, 11, 30)) == 4


@pytest.mark.parametrize(
    "today, status",
    [
        (D(2026, 10, 1), LrmStatus.OPTION),  # 67 days before: beyond the 42-day lookahead
        (D(2026, 10, 26), LrmStatus.APPROACHING),  # 42 days before
        (D(2026, 11, 30), LrmStatus.APPROACHING),  # 7 days: the next replenishment is in time
        (D(2026, 12, 1), LrmStatus.DUE),  # 6 days: commit now
        (D(2026, 12, 7), LrmStatus.DUE),  # the day itself
        (D(2026, 12, 8), LrmStatus.LATE),
    ],
)
def test_option_status(today, status):
    assert option_status(today, D(2026, 12, 7), LrmPolicy()) == status


def test_policy_defaults_follow_the_design():
    policy = LrmPolicy()
    assert policy.p(C.STANDARD) == 85 and policy.p(C.FIXED_DATE) == 95
    assert policy.buffer(C.STANDARD) == 7


def test_committed_items_are_at_risk_when_older_than_the_sle_or_short_of_time():
    lt = LeadTime(days=10, percentile=85, samples=30, pooled=False)
    committed = D(2026, 11, 20)
    assert committed_status(D(2026, 11, 25), committed, lt, None) == LrmStatus.ON_TRACK  # age 6
    assert committed_status(D(2026, 11, 30), committed, lt, None) == LrmStatus.AT_RISK  # age 11 > 10
    # Age 6, 4 more days expected; due in 2 days -> at risk; due in 4 days -> on track.
    assert committed_status(D(2026, 11, 25), committed, lt, D(2026, 11, 27)) == LrmStatus.AT_RISK
    assert committed_status(D(2026, 11, 25), committed, lt, D(2026, 11, 29)) == LrmStatus.ON_TRACK


def test_commitment_timing_counts_days_early_or_late():
    assert commitment_timing(D(2026, 11, 20), D(2026, 12, 7)) == -17  # committed 17 days early
    assert commitment_timing(D(2026, 12, 9), D(2026, 12, 7)) == 2


def test_the_boards_own_percentile_pools_every_cell():
    model = CycleTimeModel.from_samples(
        [("Content", C.STANDARD, d) for d in range(1, 11)]
        + [("Event", C.FIXED_DATE, d) for d in range(11, 21)]
    )
    assert model.board_lead_time(85) == LeadTime(days=17, percentile=85, samples=20, pooled=True)
    assert CycleTimeModel.from_samples([]).board_lead_time(85) is None
