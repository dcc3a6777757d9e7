"""Will we make our numbers: a Monte Carlo forecast of won revenue by a date (DESIGN §2).

The model, learned from the board's history by :func:`learn_model`:

* **Win probability per stage**: of the deals (items with a value) that reached a stage
  (that stage or any later one, discarded stages apart), the share that were won (are in
  a done stage now) among those won or lost (discarded). Deals still open don't count.
* **Time to close per stage**: the days from the day a won deal first reached the stage to
  the day it was done, one sample per won deal.
* **New deals** arrive at the historical weekly rate (Poisson, the mean number of deals per
  week over the history window), on a uniformly drawn day of the horizon, with a value
  drawn from the historical deal values, and go through the win/time model of the board's
  first stage.

A stage with fewer than `min_samples` won-or-lost deals borrows the pooled figures of all
deals (their win rate, and their days from arrival to done).

Each trial of :func:`forecast_revenue` decides, for every open deal, whether it is won
(Bernoulli with its stage's win probability) and, if so, how many days from today it takes
(drawn from its stage's history); it counts the deal's value when that is within the
horizon (day 0 is today, the `by` date included). Time to close is counted from today and
is not conditioned on how long the deal has already been in its stage.

Readings (nearest rank, from the top, like the *how many* forecast): "P% chance of at
least X won by DATE", X being the largest amount with P(won revenue >= X) >= P%.

**Deals that move the result most** are ranked by their expected contribution, exactly
computed: P(won by the date) x value = win probability x P(time to close within the
horizon) x value. It is additive (the contributions plus the new deals' expected revenue
are the forecast's mean) and does not need a simulation per deal.

The **weighted pipeline** (sum of value x stage win probability) is shown beside it: it
ignores timing (deals that will not close by the date) and new deals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from pullplan.analytics.flowlog import COMMITTED, DISCARDED, NEVER, OPTION, FlowLog
from pullplan.analytics.montecarlo import DEFAULT_TRIALS
from pullplan.analytics.percentiles import PERCENTILES, percentiles

DEFAULT_MIN_SAMPLES = 5
_CHUNK = 1 << 22  # trial x deal cells drawn at once


@dataclass(frozen=True)
class StageModel:
    """What history says about deals that reached one stage."""

    stage_id: int
    win_probability: float
    won: int  # deals that reached it and were won
    lost: int  # deals that reached it and were lost (discarded)
    days_to_close: np.ndarray  # per won deal: days from reaching the stage to done
    pooled: bool = False  # too few deals: the figures are the board's pooled ones


@dataclass(frozen=True)
class RevenueModel:
    """The win/time model of a board's deals, and how new deals arrive."""

    stages: dict[int, StageModel]  # by stage id: the open (option and committed) stages
    first_stage_id: int | None  # where new deals enter
    weekly_rate: float  # new deals per week
    values: np.ndarray  # historical deal values, to draw new deals' values from
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpenDeal:
    item_id: int
    stage_id: int
    value: float


@dataclass(frozen=True)
class DealContribution:
    item_id: int
    stage_id: int
    value: float
    win_probability: float  # its stage's
    p_won_by: float  # P(won by the date)
    expected: float  # p_won_by x value


@dataclass(frozen=True)
class RevenuePercentile:
    percent: int
    value: float
    reading: str


@dataclass(frozen=True)
class RevenueForecast:
    horizon_days: int  # today through the `by` date
    target: float | None
    target_probability: float | None  # P(won revenue >= target by the date)
    trials: int
    seed: int
    percentiles: tuple[RevenuePercentile, ...]
    mean: float
    weighted_pipeline: float
    expected_open_by_date: float  # sum of the open deals' contributions
    expected_new: float  # expected revenue won from new deals by the date
    comparison: str
    deals: tuple[DealContribution, ...]  # largest contribution first
    totals: np.ndarray = field(repr=False)  # won revenue per trial
    reading: str = "P% chance of at least X won by the date"

    def probability_at_least(self, amount: float) -> float:
        return float(np.mean(self.totals >= amount))

    def at(self, percent: int) -> float:
        for p in self.percentiles:
            if p.percent == percent:
                return p.value
        raise KeyError(f"percentile {percent} was not computed.")


# --------------------------------------------------------------------------- learning


def reach_days(log: FlowLog) -> np.ndarray:
    """Per item and stage (n_items x n_stages), the first day the item was in that stage or
    any later non-discarded one; :data:`NEVER` if it never was. Discarded columns: NEVER."""
    n, s = log.n_items, log.stage_ids.size
    first = np.full((n, s), NEVER, dtype=np.int64)
    m = log.moves
    if m.size:
        np.minimum.at(first, (log.item[m], log.stage[m]), log.day[m])
    first[:, log.stage_kinds == DISCARDED] = NEVER
    # A reverse running minimum over the board order: reaching a later stage reaches this one.
    return np.minimum.accumulate(first[:, ::-1], axis=1)[:, ::-1] if s else first


def learn_model(
    log: FlowLog,
    values: Sequence[float] | np.ndarray,
    *,
    today: int,
    window_days: int = 90,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> RevenueModel:
    """Learn the win/time model from the log. `values` are the items' values aligned with
    ``log.item_ids`` (NaN: not a deal); `today` is a day number: the arrival rate counts the
    deals that arrived in the `window_days` days before it."""
    values = np.asarray(values, dtype=float)
    if values.shape != (log.n_items,):
        raise ValueError(f"values: {values.size} values for {log.n_items} items.")
    if window_days < 1:
        raise ValueError("window_days: must be at least 1.")
    deal = ~np.isnan(values)
    f = log.facts
    won = deal & f.done
    lost = deal & ~f.done & (f.departed_day != NEVER)
    reach = reach_days(log)
    notes: list[str] = []

    pooled_won, pooled_lost = int(won.sum()), int(lost.sum())
    pooled_p = pooled_won / (pooled_won + pooled_lost) if pooled_won + pooled_lost else 0.0
    pooled_days = (f.done_day[won] - f.arrived_day[won]).astype(np.int64)
    if pooled_won + pooled_lost == 0:
        notes.append("No deal has been won or lost yet: win probabilities are unknown and taken as 0.")

    open_kinds = (OPTION, COMMITTED)
    stages: dict[int, StageModel] = {}
    for j, sid in enumerate(log.stage_ids.tolist()):
        if log.stage_kinds[j] not in open_kinds:
            continue
        reached = reach[:, j] != NEVER
        w, lo = won & reached, lost & reached
        nw, nl = int(w.sum()), int(lo.sum())
        if nw + nl < max(min_samples, 1):
            stages[sid] = StageModel(sid, pooled_p, nw, nl, pooled_days, pooled=True)
            continue
        days = (f.done_day[w] - reach[w, j]).astype(np.int64)
        stages[sid] = StageModel(sid, nw / (nw + nl), nw, nl, days)
    if any(s.pooled for s in stages.values()) and pooled_won + pooled_lost:
        notes.append(
            f"Stages with fewer than {min_samples} won or lost deals use the board's pooled figures."
        )

    first_stage = next(iter(stages), None)
    arrived = f.arrived_day[deal]
    recent = (arrived >= today - window_days) & (arrived < today)
    weekly = float(recent.sum()) * 7.0 / window_days
    return RevenueModel(
        stages=stages,
        first_stage_id=first_stage,
        weekly_rate=weekly,
        values=values[deal],
        notes=tuple(notes),
    )


def open_deals(log: FlowLog, values: Sequence[float] | np.ndarray) -> list[OpenDeal]:
    """The deals in an option or committed stage now, with their value."""
    values = np.asarray(values, dtype=float)
    stage = log.facts.stage
    inside = stage >= 0
    inside[inside] = np.isin(log.stage_kinds[stage[inside]], (OPTION, COMMITTED))
    idx = np.flatnonzero(inside & ~np.isnan(values))
    return [OpenDeal(int(log.item_ids[i]), int(log.stage_ids[stage[i]]), float(values[i])) for i in idx]


# --------------------------------------------------------------------------- forecast


def forecast_revenue(
    model: RevenueModel,
    deals: Iterable[OpenDeal],
    horizon_days: int,
    *,
    target: float | None = None,
    trials: int = DEFAULT_TRIALS,
    seed: int | None = None,
    by_label: str | None = None,
    ps: Iterable[int] = PERCENTILES,
) -> RevenueForecast:
    """Won revenue from today through `horizon_days` days (today is day 0 of 0..horizon-1)."""
    deals = list(deals)
    ps = tuple(ps)
    if horizon_days < 1:
        raise ValueError("horizon_days: must be at least 1 (is the date in the past?).")
    if trials < 1:
        raise ValueError("trials: must be at least 1.")
    for d in deals:
        if d.stage_id not in model.stages:
            raise ValueError(f"deals: stage {d.stage_id} of deal {d.item_id} is not an open stage.")
    seed = int(np.random.SeedSequence().entropy % 2**32) if seed is None else int(seed)
    rng = np.random.default_rng(seed)
    totals = np.zeros(trials)

    # Open deals, stage by stage (each stage has its own days-to-close history).
    by_stage: dict[int, list[OpenDeal]] = {}
    for d in deals:
        by_stage.setdefault(d.stage_id, []).append(d)
    for sid, group in by_stage.items():
        sm = model.stages[sid]
        vals = np.array([d.value for d in group])
        if sm.win_probability <= 0 or sm.days_to_close.size == 0:
            continue
        rows = max(1, _CHUNK // max(vals.size, 1))
        for a in range(0, trials, rows):
            b = min(trials, a + rows)
            win = rng.random((b - a, vals.size)) < sm.win_probability
            days = sm.days_to_close[rng.integers(0, sm.days_to_close.size, size=(b - a, vals.size))]
            totals[a:b] += (win & (days < horizon_days)) @ vals

    # New deals: a Poisson number per trial, drawn all at once as one flat list.
    expected_new = 0.0
    first = model.stages.get(model.first_stage_id) if model.first_stage_id is not None else None
    if model.weekly_rate > 0 and model.values.size and first is not None and first.days_to_close.size:
        counts = rng.poisson(model.weekly_rate * horizon_days / 7.0, size=trials)
        n = int(counts.sum())
        if n:
            trial = np.repeat(np.arange(trials), counts)
            value = model.values[rng.integers(0, model.values.size, size=n)]
            arrive = rng.integers(0, horizon_days, size=n)
            win = rng.random(n) < first.win_probability
            days = first.days_to_close[rng.integers(0, first.days_to_close.size, size=n)]
            won = win & (arrive + days < horizon_days)
            totals += np.bincount(trial[won], weights=value[won], minlength=trials)
        # Exactly: rate x sum over arrival days of P(win) x P(close in the days left) x mean value.
        left = horizon_days - np.arange(horizon_days)
        p_close = np.mean(first.days_to_close[None, :] < left[:, None], axis=1)
        expected_new = (
            model.weekly_rate
            / 7.0
            * first.win_probability
            * float(p_close.sum())
            * float(model.values.mean())
        )

    contributions = []
    for d in deals:
        sm = model.stages[d.stage_id]
        p_time = float(np.mean(sm.days_to_close < horizon_days)) if sm.days_to_close.size else 0.0
        p = sm.win_probability * p_time
        contributions.append(
            DealContribution(d.item_id, d.stage_id, d.value, sm.win_probability, p, p * d.value)
        )
    contributions.sort(key=lambda c: (-c.expected, c.item_id))
    weighted = float(sum(d.value * model.stages[d.stage_id].win_probability for d in deals))
    on_time = float(sum(c.expected for c in contributions))

    when = f" by {by_label}" if by_label else f" in {horizon_days} days"
    # "At least X" is the nearest-rank percentile counted from the top.
    at_least = {p: -v for p, v in percentiles(-totals, ps).items()}
    rows = tuple(
        RevenuePercentile(p, float(at_least[p]), f"{p}% chance of at least {at_least[p]:,.2f} won{when}")
        for p in ps
    )
    mean = float(totals.mean())
    comparison = (
        f"The weighted pipeline ({weighted:,.2f}) counts every open deal at its stage's win rate "
        f"whatever its timing and leaves out new deals: {weighted - on_time:,.2f} of it is not "
        f"expected to close{when}, and new deals add {expected_new:,.2f}, so the forecast expects "
        f"{mean:,.2f}."
    )
    return RevenueForecast(
        horizon_days=horizon_days,
        target=target,
        target_probability=None if target is None else float(np.mean(totals >= target)),
        trials=trials,
        seed=seed,
        percentiles=rows,
        mean=mean,
        weighted_pipeline=weighted,
        expected_open_by_date=on_time,
        expected_new=expected_new,
        comparison=comparison,
        deals=tuple(contributions),
        totals=totals,
    )


def poisson_binomial(probabilities: Sequence[float] | np.ndarray) -> np.ndarray:
    """The exact distribution of the number of successes of independent Bernoulli trials
    with these probabilities (by convolution): pmf over 0..n."""
    pmf = np.ones(1)
    for p in np.asarray(probabilities, dtype=float):
        pmf = np.convolve(pmf, [1.0 - p, p])
    return pmf
