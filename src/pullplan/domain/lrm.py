"""The last responsible moment: cycle-time percentiles per type and class, commit-by dates
and LRM statuses (DESIGN §2).

commit_by = due − LT_p(type, class) − buffer, where LT_p is the p-th percentile (nearest
rank) of the cycle times of finished items of the same work type and class of service,
falling back to the board's pooled history when that cell has fewer than `min_samples`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from pullplan.analytics.percentiles import nearest_rank
from pullplan.domain.board import ClassOfService
from pullplan.domain.calendar import DAY, WorkCalendar

MIN_SAMPLES = 20


class LrmStatus(StrEnum):
    OPTION = "option"  # commit-by is beyond the lookahead window
    APPROACHING = "approaching"  # within the window
    DUE = "due"  # commit now: before the next replenishment
    LATE = "late"  # past commit-by: renegotiate date or scope, or expedite
    ON_TRACK = "on_track"  # committed, expected to make it
    AT_RISK = "at_risk"  # committed, older than its SLE or short of time


@dataclass(frozen=True)
class LrmPolicy:
    """Workspace settings: the percentile p per class, the buffer (default one replenishment
    cadence) per class, and the lookahead window."""

    percentile: Mapping[ClassOfService, int] = field(default_factory=lambda: {ClassOfService.FIXED_DATE: 95})
    default_percentile: int = 85
    buffer_days: Mapping[ClassOfService, int] = field(default_factory=dict)
    cadence_days: int = 7
    lookahead_days: int = 42

    def p(self, cos: ClassOfService) -> int:
        return self.percentile.get(cos, self.default_percentile)

    def buffer(self, cos: ClassOfService) -> int:
        return self.buffer_days.get(cos, self.cadence_days)


@dataclass(frozen=True)
class LeadTime:
    days: int  # LT_p
    percentile: int
    samples: int
    pooled: bool  # True: from the board's whole history (the cell had too few samples)


@dataclass(frozen=True)
class CycleTimeModel:
    """Finished items' cycle times (days, +1 convention) per (work type, class of service)."""

    by_cell: Mapping[tuple[str | None, ClassOfService], tuple[int, ...]]
    min_samples: int = MIN_SAMPLES

    @classmethod
    def from_samples(
        cls, samples: Iterable[tuple[str | None, ClassOfService, int]], *, min_samples: int = MIN_SAMPLES
    ) -> CycleTimeModel:
        cells: dict[tuple[str | None, ClassOfService], list[int]] = {}
        for work_type, cos, days in samples:
            cells.setdefault((work_type, ClassOfService(cos)), []).append(int(days))
        return cls({k: tuple(sorted(v)) for k, v in cells.items()}, min_samples)

    @property
    def pooled(self) -> tuple[int, ...]:
        return tuple(sorted(d for days in self.by_cell.values() for d in days))

    def lead_time(self, work_type: str | None, cos: ClassOfService, p: int) -> LeadTime | None:
        """LT_p for the cell, or the board's pooled LT_p when the cell is too small; None
        when the board has finished nothing yet."""
        cell = self.by_cell.get((work_type, cos), ())
        pooled = len(cell) < self.min_samples
        values = self.pooled if pooled else cell
        if not values:
            return None
        return LeadTime(values[nearest_rank(len(values), p) - 1], p, len(values), pooled)

    def board_lead_time(self, p: int) -> LeadTime | None:
        """The p-th percentile cycle time of everything the board has finished."""
        values = self.pooled
        if not values:
            return None
        return LeadTime(values[nearest_rank(len(values), p) - 1], p, len(values), True)

    def sle(self, work_type: str | None, cos: ClassOfService, p: int = 85) -> LeadTime | None:
        """The service level expectation: "p% of these items finish within N days"."""
        return self.lead_time(work_type, cos, p)


@dataclass(frozen=True)
class CommitBy:
    date: dt.date
    due: dt.date
    lead_time: LeadTime
    buffer_days: int

    @property
    def why(self) -> str:
        source = "the board's history" if self.lead_time.pooled else "its type and class"
        return (
            f"due {self.due}, minus {self.lead_time.days} days ({self.lead_time.percentile}th "
            f"percentile cycle time of {source}, {self.lead_time.samples} items), minus a "
            f"{self.buffer_days}-day buffer"
        )


def commit_by(
    due: dt.date,
    lead_time: LeadTime,
    buffer_days: int,
    calendar: WorkCalendar = WorkCalendar(),
) -> CommitBy:
    """due − LT_p − buffer. With working days, LT_p counts working days back from the due
    date, and the result moves back to a working day."""
    date = calendar.back(due, lead_time.days) - buffer_days * DAY
    return CommitBy(calendar.on_or_before(date), due, lead_time, buffer_days)


def option_status(today: dt.date, by: dt.date, policy: LrmPolicy) -> LrmStatus:
    """Where an uncommitted item stands against its commit-by date."""
    left = (by - today).days
    if left < 0:
        return LrmStatus.LATE
    if left < policy.cadence_days:
        return LrmStatus.DUE  # the next replenishment would be too late
    if left <= policy.lookahead_days:
        return LrmStatus.APPROACHING
    return LrmStatus.OPTION


def committed_status(
    today: dt.date,
    committed: dt.date,
    lead_time: LeadTime | None,
    due: dt.date | None,
    calendar: WorkCalendar = WorkCalendar(),
) -> LrmStatus:
    """At risk when older than its SLE (LT_p), or when the time it is expected still to
    need runs past its due date; else on track."""
    if lead_time is None:
        return LrmStatus.ON_TRACK
    age = calendar.days_between(committed, today)
    if age > lead_time.days:
        return LrmStatus.AT_RISK
    if due is not None:
        remaining = lead_time.days - age
        if calendar.days_between(today + DAY, due) < remaining:
            return LrmStatus.AT_RISK
    return LrmStatus.ON_TRACK


def commitment_timing(committed: dt.date, by: dt.date) -> int:
    """Days the item crossed the commitment point before (negative) or after (positive)
    its commit-by date."""
    return (committed - by).days
