"""Monte Carlo sampling of future daily throughput: vectorized, seeded, memory-bounded.

A *sampler* draws the throughput of many possible futures at once: called with a
``numpy.random.Generator``, a number of trials and the day offsets to draw (0 is the
forecast's first day), it returns an integer array of shape (trials, days). Samplers for
the plain model (:func:`empirical`), for several histories (:func:`combined`,
:func:`by_day`) and for a per-day rate (:func:`poisson_rate`) are here; any callable of
that shape works (a revenue model will be one).

:func:`simulate_totals` and :func:`simulate_finish_days` run the trials in chunks of at
most :data:`CHUNK_CELLS` draws, so a million trials never hold more than a few tens of
megabytes. The same seed, trials and sampler give the same results: the generator is
``Generator(PCG64(seed))`` and the chunking depends only on the arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Sampler = Callable[[np.random.Generator, int, np.ndarray], np.ndarray]

CHUNK_CELLS = 1 << 22
"""Draws held in memory at once (about 32 MB of int64)."""

DEFAULT_TRIALS = 10_000


def generator(seed: int | None) -> np.random.Generator:
    """The random generator of a forecast: PCG64, seeded for reproducible results."""
    return np.random.Generator(np.random.PCG64(seed))


def as_history(history: Sequence[int] | np.ndarray, name: str = "history") -> np.ndarray:
    """A throughput history checked: a non-empty 1-D array of whole, non-negative counts."""
    h = np.asarray(history)
    if h.ndim != 1 or h.size == 0:
        raise ValueError(f"{name}: needs at least one day of throughput.")
    if h.dtype.kind == "f":
        if not np.all(np.isfinite(h)) or np.any(h != np.round(h)):
            raise ValueError(f"{name}: daily throughput must be whole numbers of items.")
    elif h.dtype.kind not in "iu":
        raise ValueError(f"{name}: daily throughput must be whole numbers of items.")
    h = h.astype(np.int64)
    if (h < 0).any():
        raise ValueError(f"{name}: daily throughput cannot be negative.")
    return h


# --------------------------------------------------------------------------- samplers


def empirical(history: Sequence[int] | np.ndarray) -> Sampler:
    """The plain model: each day's throughput drawn, with replacement, from `history`."""
    h = _compact(as_history(history))

    def draw(rng: np.random.Generator, trials: int, days: np.ndarray) -> np.ndarray:
        return h.take(rng.integers(0, h.size, size=(trials, days.size)))

    return draw


def combined(*samplers: Sampler) -> Sampler:
    """Several independent streams of work done together (say, two teams): their sum."""
    if not samplers:
        raise ValueError("samplers: give at least one.")

    def draw(rng: np.random.Generator, trials: int, days: np.ndarray) -> np.ndarray:
        total = samplers[0](rng, trials, days)
        for s in samplers[1:]:
            total = total + s(rng, trials, days)
        return total

    return draw


def by_day(
    histories: Sequence[Sequence[int] | np.ndarray], pick: Callable[[np.ndarray], np.ndarray]
) -> Sampler:
    """Each day drawn from the history that `pick(day_offsets)` names (an index into
    `histories` per day): e.g. weekdays from one history and weekends from another."""
    hs = [as_history(h, f"histories[{i}]") for i, h in enumerate(histories)]
    if not hs:
        raise ValueError("histories: give at least one.")
    pool = _compact(np.concatenate(hs))
    offsets = np.cumsum([0] + [h.size for h in hs[:-1]])
    sizes = np.asarray([h.size for h in hs])

    def draw(rng: np.random.Generator, trials: int, days: np.ndarray) -> np.ndarray:
        which = np.asarray(pick(days), dtype=np.int64)
        u = rng.random(size=(trials, days.size))
        idx = offsets[which] + (u * sizes[which]).astype(np.int64)
        return pool[idx]

    return draw


def poisson_rate(rate: Callable[[np.ndarray], np.ndarray]) -> Sampler:
    """Each day's throughput is Poisson with mean `rate(day_offsets)` (items per day)."""

    def draw(rng: np.random.Generator, trials: int, days: np.ndarray) -> np.ndarray:
        lam = np.broadcast_to(np.asarray(rate(days), dtype=float), days.shape)
        return rng.poisson(lam, size=(trials, days.size))

    return draw


# --------------------------------------------------------------------------- engine


def simulate_totals(
    sampler: Sampler, days: int, *, trials: int = DEFAULT_TRIALS, seed: int | None = None
) -> np.ndarray:
    """Items done in `days` days, one total per trial."""
    _check_trials(trials)
    if days < 0:
        raise ValueError("days: cannot be negative.")
    rng = generator(seed)
    out = np.zeros(trials, dtype=np.int64)
    if days == 0:
        return out
    offsets = np.arange(days, dtype=np.int64)
    per_chunk = max(1, CHUNK_CELLS // days)
    for lo in range(0, trials, per_chunk):
        hi = min(trials, lo + per_chunk)
        # Memory is bounded per chunk; a very long horizon is also split by days.
        step = max(1, CHUNK_CELLS // (hi - lo))
        for d0 in range(0, days, step):
            out[lo:hi] += sampler(rng, hi - lo, offsets[d0 : d0 + step]).sum(axis=1)
    return out


def simulate_finish_days(
    sampler: Sampler,
    items: int,
    *,
    trials: int = DEFAULT_TRIALS,
    seed: int | None = None,
    max_days: int = 3653,
    block: int = 32,
) -> np.ndarray:
    """The day (1 = the forecast's first day) on which the total first reaches `items`,
    one per trial; ``max_days + 1`` for a trial that has not by `max_days`.

    Days are drawn in blocks of `block` days (a good block is a little more than the
    expected number of days), only for the trials not yet finished.
    """
    _check_trials(trials)
    if items < 1:
        raise ValueError("items: must be at least 1.")
    if max_days < 1:
        raise ValueError("max_days: must be at least 1.")
    block = max(1, min(int(block), max_days))
    rng = generator(seed)
    finish = np.full(trials, max_days + 1, dtype=np.int64)
    per_chunk = max(1, CHUNK_CELLS // block)
    for lo in range(0, trials, per_chunk):
        hi = min(trials, lo + per_chunk)
        active = np.arange(lo, hi)
        total = np.zeros(hi - lo, dtype=np.int64)
        d0 = 0
        while active.size and d0 < max_days:
            width = min(block, max_days - d0)
            cum = np.cumsum(sampler(rng, active.size, np.arange(d0, d0 + width)), axis=1)
            cum += total[:, None]
            hit = cum[:, -1] >= items
            finish[active[hit]] = d0 + 1 + np.argmax(cum[hit] >= items, axis=1)
            active, total = active[~hit], cum[~hit, -1]
            d0 += width
    return finish


def _compact(h: np.ndarray) -> np.ndarray:
    """Daily counts as int32 when they fit: half the memory traffic of int64, and sums
    (which numpy accumulates in int64) come out about twice as fast."""
    return h.astype(np.int32) if h.size and h.max() < 2**31 else h


def _check_trials(trials: int) -> None:
    if trials < 1:
        raise ValueError("trials: must be at least 1.")
