"""Workspaces, people, memberships and work types."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from pullplan.domain.permissions import Role
from pullplan.services import accounts
from pullplan.services import boards as service
from pullplan.services.accounts import Principal
from pullplan.web.api.deps import DB, PathId
from pullplan.web.api.errors import RESPONSES
from pullplan.web.api.schemas import (
    BoardCreate,
    BoardRead,
    BoardSummary,
    WorkspaceCreate,
    WorkspaceRead,
    WorkTypeCreate,
    WorkTypeRead,
)
from pullplan.web.api.views import board_read
from pullplan.web.auth import Admin, SignedIn, allow
from pullplan.web.sync_work import SyncRoute

router = APIRouter(route_class=SyncRoute, tags=["workspaces"], responses=RESPONSES)

Viewer = Annotated[Principal, allow(Role.VIEWER, on="workspace")]
Manager = Annotated[Principal, allow(Role.MANAGER, on="workspace")]


@router.get("/workspaces", response_model=list[WorkspaceRead])
def list_workspaces(db: DB, principal: SignedIn):
    """The workspaces you belong to (an instance administrator sees them all)."""
    return [w for w in service.list_workspaces(db) if principal.role_in(w.id) is not None]


@router.post("/workspaces", response_model=WorkspaceRead, status_code=201)
def create_workspace(body: WorkspaceCreate, db: DB, principal: Admin):
    """Create a workspace (instance administrators); its creator becomes its manager."""
    workspace = service.create_workspace(db, name=body.name, time_zone=body.time_zone)
    accounts.set_role(
        db, workspace_id=workspace.id, user_id=principal.user_id, role="manager", actor_id=principal.user_id
    )
    return workspace


@router.get("/workspaces/{workspace_id}", response_model=WorkspaceRead)
def get_workspace(workspace_id: PathId, db: DB, _: Viewer):
    return service.get_workspace(db, workspace_id)


@router.get("/workspaces/{workspace_id}/work-types", response_model=list[WorkTypeRead])
def list_work_types(workspace_id: PathId, db: DB, _: Viewer):
    return service.list_work_types(db, workspace_id)


@router.post("/workspaces/{workspace_id}/work-types", response_model=WorkTypeRead, status_code=201)
def create_work_type(workspace_id: PathId, body: WorkTypeCreate, db: DB, _: Manager):
    return service.create_work_type(db, workspace_id=workspace_id, name=body.name)


@router.get("/workspaces/{workspace_id}/boards", response_model=list[BoardSummary])
def list_boards(workspace_id: PathId, db: DB, _: Viewer):
    return service.list_boards(db, workspace_id)


@router.post("/workspaces/{workspace_id}/boards", response_model=BoardRead, status_code=201)
def create_board(workspace_id: PathId, body: BoardCreate, db: DB, principal: Manager):
    board = service.create_board(
        db,
        workspace_id=workspace_id,
        name=body.name,
        description=body.description,
        stages=[s.model_dump(mode="json") for s in body.stages],
        lanes=[lane.model_dump(mode="json") for lane in body.lanes],
        expedite_limit=body.expedite_limit,
        blocked_counts_against_wip=body.blocked_counts_against_wip,
        person_wip_limit=body.person_wip_limit,
        person_wip_mode=body.person_wip_mode.value,
        actor_id=principal.user_id,
    )
    return board_read(board)
