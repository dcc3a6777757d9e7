"""Back-tests: replaying history, how often did a P% forecast come true?"""

from __future__ import annotations

import numpy as np
import pytest

from pullplan.analytics import FlowLog
from pullplan.analytics.backtest import backtest

DOING, DONE = 1, 2
STAGES = [(DOING, "committed", 0), (DONE, "done", 1)]


def steady_then_stopped(done_days: range) -> FlowLog:
    """One item created on day 0 and finished on each of `done_days`."""
    items, days, kinds, stages = [], [], [], []
    for item, day in enumerate(done_days, start=1):
        items += [item, item]
        days += [0, day]
        kinds += ["created", "moved"]
        stages += [DOING, DONE]
    return FlowLog.from_arrays(
        item_ids=items,
        at=np.asarray(days) * 86_400 + np.tile([3600, 7200], len(done_days)),
        kinds=kinds,
        to_stage_ids=stages,
        stages=STAGES,
        days=days,
    )


def test_a_forecast_comes_true_until_the_team_stops_by_hand():
    # One item a day on days 0..34, none after, history known to day 60.
    log = steady_then_stopped(range(0, 35))
    result = backtest(log, days=7, items=5, window_days=7, step=7, min_history=7, end=60)

    # Dates 7, 14, 21, 28, 35 forecast "at least 7 in 7 days" (every past day had one);
    # 42 and 49 have an empty window and are skipped.
    assert result.dates.tolist() == [7, 14, 21, 28, 35]
    assert result.skipped == 2
    assert result.actual.tolist() == [7, 7, 7, 7, 0]
    for p, k in result.forecast.items():
        assert k.tolist() == [7] * 5, p
    assert [(c.percent, c.forecasts, c.hits) for c in result.how_many] == [
        (50, 5, 4),
        (70, 5, 4),
        (85, 5, 4),
        (95, 5, 4),
    ]
    assert result.how_many[0].hit_rate == pytest.approx(0.8)
    # "When will 5 be done": 5 days from each date; on day 35 it never happened.
    assert [(c.forecasts, c.hits) for c in result.when] == [(5, 4)] * 4


def test_the_counts_add_up_and_a_noisy_history_is_roughly_calibrated():
    rng = np.random.default_rng(3)
    per_day = rng.poisson(1.5, size=400)
    done_days = np.repeat(np.arange(400), per_day)
    log = steady_then_stopped(done_days.tolist())
    result = backtest(log, days=14, items=10, window_days=90, step=3, end=399)
    n = result.dates.size
    assert n > 100
    for c in result.how_many:
        assert c.forecasts == n
        assert 0 <= c.hits <= n
        # Independent days drawn from one distribution: the forecasts are calibrated.
        assert c.hit_rate == pytest.approx(c.percent / 100, abs=0.12)
    rates = [c.hit_rate for c in result.how_many]
    assert rates == sorted(rates)  # a higher percentile asks for fewer items


def test_too_little_history_gives_no_forecast():
    log = steady_then_stopped(range(0, 10))
    result = backtest(log, days=14, min_history=28, end=20)
    assert result.dates.size == 0
    assert all(c.forecasts == 0 and c.hit_rate is None for c in result.how_many + result.when)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="days"):
        backtest(steady_then_stopped(range(3)), days=0)
