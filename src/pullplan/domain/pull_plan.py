"""A pull plan's schedule (DESIGN §3, conversation 1): handoffs planned backwards from a
milestone, and whether the plan fits before it.

Durations are in working days. The backward pass gives each handoff its latest start and
finish (the last responsible moment: a handoff with no successor finishes on or before the
milestone's date; one with successors finishes the working day before the earliest of their
latest starts). The forward pass from `start` gives the earliest dates. The plan's slack is
the working days from its earliest finish to the milestone (negative: how many working days
late it is); a handoff's float is the working days between its earliest and latest start.
Finished handoffs take no more time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pullplan.domain.calendar import DAY, WorkCalendar

WORKING_WEEK = WorkCalendar(use_working_days=True)


class PlanCycle(ValueError):
    """The predecessors form a loop: no schedule exists."""


@dataclass(frozen=True)
class Handoff:
    id: int
    duration: int  # working days, at least 1
    predecessors: tuple[int, ...] = ()
    done: bool = False


@dataclass(frozen=True)
class HandoffDates:
    latest_start: dt.date
    latest_finish: dt.date
    earliest_start: dt.date | None  # None: finished already
    earliest_finish: dt.date | None
    float_days: int | None  # working days; negative: it cannot start in time

    @property
    def critical(self) -> bool:
        return self.float_days is not None and self.float_days <= 0


@dataclass(frozen=True)
class PlanSchedule:
    milestone: dt.date
    start: dt.date
    dates: Mapping[int, HandoffDates]
    finish: dt.date | None  # the earliest finish of the whole plan; None: nothing left to do
    slack_days: int  # working days to spare before the milestone; negative: late by that many

    @property
    def fits(self) -> bool:
        return self.slack_days >= 0


def next_working_day(day: dt.date, calendar: WorkCalendar = WORKING_WEEK) -> dt.date:
    """`day` itself when it is a working day, else the next one."""
    for _ in range(366):
        if calendar.is_working_day(day):
            return day
        day += DAY
    return day


def forward(day: dt.date, days: int, calendar: WorkCalendar = WORKING_WEEK) -> dt.date:
    """The working day `days` working days after `day` (a working day)."""
    steps = 0
    while steps < days:
        day += DAY
        if calendar.is_working_day(day):
            steps += 1
    return day


def working_days_after(a: dt.date, b: dt.date, calendar: WorkCalendar = WORKING_WEEK) -> int:
    """Working days in (a, b]; negative, the working days in (b, a], when b is before a."""
    if b >= a:
        return sum(1 for i in range(1, (b - a).days + 1) if calendar.is_working_day(a + i * DAY))
    return -working_days_after(b, a, calendar)


def topological_order(handoffs: Sequence[Handoff]) -> list[Handoff]:
    """Predecessors before successors; raises PlanCycle when there is a loop."""
    by_id = {h.id: h for h in handoffs}
    order: list[Handoff] = []
    state: dict[int, int] = {}  # 1: being visited, 2: placed

    for root in handoffs:
        if state.get(root.id) == 2:
            continue
        stack = [(root, iter(root.predecessors))]
        state[root.id] = 1
        while stack:
            node, pending = stack[-1]
            for pred_id in pending:
                pred = by_id.get(pred_id)
                if pred is None:
                    continue
                if state.get(pred_id) == 1:
                    raise PlanCycle(f"handoff {pred_id} comes after itself")
                if state.get(pred_id) is None:
                    state[pred_id] = 1
                    stack.append((pred, iter(pred.predecessors)))
                    break
            else:
                stack.pop()
                state[node.id] = 2
                order.append(node)
    return order


def schedule(
    handoffs: Sequence[Handoff],
    *,
    milestone: dt.date,
    start: dt.date,
    calendar: WorkCalendar = WORKING_WEEK,
) -> PlanSchedule:
    """The backward and forward passes of a pull plan (see the module's docstring)."""
    order = topological_order(handoffs)
    successors: dict[int, list[int]] = {h.id: [] for h in handoffs}
    for h in handoffs:
        for p in h.predecessors:
            if p in successors:
                successors[p].append(h.id)

    late: dict[int, tuple[dt.date, dt.date]] = {}
    last_day = calendar.on_or_before(milestone)
    for h in reversed(order):
        if successors[h.id]:
            finish = calendar.on_or_before(min(late[s][0] for s in successors[h.id]) - DAY)
        else:
            finish = last_day
        late[h.id] = (calendar.back(finish, max(1, h.duration) - 1), finish)

    early: dict[int, tuple[dt.date, dt.date]] = {}
    first_day = next_working_day(start, calendar)
    for h in order:
        if h.done:
            continue
        begin = first_day
        for p in h.predecessors:
            if p in early:
                begin = max(begin, next_working_day(early[p][1] + DAY, calendar))
        early[h.id] = (begin, forward(begin, max(1, h.duration) - 1, calendar))

    dates = {}
    for h in handoffs:
        ls, lf = late[h.id]
        es, ef = early.get(h.id, (None, None))
        dates[h.id] = HandoffDates(
            latest_start=ls,
            latest_finish=lf,
            earliest_start=es,
            earliest_finish=ef,
            float_days=None if es is None else working_days_after(es, ls, calendar),
        )
    finish = max((ef for _, ef in early.values()), default=None)
    if finish is None:
        slack = working_days_after(min(first_day, last_day), last_day, calendar)
    else:
        slack = working_days_after(finish, last_day, calendar)
    return PlanSchedule(milestone=milestone, start=start, dates=dates, finish=finish, slack_days=slack)
