"""Monte Carlo forecasts: reproducible, memory-bounded, and in agreement with the exact ones."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from pullplan.analytics import (
    by_day,
    combined,
    empirical,
    how_many,
    poisson_rate,
    simulate_finish_days,
    simulate_totals,
    when,
)

HISTORY = np.random.default_rng(11).poisson(2.5, 180)


def test_the_same_seed_gives_the_same_forecast():
    a = how_many(HISTORY, 30, method="monte_carlo", seed=42)
    b = how_many(HISTORY, 30, method="monte_carlo", seed=42)
    assert a.percentiles == b.percentiles
    assert a.probabilities.tolist() == b.probabilities.tolist()
    w1 = when(HISTORY, 100, method="monte_carlo", seed=42)
    w2 = when(HISTORY, 100, method="monte_carlo", seed=42)
    assert w1.cdf.tolist() == w2.cdf.tolist() and w1.percentiles == w2.percentiles
    assert a.seed == 42 and a.trials == 10_000


def test_another_seed_gives_other_samples():
    a = simulate_totals(empirical(HISTORY), 30, seed=1)
    b = simulate_totals(empirical(HISTORY), 30, seed=2)
    assert a.tolist() != b.tolist()


def test_without_a_seed_the_seed_used_is_reported():
    f = how_many(HISTORY, 10, method="monte_carlo", trials=100)
    again = how_many(HISTORY, 10, method="monte_carlo", trials=100, seed=f.seed)
    assert again.probabilities.tolist() == f.probabilities.tolist()


def test_constant_throughput_gives_exactly_k_times_days():
    f = how_many([3] * 20, 30, method="monte_carlo", seed=1, trials=2_000)
    assert f.items.tolist() == [90] and f.probabilities.tolist() == [1.0]
    assert [r.value for r in f.percentiles] == [90, 90, 90, 90]
    w = when([3] * 20, 90, method="monte_carlo", seed=1, trials=2_000)
    assert [r.value for r in w.percentiles] == [30, 30, 30, 30]


def test_how_many_agrees_with_the_exact_distribution_within_one_item():
    for days in (7, 30, 90):
        exact = how_many(HISTORY, days)
        mc = how_many(HISTORY, days, method="monte_carlo", seed=days, trials=20_000)
        for e, m in zip(exact.percentiles, mc.percentiles, strict=True):
            assert abs(e.value - m.value) <= 1, (days, e, m)


def test_when_agrees_with_the_exact_distribution():
    exact = when(HISTORY, 200, target=80)
    mc = when(HISTORY, 200, method="monte_carlo", seed=3, trials=20_000, target=80)
    for e, m in zip(exact.percentiles, mc.percentiles, strict=True):
        assert abs(e.value - m.value) <= 1, (e, m)
    assert mc.target_probability == pytest.approx(exact.target_probability, abs=0.02)
    n = min(exact.cdf.size, mc.cdf.size)
    assert np.abs(exact.cdf[:n] - mc.cdf[:n]).max() < 0.02


def test_readings_are_the_same_for_both_methods():
    mc = how_many([2], 5, method="monte_carlo", seed=1, trials=10)
    assert mc.percentiles[2].reading == "85% chance of at least 10 items in 5 days"
    w = when([2], 10, method="monte_carlo", seed=1, trials=10)
    assert w.percentiles[2].reading == "85% chance of done within 5 days"


def test_a_million_trials_run_in_bounded_memory():
    tracemalloc.start()
    totals = simulate_totals(empirical(HISTORY), 10, trials=1_000_000, seed=5)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert totals.size == 1_000_000
    assert peak < 200 * 2**20  # all draws at once would take 1e7 x 16 bytes, and more
    assert totals.mean() == pytest.approx(HISTORY.mean() * 10, rel=0.01)


def test_finish_days_of_trials_that_never_finish():
    days = simulate_finish_days(empirical([0, 0, 1]), 50, trials=100, seed=1, max_days=20)
    assert (days == 21).all()
    f = when([0] * 99 + [1], 5, method="monte_carlo", seed=1, trials=500, max_days=30)
    assert f.percentiles[0].value is None


def test_combined_histories_add_up():
    draw = combined(empirical([1]), empirical([2, 2]))
    assert simulate_totals(draw, 10, trials=50, seed=1).tolist() == [30] * 50


def test_by_day_picks_a_history_per_day():
    weekdays, weekends = [4], [0]
    draw = by_day([weekdays, weekends], lambda d: (d % 7 >= 5).astype(int))
    assert simulate_totals(draw, 14, trials=20, seed=1).tolist() == [40] * 20
    f = when(sampler=draw, items=40, method="monte_carlo", seed=1, trials=20)
    assert f.at(95) == 12  # ten weekdays of four, two weekend days between


def test_a_per_day_rate_function():
    ramp = poisson_rate(lambda d: np.where(d < 10, 0.0, 5.0))
    totals = simulate_totals(ramp, 10, trials=100, seed=1)
    assert totals.tolist() == [0] * 100
    f = how_many(sampler=ramp, days=20, method="monte_carlo", seed=1, trials=20_000)
    assert 40 <= f.at(50) <= 60


def test_a_sampler_needs_monte_carlo():
    with pytest.raises(ValueError, match="^method:"):
        how_many(sampler=empirical([1]), days=3)
