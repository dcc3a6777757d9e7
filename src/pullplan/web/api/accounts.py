"""Who am I, people and roles, API tokens, and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, StringConstraints

from pullplan.domain.permissions import Role
from pullplan.services import accounts
from pullplan.web.api.deps import DB, PathId
from pullplan.web.api.errors import RESPONSES
from pullplan.web.api.schemas import LongName, MemberRead, Read, Strict, UserRead
from pullplan.web.auth import Admin, SignedIn, allow
from pullplan.web.sync_work import SyncRoute

router = APIRouter(route_class=SyncRoute, tags=["accounts"], responses=RESPONSES)

Manager = Annotated[accounts.Principal, allow(Role.MANAGER, on="workspace")]
Viewer = Annotated[accounts.Principal, allow(Role.VIEWER, on="workspace")]
TokenViewer = Annotated[accounts.Principal, allow(Role.VIEWER, on="token")]
# A token cannot make tokens: a leaked one would otherwise outlive its revocation.
SignedInViewer = Annotated[accounts.Principal, allow(Role.VIEWER, on="workspace", signed_in_only=True)]


class WorkspaceRole(BaseModel):
    workspace_id: int
    role: Role


class MeRead(BaseModel):
    user: UserRead
    is_admin: bool
    via: str = Field(description="session or token")
    workspaces: list[WorkspaceRole]


class UserCreate(Strict):
    username: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
    display_name: LongName
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    password: Annotated[str, StringConstraints(min_length=8, max_length=256)]
    is_admin: bool = False


class RoleUpdate(Strict):
    role: Literal["viewer", "member", "manager"]


class TokenCreate(Strict):
    name: LongName
    role: Literal["viewer", "member", "manager"] = "viewer"


class TokenRead(Read):
    id: int
    name: str
    prefix: str = Field(description="The first characters of the token, to recognise it.")
    user_id: int
    workspace_id: int
    role: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="The token itself. It is shown once and never again.")


class AuditEventRead(BaseModel):
    id: int
    at: datetime
    actor: str | None
    action: str
    subject: str
    details: dict


@router.get("/me", response_model=MeRead)
def me(principal: SignedIn):
    roles = principal.roles or {}
    if principal.via == "token":
        roles = {principal.token_workspace_id: principal.role_in(principal.token_workspace_id)}
    return MeRead(
        user=UserRead(id=principal.user_id, username=principal.username, display_name=principal.display_name),
        is_admin=principal.is_admin,
        via=principal.via,
        workspaces=[WorkspaceRole(workspace_id=w, role=r) for w, r in sorted(roles.items()) if r],
    )


@router.get("/users", response_model=list[UserRead])
def list_users(db: DB, _: Admin):
    return accounts.list_users(db)


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(body: UserCreate, db: DB, principal: Admin):
    return accounts.create_user(
        db,
        username=body.username,
        display_name=body.display_name,
        email=body.email,
        password=body.password,
        is_admin=body.is_admin,
        actor_id=principal.user_id,
    )


@router.get("/workspaces/{workspace_id}/members", response_model=list[MemberRead])
def list_members(workspace_id: PathId, db: DB, _: Viewer):
    return [
        MemberRead(user=UserRead.model_validate(user), role=role)
        for user, role in accounts.list_members(db, workspace_id)
    ]


@router.put("/workspaces/{workspace_id}/members/{user_id}", response_model=list[MemberRead])
def set_member_role(workspace_id: PathId, user_id: PathId, body: RoleUpdate, db: DB, principal: Manager):
    """Add a member or change their role (managers)."""
    accounts.set_role(
        db, workspace_id=workspace_id, user_id=user_id, role=body.role, actor_id=principal.user_id
    )
    return list_members(workspace_id, db, principal)


@router.get("/workspaces/{workspace_id}/tokens", response_model=list[TokenRead])
def list_tokens(workspace_id: PathId, db: DB, principal: Viewer):
    """Your tokens in this workspace; a manager sees everyone's."""
    mine = None if principal.role_in(workspace_id) == Role.MANAGER else principal.user_id
    return accounts.list_tokens(db, workspace_id=workspace_id, user_id=mine)


@router.post("/workspaces/{workspace_id}/tokens", response_model=TokenCreated, status_code=201)
def create_token(workspace_id: PathId, body: TokenCreate, db: DB, principal: SignedInViewer):
    """A token for scripts, with a role no higher than yours (signed in: a token cannot make
    tokens). The token is shown once."""
    token, row = accounts.create_token(
        db, creator=principal, workspace_id=workspace_id, role=body.role, name=body.name
    )
    return TokenCreated(token=token, **TokenRead.model_validate(row).model_dump())


@router.delete("/tokens/{token_id}", response_model=TokenRead)
def revoke_token(token_id: PathId, db: DB, principal: TokenViewer):
    """Revoke a token: your own, or any in a workspace you manage."""
    return accounts.revoke_token(db, token_id=token_id, by=principal)


@router.get("/workspaces/{workspace_id}/audit", response_model=list[AuditEventRead])
def audit(
    workspace_id: PathId,
    db: DB,
    _: Manager,
    before_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
):
    """Who changed what and when, newest first (managers)."""
    return [
        AuditEventRead(id=e.id, at=e.at, actor=actor, action=e.action, subject=e.subject, details=e.details)
        for e, actor in accounts.audit_log(db, workspace_id=workspace_id, before_id=before_id, limit=limit)
    ]
