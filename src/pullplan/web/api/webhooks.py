"""Webhooks: sources of signed inbound requests and targets of outbound ones (managers), the
delivery log, and the inbound endpoint itself, authenticated by its signature alone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from pullplan.domain.permissions import Role
from pullplan.integrations.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureRefused
from pullplan.services import webhooks as service
from pullplan.services.accounts import Principal
from pullplan.web.api.deps import DB, PathId
from pullplan.web.api.errors import RESPONSES, error_response
from pullplan.web.api.rule_schemas import (
    AttemptRead,
    DeletedRead,
    DeliveryRead,
    InboundRead,
    SourceCreate,
    SourceCreated,
    SourceRead,
    TargetCreate,
    TargetCreated,
    TargetRead,
)
from pullplan.web.auth import allow
from pullplan.web.sync_work import SyncRoute, run_sync

router = APIRouter(route_class=SyncRoute, tags=["webhooks"], responses=RESPONSES)

ManagerOfWorkspace = Annotated[Principal, allow(Role.MANAGER, on="workspace")]
ManagerOfSource = Annotated[Principal, allow(Role.MANAGER, on="source")]
ManagerOfTarget = Annotated[Principal, allow(Role.MANAGER, on="target")]
HOOK_PATH = "/api/v1/hooks/{source_id}"


def _source(row, *, secret: bool = False):
    fields = {
        "id": row.id,
        "workspace_id": row.workspace_id,
        "name": row.name,
        "created_at": row.created_at,
        "last_received_at": row.last_received_at,
        "hook_path": HOOK_PATH.format(source_id=row.id),
    }
    return SourceCreated(**fields, secret=row.secret) if secret else SourceRead(**fields)


@router.get("/workspaces/{workspace_id}/webhook-sources", response_model=list[SourceRead])
def list_sources(workspace_id: PathId, db: DB, _: ManagerOfWorkspace):
    return [_source(r) for r in service.list_sources(db, workspace_id=workspace_id)]


@router.post("/workspaces/{workspace_id}/webhook-sources", response_model=SourceCreated, status_code=201)
def create_source(workspace_id: PathId, body: SourceCreate, db: DB, principal: ManagerOfWorkspace):
    """A new inbound source. Its secret is in this answer only: keep it in the sending tool."""
    row = service.create_source(db, actor_id=principal.user_id, workspace_id=workspace_id, name=body.name)
    return _source(row, secret=True)


@router.delete("/webhook-sources/{source_id}", response_model=DeletedRead)
def delete_source(source_id: PathId, db: DB, principal: ManagerOfSource):
    service.delete_source(db, actor_id=principal.user_id, source_id=source_id)
    return DeletedRead(id=source_id)


@router.get("/workspaces/{workspace_id}/webhook-targets", response_model=list[TargetRead])
def list_targets(workspace_id: PathId, db: DB, _: ManagerOfWorkspace):
    return service.list_targets(db, workspace_id=workspace_id)


@router.post("/workspaces/{workspace_id}/webhook-targets", response_model=TargetCreated, status_code=201)
def create_target(workspace_id: PathId, body: TargetCreate, db: DB, principal: ManagerOfWorkspace):
    """A receiver of outbound webhooks (a `notify` action names it). Its secret, which signs
    every request to it, is in this answer only."""
    row = service.create_target(
        db, actor_id=principal.user_id, workspace_id=workspace_id, name=body.name, url=body.url
    )
    return TargetCreated.model_validate(row)


@router.delete("/webhook-targets/{target_id}", response_model=DeletedRead)
def delete_target(target_id: PathId, db: DB, principal: ManagerOfTarget):
    service.delete_target(db, actor_id=principal.user_id, target_id=target_id)
    return DeletedRead(id=target_id)


@router.get("/workspaces/{workspace_id}/deliveries", response_model=list[DeliveryRead])
def deliveries(
    workspace_id: PathId,
    db: DB,
    _: ManagerOfWorkspace,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
):
    """Outbound webhooks, newest first, each with its delivery attempts."""
    return [
        DeliveryRead(
            id=d.outbox.id,
            target=d.target,
            event=d.outbox.event,
            payload=d.outbox.payload,
            created_at=d.outbox.created_at,
            attempts=d.outbox.attempts,
            next_attempt_at=d.outbox.next_attempt_at,
            delivered_at=d.outbox.delivered_at,
            failed_at=d.outbox.failed_at,
            last_error=d.outbox.last_error,
            log=[AttemptRead.model_validate(a) for a in d.attempts],
        )
        for d in service.deliveries(db, workspace_id=workspace_id, limit=limit)
    ]


@router.post(
    "/hooks/{source_id}",
    response_model=InboundRead,
    status_code=202,
    openapi_extra={
        "security": [],
        "parameters": [
            {"name": TIMESTAMP_HEADER, "in": "header", "required": True, "schema": {"type": "string"}},
            {"name": SIGNATURE_HEADER, "in": "header", "required": True, "schema": {"type": "string"}},
        ],
        "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
    },
)
async def receive(source_id: PathId, request: Request, db: DB):
    """A signed request from an inbound source (a CRM, a form tool). No session or token:
    the signature is the authentication (see README, "Webhooks"). The workspace's
    `webhook.received` rules fire on it at once. 401: missing, wrong or stale signature;
    409: a replay; 422: the body is not a JSON object. A refused request writes nothing."""
    body = await request.body()
    try:
        received = await run_sync(
            service.receive, db, source_id=source_id, headers=request.headers, body=body
        )
    except SignatureRefused as e:
        return error_response(401, e.code, e.message, request)
    return InboundRead(request_id=received.request_id, source=received.source, fired=received.fired)
