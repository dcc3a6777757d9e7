"""The one percentile method: nearest rank, numpy's "inverted_cdf"."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pullplan.analytics import (
    PERCENTILE_METHOD,
    PERCENTILES,
    distribution_percentiles,
    percentile,
    percentiles,
)


def test_nearest_rank_by_hand():
    # ranks ceil(p * 20 / 100): 10, 14, 17, 19
    assert percentiles(range(1, 21)) == {50: 10, 70: 14, 85: 17, 95: 19}
    # ranks ceil(p * 3 / 100): 2, 3, 3, 3 of [1, 4, 7]
    assert percentiles([7, 1, 4]) == {50: 4, 70: 7, 85: 7, 95: 7}


def test_a_percentile_is_a_value_that_happened():
    days = [1, 2, 2, 3, 8, 13]
    assert all(v in days for v in percentiles(days).values())
    assert isinstance(percentile(days, 85), int)


def test_no_values_no_percentile():
    assert percentiles([]) == {p: None for p in PERCENTILES}


def test_out_of_range_percentile_is_refused():
    with pytest.raises(ValueError, match="percentile"):
        percentile([1, 2], 0)
    with pytest.raises(ValueError, match="percentile"):
        percentile([1, 2], 101)


@given(
    st.lists(st.integers(0, 500), min_size=1, max_size=300), st.sampled_from([1, 5, 50, 70, 85, 95, 99, 100])
)
def test_same_as_numpy_inverted_cdf(values, p):
    assert percentile(values, p) == np.percentile(values, p, method=PERCENTILE_METHOD)


@given(st.lists(st.integers(0, 40), min_size=1, max_size=300))
def test_distribution_percentiles_read_a_sample_like_percentiles(values):
    a = np.asarray(values)
    probs = np.bincount(a) / a.size
    assert distribution_percentiles(np.arange(probs.size), probs) == percentiles(a)


def test_distribution_short_of_mass_has_no_percentile():
    assert distribution_percentiles(np.arange(3), np.array([0.5, 0.2, 0.1])) == {
        50: 0,
        70: 1,
        85: None,
        95: None,
    }
