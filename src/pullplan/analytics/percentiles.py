"""The one percentile method of pullplan's analytics: nearest rank (numpy's "inverted_cdf").

The p-th percentile of n observations is the smallest observed value x such that at least
p% of the observations are <= x, that is the value of rank ceil(p * n / 100) in ascending
order (numpy: ``np.percentile(values, p, method="inverted_cdf")``, Hyndman & Fan type 1).

Why nearest rank rather than numpy's default linear interpolation: a percentile is then
always a value that happened (a whole number of days, not "11.6 days"), a service level
expectation read from it ("85% of Content items finish within 12 days") is literally true
of the history, and it is the same inverse-CDF reading that the forecasts use on their
distributions ("85% chance of done within D days" is the smallest D with P(T <= D) >= 0.85).

Every metric and chart line that shows a percentile calls :func:`percentiles` (samples) or
:func:`distribution_percentiles` (a discrete distribution); nothing else computes one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

PERCENTILES: tuple[int, ...] = (50, 70, 85, 95)
"""The percentiles shown on scatter, aging and forecast charts."""

PERCENTILE_METHOD = "inverted_cdf"
"""numpy's name for nearest rank; pass it to np.percentile/np.quantile to reproduce ours."""

# Floating-point slack when comparing cumulative probabilities with p / 100.
_EPS = 1e-9


def nearest_rank(n: int, p: float) -> int:
    """The 1-based rank, ceil(p * n / 100), of the p-th percentile among n sorted values."""
    if not 0 < p <= 100:
        raise ValueError(f"percentile: {p!r} is not in (0, 100].")
    if isinstance(p, int | np.integer):
        rank = -(-int(p) * n // 100)  # exact integer ceiling
    else:
        rank = int(np.ceil(p * n / 100 - _EPS))
    return min(max(rank, 1), n)


def percentiles(values: Sequence | np.ndarray, ps: Iterable[float] = PERCENTILES) -> dict:
    """The nearest-rank percentiles of `values`: {p: value}, or {p: None} when there are none.

    Values keep their type (integer days stay integers).
    """
    a = np.asarray(values).ravel()
    ps = tuple(ps)
    if a.size == 0:
        return {p: None for p in ps}
    ranks = [nearest_rank(a.size, p) - 1 for p in ps]
    part = np.partition(a, sorted(set(ranks)))
    return {p: part[r].item() for p, r in zip(ps, ranks, strict=True)}


def percentile(values: Sequence | np.ndarray, p: float):
    """The nearest-rank p-th percentile of `values` (None when there are none)."""
    return percentiles(values, (p,))[p]


def distribution_percentiles(
    support: np.ndarray, probabilities: np.ndarray, ps: Iterable[float] = PERCENTILES
) -> dict:
    """The same percentiles for a discrete distribution: the smallest support value whose
    cumulative probability reaches p / 100 (None when the listed mass never reaches it).

    `support` must be ascending. For the empirical distribution of a sample this gives the
    same answers as :func:`percentiles` on the sample.
    """
    support = np.asarray(support)
    cdf = np.cumsum(np.asarray(probabilities, dtype=float))
    out = {}
    for p in ps:
        i = int(np.searchsorted(cdf, p / 100 - _EPS, side="left"))
        out[p] = support[i].item() if i < support.size else None
    return out
