"""A small board's log whose every metric is worked out by hand in the tests.

Days are counted from D0 = 2024-03-01 (a Friday); `at(d, h)` is day d at hour h, UTC.

| item | story                                                   | commit | done | cycle time |
|------|---------------------------------------------------------|--------|------|------------|
| 1    | Ideas d0, Ready d1, Doing d2, Review d4, Done d5;       | d2     | d5   | 4          |
|      | blocked d0-d1, before it was committed                  |        |      |            |
| 2    | Ready d1 09h, Doing d1 10h, blocked d2 09h-d3 09h,      | d1     | d7   | 7          |
|      | Review d5, Done d7, Shipped d8                          |        |      |            |
| 3    | Ideas d0, Doing d3 (WIP limit overridden), stays        | d3     | -    | age 7 (d9) |
| 4    | Ideas d2, Doing d3 (warned), Review d4, back to Doing   | d3     | -    | -          |
|      | d5, Discarded d6                                        |        |      |            |
| 5    | created in Doing d6 09h, Done d6 12h                    | d6     | d6   | 1          |
| 6    | Ideas d0, never moves                                   | -      | -    | -          |
"""

from __future__ import annotations

import datetime as dt

from pullplan.analytics import FlowLog

IDEAS, READY, DOING, REVIEW, DONE, SHIPPED, DISCARDED = 1, 2, 3, 4, 5, 6, 7
STAGES = [
    (IDEAS, "option", 10),
    (READY, "option", 20),
    (DOING, "committed", 30),
    (REVIEW, "committed", 40),
    (DONE, "done", 50),
    (SHIPPED, "done", 60),
    (DISCARDED, "discarded", 70),
]
D0 = dt.date(2024, 3, 1)
DAY0 = (D0 - dt.date(1970, 1, 1)).days


def at(day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2024, 3, 1, hour, minute) + dt.timedelta(days=day)


def day(d: int) -> dt.date:
    return D0 + dt.timedelta(days=d)


STAGE_WIP = {
    "code": "stage_wip",
    "severity": "reason",
    "message": "Doing has 2 of 2 items (its WIP limit); this pull would make it 3.",
}
STAGE_WIP_WARN = {**STAGE_WIP, "severity": "warn"}

# (item_id, at, kind, to_stage_id, from_stage_id, reason, details)
ROWS = [
    (1, at(0), "created", IDEAS),
    (1, at(0, 10), "blocked", None, None, "waiting for brief"),
    (1, at(1, 8), "unblocked", None),
    (1, at(1), "moved", READY, IDEAS),
    (1, at(2), "moved", DOING, READY),
    (1, at(4), "moved", REVIEW, DOING),
    (1, at(5), "moved", DONE, REVIEW),
    (2, at(1), "created", READY),
    (2, at(1, 10), "moved", DOING, READY),
    (2, at(2), "blocked", None, None, "legal review"),
    (2, at(2, 12), "blocked", None, None, "still legal"),  # already blocked: changes nothing
    (2, at(3), "unblocked", None),
    (2, at(5), "moved", REVIEW, DOING),
    (2, at(7), "moved", DONE, REVIEW),
    (2, at(8), "moved", SHIPPED, DONE),
    (2, at(8, 10), "edited", None),
    (3, at(0), "created", IDEAS),
    (
        3,
        at(3),
        "moved",
        DOING,
        IDEAS,
        "Customer escalation",
        {"outcome": "warn", "override": True, "findings": [STAGE_WIP]},
    ),
    (
        3,
        at(3),
        "override",
        DOING,
        IDEAS,
        "Customer escalation",
        {"outcome": "warn", "override": True, "findings": [STAGE_WIP]},
    ),
    (4, at(2), "created", IDEAS),
    (
        4,
        at(3, 11),
        "moved",
        DOING,
        IDEAS,
        None,
        {"outcome": "warn", "override": False, "findings": [STAGE_WIP_WARN]},
    ),
    (4, at(4), "moved", REVIEW, DOING),
    (4, at(5), "moved", DOING, REVIEW),
    (4, at(6), "moved", DISCARDED, DOING),
    (4, at(7), "archived", None),
    (5, at(6), "created", DOING),
    (5, at(6, 12), "moved", DONE, DOING),
    (6, at(0), "created", IDEAS),
]

# (id, work_type, class_of_service, lane)
ITEMS = [
    (1, "Campaign", "standard", 1),
    (2, "Deal", "expedite", 2),
    (3, "Campaign", "standard", 1),
    (4, "Content", "fixed_date", 1),
    (5, "Deal", "standard", 2),
    (6, "Campaign", "standard", 1),
]


def example_log() -> FlowLog:
    return FlowLog.from_rows(ROWS, STAGES, items=ITEMS)
