"""Request and response shapes of the REST API (Create / Update / Read families)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pullplan.domain.board import ClassOfService, StageKind, WipMode

Id = Annotated[int, Field(ge=1, le=2_147_483_647)]
Limit = Annotated[int, Field(ge=0, le=100_000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
LongName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=20_000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Money = Annotated[Decimal, Field(ge=0, lt=Decimal("1e12"), max_digits=14, decimal_places=2)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- workspaces and people -------------------------------------------------------------------


class WorkspaceCreate(Strict):
    name: LongName
    time_zone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "UTC"


class WorkspaceRead(Read):
    id: int
    name: str
    time_zone: str
    is_demo: bool
    created_at: datetime


class UserRead(Read):
    id: int
    username: str
    display_name: str


class MemberRead(BaseModel):
    user: UserRead
    role: str


class WorkTypeCreate(Strict):
    name: Name


class WorkTypeRead(Read):
    id: int
    name: str


# --- boards ---------------------------------------------------------------------------------


class StageCreate(Strict):
    name: Name
    kind: StageKind = StageKind.COMMITTED
    wip_limit: Limit | None = None
    wip_mode: WipMode = WipMode.BLOCK
    requires_owner: bool = False
    requires_due_date: bool = False
    requires_ready: bool = False
    split: bool = False
    policy: Text = ""


class StageAdd(StageCreate):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {"name": "Review", "kind": "committed", "wip_limit": 3, "wip_mode": "reason", "position": 1}
            ]
        }
    }
    position: Annotated[int, Field(ge=0, le=1000)] | None = None


class StageUpdate(Strict):
    name: Name | None = None
    wip_limit: Limit | None = None
    wip_mode: WipMode | None = None
    requires_owner: bool | None = None
    requires_due_date: bool | None = None
    requires_ready: bool | None = None
    split: bool | None = None
    policy: Text | None = None


class StageRead(Read):
    id: int
    name: str
    kind: StageKind
    position: int
    wip_limit: int | None
    wip_mode: WipMode
    requires_owner: bool
    requires_due_date: bool
    requires_ready: bool
    split: bool
    policy: str


class LaneCreate(Strict):
    name: Name
    class_of_service: ClassOfService | None = None
    wip_limit: Limit | None = None
    wip_mode: WipMode = WipMode.BLOCK


class LaneUpdate(Strict):
    name: Name | None = None
    class_of_service: ClassOfService | None = None
    wip_limit: Limit | None = None
    wip_mode: WipMode | None = None


class LaneRead(Read):
    id: int
    name: str
    position: int
    class_of_service: ClassOfService | None
    wip_limit: int | None
    wip_mode: WipMode


class AllocationCreate(Strict):
    work_type_id: Id | None = None
    class_of_service: ClassOfService | None = None
    limit_count: Limit | None = None
    limit_percent: Annotated[float, Field(gt=0, le=100)] | None = None
    wip_mode: WipMode = WipMode.BLOCK


class AllocationRead(Read):
    id: int
    work_type_id: int | None
    work_type_name: str | None
    class_of_service: ClassOfService | None
    limit_count: int | None
    limit_percent: float | None
    wip_mode: WipMode


class BoardCreate(Strict):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "Events",
                    "stages": [
                        {"name": "Ideas", "kind": "option"},
                        {"name": "Preparing", "kind": "committed", "wip_limit": 3, "wip_mode": "block"},
                        {"name": "Held", "kind": "done"},
                    ],
                    "lanes": [{"name": "Fixed date", "class_of_service": "fixed_date", "wip_limit": 2}],
                }
            ]
        }
    }
    name: LongName
    description: Text = ""
    stages: Annotated[list[StageCreate], Field(min_length=2, max_length=30)]
    lanes: Annotated[list[LaneCreate], Field(max_length=20)] = []
    expedite_limit: Limit | None = 1
    blocked_counts_against_wip: bool = True
    person_wip_limit: Limit | None = None
    person_wip_mode: WipMode = WipMode.WARN


class BoardUpdate(Strict):
    name: LongName | None = None
    description: Text | None = None
    expedite_limit: Limit | None = None
    blocked_counts_against_wip: bool | None = None
    person_wip_limit: Limit | None = None
    person_wip_mode: WipMode | None = None


class BoardSummary(Read):
    id: int
    workspace_id: int
    name: str
    description: str


class BoardRead(Read):
    id: int
    name: str
    stages: list[StageRead]
    lanes: list[LaneRead]
    allocations: list[AllocationRead]
    expedite_limit: int | None
    blocked_counts_against_wip: bool
    person_wip_limit: int | None
    person_wip_mode: WipMode
    committed_capacity: int | None


# --- items ----------------------------------------------------------------------------------


class ItemFields(Strict):
    description: Text | None = None
    lane_id: Id | None = None
    work_type_id: Id | None = None
    owner_id: Id | None = None
    due_date: date | None = None
    value: Money | None = None
    size: Annotated[int, Field(ge=0, le=10_000)] | None = None
    tags: Annotated[list[Tag], Field(max_length=20)] | None = None
    external_ref: Annotated[str, StringConstraints(max_length=120)] | None = None
    parent_id: Id | None = None


class ItemCreate(ItemFields):
    title: Title
    stage_id: Id | None = None
    class_of_service: ClassOfService = ClassOfService.STANDARD
    reason: Reason | None = Field(default=None, description="Needed when a reason-mode limit is exceeded.")


class ItemUpdate(ItemFields):
    title: Title | None = None
    class_of_service: ClassOfService | None = None
    ready: bool | None = None
    reason: Reason | None = Field(default=None, description="Needed when a reason-mode limit is exceeded.")


class MoveRequest(Strict):
    to_stage_id: Id
    to_lane_id: Id | None = Field(
        default=None,
        description="Pull into this lane of the stage too (null: no lane); left out, it keeps its lane.",
    )
    reason: Reason | None = None


class BlockRequest(Strict):
    reason: Reason
    category: Name | None = None


class ReasonRequest(Strict):
    reason: Reason | None = None


class ItemRead(Read):
    id: int
    board_id: int
    stage_id: int
    lane_id: int | None
    title: str
    description: str
    work_type_id: int | None
    work_type_name: str | None
    class_of_service: ClassOfService
    owner_id: int | None
    owner_name: str | None
    due_date: date | None
    value: Decimal | None
    size: int | None
    tags: list[str]
    external_ref: str | None
    parent_id: int | None
    ready: bool
    blocked: bool
    blocked_reason: str | None
    created_at: datetime
    stage_entered_at: datetime
    committed_at: datetime | None
    done_at: datetime | None
    archived_at: datetime | None


class FindingRead(Read):
    code: str
    message: str
    severity: str


class MoveResultRead(BaseModel):
    item: ItemRead
    outcome: str = Field(description="allowed or warn")
    override: bool = Field(description="A reason-mode limit was exceeded with a recorded reason.")
    findings: list[FindingRead]


class CardRead(Read):
    """An item as the board shows it. The description, tags, size, external reference and
    the ids of its board, type and owner are in the full item: GET /items/{id}."""

    id: int
    title: str
    stage_id: int
    lane_id: int | None
    class_of_service: ClassOfService
    work_type_name: str | None
    owner_name: str | None
    due_date: date | None
    value: Decimal | None
    blocked: bool
    blocked_reason: str | None
    ready: bool
    parent_id: int | None
    created_at: datetime
    stage_entered_at: datetime
    committed_at: datetime | None
    done_at: datetime | None
    archived_at: datetime | None


class StageViewRead(BaseModel):
    stage: StageRead
    count: int = Field(description="Unarchived items in the stage.")
    at_limit: bool
    over_limit: bool
    items: list[CardRead] = Field(
        description="Every item of an option or committed stage, longest in the stage first; the "
        "newest page of a done or discarded stage. Cards: the full item is GET /items/{id}."
    )


class BoardViewRead(BaseModel):
    board: BoardRead
    workspace_id: int
    workspace_name: str
    stages: list[StageViewRead]


class ItemPage(BaseModel):
    total: int
    offset: int
    items: list[ItemRead]


class CandidateRead(BaseModel):
    rank: int
    why: str
    outcome: str
    reasons: list[str]
    item: ItemRead


class PullNextRead(BaseModel):
    stage_id: int
    candidates: list[CandidateRead]
    not_pullable: list[CandidateRead]


class TransitionRead(Read):
    id: int
    item_id: int
    board_id: int
    at: datetime
    kind: str
    from_stage_id: int | None
    to_stage_id: int | None
    actor_id: int | None
    actor_name: str | None = Field(default=None, description="Who made the change (in an item's history).")
    reason: str | None
    details: dict


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None
    reasons: list[FindingRead] | None = None


class ErrorRead(BaseModel):
    error: ErrorBody
