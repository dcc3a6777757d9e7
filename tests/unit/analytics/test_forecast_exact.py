"""Exact forecasts of the plain model (i.i.d. daily throughput), worked out by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from pullplan.analytics import daily_distribution, how_many, when


def test_how_many_by_hand():
    # Each day 0 or 1 item, even odds: in 2 days 0, 1, 2 items with 1/4, 1/2, 1/4.
    f = how_many([0, 1], 2)
    assert f.items.tolist() == [0, 1, 2]
    assert f.probabilities.tolist() == [0.25, 0.5, 0.25]
    # P(at least 1) = 0.75, P(at least 2) = 0.25
    assert {r.percent: r.value for r in f.percentiles} == {50: 1, 70: 1, 85: 0, 95: 0}
    assert f.probability_at_least(1) == pytest.approx(0.75)
    assert f.method == "exact" and f.trials is None


def test_how_many_reads_as_a_chance_of_at_least():
    f = how_many([0, 1], 2, start=dt.date(2024, 5, 1))
    assert f.percentiles[0].reading == "50% chance of at least 1 items in 2 days (by 2024-05-02)"
    assert f.reading == "P% chance of at least K items"


def test_how_many_up_to_a_date_counts_both_ends():
    f = how_many([2], start=dt.date(2024, 5, 1), by=dt.date(2024, 5, 10))
    assert f.days == 10 and f.at(95) == 20


def test_constant_throughput_gives_exactly_k_times_days():
    f = how_many([3, 3, 3], 30)
    assert f.items.tolist() == [90] and f.probabilities.tolist() == [1.0]
    assert [r.value for r in f.percentiles] == [90, 90, 90, 90]


def test_how_many_matches_a_long_convolution():
    rng = np.random.default_rng(5)
    history = rng.poisson(2.5, 180)
    f = how_many(history, 40)
    values, pmf = daily_distribution(history)
    expect = np.ones(1)
    for _ in range(40):
        expect = np.convolve(expect, pmf)
    lo = 40 * values[0]
    assert f.probabilities.sum() == pytest.approx(1.0, abs=1e-12)
    got = np.zeros(expect.size)
    got[f.items - lo] = f.probabilities
    assert np.abs(got - expect).max() < 1e-13


def test_long_horizons_stay_accurate():
    history = np.random.default_rng(2).poisson(4.0, 90)
    f = how_many(history, 2000)  # large enough to convolve by FFT
    mean = history.mean() * 2000
    assert float((f.items * f.probabilities).sum()) == pytest.approx(mean, rel=1e-9)
    assert f.probabilities.min() >= 0


def test_when_by_hand():
    # One item, a 1-in-2 chance each day: P(done within d days) = 1 - 2**-d.
    f = when([0, 1], 1)
    assert f.cdf[:5].tolist() == pytest.approx([0.5, 0.75, 0.875, 0.9375, 0.96875])
    assert {r.percent: r.value for r in f.percentiles} == {50: 1, 70: 2, 85: 3, 95: 5}


def test_when_with_a_history_of_no_zero_days():
    # 1 or 2 a day; 3 items: never on day 1, on day 2 unless both days gave 1, always by day 3.
    f = when([1, 2], 3)
    assert f.cdf.tolist() == pytest.approx([0.0, 0.75, 1.0])


def test_when_reads_as_a_chance_of_done_by_a_date():
    f = when([0, 1], 1, start=dt.date(2024, 5, 1), target=dt.date(2024, 5, 3))
    r85 = f.percentiles[2]
    assert (r85.value, r85.date) == (3, dt.date(2024, 5, 3))
    assert r85.reading == "85% chance of done within 3 days (by 2024-05-03)"
    assert f.target_probability == pytest.approx(0.875)
    assert f.probability_by(dt.date(2024, 4, 30)) == 0.0
    assert f.probability_by(2) == pytest.approx(0.75)


def test_constant_throughput_when():
    f = when([4], 10)
    assert [r.value for r in f.percentiles] == [3, 3, 3, 3]
    assert f.cdf.tolist() == [0.0, 0.0, 1.0]


def test_when_beyond_the_horizon_says_so():
    f = when([0] * 99 + [1], 5, max_days=30)
    assert f.percentiles[0].value is None
    assert f.percentiles[0].reading == "less than 50% chance of done within 30 days"


def test_when_is_the_dual_of_how_many():
    history = np.random.default_rng(8).poisson(2.5, 180)
    w = when(history, 60)
    for d in (15, 24, 30):
        assert w.probability_by(d) == pytest.approx(how_many(history, d).probability_at_least(60), abs=1e-12)


@pytest.mark.parametrize(
    ("history", "message"),
    [([], "^history: needs"), ([1, -1], "^history: .*negative"), ([0.5], "^history: .*whole")],
)
def test_bad_histories_are_named(history, message):
    with pytest.raises(ValueError, match=message):
        how_many(history, 10)


def test_no_throughput_means_no_when():
    with pytest.raises(ValueError, match="^history: no item"):
        when([0, 0, 0], 5)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="^days:"):
        how_many([1], -1)
    with pytest.raises(ValueError, match="^items:"):
        when([1], 0)
    with pytest.raises(ValueError, match="^method:"):
        how_many([1], 3, method="guess")
    with pytest.raises(ValueError, match="^start:"):
        how_many([1], by=dt.date(2024, 1, 1))
