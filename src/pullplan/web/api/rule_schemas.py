"""Request and response shapes of trigger rules, notifications and webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from pullplan.domain.rules import ActionKind, EventKind, Operator
from pullplan.web.api.schemas import Read, Strict

RuleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Template = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
FieldName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Scalar = Annotated[str, StringConstraints(max_length=500)] | int | float | bool
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Class = Literal["expedite", "fixed_date", "standard", "intangible"]


class ConditionIn(Strict):
    field: FieldName = Field(
        description="board, stage, type, class, value, owner, tags, title or payload.<path>"
    )
    op: Operator = Operator.EQUALS
    value: Scalar | Annotated[list[Scalar], Field(min_length=1, max_length=100)]


class ActionIn(Strict):
    kind: ActionKind
    board: RuleName | None = Field(default=None, description="create_item: the board's name")
    stage: RuleName | None = Field(default=None, description="create_item, move_item: the stage's name")
    title: Template | None = Field(default=None, description="create_item: e.g. 'Proposal: {payload.deal}'")
    type: RuleName | None = Field(default=None, description="create_item: the work type's name")
    class_of_service: Class | None = None
    due_in_days: Annotated[int, Field(ge=0, le=3650)] | None = None
    description: Template | None = Field(default=None, description="create_item: a template")
    value: RuleName | None = Field(default=None, description="create_item: e.g. '{payload.amount}'")
    external_ref: RuleName | None = Field(default=None, description="create_item: e.g. '{payload.id}'")
    reason: Template | None = Field(default=None, description="add_blocker")
    message: Template | None = Field(default=None, description="notify")
    target: RuleName | None = Field(default=None, description="notify: an outbound webhook target's name")


class RuleCreate(Strict):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "Blocked items",
                    "event": "item.blocked",
                    "actions": [{"kind": "notify", "message": "{title} is blocked"}],
                }
            ]
        }
    }

    name: RuleName
    event: EventKind
    days: Annotated[int, Field(ge=0, le=365)] | None = Field(default=None, description="item.due_soon only")
    source: RuleName | None = Field(default=None, description="webhook.received only: the source's name")
    conditions: Annotated[list[ConditionIn], Field(max_length=20)] = []
    actions: Annotated[list[ActionIn], Field(min_length=1, max_length=10)]
    enabled: bool = True


class RuleUpdate(Strict):
    """Switch a rule on or off, or change any part of it (the rest stays)."""

    name: RuleName | None = None
    event: EventKind | None = None
    days: Annotated[int, Field(ge=0, le=365)] | None = None
    source: RuleName | None = None
    conditions: Annotated[list[ConditionIn], Field(max_length=20)] | None = None
    actions: Annotated[list[ActionIn], Field(min_length=1, max_length=10)] | None = None
    enabled: bool | None = None


class RuleRead(BaseModel):
    id: int
    workspace_id: int
    name: str
    event: str
    days: int | None
    source: str | None
    conditions: list[dict]
    actions: list[dict]
    enabled: bool
    description: str  # the rule in words
    created_at: datetime
    updated_at: datetime


class FiringRead(Read):
    id: int
    rule_id: int
    event_key: str
    item_id: int | None
    fired_at: datetime
    results: list[dict]


class DeletedRead(BaseModel):
    id: int
    deleted: bool = True


class NotificationRead(BaseModel):
    id: int
    workspace_id: int
    rule_id: int | None
    rule: str | None
    item_id: int | None
    message: str
    created_at: datetime
    read_at: datetime | None


class MarkedRead(BaseModel):
    marked: int


class SourceCreate(Strict):
    name: RuleName


class SourceRead(Read):
    id: int
    workspace_id: int
    name: str
    created_at: datetime
    last_received_at: datetime | None
    hook_path: str  # POST signed requests here


class SourceCreated(SourceRead):
    secret: str  # shown once


class TargetCreate(Strict):
    name: RuleName
    url: Url


class TargetRead(Read):
    id: int
    workspace_id: int
    name: str
    url: str
    created_at: datetime


class TargetCreated(TargetRead):
    secret: str  # shown once


class AttemptRead(Read):
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryRead(BaseModel):
    id: int
    target: str
    event: str
    payload: dict
    created_at: datetime
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    failed_at: datetime | None
    last_error: str | None
    log: list[AttemptRead]


class InboundFired(BaseModel):
    rule_id: int
    rule: str
    results: list[dict]


class InboundRead(BaseModel):
    request_id: int
    source: str
    fired: list[InboundFired]
