"""Handoffs (the promise cycle): list, read, request from an item, and each step.

Members of the workspace act and viewers read. A step the handoff's status does not allow
answers 409 (`step_not_allowed`) for everyone; a step that is possible now but belongs to the
other party (only the performer promises, counters, declines, performs and declares complete;
only the requester accepts, rejects, answers a counter-offer or cancels) answers 403
(`not_your_step`). Both messages say why in words.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query

from pullplan.domain.handoffs import Step
from pullplan.domain.permissions import Role
from pullplan.services import handoffs as service
from pullplan.services.accounts import Principal
from pullplan.services.handoffs import HandoffView, StepRefused
from pullplan.web.api.deps import DB, PathId
from pullplan.web.api.errors import RESPONSES
from pullplan.web.api.handoff_schemas import (
    CounterOffer,
    HandoffCreate,
    HandoffRead,
    HandoffStepRead,
    StepNote,
    StepReason,
)
from pullplan.web.auth import Forbidden, allow
from pullplan.web.sync_work import SyncRoute

router = APIRouter(route_class=SyncRoute, tags=["handoffs"], responses=RESPONSES)

ViewerOfWorkspace = Annotated[Principal, allow(Role.VIEWER, on="workspace")]
ViewerOnItem = Annotated[Principal, allow(Role.VIEWER, on="item")]
MemberOnItem = Annotated[Principal, allow(Role.MEMBER, on="item")]
ViewerOnHandoff = Annotated[Principal, allow(Role.VIEWER, on="handoff")]
MemberOnHandoff = Annotated[Principal, allow(Role.MEMBER, on="handoff")]


class Mine(StrEnum):
    REQUESTER = "requester"  # the handoffs I asked for
    PERFORMER = "performer"  # the handoffs asked of me (or of my team, nobody named yet)


class StatusFilter(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    REQUESTED = "requested"
    COUNTERED = "countered"
    PROMISED = "promised"
    PERFORMING = "performing"
    DECLARED_COMPLETE = "declared_complete"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


def handoff_read(view: HandoffView, viewer_id: int | None) -> HandoffRead:
    h = view.handoff
    return HandoffRead(
        id=h.id,
        workspace_id=view.workspace_id,
        title=view.title,
        status=h.status,
        conditions=h.conditions,
        due_date=h.due_date,
        counter_due_date=h.counter_due_date,
        counter_conditions=h.counter_conditions,
        requester_id=h.requester_id,
        requester_name=h.requester_name,
        performer_id=h.performer_id,
        performer_name=h.performer_name,
        requesting_item_id=view.requesting_item_id,
        requesting_item_title=view.requesting_item_title,
        requesting_board_id=view.requesting_board_id,
        requesting_board_name=view.requesting_board_name,
        linked_item_id=view.linked_item_id,
        linked_item_title=view.linked_item_title,
        performer_board_id=view.performer_board_id,
        performer_board_name=view.performer_board_name,
        waiting=h.waiting,
        blocks_item=view.blocks_item,
        requested_at=view.requested_at,
        updated_at=view.updated_at,
        closed_at=view.closed_at,
        next_steps=view.next_steps(viewer_id),
        steps=[HandoffStepRead.model_validate(s, from_attributes=True) for s in view.steps],
    )


@router.get("/workspaces/{workspace_id}/handoffs", response_model=list[HandoffRead])
def list_handoffs(
    workspace_id: PathId,
    db: DB,
    principal: ViewerOfWorkspace,
    mine: Annotated[Mine | None, Query(description="Only the handoffs I asked for, or asked of me.")] = None,
    status: Annotated[StatusFilter | None, Query(description="A status, or open / closed.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
):
    me = principal.user_id
    views = service.list_handoffs(
        db,
        workspace_id=workspace_id,
        requester_id=me if mine == Mine.REQUESTER else None,
        performer_id=me if mine == Mine.PERFORMER else None,
        status=status.value if status else None,
        limit=limit,
    )
    return [handoff_read(view, me) for view in views]


@router.get("/items/{item_id}/handoffs", response_model=list[HandoffRead])
def item_handoffs(item_id: PathId, db: DB, principal: ViewerOnItem):
    """The handoffs the item asked for, and the one it performs (as the linked item)."""
    return [handoff_read(view, principal.user_id) for view in service.list_handoffs(db, item_id=item_id)]


@router.post("/items/{item_id}/handoffs", response_model=HandoffRead, status_code=201)
def request_handoff(item_id: PathId, body: HandoffCreate, db: DB, principal: MemberOnItem):
    """Request a handoff for this item from a board of the workspace: a linked item is made on
    that board, and the item waits (optionally blocked) until the handoff is accepted."""
    view = service.request_handoff(
        db,
        actor_id=principal.user_id,
        requesting_item_id=item_id,
        performer_board_id=body.performer_board_id,
        title=body.title,
        conditions=body.conditions,
        due_date=body.due_date,
        performer_id=body.performer_id,
        stage_id=body.stage_id,
        block=body.block,
    )
    return handoff_read(view, principal.user_id)


@router.get("/handoffs/{handoff_id}", response_model=HandoffRead)
def get_handoff(handoff_id: PathId, db: DB, principal: ViewerOnHandoff):
    return handoff_read(service.get_handoff(db, handoff_id), principal.user_id)


def _step(db, principal: Principal, handoff_id: int, step: Step, **terms) -> HandoffRead:
    try:
        view = service.take_step(db, actor_id=principal.user_id, handoff_id=handoff_id, step=step, **terms)
    except StepRefused as refused:
        if refused.wrong_person:
            forbidden = Forbidden(refused.message)
            forbidden.code = "not_your_step"
            raise forbidden from None
        raise
    return handoff_read(view, principal.user_id)


@router.post("/handoffs/{handoff_id}/promise", response_model=HandoffRead)
def promise(handoff_id: PathId, db: DB, principal: MemberOnHandoff, body: StepNote | None = None):
    """The performer promises the request as it stands."""
    return _step(db, principal, handoff_id, Step.PROMISE, note=body.note if body else None)


@router.post("/handoffs/{handoff_id}/counter", response_model=HandoffRead)
def counter(handoff_id: PathId, body: CounterOffer, db: DB, principal: MemberOnHandoff):
    """The performer offers another date or other conditions; the requester answers."""
    return _step(
        db,
        principal,
        handoff_id,
        Step.COUNTER,
        note=body.note,
        due_date=body.due_date,
        conditions=body.conditions,
    )


@router.post("/handoffs/{handoff_id}/accept-counter", response_model=HandoffRead)
def accept_counter(handoff_id: PathId, db: DB, principal: MemberOnHandoff, body: StepNote | None = None):
    """The requester takes the counter-offer: it is promised on its terms."""
    return _step(db, principal, handoff_id, Step.ACCEPT_COUNTER, note=body.note if body else None)


@router.post("/handoffs/{handoff_id}/decline-counter", response_model=HandoffRead)
def decline_counter(handoff_id: PathId, db: DB, principal: MemberOnHandoff, body: StepNote | None = None):
    """The requester declines the counter-offer: the original request stands."""
    return _step(db, principal, handoff_id, Step.DECLINE_COUNTER, note=body.note if body else None)


@router.post("/handoffs/{handoff_id}/decline", response_model=HandoffRead)
def decline(handoff_id: PathId, body: StepReason, db: DB, principal: MemberOnHandoff):
    """The performer declines, saying why; the handoff is closed."""
    return _step(db, principal, handoff_id, Step.DECLINE, note=body.note)


@router.post("/handoffs/{handoff_id}/perform", response_model=HandoffRead)
def perform(handoff_id: PathId, db: DB, principal: MemberOnHandoff, body: StepNote | None = None):
    """The performer starts on a promised handoff."""
    return _step(db, principal, handoff_id, Step.PERFORM, note=body.note if body else None)


@router.post("/handoffs/{handoff_id}/declare-complete", response_model=HandoffRead)
def declare_complete(handoff_id: PathId, db: DB, principal: MemberOnHandoff, body: StepNote | None = None):
    """The performer says it is done; the requester accepts or rejects it."""
    return _step(db, principal, handoff_id, Step.DECLARE_COMPLETE, note=body.note if body else None)


@router.post("/handoffs/{handoff_id}/accept", response_model=HandoffRead)
def accept(handoff_id: PathId, db: DB, principal: MemberOnHandoff, body: StepNote | None = None):
    """The requester accepts what was handed over: the requesting item stops waiting."""
    return _step(db, principal, handoff_id, Step.ACCEPT, note=body.note if body else None)


@router.post("/handoffs/{handoff_id}/reject", response_model=HandoffRead)
def reject(handoff_id: PathId, body: StepReason, db: DB, principal: MemberOnHandoff):
    """The requester rejects it, saying why: it goes back to performing."""
    return _step(db, principal, handoff_id, Step.REJECT, note=body.note)


@router.post("/handoffs/{handoff_id}/cancel", response_model=HandoffRead)
def cancel(handoff_id: PathId, db: DB, principal: MemberOnHandoff, body: StepNote | None = None):
    """The requester withdraws the request; the requesting item stops waiting."""
    return _step(db, principal, handoff_id, Step.CANCEL, note=body.note if body else None)
