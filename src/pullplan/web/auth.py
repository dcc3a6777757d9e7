"""Who is calling, and may they? Authentication (session cookie or bearer token), CSRF
checks for cookie-authenticated writes, and the permission dependencies every route declares.

A route states its permission in its signature, e.g.
`principal: Annotated[Principal, allow(Role.MEMBER, on="item")]`: the caller must be at
least a member of the item's workspace. Unknown ids and workspaces the caller is not a
member of answer 404 (nothing is revealed); a role too low answers 403; no credentials 401.
"""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import Field, TypeAdapter, ValidationError
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from pullplan.domain.permissions import ROLE_WORDS, Role, at_least
from pullplan.services import accounts
from pullplan.services.accounts import Principal
from pullplan.services.clock import utcnow
from pullplan.services.errors import NotFound, ServiceError
from pullplan.storage.handoff_tables import HandoffRow
from pullplan.storage.planner_tables import (
    ConstraintRow,
    LearningCycleRow,
    MilestoneRow,
    PlanTaskRow,
    PromiseRow,
)
from pullplan.storage.repositories import run
from pullplan.storage.rule_tables import NotificationRow, RuleRow, WebhookSourceRow, WebhookTargetRow
from pullplan.storage.tables import (
    ApiTokenRow,
    BoardRow,
    CapacityAllocationRow,
    ItemRow,
    LaneRow,
    StageRow,
    WorkspaceRow,
)
from pullplan.web.sync_work import run_sync

SESSION_COOKIE = "pullplan_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# The ids a path names: as web.api.deps.PathId, checked here too because a dependency runs
# before FastAPI validates the path parameters.
_PATH_ID = TypeAdapter(Annotated[int, Field(ge=1, le=2_147_483_647)])


class NotSignedIn(ServiceError):
    code = "not_signed_in"


class Forbidden(ServiceError):
    code = "forbidden"


class CsrfRefused(ServiceError):
    code = "csrf_refused"


def same_origin(request: Request) -> bool:
    """A browser says where a request comes from; refuse writes from another site."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is not None:
        host = request.headers.get("host", "")
        if origin == "null" or urlsplit(origin).netloc != host:
            return False
    return True


def _caller(
    request: Request, on: str | None = None, object_id: int | None = None
) -> tuple[Principal | None, int | None]:
    """Who sent the request (None: no credentials), read once per request, and, with `on` and
    a valid id, the workspace of the object the path names (None: no such object): one read
    transaction. Runs through `run_sync` (sync_work). A bearer token that is not valid raises NotSignedIn."""
    db = request.app.state.db
    known = "principal" in request.state._state
    if known and (on is None or object_id is None):
        return request.state.principal, None
    caller = None
    with db.read() as session:
        if known:
            principal = request.state.principal
        else:
            caller = _credentials(session, request)
            principal = caller.principal
        workspace_id = None
        if principal is not None and on is not None and object_id is not None:
            workspace_id = run(session, _OWNER_QUERIES[on], {"id": object_id}).scalar()
    if caller is not None:
        accounts.touch(db, caller)
        request.state.principal = principal
    return principal, workspace_id


def _credentials(session: Session, request: Request) -> accounts.Caller:
    now = utcnow()
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        caller = accounts.token_caller(session, header[7:].strip(), now)
        if caller.principal is None:
            raise NotSignedIn("The API token is unknown, revoked, or its user is disabled.")
        return caller
    token = request.cookies.get(SESSION_COOKIE)
    return accounts.session_caller(session, token, now) if token else accounts.Caller(None)


async def _principal(request: Request) -> Principal | None:
    if "principal" in request.state._state:
        return request.state.principal
    principal, _ = await run_sync(_caller, request)
    return await _checked(request, principal)


async def _checked(request: Request, principal: Principal | None) -> Principal | None:
    """A browser session's writes must carry its CSRF token (checked once per request)."""
    if (
        principal is not None
        and principal.via == "session"
        and request.method not in SAFE_METHODS
        and "csrf_checked" not in request.state._state
    ):
        await _check_csrf(request, principal)
        request.state.csrf_checked = True
    return principal


async def _check_csrf(request: Request, principal: Principal) -> None:
    if not same_origin(request):
        raise CsrfRefused("This request came from another site and was refused.")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = (await request.form()).get("csrf_token")
    if not sent or not hmac.compare_digest(str(sent), principal.csrf_token or ""):
        raise CsrfRefused("The form is out of date (missing or wrong CSRF token); reload the page.")


async def optional_principal(request: Request) -> Principal | None:
    return await _principal(request)


async def signed_in(request: Request) -> Principal:
    principal = await _principal(request)
    if principal is None:
        raise NotSignedIn("Sign in, or send an API token as 'Authorization: Bearer <token>'.")
    return principal


async def instance_admin(request: Request) -> Principal:
    principal = await signed_in(request)
    if not principal.is_admin or principal.via != "session":
        raise Forbidden("Only an instance administrator, signed in, may do this.")
    return principal


# How to find the workspace of the object a path names (bound as `id`).
_ID = bindparam("id")
_OWNER_QUERIES: dict[str, Select] = {
    "workspace": select(WorkspaceRow.id).where(WorkspaceRow.id == _ID),
    "board": select(BoardRow.workspace_id).where(BoardRow.id == _ID),
    "stage": (
        select(BoardRow.workspace_id)
        .join(StageRow, StageRow.board_id == BoardRow.id)
        .where(StageRow.id == _ID)
    ),
    "lane": (
        select(BoardRow.workspace_id).join(LaneRow, LaneRow.board_id == BoardRow.id).where(LaneRow.id == _ID)
    ),
    "allocation": (
        select(BoardRow.workspace_id)
        .join(CapacityAllocationRow, CapacityAllocationRow.board_id == BoardRow.id)
        .where(CapacityAllocationRow.id == _ID)
    ),
    "item": (
        select(BoardRow.workspace_id).join(ItemRow, ItemRow.board_id == BoardRow.id).where(ItemRow.id == _ID)
    ),
    "token": select(ApiTokenRow.workspace_id).where(ApiTokenRow.id == _ID),
    "handoff": select(HandoffRow.workspace_id).where(HandoffRow.id == _ID),
    # trigger rules, notifications and webhooks
    "rule": select(RuleRow.workspace_id).where(RuleRow.id == _ID),
    "notification": select(NotificationRow.workspace_id).where(NotificationRow.id == _ID),
    "source": select(WebhookSourceRow.workspace_id).where(WebhookSourceRow.id == _ID),
    "target": select(WebhookTargetRow.workspace_id).where(WebhookTargetRow.id == _ID),
    # the Last Planner
    "milestone": select(MilestoneRow.workspace_id).where(MilestoneRow.id == _ID),
    "plan_task": select(PlanTaskRow.workspace_id).where(PlanTaskRow.id == _ID),
    "constraint": select(ConstraintRow.workspace_id).where(ConstraintRow.id == _ID),
    "promise": select(PromiseRow.workspace_id).where(PromiseRow.id == _ID),
    "learning_cycle": select(LearningCycleRow.workspace_id).where(LearningCycleRow.id == _ID),
}

_NOUNS = {
    "workspace": "Workspace",
    "board": "Board",
    "stage": "Stage",
    "lane": "Lane",
    "allocation": "Capacity allocation",
    "item": "Item",
    "token": "Token",
    "handoff": "Handoff",
    "rule": "Rule",
    "notification": "Notification",
    "source": "Webhook source",
    "target": "Webhook target",
    "milestone": "Milestone",
    "plan_task": "Pull-plan task",
    "constraint": "Constraint",
    "promise": "Promise",
    "learning_cycle": "Learning cycle",
}


def allow(role: Role, *, on: str, signed_in_only: bool = False):
    """A dependency: the caller holds at least `role` in the workspace of the `{on}_id` path
    parameter (and, with `signed_in_only`, calls from a browser session, not with an API
    token). It returns the Principal."""
    param = f"{on}_id"
    if on not in _OWNER_QUERIES:
        raise ValueError(f"unknown permission scope {on!r}")

    async def check(request: Request) -> Principal:
        raw = request.path_params.get(param)
        try:
            object_id, invalid = _PATH_ID.validate_python(raw), None
        except ValidationError as e:
            object_id, invalid = None, e
        # One read through run_sync (a worker thread, or none with one thread): the caller and
        # the object's workspace.
        principal, workspace_id = await run_sync(_caller, request, on, object_id)
        if principal is None:
            raise NotSignedIn("Sign in, or send an API token as 'Authorization: Bearer <token>'.")
        await _checked(request, principal)
        if invalid is not None:
            # 422 naming the parameter, as the route's own validation would answer.
            raise RequestValidationError(
                [{**error, "loc": ("path", param)} for error in invalid.errors(include_url=False)]
            ) from None
        if workspace_id is None:
            raise NotFound(_NOUNS[on], object_id)
        held = principal.role_in(workspace_id)
        if held is None:
            raise NotFound(_NOUNS[on], object_id)
        if not at_least(held, role):
            raise Forbidden(
                f"You are a {held.value} here; only a {role.value} or above may {ROLE_WORDS[role]}."
            )
        if signed_in_only and principal.via != "session":
            raise Forbidden("An API token cannot do this; sign in.")
        request.state.workspace_id = workspace_id
        return principal

    check.permission = (role, on)
    return Depends(check)


SignedIn = Annotated[Principal, Depends(signed_in)]
Admin = Annotated[Principal, Depends(instance_admin)]
