"""Day counts in calendar days or in a workspace's working days (DESIGN §2, +1 convention).

A cycle time or an age counts the days from a start day to an end day, both included:
``(end − start) + 1`` calendar days, or, with a working-day calendar, the working days in
that range (never less than 1: nothing takes 0 days), as
:meth:`pullplan.domain.calendar.WorkCalendar.days_between` counts them, vectorized with
``numpy.busday_count``.
"""

from __future__ import annotations

import numpy as np

from pullplan.domain.calendar import WorkCalendar


def counts_working_days(calendar: WorkCalendar | None) -> bool:
    return calendar is not None and calendar.use_working_days


def days_between(start: np.ndarray, end: np.ndarray, calendar: WorkCalendar | None = None) -> np.ndarray:
    """Days from `start` to `end` (day numbers since 1970-01-01), both included, per pair."""
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    if not counts_working_days(calendar):
        return end - start + 1
    weekmask = [d in calendar.working_days for d in range(1, 8)]
    if not any(weekmask):
        raise ValueError("calendar: it has no working day in the week.")
    holidays = np.array(sorted(calendar.holidays), dtype="datetime64[D]")
    n = np.busday_count(
        start.astype("datetime64[D]"), (end + 1).astype("datetime64[D]"), weekmask=weekmask, holidays=holidays
    )
    return np.maximum(n.astype(np.int64), 1)


def unit(calendar: WorkCalendar | None) -> str:
    """What the days are: "working days" or "days"."""
    return "working days" if counts_working_days(calendar) else "days"
