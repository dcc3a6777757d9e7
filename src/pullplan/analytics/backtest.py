"""Back-tests of the throughput forecasts: does an 85% forecast come true 85% of the time?

:func:`backtest` replays the board's history. At past dates (every `step` days, from the
first date with `min_history` days of history behind it to the last date whose horizon has
fully happened) it forecasts, from the `window_days` days before that date only (or what
there is of them), and checks what happened:

* *how many* items in the next `days` days (the exact method): the P% forecast "at least
  K items" came true when at least K items were done in those days;
* *when* will `items` items be done: the P% forecast "done within D days" came true when
  the `items`-th item was done within D days. A date whose forecast (or outcome) reaches
  beyond the history's last day is left out.

A date whose window has no finished item is skipped (no forecast can be made from it).
A well-calibrated forecast has a hit rate close to P for each P.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from pullplan.analytics.flow import daily_throughput
from pullplan.analytics.flowlog import FlowLog, to_day
from pullplan.analytics.forecast import how_many, when
from pullplan.analytics.percentiles import PERCENTILES


@dataclass(frozen=True)
class Calibration:
    """How often the P% forecasts came true, per P."""

    percent: int
    forecasts: int
    hits: int

    @property
    def hit_rate(self) -> float | None:
        return self.hits / self.forecasts if self.forecasts else None


@dataclass(frozen=True)
class BacktestResult:
    days: int  # how-many horizon
    items: int  # when: how many items
    window_days: int
    step: int
    dates: np.ndarray  # day numbers of the forecast dates used (how many)
    actual: np.ndarray  # items done in the `days` days from each date
    forecast: dict[int, np.ndarray]  # per percent, the "at least K" of each date
    how_many: tuple[Calibration, ...]
    when: tuple[Calibration, ...]
    skipped: int  # dates with no finished item in their window


def backtest(
    log: FlowLog,
    *,
    days: int = 14,
    items: int = 5,
    window_days: int = 90,
    step: int = 7,
    min_history: int = 28,
    end=None,
    mask: np.ndarray | None = None,
    ps: Iterable[int] = PERCENTILES,
) -> BacktestResult:
    """Replay the history up to `end` (a day; default the log's last day, taken as the last
    day whose outcome is known)."""
    for name, value in (("days", days), ("items", items), ("window_days", window_days), ("step", step)):
        if value < 1:
            raise ValueError(f"{name}: must be at least 1.")
    ps = tuple(ps)
    empty = BacktestResult(
        days,
        items,
        window_days,
        step,
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.int64),
        {p: np.zeros(0, dtype=np.int64) for p in ps},
        tuple(Calibration(p, 0, 0) for p in ps),
        tuple(Calibration(p, 0, 0) for p in ps),
        0,
    )
    if log.first_day is None:
        return empty
    first = int(log.first_day)
    last = to_day(end) if end is not None else int(log.last_day)
    if last < first:
        return empty
    # Items done on each day, first..last, computed once.
    per_day = daily_throughput(log, start=first, end=last, items=mask)
    cum = np.r_[0, np.cumsum(per_day)]

    def done_between(a: int, b: int) -> int:  # days a..b inclusive, as day numbers
        return int(cum[b - first + 1] - cum[a - first])

    used, actual, skipped = [], [], 0
    forecast: dict[int, list[int]] = {p: [] for p in ps}
    when_n = dict.fromkeys(ps, 0)
    when_hit = dict.fromkeys(ps, 0)
    for d in range(first + min_history, last - days + 2, step):
        a = max(first, d - window_days)
        history = per_day[a - first : d - first]
        if history.sum() == 0:
            skipped += 1
            continue
        f = how_many(history, days)
        got = done_between(d, d + days - 1)
        used.append(d)
        actual.append(got)
        for p in f.percentiles:
            forecast[p.percent].append(p.value)
        w = when(history, items, max_days=last - d + 1)
        # The day (1-based from d) the `items`-th item was done, if it was by `last`.
        reached = np.flatnonzero(cum[d - first + 1 : last - first + 2] - cum[d - first] >= items)
        finished = int(reached[0]) + 1 if reached.size else None
        for p in w.percentiles:
            if p.value is None:
                continue  # the forecast itself reaches beyond the history
            if finished is None and d + p.value - 1 <= last:
                when_n[p.percent] += 1  # not done by the forecast day, which has happened
            elif finished is not None:
                when_n[p.percent] += 1
                when_hit[p.percent] += finished <= p.value
    fc = {p: np.asarray(v, dtype=np.int64) for p, v in forecast.items()}
    act = np.asarray(actual, dtype=np.int64)
    return BacktestResult(
        days=days,
        items=items,
        window_days=window_days,
        step=step,
        dates=np.asarray(used, dtype=np.int64),
        actual=act,
        forecast=fc,
        how_many=tuple(Calibration(p, int(act.size), int((act >= fc[p]).sum())) for p in ps),
        when=tuple(Calibration(p, when_n[p], when_hit[p]) for p in ps),
        skipped=skipped,
    )
