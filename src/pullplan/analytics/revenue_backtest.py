"""Back-tests of the revenue forecast: does "85% chance of at least X won" come true 85% of
the time?

:func:`revenue_backtest` replays a sales board's history. At past dates (every `step` days,
from the first date with `min_history` days of history behind it to the last date whose
`horizon_days` have fully happened) it takes the log as it stood at the start of that date
(:func:`log_as_of`: nothing that happened on or after it), learns the win/time model and
the arrival rate from it (:func:`~pullplan.analytics.revenue.learn_model`), forecasts the
revenue won in the next `horizon_days` days from the deals open then, with their ages in
their stages on that date, and new deals
(:func:`~pullplan.analytics.revenue.forecast_revenue`, seeded per date so a replay is
reproducible), and checks what happened: the values of the deals finished (won) in those
days, whether open then or arrived since. The P% forecast "at least X won" came true when
at least X was won.

The time base: the date is day 0 of the horizon, as today is for a forecast; the deals'
stays, the arrival rate and the ages all end the day before it. What the log does not
date is taken as it is now: a deal's value (values have no history), and a deal won,
reopened and won again counts on its last win.

A date before which no deal had been won or lost is skipped (no model can be learned).
Dates a few days apart share most of their horizon, so their hits are not independent:
read a hit rate over 18 dates as a few months' evidence, not 18 trials.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from pullplan.analytics.backtest import Calibration
from pullplan.analytics.flowlog import NEVER, FlowLog, to_day
from pullplan.analytics.percentiles import PERCENTILES
from pullplan.analytics.revenue import DEFAULT_MIN_SAMPLES, forecast_revenue, learn_model, open_deals


@dataclass(frozen=True)
class RevenueBacktestResult:
    horizon_days: int
    window_days: int
    step: int
    trials: int
    dates: np.ndarray  # day numbers of the forecast dates used
    actual: np.ndarray  # revenue won in the horizon from each date
    forecast: dict[int, np.ndarray]  # per percent, the "at least X" of each date
    mean: np.ndarray  # the forecast's mean at each date
    weighted_pipeline: np.ndarray  # the weighted pipeline at each date
    calibration: tuple[Calibration, ...]
    skipped: int  # dates with no won or lost deal before them


def log_as_of(log: FlowLog, day: int) -> tuple[FlowLog, np.ndarray]:
    """The log as it stood at the start of `day` (its entries of earlier days), and for each
    of its items the index of that item in `log`."""
    keep = log.day < day
    item = log.item[keep]
    present, new_item = np.unique(item, return_inverse=True)
    before = FlowLog(
        item_ids=log.item_ids[present],
        item=new_item.astype(np.int64),
        at=log.at[keep],
        day=log.day[keep],
        kind=log.kind[keep],
        stage=log.stage[keep],
        stage_ids=log.stage_ids,
        stage_kinds=log.stage_kinds,
        breaches=tuple(b for b in log.breaches if b.day < day),
    )
    return before, present


def revenue_backtest(
    log: FlowLog,
    values: Sequence[float] | np.ndarray,
    *,
    horizon_days: int = 30,
    window_days: int = 90,
    step: int = 7,
    min_history: int = 28,
    end=None,
    trials: int = 2_000,
    seed: int = 0,
    ps: Iterable[int] = PERCENTILES,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> RevenueBacktestResult:
    """Replay the history up to `end` (a day; default the log's last day, taken as the last
    day whose outcome is known). `values` are the items' values aligned with
    ``log.item_ids`` (NaN: not a deal)."""
    for name, value in (
        ("horizon_days", horizon_days),
        ("window_days", window_days),
        ("step", step),
        ("trials", trials),
    ):
        if value < 1:
            raise ValueError(f"{name}: must be at least 1.")
    values = np.asarray(values, dtype=float)
    if values.shape != (log.n_items,):
        raise ValueError(f"values: {values.size} values for {log.n_items} items.")
    ps = tuple(ps)
    deal = ~np.isnan(values)
    f = log.facts
    won_day = np.where(deal & f.done, f.done_day, NEVER)
    dates: list[int] = []
    actual: list[float] = []
    means: list[float] = []
    weighted: list[float] = []
    forecast: dict[int, list[float]] = {p: [] for p in ps}
    skipped = 0
    if log.first_day is not None:
        first = int(log.first_day)
        last = to_day(end) if end is not None else int(log.last_day)
        for n, d in enumerate(range(first + min_history, last - horizon_days + 2, step)):
            before, index = log_as_of(log, d)
            vals = values[index]
            bf = before.facts
            decided = ~np.isnan(vals) & (bf.departed_day != NEVER)
            if not decided.any():
                skipped += 1
                continue
            model = learn_model(before, vals, today=d, window_days=window_days, min_samples=min_samples)
            fc = forecast_revenue(
                model, open_deals(before, vals, today=d), horizon_days, trials=trials, seed=seed + n, ps=ps
            )
            dates.append(d)
            actual.append(float(values[(won_day >= d) & (won_day < d + horizon_days)].sum()))
            means.append(fc.mean)
            weighted.append(fc.weighted_pipeline)
            for p in fc.percentiles:
                forecast[p.percent].append(p.value)
    got = np.asarray(actual, dtype=float)
    fcs = {p: np.asarray(v, dtype=float) for p, v in forecast.items()}
    # A small tolerance: an amount equal to the forecast, up to rounding, came true.
    calibration = tuple(Calibration(p, int(got.size), int((got >= fcs[p] - 1e-6).sum())) for p in ps)
    return RevenueBacktestResult(
        horizon_days=horizon_days,
        window_days=window_days,
        step=step,
        trials=trials,
        dates=np.asarray(dates, dtype=np.int64),
        actual=got,
        forecast=fcs,
        mean=np.asarray(means, dtype=float),
        weighted_pipeline=np.asarray(weighted, dtype=float),
        calibration=calibration,
        skipped=skipped,
    )
