"""Work items, blockers and the transition log's entries (DESIGN §1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from pullplan.domain.board import ClassOfService


class TransitionKind(StrEnum):
    CREATED = "created"
    MOVED = "moved"
    BLOCKED = "blocked"
    UNBLOCKED = "unblocked"
    OVERRIDE = "override"
    EDITED = "edited"
    SPLIT = "split"
    ARCHIVED = "archived"


@dataclass(frozen=True)
class WorkItem:
    id: int
    board_id: int
    stage_id: int
    title: str
    class_of_service: ClassOfService = ClassOfService.STANDARD
    lane_id: int | None = None
    work_type_id: int | None = None
    work_type_name: str | None = None
    owner_id: int | None = None
    owner_name: str | None = None
    due_date: date | None = None
    description: str = ""
    value: Decimal | None = None
    size: int | None = None
    tags: tuple[str, ...] = ()
    external_ref: str | None = None
    parent_id: int | None = None
    ready: bool = False
    blocked: bool = False
    blocked_reason: str | None = None
    created_at: datetime | None = None
    stage_entered_at: datetime | None = None
    committed_at: datetime | None = None
    done_at: datetime | None = None
    archived_at: datetime | None = None

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class WipEntry(NamedTuple):
    """One item as the WIP counts see it, or `count` alike items (same stage, class, lane,
    type, owner and blocked state) counted together, with no `item_id`. A named tuple: every
    pull builds dozens of these, and a tuple is built several times faster than a frozen
    dataclass."""

    item_id: int | None
    stage_id: int
    class_of_service: ClassOfService = ClassOfService.STANDARD
    lane_id: int | None = None
    work_type_id: int | None = None
    owner_id: int | None = None
    blocked: bool = False
    count: int = 1

    @classmethod
    def of(cls, item: WorkItem) -> WipEntry:
        return cls(
            item_id=item.id,
            stage_id=item.stage_id,
            class_of_service=item.class_of_service,
            lane_id=item.lane_id,
            work_type_id=item.work_type_id,
            owner_id=item.owner_id,
            blocked=item.blocked,
        )


@dataclass(frozen=True)
class Transition:
    item_id: int
    at: datetime
    kind: TransitionKind
    from_stage_id: int | None = None
    to_stage_id: int | None = None
    reason: str | None = None
    details: dict = field(default_factory=dict)


def age_days(item: WorkItem, today: date) -> int:
    """Work item age (or cycle time, once done) in calendar days, with the +1 convention:
    from commitment (or arrival, for an option) to done (or today)."""
    start = item.committed_at or item.created_at
    if start is None:
        return 0
    end = item.done_at.date() if item.done_at else today
    return (end - start.date()).days + 1
