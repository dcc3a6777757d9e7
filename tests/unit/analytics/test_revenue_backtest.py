"""Back-tests of the revenue forecast, on a board whose every date is worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from pullplan.analytics import FlowLog
from pullplan.analytics.revenue import learn_model
from pullplan.analytics.revenue_backtest import log_as_of, revenue_backtest

LEADS, WON, LOST = 1, 2, 3
STAGES = [(LEADS, "option", 0), (WON, "done", 1), (LOST, "discarded", 2)]


def weekly_deals() -> tuple[FlowLog, np.ndarray]:
    """Deal k (k = 0..9) enters Leads on day 3 + 7k and is won 10 days later; its value is
    100 (k + 1). Item 99 has no value (not a deal): Leads d5, Won d6."""
    items, days, kinds, stages = [], [], [], []
    for k in range(10):
        for day, kind, stage in ((3 + 7 * k, "created", LEADS), (13 + 7 * k, "moved", WON)):
            items.append(k + 1)
            days.append(day)
            kinds.append(kind)
            stages.append(stage)
    items += [99, 99]
    days += [5, 6]
    kinds += ["created", "moved"]
    stages += [LEADS, WON]
    log = FlowLog.from_arrays(
        item_ids=items,
        at=np.asarray(days) * 86_400 + 43_200,
        kinds=kinds,
        to_stage_ids=stages,
        stages=STAGES,
        days=days,
    )
    values = np.array([100.0 * (k + 1) for k in range(10)] + [np.nan])
    return log, values


def test_the_log_as_of_a_day_holds_only_what_happened_before_it():
    log, _ = weekly_deals()
    before, index = log_as_of(log, 17)
    # deals 1 (d3, won d13), 2 (d10, open), and item 99; deal 3 arrives on d17 itself
    assert before.item_ids.tolist() == [1, 2, 99]
    assert log.item_ids[index].tolist() == [1, 2, 99]
    assert before.facts.done.tolist() == [True, False, True]
    assert before.last_day == 13


def test_each_date_forecasts_from_its_past_and_is_checked_against_what_was_won():
    log, values = weekly_deals()
    # window_days=1: the arrival rate counts the day before each date, when no deal arrived,
    # so the forecast is exactly the open deal: 7 days in Leads, and every deal decided was
    # won on its 10th day there (min_samples=1: learned from one deal on), so it is won on
    # its 10th day, 3 days after the date (< 14), for sure.
    r = revenue_backtest(log, values, horizon_days=14, window_days=1, step=7, min_history=7, min_samples=1)
    # d10: deal 1 is still open and none was won or lost before it: skipped.
    assert r.skipped == 1
    assert r.dates.tolist() == [17, 24, 31, 38, 45, 52, 59]
    # At d = 17 + 7k deal k+2 is open (value 100(k+2)); in the 14 days it is won, and deal
    # k+3, arriving on d itself, is won 10 days later.
    k = np.arange(7)
    assert r.forecast[85].tolist() == (100.0 * (k + 2)).tolist()
    assert r.forecast[50].tolist() == (100.0 * (k + 2)).tolist()
    assert r.actual.tolist() == (100.0 * (k + 2) + 100.0 * (k + 3)).tolist()
    assert r.weighted_pipeline.tolist() == (100.0 * (k + 2)).tolist()
    # The forecast left out the new deal every time, so every "at least" came true.
    assert [(c.percent, c.forecasts, c.hits) for c in r.calibration] == [
        (50, 7, 7),
        (70, 7, 7),
        (85, 7, 7),
        (95, 7, 7),
    ]


def test_the_model_at_a_date_knows_nothing_of_later_days():
    log, values = weekly_deals()
    before, index = log_as_of(log, 31)
    model = learn_model(before, values[index], today=31)
    # deals 1 and 2 were won before d31 (d13, d20); 3 (won d27) too; 4 (d24) is open.
    assert model.stages[LEADS].won == 3
    assert model.stages[LEADS].days_to_close.tolist() == [10, 10, 10]


def test_a_replay_is_reproducible_and_the_hit_rate_is_a_share():
    log, values = weekly_deals()
    a = revenue_backtest(log, values, horizon_days=14, window_days=28, step=7, min_history=7, seed=4)
    b = revenue_backtest(log, values, horizon_days=14, window_days=28, step=7, min_history=7, seed=4)
    assert all(np.array_equal(a.forecast[p], b.forecast[p]) for p in a.forecast)
    assert [c.hits for c in a.calibration] == [c.hits for c in b.calibration]
    rates = [c.hit_rate for c in a.calibration]
    assert all(0 <= x <= 1 for x in rates)
    # A higher confidence asks for less: its "at least" is lower, so it comes true as often or more.
    assert rates == sorted(rates)


def test_bad_arguments_are_refused():
    log, values = weekly_deals()
    with pytest.raises(ValueError, match="horizon_days"):
        revenue_backtest(log, values, horizon_days=0)
    with pytest.raises(ValueError, match="values"):
        revenue_backtest(log, values[:3])
