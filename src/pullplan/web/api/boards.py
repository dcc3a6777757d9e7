"""Boards: configuration (stages, lanes, capacity allocation), the board as read, pull next,
and the board's transition log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from pullplan.domain.permissions import Role
from pullplan.services import boards as service
from pullplan.services import items as item_service
from pullplan.services.accounts import Principal
from pullplan.services.errors import InvalidInput
from pullplan.storage.repositories import load_transitions
from pullplan.web.api.deps import DB, PathId
from pullplan.web.api.errors import RESPONSES
from pullplan.web.api.schemas import (
    AllocationCreate,
    BoardRead,
    BoardUpdate,
    BoardViewRead,
    ItemPage,
    LaneCreate,
    LaneUpdate,
    PullNextRead,
    StageAdd,
    StageUpdate,
    TransitionRead,
)
from pullplan.web.api.views import board_read, board_view_read, candidate_read, item_read
from pullplan.web.auth import allow
from pullplan.web.sync_work import SyncRoute

router = APIRouter(route_class=SyncRoute, tags=["boards"], responses=RESPONSES)

ViewerOnBoard = Annotated[Principal, allow(Role.VIEWER, on="board")]
ManagerOnBoard = Annotated[Principal, allow(Role.MANAGER, on="board")]
ManagerOnStage = Annotated[Principal, allow(Role.MANAGER, on="stage")]
ViewerOnStage = Annotated[Principal, allow(Role.VIEWER, on="stage")]
ManagerOnLane = Annotated[Principal, allow(Role.MANAGER, on="lane")]
ManagerOnAllocation = Annotated[Principal, allow(Role.MANAGER, on="allocation")]

PageSize = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
AfterId = Annotated[int, Query(ge=0, le=2_147_483_647)]  # any id: a transition's, an item's


@router.get("/boards/{board_id}", response_model=BoardRead)
def get_board(board_id: PathId, db: DB, _: ViewerOnBoard):
    return board_read(service.get_board(db, board_id))


@router.patch("/boards/{board_id}", response_model=BoardRead)
def update_board(board_id: PathId, body: BoardUpdate, db: DB, principal: ManagerOnBoard):
    return board_read(
        service.update_board(
            db,
            board_id=board_id,
            actor_id=principal.user_id,
            changes=body.model_dump(exclude_unset=True, mode="json"),
        )
    )


@router.get("/boards/{board_id}/view", response_model=BoardViewRead)
def view_board(board_id: PathId, db: DB, _: ViewerOnBoard, finished_page: PageSize = 25):
    """Stages with their counts and items. Archived items are never included; done and
    discarded stages show their most recently finished page (see /stages/{id}/items)."""
    return board_view_read(service.read_board(db, board_id, finished_page=finished_page))


@router.post("/boards/{board_id}/stages", response_model=BoardRead, status_code=201)
def add_stage(board_id: PathId, body: StageAdd, db: DB, principal: ManagerOnBoard):
    spec = body.model_dump(mode="json", exclude={"position"})
    return board_read(
        service.add_stage(
            db, board_id=board_id, spec=spec, position=body.position, actor_id=principal.user_id
        )
    )


@router.patch("/stages/{stage_id}", response_model=BoardRead)
def update_stage(stage_id: PathId, body: StageUpdate, db: DB, principal: ManagerOnStage):
    changes = body.model_dump(exclude_unset=True, mode="json")
    if any(v is None for k, v in changes.items() if k != "wip_limit"):
        raise InvalidInput(next(k for k, v in changes.items() if v is None), "must not be null.")
    return board_read(
        service.update_stage(db, stage_id=stage_id, changes=changes, actor_id=principal.user_id)
    )


@router.get("/stages/{stage_id}/items", response_model=ItemPage)
def stage_items(
    stage_id: PathId,
    db: DB,
    _: ViewerOnStage,
    limit: PageSize = 25,
    offset: Offset = 0,
    after_id: AfterId = 0,
):
    """A page of the stage's unarchived items, most recently entered first. Page with
    `after_id`, the last item of the page before (422 when it has left the stage), or with
    `offset`."""
    total, items = service.finished_items(
        db, stage_id=stage_id, limit=limit, offset=offset, after_id=after_id
    )
    return ItemPage(total=total, offset=offset, items=[item_read(i) for i in items])


@router.post("/boards/{board_id}/lanes", response_model=BoardRead, status_code=201)
def add_lane(board_id: PathId, body: LaneCreate, db: DB, principal: ManagerOnBoard):
    return board_read(
        service.add_lane(db, board_id=board_id, spec=body.model_dump(mode="json"), actor_id=principal.user_id)
    )


@router.patch("/lanes/{lane_id}", response_model=BoardRead)
def update_lane(lane_id: PathId, body: LaneUpdate, db: DB, principal: ManagerOnLane):
    changes = body.model_dump(exclude_unset=True, mode="json")
    if any(v is None for k, v in changes.items() if k not in ("wip_limit", "class_of_service")):
        raise InvalidInput(next(k for k, v in changes.items() if v is None), "must not be null.")
    return board_read(service.update_lane(db, lane_id=lane_id, changes=changes, actor_id=principal.user_id))


@router.post("/boards/{board_id}/allocations", response_model=BoardRead, status_code=201)
def add_allocation(board_id: PathId, body: AllocationCreate, db: DB, principal: ManagerOnBoard):
    return board_read(
        service.add_allocation(
            db,
            board_id=board_id,
            work_type_id=body.work_type_id,
            class_of_service=body.class_of_service.value if body.class_of_service else None,
            limit_count=body.limit_count,
            limit_percent=body.limit_percent,
            wip_mode=body.wip_mode.value,
            actor_id=principal.user_id,
        )
    )


@router.delete("/allocations/{allocation_id}", response_model=BoardRead)
def delete_allocation(allocation_id: PathId, db: DB, principal: ManagerOnAllocation):
    return board_read(service.delete_allocation(db, allocation_id=allocation_id, actor_id=principal.user_id))


@router.get("/boards/{board_id}/pull-next", response_model=PullNextRead)
def pull_next(
    board_id: PathId, db: DB, _: ViewerOnBoard, stage_id: Annotated[int, Query(ge=1, le=2_147_483_647)]
):
    """What to pull next into `stage_id`, ranked: expedite, fixed date by commit-by date,
    reserved intangible capacity, standard first in first out."""
    pullable, refused = item_service.pull_next(db, board_id=board_id, stage_id=stage_id)
    return PullNextRead(
        stage_id=stage_id,
        candidates=[candidate_read(c) for c in pullable],
        not_pullable=[candidate_read(c) for c in refused],
    )


@router.get("/boards/{board_id}/transitions", response_model=list[TransitionRead])
def board_transitions(
    board_id: PathId, db: DB, _: ViewerOnBoard, after_id: AfterId = 0, limit: PageSize = 100
):
    """The board's transition log, oldest first; page with `after_id`."""
    service.get_board(db, board_id)
    with db.read() as session:
        return load_transitions(session, board_id=board_id, after_id=after_id, limit=limit)
