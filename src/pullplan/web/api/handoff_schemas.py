"""Request and response shapes of the handoff API (the promise cycle)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints

from pullplan.domain.handoffs import HandoffStatus, Step
from pullplan.web.api.schemas import Id, Strict, Title

Conditions = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5_000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000)]


class HandoffCreate(Strict):
    """Ask a board (and a person on it, or anyone there) for something, by a date."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "performer_board_id": 1,
                    "title": "Case study for the renewal",
                    "conditions": "One page, approved by the customer",
                    "due_date": "2030-01-15",
                }
            ]
        }
    }

    performer_board_id: Id
    title: Title
    conditions: Conditions
    due_date: date
    performer_id: Id | None = None
    stage_id: Id | None = None  # where the linked item starts; default: the first option stage
    block: bool = False  # block the requesting item until the handoff is accepted


class StepNote(Strict):
    note: Note | None = None


class StepReason(Strict):
    note: Note  # why: a decline or a rejection says it


class CounterOffer(Strict):
    due_date: date | None = None
    conditions: Conditions | None = None
    note: Note | None = None


class HandoffStepRead(BaseModel):
    id: int
    at: datetime
    step: Step
    actor_id: int | None
    actor_name: str | None
    from_status: HandoffStatus | None
    to_status: HandoffStatus
    note: str | None
    due_date: date | None
    conditions: str | None


class HandoffRead(BaseModel):
    id: int
    workspace_id: int
    title: str
    status: HandoffStatus
    conditions: str
    due_date: date
    counter_due_date: date | None
    counter_conditions: str | None
    requester_id: int | None
    requester_name: str | None
    performer_id: int | None
    performer_name: str | None
    requesting_item_id: int
    requesting_item_title: str
    requesting_board_id: int
    requesting_board_name: str
    linked_item_id: int | None
    linked_item_title: str | None
    performer_board_id: int
    performer_board_name: str
    waiting: bool  # the requesting item still waits for it
    blocks_item: bool  # and is blocked by it
    requested_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    next_steps: list[Step]  # what the caller may do now
    steps: list[HandoffStepRead]
