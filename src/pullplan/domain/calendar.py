"""A workspace's calendar: which days are working days (DESIGN §2, working-day option)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class WorkCalendar:
    """`working_days` are ISO weekdays (Monday 1 ... Sunday 7); `holidays` are dates off.
    With `use_working_days` False, every day counts (the default: calendar days)."""

    use_working_days: bool = False
    working_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    def is_working_day(self, day: dt.date) -> bool:
        if not self.use_working_days:
            return True
        return day.isoweekday() in self.working_days and day not in self.holidays

    def days_between(self, start: dt.date, end: dt.date) -> int:
        """Days counted from `start` to `end`, both included (the +1 convention): calendar
        days, or working days. Never less than 1 when end >= start: nothing takes 0 days."""
        if end < start:
            return 0
        if not self.use_working_days:
            return (end - start).days + 1
        return max(1, sum(1 for i in range((end - start).days + 1) if self.is_working_day(start + i * DAY)))

    def back(self, day: dt.date, days: int) -> dt.date:
        """The date `days` counted days before `day` (working days skip days off)."""
        if not self.use_working_days:
            return day - days * DAY
        while not self.is_working_day(day):
            day -= DAY
        steps = 0
        while steps < days:
            day -= DAY
            if self.is_working_day(day):
                steps += 1
        return day

    def on_or_before(self, day: dt.date) -> dt.date:
        """The last working day on or before `day`."""
        for _ in range(366):
            if self.is_working_day(day):
                return day
            day -= DAY
        return day
