"""Will we make our numbers: a Monte Carlo forecast of won revenue by a date (DESIGN §2).

The model, learned from the board's whole history by :func:`learn_model`, follows each
deal (an item with a value) stage by stage, and conditions an open deal on how long it
has already been in its stage: a deal that has sat 60 days in "Proposal" is forecast from
the deals that were still in "Proposal" after 60 days, not from all that reached it.

* **The stay in each stage** (option and committed stages) is a life table: per day since
  a deal reached the stage (that stage or a later one, discarded stages apart), the chance
  that a deal still in it moves on (reaches a later stage: the next open stage, or done,
  which is being won) and the chance that it is lost (discarded) on that day. Deals still
  in the stage count as there until today: they are neither left out (which makes deals
  look faster than they are, and tilts the win rate towards whichever of winning and
  losing comes sooner) nor counted as lost. The chances are **shares of value**, not of deals, because
  the forecast is of revenue: where big deals are slower or lost more often, a count
  would overstate the revenue won.
* **Few deals left**: from the first day of a stay with fewer than `min_samples` deals
  still in the stage, and at least over the last `min_samples` decisions, one constant
  daily chance is pooled for every later day; so a deal older than any seen still gets
  the chances of the oldest ones (none of being won, if they were all lost).
* **A stage with fewer than `min_samples` won-or-lost deals** uses the board's pooled
  figures instead: one life table of all deals from arrival to won or lost, its deals
  conditioned on their days in the stage.
* **Win probability per stage** (shown, and used by the weighted pipeline): the chance
  that a deal that has just reached the stage is won in the end: that it moves on through
  every later stage.
* **New deals** arrive at the historical weekly rate (Poisson: the deals that arrived in
  the `window_days` days before today, or in the days of history there are if fewer, per
  week), on a uniformly drawn day of the horizon, with a value drawn from the historical
  deal values, and go through the stages from the board's first open stage.

For an open deal in stage s for a days, P(won within the next d days) is exact: the
chance of moving on on each day from its day a in s (given it was still there on day a)
convolved with the chance of being won in the days left from the next stage on (computed
stage by stage back from done). Each trial of :func:`forecast_revenue` then decides, for
every open deal independently, whether it is won by the date with that chance, and draws
the new deals; day 0 is today, the `by` date is included.

Readings (nearest rank, from the top, like the *how many* forecast): "P% chance of at
least X won by DATE", X being the largest amount with P(won revenue >= X) >= P%.

**Deals that move the result most** are ranked by their expected contribution, exactly
computed: P(won by the date, given its age in its stage) x value. It is additive (the
contributions plus the new deals' expected revenue are the forecast's mean) and does not
need a simulation per deal.

The **weighted pipeline** (sum of value x stage win probability) is shown beside it: it
ignores timing (deals that will not close by the date, deals that have stalled) and new
deals.

What it does not see: deals are independent of each other (a team at its WIP limits wins
more steadily than that), and tomorrow's pipeline behaves like the history's (a pipeline
that slows down is forecast too optimistically). The back-test
(:mod:`pullplan.analytics.revenue_backtest`) shows how far that goes on a board.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from pullplan.analytics.flowlog import COMMITTED, DISCARDED, DONE, NEVER, OPTION, FlowLog
from pullplan.analytics.montecarlo import DEFAULT_TRIALS
from pullplan.analytics.percentiles import PERCENTILES, percentiles

DEFAULT_MIN_SAMPLES = 5
_CHUNK = 1 << 22  # trial x deal cells drawn at once


@dataclass(frozen=True)
class StageModel:
    """What history says about deals that reached one stage.

    Learned by :func:`learn_model`, a stage holds the life table of the deals' stay in it:
    per day since a deal entered it, `forward_hazard` and `lost_hazard` are the chances
    that a deal still in the stage at the start of that day moves on to `next_stage_id`
    (None: to done, won) or is lost on that day. The last entry of each is the constant
    chance for that day and every later one (the tail, pooled where few deals were left
    to learn from).

    A stage with too few deals (`pooled`), or a model built by hand, has no
    `forward_hazard`: then `won_hazard` and `lost_hazard` are the daily chances of being
    won or lost of a deal still open, wherever it is then, per day since it reached the
    stage (pooled: since it arrived on the board; a deal's days in the stage stand for
    them). A model built by hand without them gets them from `win_probability` and
    `days_to_close`: every deal decided after a time drawn from `days_to_close`, won with
    the same chance whenever it is decided.
    """

    stage_id: int
    win_probability: float  # of a deal that has just reached the stage: won in the end
    won: int  # deals that reached it and were won
    lost: int  # deals that reached it and were lost (discarded)
    days_to_close: np.ndarray  # per won deal: days from reaching the stage to done
    pooled: bool = False  # too few deals: the figures are the board's pooled ones
    won_hazard: np.ndarray | None = field(default=None, repr=False)
    lost_hazard: np.ndarray | None = field(default=None, repr=False)
    forward_hazard: np.ndarray | None = field(default=None, repr=False)
    next_stage_id: int | None = None

    def __post_init__(self) -> None:
        if self.forward_hazard is None and (self.won_hazard is None or self.lost_hazard is None):
            won, lost = _hazards_of(self.win_probability, np.asarray(self.days_to_close, dtype=np.int64))
            object.__setattr__(self, "won_hazard", won)
            object.__setattr__(self, "lost_hazard", lost)

    @property
    def staged(self) -> bool:
        """True when its figures are of the stay in this stage (then deals move on)."""
        return self.forward_hazard is not None


@dataclass(frozen=True)
class RevenueModel:
    """The win/time model of a board's deals, and how new deals arrive."""

    stages: dict[int, StageModel]  # by stage id: the open (option and committed) stages
    first_stage_id: int | None  # where new deals enter
    weekly_rate: float  # new deals per week
    values: np.ndarray  # historical deal values, to draw new deals' values from
    notes: tuple[str, ...] = ()
    _pmfs: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def won_pmf(self, stage_id: int, days: int) -> np.ndarray:
        """For a deal that has just reached the stage, P(won on day t), t = 0..days-1 (day 0
        is the day it reached it)."""
        key = (stage_id, days)
        if key not in self._pmfs:
            sm = self.stages[stage_id]
            if sm.staged:
                leave = _exit_curves(sm.forward_hazard, sm.lost_hazard, np.zeros(1, np.int64), days)[0]
                then = self._next_pmf(sm, days)
                self._pmfs[key] = np.convolve(leave, then)[:days]
            else:
                self._pmfs[key] = _exit_curves(sm.won_hazard, sm.lost_hazard, np.zeros(1, np.int64), days)[0]
        return self._pmfs[key]

    def _next_pmf(self, sm: StageModel, days: int) -> np.ndarray:
        nxt = sm.next_stage_id
        if nxt is None or nxt not in self.stages:  # moving on is being won, that same day
            return np.r_[1.0, np.zeros(days - 1)]
        return self.won_pmf(nxt, days)

    def chance_won_within(self, stage_id: int, age_days, days: int) -> np.ndarray:
        """P(won within the next `days` days | in the stage for `age_days` days now), per
        age (today is the first of the `days` days)."""
        ages = np.maximum(np.atleast_1d(np.asarray(age_days, dtype=np.int64)), 0)
        if days < 1 or not ages.size:
            return np.zeros(ages.size)
        sm = self.stages[stage_id]
        # One row per distinct age (deals of the same age have the same chance).
        ages, deal_age = np.unique(ages, return_inverse=True)
        if not sm.staged:
            chance = _exit_curves(sm.won_hazard, sm.lost_hazard, ages, days).sum(axis=1)
        else:
            leave = _exit_curves(sm.forward_hazard, sm.lost_hazard, ages, days)
            then = np.r_[0.0, np.cumsum(self._next_pmf(sm, days))]  # P(won within k days), k = 0..days
            # Moving on on day k leaves days - k days (that one included) to be won.
            chance = leave @ then[days - np.arange(days)]
        return np.clip(chance, 0.0, 1.0)[deal_age.ravel()]


@dataclass(frozen=True)
class OpenDeal:
    item_id: int
    stage_id: int
    value: float
    age_days: int = 0  # days since it reached its stage (0: today)


@dataclass(frozen=True)
class DealContribution:
    item_id: int
    stage_id: int
    value: float
    win_probability: float  # its stage's
    p_won_by: float  # P(won by the date), given its age in the stage
    expected: float  # p_won_by x value
    age_days: int = 0  # days since it reached its stage


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
    ``log.item_ids`` (NaN: not a deal); `today` is a day number: deals still open have been
    seen open until then, and the arrival rate counts the deals that arrived in the
    `window_days` days before it."""
    values = np.asarray(values, dtype=float)
    if values.shape != (log.n_items,):
        raise ValueError(f"values: {values.size} values for {log.n_items} items.")
    if window_days < 1:
        raise ValueError("window_days: must be at least 1.")
    deal = ~np.isnan(values)
    f = log.facts
    won = deal & f.done
    lost = deal & ~f.done & (f.departed_day != NEVER)
    still_open = deal & ~won & ~lost
    # Per deal, the day it was decided (won or lost), NEVER while open.
    decided_day = np.where(won, f.done_day, np.where(lost, f.departed_day, NEVER))
    reach = reach_days(log)
    notes: list[str] = []

    pooled_won, pooled_lost = int(won.sum()), int(lost.sum())
    pooled_days = (f.done_day[won] - f.arrived_day[won]).astype(np.int64)
    arrived = deal & (f.arrived_day != NEVER)
    pooled_hw, pooled_hl = _learn_hazards(
        f.arrived_day[arrived],
        decided_day[arrived],
        won[arrived],
        still_open[arrived],
        today,
        min_samples,
        values[arrived],
    )
    pooled_p = _eventual_win(pooled_hw, pooled_hl)
    if pooled_won + pooled_lost == 0:
        notes.append("No deal has been won or lost yet: win probabilities are unknown and taken as 0.")

    open_kinds = (OPTION, COMMITTED)
    # The stage a deal moves on to from each open stage: the next open one in board order,
    # unless a done stage comes first (moving on is then being won).
    next_open: dict[int, int | None] = {}
    following: int | None = None
    for j in range(log.stage_ids.size - 1, -1, -1):
        kind = log.stage_kinds[j]
        if kind in open_kinds:
            next_open[j] = following
            following = int(log.stage_ids[j])
        elif kind == DONE:
            following = None
    stages: dict[int, StageModel] = {}
    for j, sid in enumerate(log.stage_ids.tolist()):
        if log.stage_kinds[j] not in open_kinds:
            continue
        reached = deal & (reach[:, j] != NEVER)
        w, lo = won & reached, lost & reached
        nw, nl = int(w.sum()), int(lo.sum())
        if nw + nl < max(min_samples, 1):
            stages[sid] = StageModel(sid, pooled_p, nw, nl, pooled_days, True, pooled_hw, pooled_hl)
            continue
        days = (f.done_day[w] - reach[w, j]).astype(np.int64)
        # The stay in the stage: from reaching it to reaching a later one (moving on),
        # or to being lost there; deals still in it have stayed until today.
        later = reach[:, j + 1] if j + 1 < reach.shape[1] else np.full(log.n_items, NEVER)
        on = reached & (later != NEVER)
        gone = reached & ~on & lost
        stay_end = np.where(on, later, np.where(gone, f.departed_day, NEVER))
        hf, hl = _learn_hazards(
            reach[reached, j],
            stay_end[reached],
            on[reached],
            ~(on | gone)[reached],
            today,
            min_samples,
            values[reached],
        )
        nxt = next_open.get(j)
        stages[sid] = StageModel(sid, 0.0, nw, nl, days, False, None, hl, hf, nxt)
    # A staged stage is won in the end when it moves on and the next stage is won.
    for sid in reversed(list(stages)):
        sm = stages[sid]
        if sm.staged:
            then = 1.0 if sm.next_stage_id is None else stages[sm.next_stage_id].win_probability
            p = _eventual_win(sm.forward_hazard, sm.lost_hazard) * then
            stages[sid] = replace(sm, win_probability=p)
    if any(s.pooled for s in stages.values()) and pooled_won + pooled_lost:
        notes.append(
            f"Stages with fewer than {min_samples} won or lost deals use the board's pooled figures."
        )

    first_stage = next(iter(stages), None)
    came = f.arrived_day[deal]
    recent = (came >= today - window_days) & (came < today)
    # Over the days of the window the board has a history for (a younger board: fewer).
    known = window_days if log.first_day is None else min(window_days, max(today - log.first_day, 1))
    weekly = float(recent.sum()) * 7.0 / known
    return RevenueModel(
        stages=stages,
        first_stage_id=first_stage,
        weekly_rate=weekly,
        values=values[deal],
        notes=tuple(notes),
    )


def _learn_hazards(
    start: np.ndarray,
    decided: np.ndarray,
    won: np.ndarray,
    still_open: np.ndarray,
    today: int,
    min_samples: int,
    weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Daily chances of being won (`won` events) and lost (the other decided ones), per day
    since `start`, of deals still open at the start of that day: a life table. Deals still
    open count as open until `today`, so they are neither left out nor taken for lost.
    With `weight` (the deals' values) the chances are shares of value, not of deals.

    The last entry of each array is one constant chance for every later day: from the
    first day with fewer than `min_samples` deals still open, or earlier so that it is
    learned from at least `min_samples` decisions (from all of them if there are fewer)."""
    start = np.asarray(start, dtype=np.int64)
    open_ = np.asarray(still_open, dtype=bool)
    won = np.asarray(won, dtype=bool) & ~open_
    # The last day each deal was open: the day it was decided, or the day before today.
    end = np.where(open_, today - 1 - start, decided - start)
    seen = end >= 0
    end, open_, won = end[seen], open_[seen], won[seen]
    wt = np.ones(end.size) if weight is None else np.asarray(weight, dtype=float)[seen]
    lost = ~won & ~open_
    span = int(end.max()) + 1 if end.size else 1

    def per_day(days: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(days, weights=w, minlength=span).astype(float)

    def open_on(w: np.ndarray | None = None) -> np.ndarray:
        """Open at the start of day k: all but those whose last open day came before k."""
        total = end.size if w is None else w.sum()
        return total - np.r_[0.0, np.cumsum(per_day(end, w))[:-1]]

    # Value decided and open each day (the chances); deals decided and open (how many to
    # learn from).
    won_on, lost_on, at_risk = per_day(end[won], wt[won]), per_day(end[lost], wt[lost]), open_on(wt)
    k = max(min_samples, 1)
    few = np.flatnonzero(open_on() < k)
    tail = int(few[0]) if few.size else span
    decisions_from = np.cumsum(per_day(end[~open_])[::-1])[::-1]  # decisions on day t or later
    enough = np.flatnonzero(decisions_from >= k)
    tail = min(tail, int(enough[-1]) if enough.size else 0)
    exposure = at_risk[tail:].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        hw = np.where(at_risk[:tail] > 0, won_on[:tail] / at_risk[:tail], 0.0)
        hl = np.where(at_risk[:tail] > 0, lost_on[:tail] / at_risk[:tail], 0.0)
    tw = won_on[tail:].sum() / exposure if exposure > 0 else 0.0
    tl = lost_on[tail:].sum() / exposure if exposure > 0 else 0.0
    return np.r_[hw, tw], np.r_[hl, tl]


def _hazards_of(win_probability: float, days_to_close: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The daily won/lost chances of deals decided after a time drawn from `days_to_close`,
    won with `win_probability` whenever they are decided."""
    days = days_to_close[days_to_close >= 0]
    if not days.size or win_probability <= 0:
        return np.zeros(1), np.zeros(1)
    count = np.bincount(days).astype(float)
    at_risk = count[::-1].cumsum()[::-1]
    h = count / at_risk
    p = float(win_probability)
    return np.r_[p * h, 0.0], np.r_[(1.0 - p) * h, 0.0]


def _exit_curves(hazard: np.ndarray, other: np.ndarray, ages: np.ndarray, days: int) -> np.ndarray:
    """Per age (rows) and day from now (columns, 0..days-1): P(the `hazard` event on that
    day | nothing happened in the first `age` days), the `other` event competing with it.
    The hazards' last entries hold for every later day, so an age past them is the same as
    an age at them."""
    tail = hazard.size - 1
    a = np.minimum(ages, tail)
    t = np.minimum(np.arange(tail + days), tail)
    h, o = hazard[t], other[t]
    open_at = np.r_[1.0, np.cumprod(np.clip(1.0 - h - o, 0.0, 1.0))]  # still open at the start of day t
    event = open_at[:-1] * h
    idx = a[:, None] + np.arange(days)[None, :]
    start = open_at[a][:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(start > 1e-12, event[idx] / np.where(start > 1e-12, start, 1.0), 0.0)


def _eventual_win(won_hazard: np.ndarray, lost_hazard: np.ndarray) -> float:
    """P(won in the end) of a deal that has just reached the stage."""
    w, lo = won_hazard[:-1], lost_hazard[:-1]
    open_at = np.r_[1.0, np.cumprod(1.0 - w - lo)]
    before_tail = float(np.sum(open_at[:-1] * w))
    tw, tl = float(won_hazard[-1]), float(lost_hazard[-1])
    after = open_at[-1] * tw / (tw + tl) if tw + tl > 0 else 0.0
    return min(1.0, before_tail + after)


def open_deals(
    log: FlowLog, values: Sequence[float] | np.ndarray, *, today: int | None = None
) -> list[OpenDeal]:
    """The deals in an option or committed stage now, with their value and their age in the
    stage: `today` (a day number; default the log's last day) minus the day they reached it."""
    values = np.asarray(values, dtype=float)
    stage = log.facts.stage
    inside = stage >= 0
    inside[inside] = np.isin(log.stage_kinds[stage[inside]], (OPTION, COMMITTED))
    idx = np.flatnonzero(inside & ~np.isnan(values))
    if today is None:
        today = log.last_day if log.last_day is not None else 0
    age = np.maximum(today - reach_days(log)[idx, stage[idx]], 0) if idx.size else np.zeros(0, np.int64)
    return [
        OpenDeal(int(log.item_ids[i]), int(log.stage_ids[stage[i]]), float(values[i]), int(a))
        for i, a in zip(idx, age, strict=True)
    ]


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

    # Open deals: each is won by the date with its own chance, given its stage and age.
    chance = np.zeros(len(deals))
    by_stage: dict[int, list[int]] = {}
    for k, d in enumerate(deals):
        by_stage.setdefault(d.stage_id, []).append(k)
    for sid, ks in by_stage.items():
        ages = np.array([deals[k].age_days for k in ks], dtype=np.int64)
        chance[ks] = model.chance_won_within(sid, ages, horizon_days)
    vals = np.array([d.value for d in deals], dtype=float)
    live = chance > 0
    if live.any():
        p_live, v_live = chance[live], vals[live]
        rows = max(1, _CHUNK // p_live.size)
        for a in range(0, trials, rows):
            b = min(trials, a + rows)
            totals[a:b] += (rng.random((b - a, p_live.size)) < p_live) @ v_live

    # New deals: a Poisson number per trial, drawn all at once as one flat list, each
    # arriving on a uniformly drawn day and won in the days left with the first stage's
    # chance for a deal that has just reached it.
    expected_new = 0.0
    first = model.stages.get(model.first_stage_id) if model.first_stage_id is not None else None
    if model.weekly_rate > 0 and model.values.size and first is not None:
        # won_within[k]: P(won within k days of arriving), k = 0..horizon.
        won_within = np.r_[0.0, np.cumsum(model.won_pmf(model.first_stage_id, horizon_days))]
        counts = rng.poisson(model.weekly_rate * horizon_days / 7.0, size=trials)
        n = int(counts.sum())
        if n:
            arrive = rng.integers(0, horizon_days, size=n)
            won = np.flatnonzero(rng.random(n) < won_within[horizon_days - arrive])
            # Values are drawn for the deals won only (they are independent of the rest).
            trial = np.searchsorted(np.cumsum(counts), won, side="right")
            value = model.values[rng.integers(0, model.values.size, size=won.size)]
            totals += np.bincount(trial, weights=value, minlength=trials)
        # Exactly: rate x sum over arrival days of P(won in the days left) x mean value.
        expected_new = model.weekly_rate / 7.0 * float(won_within[1:].sum()) * float(model.values.mean())

    contributions = [
        DealContribution(
            d.item_id,
            d.stage_id,
            d.value,
            model.stages[d.stage_id].win_probability,
            float(p),
            float(p) * d.value,
            d.age_days,
        )
        for d, p in zip(deals, chance, strict=True)
    ]
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
