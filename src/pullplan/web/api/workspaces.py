"""Workspaces, people, memberships and work types."""

from __future__ import annotations

from fastapi import APIRouter

from pullplan.services import boards as service
from pullplan.web.api.deps import DB, PathId
from pullplan.web.api.errors import RESPONSES
from pullplan.web.api.schemas import (
    BoardCreate,
    BoardRead,
    BoardSummary,
    MemberCreate,
    MemberRead,
    UserCreate,
    UserRead,
    WorkspaceCreate,
    WorkspaceRead,
    WorkTypeCreate,
    WorkTypeRead,
)
from pullplan.web.api.views import board_read

router = APIRouter(tags=["workspaces"], responses=RESPONSES)


@router.get("/workspaces", response_model=list[WorkspaceRead])
def list_workspaces(db: DB):
    return service.list_workspaces(db)


@router.post("/workspaces", response_model=WorkspaceRead, status_code=201)
def create_workspace(body: WorkspaceCreate, db: DB):
    return service.create_workspace(db, name=body.name, time_zone=body.time_zone)


@router.get("/workspaces/{workspace_id}", response_model=WorkspaceRead)
def get_workspace(workspace_id: PathId, db: DB):
    return service.get_workspace(db, workspace_id)


@router.get("/workspaces/{workspace_id}/members", response_model=list[MemberRead])
def list_members(workspace_id: PathId, db: DB):
    return [
        MemberRead(user=UserRead.model_validate(user), role=role)
        for user, role in service.list_members(db, workspace_id)
    ]


@router.post("/workspaces/{workspace_id}/members", response_model=list[MemberRead], status_code=201)
def add_member(workspace_id: PathId, body: MemberCreate, db: DB):
    service.add_member(db, workspace_id=workspace_id, user_id=body.user_id, role=body.role)
    return list_members(workspace_id, db)


@router.get("/users", response_model=list[UserRead])
def list_users(db: DB):
    return service.list_users(db)


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(body: UserCreate, db: DB):
    return service.create_user(db, username=body.username, display_name=body.display_name, email=body.email)


@router.get("/workspaces/{workspace_id}/work-types", response_model=list[WorkTypeRead])
def list_work_types(workspace_id: PathId, db: DB):
    return service.list_work_types(db, workspace_id)


@router.post("/workspaces/{workspace_id}/work-types", response_model=WorkTypeRead, status_code=201)
def create_work_type(workspace_id: PathId, body: WorkTypeCreate, db: DB):
    return service.create_work_type(db, workspace_id=workspace_id, name=body.name)


@router.get("/workspaces/{workspace_id}/boards", response_model=list[BoardSummary])
def list_boards(workspace_id: PathId, db: DB):
    return service.list_boards(db, workspace_id)


@router.post("/workspaces/{workspace_id}/boards", response_model=BoardRead, status_code=201)
def create_board(workspace_id: PathId, body: BoardCreate, db: DB):
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
    )
    return board_read(board)
