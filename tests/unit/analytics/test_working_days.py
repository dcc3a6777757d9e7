"""Cycle time and work item age in working days: the example board of flow_example.py
counted Monday to Friday (D0 = 2024-03-01 is a Friday; d1, d2, d8 and d9 are weekend days)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from flow_example import DAY0, DOING, REVIEW, day

from pullplan.analytics import aging_wip, cycle_times, flow_metrics, work_item_age
from pullplan.analytics.workdays import days_between
from pullplan.domain.calendar import WorkCalendar

WEEKDAYS = WorkCalendar(use_working_days=True)
WINDOW = {"start": day(0), "end": day(9)}


def test_cycle_time_counts_the_working_days_from_commit_to_done(log):
    ct = cycle_times(log, **WINDOW, calendar=WEEKDAYS)
    assert ct.item_ids.tolist() == [1, 2, 5]
    # 1: Sun d2 .. Wed d5 is Mon, Tue, Wed; 2: Sat d1 .. Fri d7 is Mon..Fri; 5: Thu d6 alone.
    assert ct.days.tolist() == [3, 5, 1]
    assert ct.percentiles == {50: 3, 70: 5, 85: 5, 95: 5}


def test_a_holiday_is_not_a_working_day(log):
    tuesday_off = WorkCalendar(use_working_days=True, holidays=frozenset({day(4)}))
    assert cycle_times(log, **WINDOW, calendar=tuesday_off).days.tolist() == [2, 4, 1]
    assert work_item_age(log, as_of=day(9), calendar=tuesday_off).ages.tolist() == [4]


def test_work_item_age_in_working_days(log):
    # 3 was committed on Monday d3; on Sunday d9 it has been in progress Mon..Fri.
    assert work_item_age(log, as_of=day(9), calendar=WEEKDAYS).ages.tolist() == [5]


def test_aging_lines_in_working_days(log):
    aging = aging_wip(log, start=day(0), as_of=day(9), calendar=WEEKDAYS)
    # left Doing (first reached Review or later): 1 Sun..Tue = 2, 2 Sat..Wed = 3, 5 Thu = 1
    assert aging.stage_percentiles[DOING] == {50: 2, 70: 3, 85: 3, 95: 3}
    assert aging.stage_percentiles[REVIEW] == {50: 3, 70: 5, 85: 5, 95: 5}
    assert aging.cycle_time_percentiles == {50: 3, 70: 5, 85: 5, 95: 5}


def test_calendar_days_are_the_default_and_a_calendar_without_working_days_changes_nothing(log):
    assert cycle_times(log, **WINDOW).days.tolist() == [4, 7, 1]
    every_day = WorkCalendar(use_working_days=False)
    assert cycle_times(log, **WINDOW, calendar=every_day).days.tolist() == [4, 7, 1]
    m = flow_metrics(log, **WINDOW, calendar=WEEKDAYS)
    assert m.cycle_times.days.tolist() == [3, 5, 1]
    assert m.littles_law.average_cycle_time == pytest.approx(4)  # Little's law stays in calendar days


def test_nothing_takes_zero_working_days():
    saturday = DAY0 + 1
    assert days_between([saturday], [saturday], WEEKDAYS).tolist() == [1]
    assert days_between([saturday], [saturday + 1], WEEKDAYS).tolist() == [1]  # Sat..Sun


def test_agrees_with_the_domain_calendar_on_many_ranges():
    rng = np.random.default_rng(3)
    cal = WorkCalendar(
        use_working_days=True,
        working_days=frozenset({1, 2, 3, 4, 6}),
        holidays=frozenset({dt.date(2024, 3, 7), dt.date(2024, 4, 1)}),
    )
    start = DAY0 + rng.integers(0, 60, 200)
    end = start + rng.integers(0, 40, 200)
    got = days_between(start, end, cal)
    epoch = dt.date(1970, 1, 1)
    want = [
        cal.days_between(epoch + dt.timedelta(days=int(a)), epoch + dt.timedelta(days=int(b)))
        for a, b in zip(start, end, strict=True)
    ]
    assert got.tolist() == want


def test_a_week_without_working_days_is_refused():
    with pytest.raises(ValueError, match="calendar"):
        days_between([DAY0], [DAY0], WorkCalendar(use_working_days=True, working_days=frozenset()))
