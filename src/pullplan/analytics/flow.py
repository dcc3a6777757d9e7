"""Flow metrics from the transition log, vectorized with numpy (DESIGN §2).

Conventions, the same in every function:

* Days are calendar days in the workspace's time zone (the log's ``day`` column); a window
  ``start``..``end`` includes both ends and defaults to the log's first and last day.
* **Cycle time** = (done date − commit date) + 1 days; **work item age** = (day − commit
  date) + 1: nothing takes 0 days.
* **WIP** of the system on a day counts every item committed on or before that day and not
  done (or discarded) before it, so an item counts on exactly the days its cycle time
  counts; **WIP per stage** is a snapshot of where items stand at the end of each day.
* **Throughput** of a day is the number of items done that day (their final done date).
* With a working-day calendar (`calendar`, a :class:`~pullplan.domain.calendar.WorkCalendar`
  with ``use_working_days``), cycle time and work item age count the working days from the
  commit date to the done date (or the day), both included, never less than 1 (see
  :mod:`pullplan.analytics.workdays`). WIP, throughput, cumulative flow and Little's law
  stay in calendar days.
* Percentiles are nearest rank (see :mod:`pullplan.analytics.percentiles`).
* Filters: every function takes `items`, a boolean mask over ``log.item_ids`` (from
  :meth:`FlowLog.select`, e.g. ``log.select(work_type=3, class_of_service="standard",
  lane=2)``) or a list of item ids; None means every item.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from pullplan.analytics.flowlog import (
    COMMITTED,
    NEVER,
    Breach,
    FlowLog,
    day_dates,
    to_day,
)
from pullplan.analytics.percentiles import PERCENTILES, percentiles
from pullplan.analytics.workdays import days_between
from pullplan.domain.calendar import WorkCalendar

# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Wip:
    days: np.ndarray  # datetime64[D]
    stage_ids: np.ndarray  # board order
    by_stage: np.ndarray  # (days, stages): items in each stage at the end of each day
    committed: np.ndarray  # (days,): items in progress (committed, not yet done) each day

    @property
    def average(self) -> float:
        return float(self.committed.mean()) if self.committed.size else 0.0


@dataclass(frozen=True)
class Throughput:
    days: np.ndarray  # datetime64[D]
    per_day: np.ndarray  # items done each day, zero days included
    week_starts: np.ndarray  # datetime64[D], Mondays
    per_week: np.ndarray
    days_in_week: np.ndarray  # days of the window in each week (the first and last may be partial)

    @property
    def total(self) -> int:
        return int(self.per_day.sum())

    @property
    def average(self) -> float:
        return float(self.per_day.mean()) if self.per_day.size else 0.0


@dataclass(frozen=True)
class CycleTimes:
    """Items done in the window: the cycle-time scatter and its percentile lines."""

    item_ids: np.ndarray
    commit_days: np.ndarray  # datetime64[D]
    done_days: np.ndarray  # datetime64[D]
    days: np.ndarray  # cycle time of each item, in days
    percentiles: dict

    @property
    def average(self) -> float | None:
        return float(self.days.mean()) if self.days.size else None


@dataclass(frozen=True)
class WorkItemAges:
    """Items in a committed stage at the end of `as_of`, with their age."""

    as_of: np.datetime64
    item_ids: np.ndarray
    stage_ids: np.ndarray
    commit_days: np.ndarray  # datetime64[D]
    ages: np.ndarray  # days

    @property
    def percentiles(self) -> dict:
        return percentiles(self.ages)


@dataclass(frozen=True)
class AgingWip:
    """The aging WIP chart: each item's age in its stage, and per committed stage the
    percentiles of the age at which finished items left it (the lines items should stay
    under), with the cycle-time percentiles of the same finished items."""

    ages: WorkItemAges
    stage_ids: np.ndarray  # committed stages, board order
    stage_percentiles: dict  # stage id -> {p: age in days, or None}
    cycle_time_percentiles: dict


@dataclass(frozen=True)
class CumulativeFlow:
    """Per stage (cumulative-flow order: board order, discarded stages last), how many
    items had reached that stage or a later one by the end of each day. No line ever goes
    down; the gap between two neighbouring lines is the WIP of the upper one's stage."""

    days: np.ndarray  # datetime64[D]
    stage_ids: np.ndarray
    arrivals: np.ndarray  # (days, stages), cumulative


@dataclass(frozen=True)
class FlowEfficiency:
    """Items done in the window, from commitment to done: time not blocked vs time blocked
    (pullplan measures blocked time; every other moment counts as active)."""

    item_ids: np.ndarray
    active_seconds: np.ndarray
    blocked_seconds: np.ndarray

    @property
    def per_item(self) -> np.ndarray:
        elapsed = self.active_seconds + self.blocked_seconds
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(elapsed > 0, self.active_seconds / np.maximum(elapsed, 1), 1.0)

    @property
    def overall(self) -> float | None:
        elapsed = float(self.active_seconds.sum() + self.blocked_seconds.sum())
        return float(self.active_seconds.sum()) / elapsed if elapsed > 0 else None


@dataclass(frozen=True)
class WipBreaches:
    breaches: tuple[Breach, ...]
    by_code: dict  # finding code -> count
    by_stage: dict  # stage id entered -> count
    by_reason: dict  # reason given for an override -> count

    @property
    def overridden(self) -> int:
        return sum(1 for b in self.breaches if b.overridden)

    @property
    def warned(self) -> int:
        return sum(1 for b in self.breaches if not b.overridden)


@dataclass(frozen=True)
class Assumption:
    statement: str
    holds: bool
    detail: str


LITTLES_LAW = (
    "Little's law: average WIP = average throughput x average cycle time, over a window. "
    "It is a consistency check of the history, never a forecast."
)


@dataclass(frozen=True)
class LittlesLaw:
    start: np.datetime64
    end: np.datetime64
    average_wip: float
    average_throughput: float  # items per day
    average_cycle_time: float | None  # days, items done in the window
    implied_cycle_time: float | None  # average WIP / average throughput
    assumptions: tuple[Assumption, ...]
    statement: str = LITTLES_LAW

    @property
    def relative_difference(self) -> float | None:
        """(implied − measured) / measured average cycle time."""
        if self.implied_cycle_time is None or not self.average_cycle_time:
            return None
        return (self.implied_cycle_time - self.average_cycle_time) / self.average_cycle_time

    @property
    def holds(self) -> bool:
        return all(a.holds for a in self.assumptions)


@dataclass(frozen=True)
class FlowMetrics:
    wip: Wip
    throughput: Throughput
    cycle_times: CycleTimes
    aging: AgingWip
    cumulative_flow: CumulativeFlow
    flow_efficiency: FlowEfficiency
    breaches: WipBreaches
    littles_law: LittlesLaw


# --------------------------------------------------------------------------- metrics


def wip(log: FlowLog, *, start=None, end=None, items=None) -> Wip:
    """Work in progress per day: the system's (committed) and each stage's."""
    a, b = _window(log, start, end)
    n, s = b - a + 1, log.stage_ids.size
    mask = log.item_mask(items)
    m = log.moves
    m = m[mask[log.item[m]]]
    it, d, st = log.item[m], log.day[m], log.stage[m]
    same_next = np.r_[it[1:] == it[:-1], False]
    # An entry is the end-of-day stage from its day until the day of the item's next move.
    until = np.where(same_next, np.r_[d[1:], 0], NEVER)
    by_stage = _interval_counts(d - a, until - a, n, st, s)
    f = log.facts
    c = np.flatnonzero(mask & f.committed)
    committed = _interval_counts(f.commit_day[c] - a, f.departed_day[c] + 1 - a, n, None, 1)[:, 0]
    return Wip(_days(a, b), log.stage_ids, by_stage, committed)


def throughput(log: FlowLog, *, start=None, end=None, items=None) -> Throughput:
    """Items done per day (zero days included) and per calendar week (Monday to Sunday)."""
    a, b = _window(log, start, end)
    n = b - a + 1
    done = _done_in(log, a, b, items)
    per_day = np.bincount(log.facts.done_day[done] - a, minlength=n).astype(np.int64)
    days = np.arange(a, b + 1, dtype=np.int64)
    monday = a - (a + 3) % 7  # 1970-01-01 was a Thursday
    week = (days - monday) // 7
    per_week = np.bincount(week, weights=per_day, minlength=week[-1] + 1 if n else 0).astype(np.int64)
    in_week = np.bincount(week, minlength=per_week.size).astype(np.int64)
    week_starts = day_dates(monday + 7 * np.arange(per_week.size))
    return Throughput(day_dates(days), per_day, week_starts, per_week, in_week)


def daily_throughput(log: FlowLog, *, start=None, end=None, items=None) -> np.ndarray:
    """The throughput history a forecast samples: items done on each day of the window."""
    return throughput(log, start=start, end=end, items=items).per_day


def cycle_times(
    log: FlowLog, *, start=None, end=None, items=None, ps=PERCENTILES, calendar: WorkCalendar | None = None
) -> CycleTimes:
    """Cycle time of every item done in the window (by its done date), in calendar days or
    in the working days of `calendar`."""
    a, b = _window(log, start, end)
    f = log.facts
    done = _done_in(log, a, b, items)
    ct = days_between(f.commit_day[done], f.done_day[done], calendar)
    return CycleTimes(
        item_ids=log.item_ids[done],
        commit_days=day_dates(f.commit_day[done]),
        done_days=day_dates(f.done_day[done]),
        days=ct,
        percentiles=percentiles(ct, ps),
    )


def work_item_age(
    log: FlowLog, *, as_of=None, items=None, calendar: WorkCalendar | None = None
) -> WorkItemAges:
    """Age of every item in a committed stage at the end of `as_of` (default: the last day),
    in calendar days or in the working days of `calendar`."""
    day = to_day(as_of)
    if day is None:
        day = log.last_day if log.last_day is not None else 0
    stage = log.stage_on(day)
    inside = (stage >= 0) & log.item_mask(items)
    inside[inside] = log.stage_kinds[stage[inside]] == COMMITTED
    idx = np.flatnonzero(inside & log.facts.committed)
    commit = log.facts.commit_day[idx]
    return WorkItemAges(
        as_of=np.datetime64(day, "D"),
        item_ids=log.item_ids[idx],
        stage_ids=log.stage_ids[stage[idx]],
        commit_days=day_dates(commit),
        ages=days_between(commit, np.full(commit.shape, day, dtype=np.int64), calendar),
    )


def aging_wip(
    log: FlowLog,
    *,
    start=None,
    as_of=None,
    items=None,
    ps=PERCENTILES,
    calendar: WorkCalendar | None = None,
) -> AgingWip:
    """Work item ages as of `as_of`, with percentile lines learnt from the items done
    between `start` and `as_of`."""
    a, b = _window(log, start, as_of)
    ages = work_item_age(log, as_of=b, items=items, calendar=calendar)
    f = log.facts
    done = _done_in(log, a, b, items)
    committed_stages = np.flatnonzero(log.stage_kinds == COMMITTED)
    lines = {}
    for s in committed_stages:
        # The age at which an item got past stage s: when it first reached a later stage.
        left = log.first_reach(int(log.cfd_rank[s]) + 1)[done]
        reached = left != NEVER
        age = np.maximum(days_between(f.commit_day[done][reached], left[reached], calendar), 1)
        lines[int(log.stage_ids[s])] = percentiles(age, ps)
    ct = days_between(f.commit_day[done], f.done_day[done], calendar)
    return AgingWip(ages, log.stage_ids[committed_stages], lines, percentiles(ct, ps))


def cumulative_flow(log: FlowLog, *, start=None, end=None, items=None) -> CumulativeFlow:
    """Cumulative arrivals per stage, each item counted on the first day it reached the
    stage or any later one (so moving back never takes a line down)."""
    a, b = _window(log, start, end)
    n, s = b - a + 1, log.stage_ids.size
    it, day, lo, hi = log.records
    sel = log.item_mask(items)[it] & (day <= b)
    row = np.maximum(day[sel] - a, 0)  # what happened before the window is its first day
    cells = (n + 1) * (s + 1)
    diff = np.bincount(row * (s + 1) + lo[sel], minlength=cells) - np.bincount(
        row * (s + 1) + hi[sel] + 1, minlength=cells
    )
    arrivals = diff.reshape(n + 1, s + 1)[:n, :s].cumsum(axis=1).cumsum(axis=0)
    order = np.argsort(log.cfd_rank)
    return CumulativeFlow(_days(a, b), log.stage_ids[order], arrivals)


def flow_efficiency(log: FlowLog, *, start=None, end=None, items=None) -> FlowEfficiency:
    """Active and blocked time of the items done in the window, from commit to done."""
    a, b = _window(log, start, end)
    f = log.facts
    done = _done_in(log, a, b, items)
    it, s, e = log.blocked_intervals
    keep = np.zeros(log.n_items, dtype=bool)
    keep[done] = True
    sel = keep[it]
    it, s, e = it[sel], s[sel], e[sel]
    dur = np.maximum(np.minimum(e, f.done_t[it]) - np.maximum(s, f.commit_t[it]), 0)
    blocked = np.bincount(it, weights=dur, minlength=log.n_items)[done].astype(np.int64)
    elapsed = f.done_t[done] - f.commit_t[done]
    return FlowEfficiency(log.item_ids[done], elapsed - blocked, blocked)


def wip_breaches(log: FlowLog, *, start=None, end=None, items=None) -> WipBreaches:
    """The pulls past a WIP limit in the window, with their findings and reasons."""
    a, b = _window(log, start, end)
    allowed = set(log.item_ids[log.item_mask(items)].tolist()) if items is not None else None
    chosen = tuple(x for x in log.breaches if a <= x.day <= b and (allowed is None or x.item_id in allowed))
    by_code: Counter = Counter()
    for x in chosen:
        by_code.update({f.code for f in x.findings})
    by_stage = Counter(x.to_stage_id for x in chosen)
    by_reason = Counter((x.reason or "").strip() or "(no reason)" for x in chosen if x.overridden)
    return WipBreaches(
        chosen, dict(by_code.most_common()), dict(by_stage.most_common()), dict(by_reason.most_common())
    )


def littles_law(log: FlowLog, *, start=None, end=None, items=None, tolerance: float = 0.2) -> LittlesLaw:
    """Average WIP / average throughput against the average cycle time, over the window,
    with whether the law's assumptions held there (`tolerance`: how far apart start and
    end WIP, or arrival and departure rates, may be and still count as "about the same")."""
    a, b = _window(log, start, end)
    n = max(b - a + 1, 1)
    w = wip(log, start=a, end=b, items=items)
    done = _done_in(log, a, b, items)
    f = log.facts
    mask = log.item_mask(items)
    ct = f.done_day[done] - f.commit_day[done] + 1
    avg_wip = w.average
    avg_tp = done.size / n
    avg_ct = float(ct.mean()) if ct.size else None
    implied = avg_wip / avg_tp if avg_tp > 0 else None

    committed = mask & f.committed
    arrivals = int((committed & (f.commit_day >= a) & (f.commit_day <= b)).sum())
    discarded = int((committed & (f.departed_day >= a) & (f.departed_day <= b) & (f.done_day == NEVER)).sum())
    spanning = int(
        (
            committed
            & (f.commit_day <= b)
            & (f.departed_day >= a)
            & ((f.commit_day < a) | (f.departed_day > b))
        ).sum()
    )
    wip_start = int(w.committed[0]) if w.committed.size else 0
    wip_end = int(w.committed[-1]) if w.committed.size else 0
    scale = max(avg_wip, 1.0)
    rate_scale = max(arrivals, done.size, 1)
    assumptions = (
        Assumption(
            "Every committed item finishes: none is discarded after commitment.",
            discarded == 0,
            f"{discarded} item(s) discarded after commitment in the window.",
        ),
        Assumption(
            "The system is stable: WIP is about the same at the start and at the end.",
            abs(wip_end - wip_start) <= tolerance * scale,
            f"WIP {wip_start} on the first day, {wip_end} on the last.",
        ),
        Assumption(
            "Arrivals match departures: as many items committed as done.",
            abs(arrivals - done.size) <= tolerance * rate_scale,
            f"{arrivals} committed, {done.size} done.",
        ),
        Assumption(
            "The window holds whole cycle times: every item in progress in it started and "
            "finished inside it (then the law holds exactly with these day conventions).",
            spanning == 0,
            f"{spanning} item(s) in progress at the window's start or still in progress at its end.",
        ),
    )
    return LittlesLaw(
        start=np.datetime64(a, "D"),
        end=np.datetime64(b, "D"),
        average_wip=avg_wip,
        average_throughput=avg_tp,
        average_cycle_time=avg_ct,
        implied_cycle_time=implied,
        assumptions=assumptions,
    )


def flow_metrics(
    log: FlowLog, *, start=None, end=None, items=None, ps=PERCENTILES, calendar: WorkCalendar | None = None
) -> FlowMetrics:
    """Every flow metric of the window at once (work item ages as of its last day); cycle
    times and ages in the working days of `calendar` when it counts working days."""
    a, b = _window(log, start, end)
    mask = log.item_mask(items)
    return FlowMetrics(
        wip=wip(log, start=a, end=b, items=mask),
        throughput=throughput(log, start=a, end=b, items=mask),
        cycle_times=cycle_times(log, start=a, end=b, items=mask, ps=ps, calendar=calendar),
        aging=aging_wip(log, start=a, as_of=b, items=mask, ps=ps, calendar=calendar),
        cumulative_flow=cumulative_flow(log, start=a, end=b, items=mask),
        flow_efficiency=flow_efficiency(log, start=a, end=b, items=mask),
        breaches=wip_breaches(log, start=a, end=b, items=mask),
        littles_law=littles_law(log, start=a, end=b, items=mask),
    )


# --------------------------------------------------------------------------- helpers


def _window(log: FlowLog, start, end) -> tuple[int, int]:
    a, b = to_day(start), to_day(end)
    if a is None:
        a = log.first_day if log.first_day is not None else (b if b is not None else 0)
    if b is None:
        b = log.last_day if log.last_day is not None else a
        b = max(a, b)
    if b < a:
        raise ValueError(f"end: {np.datetime64(b, 'D')} is before the start {np.datetime64(a, 'D')}.")
    return a, b


def _days(a: int, b: int) -> np.ndarray:
    return day_dates(np.arange(a, b + 1, dtype=np.int64))


def _done_in(log: FlowLog, a: int, b: int, items) -> np.ndarray:
    d = log.facts.done_day
    return np.flatnonzero(log.item_mask(items) & (d >= a) & (d <= b))


def _interval_counts(lo: np.ndarray, hi: np.ndarray, n: int, col, width: int) -> np.ndarray:
    """How many of the half-open day intervals [lo, hi) (days from the window's start)
    cover each of the n days, per column `col` (None: one column)."""
    lo = np.clip(lo, 0, n)
    hi = np.clip(hi, 0, n)
    cells = (n + 1) * width
    c = 0 if col is None else col
    diff = np.bincount(lo * width + c, minlength=cells) - np.bincount(hi * width + c, minlength=cells)
    return diff.reshape(n + 1, width)[:n].cumsum(axis=0)
