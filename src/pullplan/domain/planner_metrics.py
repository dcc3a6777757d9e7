"""PPC, TA, TMR and PCR for a week, per team and per person, and the Pareto of reasons for
variance (DESIGN §3). Pure functions of facts the service reads.

For week W (named by its Monday) and the lag k (default 2 weeks):

- PPC(W) = promises of W completed as promised ÷ promises of W made before W started.
  Promises added later are left out of both. Absent until the week is closed.
- TA(W) = promises of W whose task was in the lookahead snapshot taken at W−k (anticipated
  for any week of that window) ÷ promises of W (added later or not).
- TMR(W) = tasks anticipated for W in the snapshot taken at W−k that were made ready and
  entered W's plan (promised for W without an override) ÷ tasks anticipated for W at W−k.
- PCR(W) = constraints removed by the end of W ÷ constraints open at the start of W with a
  need-by date on or before the end of W. "Open at the start of W": created before W's first
  day and not removed or waived before it. A waived constraint was not removed: when waived
  during W it counts in the denominator only.

A metric whose denominator is empty is absent (None), never 0 or 100; TA and TMR are absent
too when no snapshot was taken at W−k.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from pullplan.domain.planner import ConstraintStatus, Outcome, week_end


@dataclass(frozen=True)
class PromiseFact:
    task: str  # the task's key: "task:<id>" for a pull-plan task, "item:<id>" for a board item
    week: dt.date
    performer: int | None
    team: str
    added_later: bool
    outcome: Outcome | None  # None: the week is not closed yet
    reason: str | None = None
    ready: bool = True  # ready when promised (False: promised with an override)


@dataclass(frozen=True)
class AnticipatedFact:
    """One task of a stored lookahead snapshot."""

    snapshot_week: dt.date  # the week the snapshot was taken in
    task: str
    week: dt.date  # the week the task was anticipated for
    performer: int | None
    team: str


@dataclass(frozen=True)
class ConstraintFact:
    id: int
    created_on: dt.date
    need_by: dt.date | None
    status: ConstraintStatus
    closed_on: dt.date | None  # the day it was removed or waived
    owner: int | None
    team: str


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """The share, or None (absent) when the denominator is empty."""
        return None if self.denominator == 0 else self.numerator / self.denominator

    @property
    def percent(self) -> float | None:
        value = self.value
        return None if value is None else round(100 * value, 1)


@dataclass(frozen=True)
class WeekMetrics:
    week: dt.date
    ppc: Ratio | None
    ta: Ratio | None
    tmr: Ratio | None
    pcr: Ratio | None


def _absent(ratio: Ratio) -> Ratio | None:
    return None if ratio.denominator == 0 else ratio


def ppc(promises: Iterable[PromiseFact], week: dt.date) -> Ratio | None:
    planned = [p for p in promises if p.week == week and not p.added_later]
    if any(p.outcome is None for p in planned):
        return None  # the week is not closed: nothing is known yet
    return _absent(Ratio(sum(1 for p in planned if p.outcome == Outcome.DONE), len(planned)))


def ta(
    promises: Iterable[PromiseFact], anticipated: Iterable[AnticipatedFact], week: dt.date, lag: int
) -> Ratio | None:
    at = week - dt.timedelta(weeks=lag)
    snapshot = [a for a in anticipated if a.snapshot_week == at]
    promised = [p for p in promises if p.week == week]
    if not snapshot or not promised:
        return None
    seen = {a.task for a in snapshot}
    return Ratio(sum(1 for p in promised if p.task in seen), len(promised))


def tmr(
    promises: Iterable[PromiseFact], anticipated: Iterable[AnticipatedFact], week: dt.date, lag: int
) -> Ratio | None:
    at = week - dt.timedelta(weeks=lag)
    expected = {a.task for a in anticipated if a.snapshot_week == at and a.week == week}
    if not expected:
        return None
    made_ready = {p.task for p in promises if p.week == week and p.ready}
    return Ratio(len(expected & made_ready), len(expected))


def pcr(constraints: Iterable[ConstraintFact], week: dt.date) -> Ratio | None:
    end = week_end(week)
    due = [
        c
        for c in constraints
        if c.created_on < week
        and (c.closed_on is None or c.closed_on >= week)
        and c.need_by is not None
        and c.need_by <= end
    ]
    removed = sum(
        1
        for c in due
        if c.status == ConstraintStatus.REMOVED and c.closed_on is not None and c.closed_on <= end
    )
    return _absent(Ratio(removed, len(due)))


def week_metrics(
    week: dt.date,
    *,
    promises: Sequence[PromiseFact],
    anticipated: Sequence[AnticipatedFact],
    constraints: Sequence[ConstraintFact],
    lag: int,
) -> WeekMetrics:
    return WeekMetrics(
        week=week,
        ppc=ppc(promises, week),
        ta=ta(promises, anticipated, week, lag),
        tmr=tmr(promises, anticipated, week, lag),
        pcr=pcr(constraints, week),
    )


def trend(
    weeks: Sequence[dt.date],
    *,
    promises: Sequence[PromiseFact],
    anticipated: Sequence[AnticipatedFact],
    constraints: Sequence[ConstraintFact],
    lag: int,
) -> list[WeekMetrics]:
    """The four metrics for each week, oldest first."""
    return [
        week_metrics(w, promises=promises, anticipated=anticipated, constraints=constraints, lag=lag)
        for w in weeks
    ]


def _group(
    key: Callable[[object], object],
    weeks: Sequence[dt.date],
    promises: Sequence[PromiseFact],
    anticipated: Sequence[AnticipatedFact],
    constraints: Sequence[ConstraintFact],
    constraint_key: Callable[[ConstraintFact], object],
    lag: int,
) -> dict[object, list[WeekMetrics]]:
    groups = (
        {key(p) for p in promises} | {key(a) for a in anticipated} | {constraint_key(c) for c in constraints}
    )
    return {
        g: trend(
            weeks,
            promises=[p for p in promises if key(p) == g],
            anticipated=[a for a in anticipated if key(a) == g],
            constraints=[c for c in constraints if constraint_key(c) == g],
            lag=lag,
        )
        for g in sorted(groups, key=lambda g: (g is None, str(g)))
    }


def by_person(
    weeks: Sequence[dt.date],
    *,
    promises: Sequence[PromiseFact],
    anticipated: Sequence[AnticipatedFact],
    constraints: Sequence[ConstraintFact],
    lag: int,
) -> dict[int | None, list[WeekMetrics]]:
    """The trend of each performer (a constraint counts for its owner)."""
    return _group(lambda f: f.performer, weeks, promises, anticipated, constraints, lambda c: c.owner, lag)


def by_team(
    weeks: Sequence[dt.date],
    *,
    promises: Sequence[PromiseFact],
    anticipated: Sequence[AnticipatedFact],
    constraints: Sequence[ConstraintFact],
    lag: int,
) -> dict[str, list[WeekMetrics]]:
    """The trend of each team (a constraint counts for its task's team)."""
    return _group(lambda f: f.team, weeks, promises, anticipated, constraints, lambda c: c.team, lag)


@dataclass(frozen=True)
class ParetoBar:
    reason: str
    count: int
    share: float  # of all missed promises with a reason
    cumulative: float


def pareto(promises: Iterable[PromiseFact]) -> list[ParetoBar]:
    """Reasons for variance of missed promises, most frequent first, with cumulative shares."""
    counts = Counter(p.reason for p in promises if p.outcome == Outcome.NOT_DONE and p.reason)
    total = sum(counts.values())
    bars, running = [], 0
    for reason, count in sorted(counts.items(), key=lambda rc: (-rc[1], rc[0])):
        running += count
        bars.append(ParetoBar(reason, count, count / total, running / total))
    return bars
