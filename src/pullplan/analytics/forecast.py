"""Throughput forecasts: *how many* items by a date, *when* will N items be done (DESIGN §2).

The plain model draws each future day's throughput, independently, from the daily
throughput of a chosen history window (zero days included; see
:func:`pullplan.analytics.flow.daily_throughput`). Under that model the answer is a known
distribution, so by default it is computed **exactly**: the history's daily-throughput
distribution convolved with itself once per day. That is faster than sampling and free of
sampling noise. For *when*, P(done within d days) = P(total of d days >= N), computed day
by day while the items not yet done are carried forward.

Monte Carlo (``method="monte_carlo"``, :mod:`pullplan.analytics.montecarlo`) gives the same
answers up to sampling noise; it is the cross-check, and the way to forecast with models
that have no exact answer here (several histories, a per-day rate: :func:`how_many` and
:func:`when` take any sampler).

How to read the percentiles (they are always a reading of a distribution, never a single
date):

* *how many*: "85% chance of at least K items in D days": K is the largest number with
  P(total >= K) >= 85%;
* *when*: "85% chance of done within D days (by <date>)": D is the smallest number of
  days with P(done within D days) >= 85%.

Both are the nearest-rank (inverse-CDF) reading of :mod:`pullplan.analytics.percentiles`.
Day 1 of a forecast is its `start` date (say, tomorrow): a forecast "by" a date counts that
date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from pullplan.analytics.montecarlo import (
    DEFAULT_TRIALS,
    Sampler,
    as_history,
    empirical,
    simulate_finish_days,
    simulate_totals,
)
from pullplan.analytics.percentiles import PERCENTILES, distribution_percentiles, percentiles

EXACT = "exact"
MONTE_CARLO = "monte_carlo"
METHODS = (EXACT, MONTE_CARLO)

DEFAULT_MAX_DAYS = 3653  # ten years: a *when* forecast looks no further
_TAIL = 1e-15  # probability mass below which a distribution's tails are dropped


@dataclass(frozen=True)
class ForecastPercentile:
    percent: int
    value: int | None  # items (how many) or days (when); None: not within the horizon
    date: dt.date | None  # when: the date of that day, if the forecast has a start date
    reading: str


@dataclass(frozen=True)
class HowManyForecast:
    """How many items will be done in `days` days."""

    days: int
    start: dt.date | None
    method: str
    trials: int | None  # Monte Carlo only
    seed: int | None
    items: np.ndarray  # possible totals, ascending
    probabilities: np.ndarray  # P(exactly that many items)
    percentiles: tuple[ForecastPercentile, ...]
    reading: str = "P% chance of at least K items"

    def probability_at_least(self, k: int) -> float:
        """P(at least `k` items done in the forecast's days)."""
        return float(min(1.0, self.probabilities[self.items >= k].sum()))

    def at(self, percent: int) -> int | None:
        return _value(self.percentiles, percent)


@dataclass(frozen=True)
class WhenForecast:
    """When will `items` items be done: P(done within d days) for d = 1, 2, …"""

    items: int
    start: dt.date | None
    method: str
    trials: int | None
    seed: int | None
    days: np.ndarray  # 1..horizon
    cdf: np.ndarray  # P(done within that many days)
    percentiles: tuple[ForecastPercentile, ...]
    target: dt.date | int | None = None
    target_probability: float | None = None  # P(done by the target)
    reading: str = "P% chance of done within D days"

    def probability_by(self, target: dt.date | int) -> float:
        """P(done by `target`): a date (needs a start date) or a number of days."""
        d = _day_number(target, self.start)
        if d < 1:
            return 0.0
        if d > self.days.size:
            return float(self.cdf[-1]) if self.cdf.size else 0.0
        return float(self.cdf[d - 1])

    def at(self, percent: int) -> int | None:
        return _value(self.percentiles, percent)

    def date_of(self, day: int) -> dt.date | None:
        return None if self.start is None else self.start + dt.timedelta(days=day - 1)


# --------------------------------------------------------------------------- how many


def how_many(
    history: Sequence[int] | np.ndarray | None = None,
    days: int | None = None,
    *,
    start: dt.date | None = None,
    by: dt.date | None = None,
    method: str = EXACT,
    sampler: Sampler | None = None,
    trials: int = DEFAULT_TRIALS,
    seed: int | None = None,
    ps: Iterable[int] = PERCENTILES,
) -> HowManyForecast:
    """How many items will be done in `days` days (or from `start` to `by`, both counted).

    `history` is the daily throughput to sample (zero days included). With a `sampler`
    instead (Monte Carlo only), any model of daily throughput.
    """
    days = _horizon(days, start, by)
    ps = tuple(ps)
    method = _method(method, sampler)
    if method == EXACT:
        pmf_offset, pmf = _pmf(as_history(history))
        offset, dist = _sum_distribution(pmf_offset, pmf, days)
        support = np.arange(offset, offset + dist.size)
        probs, used_trials = dist, None
        at_least = _at_least(support, probs, ps)
    else:
        seed = _seed(seed)
        totals = simulate_totals(_sampler(history, sampler), days, trials=trials, seed=seed)
        counts = np.bincount(totals - totals.min())
        support = np.arange(totals.min(), totals.min() + counts.size)
        probs, used_trials = counts / trials, trials
        # "at least K" is the nearest-rank percentile counted from the top.
        at_least = {p: -v for p, v in percentiles(-totals, ps).items()}
    when = f" in {days} days" + (f" (by {start + dt.timedelta(days=days - 1)})" if start and days else "")
    rows = tuple(
        ForecastPercentile(p, at_least[p], None, f"{p}% chance of at least {at_least[p]} items{when}")
        for p in ps
    )
    return HowManyForecast(
        days=days,
        start=start,
        method=method,
        trials=used_trials,
        seed=seed if method == MONTE_CARLO else None,
        items=support,
        probabilities=probs,
        percentiles=rows,
    )


# --------------------------------------------------------------------------- when


def when(
    history: Sequence[int] | np.ndarray | None = None,
    items: int = 1,
    *,
    start: dt.date | None = None,
    target: dt.date | int | None = None,
    method: str = EXACT,
    sampler: Sampler | None = None,
    trials: int = DEFAULT_TRIALS,
    seed: int | None = None,
    max_days: int = DEFAULT_MAX_DAYS,
    ps: Iterable[int] = PERCENTILES,
) -> WhenForecast:
    """When will `items` items be done, sampling `history` (or `sampler`, Monte Carlo).

    `target`, a date (with `start`) or a number of days, adds the probability of being done
    by it. The forecast looks at most `max_days` days ahead; a percentile not reached by
    then is None.
    """
    if items < 1:
        raise ValueError("items: must be at least 1.")
    if max_days < 1:
        raise ValueError("max_days: must be at least 1.")
    ps = tuple(ps)
    method = _method(method, sampler)
    used_trials = None
    if method == EXACT:
        pmf_offset, pmf = _pmf(as_history(history))
        if pmf_offset == 0 and pmf.size == 1:
            raise ValueError("history: no item was done on any day, so no number of days is enough.")
        cdf = _when_cdf(pmf_offset, pmf, items, max_days)
        by_day = distribution_percentiles(np.arange(1, cdf.size + 1), np.diff(cdf, prepend=0.0), ps)
    else:
        seed = _seed(seed)
        draw = _sampler(history, sampler)
        block = _block_hint(history, items, sampler)
        finish = simulate_finish_days(draw, items, trials=trials, seed=seed, max_days=max_days, block=block)
        horizon = int(min(finish.max(), max_days))
        cdf = np.cumsum(np.bincount(finish, minlength=max_days + 2)[1 : horizon + 1]) / trials
        by_day = {p: (v if v <= max_days else None) for p, v in percentiles(finish, ps).items()}
        used_trials = trials
    rows = []
    for p in ps:
        d = by_day[p]
        if d is None:
            text = f"less than {p}% chance of done within {cdf.size} days"
            rows.append(ForecastPercentile(p, None, None, text))
            continue
        date = start + dt.timedelta(days=d - 1) if start else None
        text = f"{p}% chance of done within {d} days" + (f" (by {date})" if date else "")
        rows.append(ForecastPercentile(p, d, date, text))
    forecast = WhenForecast(
        items=items,
        start=start,
        method=method,
        trials=used_trials,
        seed=seed if method == MONTE_CARLO else None,
        days=np.arange(1, cdf.size + 1),
        cdf=cdf,
        percentiles=tuple(rows),
    )
    if target is not None:
        forecast = replace(forecast, target=target, target_probability=forecast.probability_by(target))
    return forecast


# --------------------------------------------------------------------------- exact


def daily_distribution(history: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The empirical distribution of daily throughput: (items, probability)."""
    offset, pmf = _pmf(as_history(history))
    return np.arange(offset, offset + pmf.size), pmf


def _pmf(h: np.ndarray) -> tuple[int, np.ndarray]:
    """The history's daily-throughput distribution, from its smallest value: (offset, pmf)."""
    lo = int(h.min())
    return lo, np.bincount(h - lo) / h.size


def _sum_distribution(offset: int, pmf: np.ndarray, days: int) -> tuple[int, np.ndarray]:
    """The distribution of the total of `days` independent days: (smallest total, pmf)."""
    total_offset, dist = 0, np.ones(1)
    if days == 0:
        return 0, dist
    # Binary powers keep the number of convolutions at about 2 log2(days).
    power_offset, power = offset, pmf
    n = days
    while True:
        if n & 1:
            dist = _trim_convolve(dist, power)
            total_offset += power_offset
            dist, shift = _trim(dist)
            total_offset += shift
        n >>= 1
        if not n:
            break
        power = _trim_convolve(power, power)
        power_offset *= 2
        power, shift = _trim(power)
        power_offset += shift
    return total_offset, dist


def _trim_convolve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.size * b.size > 1 << 16:
        n = a.size + b.size - 1
        size = 1 << (n - 1).bit_length()
        out = np.fft.irfft(np.fft.rfft(a, size) * np.fft.rfft(b, size), size)[:n]
        return np.maximum(out, 0.0)  # FFT rounding leaves values around ±1e-17
    return np.convolve(a, b)


def _trim(dist: np.ndarray) -> tuple[np.ndarray, int]:
    """Drop the tails that hold less than _TAIL of the mass; return (dist, cut from left)."""
    c = np.cumsum(dist)
    lo = int(np.searchsorted(c, _TAIL, side="right"))
    hi = int(np.searchsorted(c, c[-1] - _TAIL, side="left")) + 1
    lo = min(lo, hi - 1)
    return dist[lo:hi], lo


def _when_cdf(offset: int, pmf: np.ndarray, items: int, max_days: int) -> np.ndarray:
    """P(total of d days >= items) for d = 1.. until it is 1 (to 1e-12) or d = max_days.

    `live[j]` is P(items done so far == base + j, and still fewer than `items`); each day
    convolves it with the day's distribution and moves what reaches `items` to done.
    """
    live, base, done = np.ones(1), 0, 0.0
    out = []
    for _ in range(max_days):
        nxt = np.convolve(live, pmf)
        base += offset
        cut = max(items - base, 0)  # nxt[cut:] has reached `items`
        done += float(nxt[cut:].sum())
        live = nxt[:cut]
        out.append(min(done, 1.0))
        if live.size == 0 or 1.0 - done <= 1e-12:
            break
        # Drop the low tail that can no longer matter, to keep each day's work small.
        c = np.cumsum(live)
        lo = int(np.searchsorted(c, _TAIL, side="right"))
        if lo:
            live, base = live[lo:], base + lo
    return np.asarray(out)


def _at_least(support: np.ndarray, probs: np.ndarray, ps: tuple) -> dict:
    """Largest K with P(total >= K) >= p: the inverse-CDF reading from the top."""
    flipped = distribution_percentiles(-support[::-1], probs[::-1], ps)
    return {p: (None if v is None else -v) for p, v in flipped.items()}


# --------------------------------------------------------------------------- helpers


def _horizon(days: int | None, start: dt.date | None, by: dt.date | None) -> int:
    if by is not None:
        if start is None:
            raise ValueError("start: needed to forecast up to a date.")
        n = (by - start).days + 1
        if days is not None and days != n:
            raise ValueError(f"days: {days} disagrees with {start}..{by} ({n} days).")
        days = n
    if days is None:
        raise ValueError("days: give a number of days, or start and by.")
    if days < 0:
        raise ValueError("days: cannot be negative (is the date in the past?).")
    return int(days)


def _method(method: str, sampler: Sampler | None) -> str:
    if method not in METHODS:
        raise ValueError(f"method: {method!r} is not one of {', '.join(METHODS)}.")
    if sampler is not None and method == EXACT:
        raise ValueError("method: a sampler needs method='monte_carlo'.")
    return method


def _sampler(history, sampler: Sampler | None) -> Sampler:
    if sampler is not None:
        return sampler
    if history is None:
        raise ValueError("history: give a throughput history or a sampler.")
    return empirical(history)


def _seed(seed: int | None) -> int:
    return int(np.random.SeedSequence().entropy) if seed is None else int(seed)


def _block_hint(history, items: int, sampler: Sampler | None) -> int:
    """Days to draw at once: a little more than the expected days when that is known."""
    if sampler is not None or history is None:
        return 32
    mean = float(np.mean(as_history(history)))
    if mean <= 0:
        return 32
    return int(np.clip(np.ceil(1.1 * items / mean) + 4, 8, 512))


def _value(rows: tuple[ForecastPercentile, ...], percent: int) -> int | None:
    for r in rows:
        if r.percent == percent:
            return r.value
    raise KeyError(f"percentile {percent} was not computed.")


def _day_number(target: dt.date | int, start: dt.date | None) -> int:
    if isinstance(target, dt.date):
        if start is None:
            raise ValueError("target: a date needs the forecast's start date.")
        return (target - start).days + 1
    return int(target)
