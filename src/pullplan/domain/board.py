"""Boards, stages, lanes, classes of service and capacity allocation (DESIGN §1)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum


class StageKind(StrEnum):
    OPTION = "option"
    COMMITTED = "committed"
    DONE = "done"
    DISCARDED = "discarded"


class WipMode(StrEnum):
    """What happens when a pull would exceed a limit."""

    WARN = "warn"  # the pull happens, the warning stays visible
    REASON = "reason"  # the pull needs a reason, recorded as an override
    BLOCK = "block"  # the pull is refused


class ClassOfService(StrEnum):
    EXPEDITE = "expedite"
    FIXED_DATE = "fixed_date"
    STANDARD = "standard"
    INTANGIBLE = "intangible"


CLASS_LABELS = {
    ClassOfService.EXPEDITE: "Expedite",
    ClassOfService.FIXED_DATE: "Fixed date",
    ClassOfService.STANDARD: "Standard",
    ClassOfService.INTANGIBLE: "Intangible",
}


@dataclass(frozen=True)
class Stage:
    id: int
    name: str
    kind: StageKind
    position: int
    wip_limit: int | None = None
    wip_mode: WipMode = WipMode.BLOCK
    requires_owner: bool = False
    requires_due_date: bool = False
    requires_ready: bool = False
    split: bool = False  # shown as "doing" and "ready to pull"
    policy: str = ""

    @property
    def is_wip(self) -> bool:
        """Option and committed stages hold work in progress; done and discarded do not."""
        return self.kind in (StageKind.OPTION, StageKind.COMMITTED)


@dataclass(frozen=True)
class Lane:
    id: int
    name: str
    position: int
    class_of_service: ClassOfService | None = None
    wip_limit: int | None = None
    wip_mode: WipMode = WipMode.BLOCK


@dataclass(frozen=True)
class CapacityAllocation:
    """A share of the committed WIP reserved for (and capped at) one work type or class.

    `limit_count` is a number of items; `limit_percent` is a share of the board's
    committed capacity (the sum of its committed stages' WIP limits), rounded down but
    never below one item. A percentage on a board with an unlimited committed stage has
    no capacity to be a share of, and is not checked.
    """

    id: int
    work_type_id: int | None = None
    work_type_name: str | None = None
    class_of_service: ClassOfService | None = None
    limit_count: int | None = None
    limit_percent: float | None = None
    wip_mode: WipMode = WipMode.BLOCK

    @property
    def label(self) -> str:
        if self.work_type_name:
            return self.work_type_name
        if self.class_of_service:
            return CLASS_LABELS[self.class_of_service]
        return "all work"

    def matches(self, work_type_id: int | None, class_of_service: ClassOfService) -> bool:
        if self.work_type_id is not None and self.work_type_id != work_type_id:
            return False
        if self.class_of_service is not None and self.class_of_service != class_of_service:
            return False
        return True

    def limit(self, committed_capacity: int | None) -> int | None:
        if self.limit_count is not None:
            return self.limit_count
        if self.limit_percent is None or committed_capacity is None:
            return None
        return max(1, math.floor(committed_capacity * self.limit_percent / 100))


@dataclass(frozen=True)
class Board:
    id: int
    name: str
    stages: tuple[Stage, ...]
    lanes: tuple[Lane, ...] = ()
    allocations: tuple[CapacityAllocation, ...] = ()
    expedite_limit: int | None = 1
    blocked_counts_against_wip: bool = True
    person_wip_limit: int | None = None
    person_wip_mode: WipMode = WipMode.WARN
    _by_id: dict[int, Stage] = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.stages, key=lambda s: (s.position, s.id)))
        object.__setattr__(self, "stages", ordered)
        object.__setattr__(self, "_by_id", {s.id: s for s in ordered})

    def stage(self, stage_id: int) -> Stage | None:
        return self._by_id.get(stage_id)

    def lane(self, lane_id: int | None) -> Lane | None:
        return next((lane for lane in self.lanes if lane.id == lane_id), None)

    @property
    def committed_capacity(self) -> int | None:
        """Sum of the committed stages' WIP limits, or None when one of them is unlimited."""
        limits = [s.wip_limit for s in self.stages if s.kind == StageKind.COMMITTED]
        if not limits or any(limit is None for limit in limits):
            return None
        return sum(limits)

    @property
    def commitment_point(self) -> tuple[Stage | None, Stage | None]:
        """The last option stage and the first committed stage: the line between them."""
        options = [s for s in self.stages if s.kind == StageKind.OPTION]
        committed = [s for s in self.stages if s.kind == StageKind.COMMITTED]
        return (options[-1] if options else None, committed[0] if committed else None)

    def upstream_of(self, stage: Stage) -> Stage | None:
        """The WIP stage just before `stage`, where its pull candidates wait."""
        before = [s for s in self.stages if s.position < stage.position and s.is_wip]
        return before[-1] if before else None
