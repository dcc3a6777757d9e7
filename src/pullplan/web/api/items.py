"""Items: create, read, edit, move (pull), block, unblock, discard, archive, history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from pullplan.domain.permissions import Role
from pullplan.services import items as service
from pullplan.services.accounts import Principal
from pullplan.services.errors import InvalidInput
from pullplan.web.api.deps import DB, PathId
from pullplan.web.api.errors import RESPONSES
from pullplan.web.api.schemas import (
    BlockRequest,
    ItemCreate,
    ItemRead,
    ItemUpdate,
    MoveRequest,
    MoveResultRead,
    ReasonRequest,
    TransitionRead,
)
from pullplan.web.api.views import findings, item_read
from pullplan.web.auth import allow
from pullplan.web.sync_work import SyncRoute

router = APIRouter(route_class=SyncRoute, tags=["items"], responses=RESPONSES)

MemberOnBoard = Annotated[Principal, allow(Role.MEMBER, on="board")]
ViewerOnItem = Annotated[Principal, allow(Role.VIEWER, on="item")]
MemberOnItem = Annotated[Principal, allow(Role.MEMBER, on="item")]


def _result(result) -> MoveResultRead:
    return MoveResultRead(
        item=item_read(result.item),
        outcome=result.decision.outcome.value,
        override=result.decision.override,
        findings=findings(result.decision),
    )


@router.post("/boards/{board_id}/items", response_model=MoveResultRead, status_code=201)
def create_item(board_id: PathId, body: ItemCreate, db: DB, principal: MemberOnBoard):
    fields = body.model_dump(exclude_unset=True, exclude={"title", "stage_id", "reason"})
    return _result(
        service.create_item(
            db,
            actor_id=principal.user_id,
            board_id=board_id,
            title=body.title,
            stage_id=body.stage_id,
            reason=body.reason,
            **fields,
        )
    )


@router.get("/items/{item_id}", response_model=ItemRead)
def get_item(item_id: PathId, db: DB, _: ViewerOnItem):
    return item_read(service.get_item(db, item_id))


@router.patch("/items/{item_id}", response_model=MoveResultRead)
def edit_item(item_id: PathId, body: ItemUpdate, db: DB, principal: MemberOnItem):
    changes = body.model_dump(exclude_unset=True, exclude={"reason"})
    for key in ("title", "class_of_service", "ready"):
        if key in changes and changes[key] is None:
            raise InvalidInput(key, "must not be null.")
    if changes.get("tags") is None and "tags" in changes:
        changes["tags"] = []
    return _result(
        service.edit_item(
            db, actor_id=principal.user_id, item_id=item_id, changes=changes, reason=body.reason
        )
    )


@router.post("/items/{item_id}/move", response_model=MoveResultRead)
def move_item(item_id: PathId, body: MoveRequest, db: DB, principal: MemberOnItem):
    """Pull the item into a stage. 409 with every reason when the pull policy refuses it, or
    with code `needs_reason` when a reason-mode limit is exceeded and no reason was given."""
    lane = {"to_lane_id": body.to_lane_id} if "to_lane_id" in body.model_fields_set else {}
    return _result(
        service.move_item(
            db,
            actor_id=principal.user_id,
            item_id=item_id,
            to_stage_id=body.to_stage_id,
            reason=body.reason,
            **lane,
        )
    )


@router.post("/items/{item_id}/block", response_model=ItemRead)
def block_item(item_id: PathId, body: BlockRequest, db: DB, principal: MemberOnItem):
    return item_read(
        service.block_item(
            db, actor_id=principal.user_id, item_id=item_id, reason=body.reason, category=body.category
        )
    )


@router.post("/items/{item_id}/unblock", response_model=ItemRead)
def unblock_item(item_id: PathId, db: DB, principal: MemberOnItem, body: ReasonRequest | None = None):
    reason = body.reason if body else None
    return item_read(service.unblock_item(db, actor_id=principal.user_id, item_id=item_id, reason=reason))


@router.post("/items/{item_id}/discard", response_model=MoveResultRead)
def discard_item(item_id: PathId, db: DB, principal: MemberOnItem, body: ReasonRequest | None = None):
    reason = body.reason if body else None
    return _result(service.discard_item(db, actor_id=principal.user_id, item_id=item_id, reason=reason))


@router.post("/items/{item_id}/archive", response_model=ItemRead)
def archive_item(item_id: PathId, db: DB, principal: MemberOnItem):
    return item_read(service.archive_item(db, actor_id=principal.user_id, item_id=item_id))


@router.get("/items/{item_id}/transitions", response_model=list[TransitionRead])
def item_transitions(item_id: PathId, db: DB, _: ViewerOnItem):
    """The item's history, oldest first, with the name of who made each change."""
    return [
        TransitionRead.model_validate(row).model_copy(update={"actor_name": name})
        for row, name in service.item_history_with_actors(db, item_id)
    ]
