"""Trigger rules of a workspace (managers change them, everyone in it reads them), their
firings, and the workspace's notification list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from pullplan.domain.permissions import Role
from pullplan.domain.rules import rule_data
from pullplan.services import notifications as notification_service
from pullplan.services import rules as service
from pullplan.services.accounts import Principal
from pullplan.web.api.deps import DB, PathId
from pullplan.web.api.errors import RESPONSES
from pullplan.web.api.rule_schemas import (
    DeletedRead,
    FiringRead,
    MarkedRead,
    NotificationRead,
    RuleCreate,
    RuleRead,
    RuleUpdate,
)
from pullplan.web.auth import allow
from pullplan.web.sync_work import SyncRoute

router = APIRouter(route_class=SyncRoute, tags=["rules"], responses=RESPONSES)

ViewerOfWorkspace = Annotated[Principal, allow(Role.VIEWER, on="workspace")]
ManagerOfWorkspace = Annotated[Principal, allow(Role.MANAGER, on="workspace")]
ViewerOfRule = Annotated[Principal, allow(Role.VIEWER, on="rule")]
ManagerOfRule = Annotated[Principal, allow(Role.MANAGER, on="rule")]
ViewerOfNotification = Annotated[Principal, allow(Role.VIEWER, on="notification")]
DEFINITION = ("name", "event", "days", "source", "conditions", "actions")


def rule_read(rule: service.Rule) -> RuleRead:
    data = rule_data(rule.spec)
    return RuleRead(
        id=rule.id,
        workspace_id=rule.workspace_id,
        name=rule.spec.name,
        event=rule.spec.event.value,
        days=rule.spec.days,
        source=rule.spec.source,
        conditions=data["conditions"],
        actions=data["actions"],
        enabled=rule.enabled,
        description=rule.text,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


@router.get("/workspaces/{workspace_id}/rules", response_model=list[RuleRead])
def list_rules(workspace_id: PathId, db: DB, _: ViewerOfWorkspace):
    return [rule_read(r) for r in service.list_rules(db, workspace_id=workspace_id)]


@router.post("/workspaces/{workspace_id}/rules", response_model=RuleRead, status_code=201)
def create_rule(workspace_id: PathId, body: RuleCreate, db: DB, principal: ManagerOfWorkspace):
    """A rule: `when <event> [if <conditions>] then <actions>`. Its texts (title, reason,
    message) may name the event's facts as {title}, {board}, {commit_by}, {payload.deal}..."""
    data = body.model_dump(mode="json", exclude_none=True, exclude={"enabled"})
    rule = service.create_rule(
        db, actor_id=principal.user_id, workspace_id=workspace_id, data=data, enabled=body.enabled
    )
    return rule_read(rule)


@router.get("/rules/{rule_id}", response_model=RuleRead)
def get_rule(rule_id: PathId, db: DB, _: ViewerOfRule):
    return rule_read(service.get_rule(db, rule_id))


@router.patch("/rules/{rule_id}", response_model=RuleRead)
def update_rule(rule_id: PathId, body: RuleUpdate, db: DB, principal: ManagerOfRule):
    """Switch a rule on or off (`enabled`), or change parts of it; the rest stays."""
    changes = body.model_dump(mode="json", exclude_unset=True)
    data = None
    if any(k in changes for k in DEFINITION):
        data = rule_data(service.get_rule(db, rule_id).spec)
        for key in DEFINITION:
            if key in changes:
                if changes[key] is None:
                    data.pop(key, None)
                else:
                    data[key] = _without_nones(changes[key])
    rule = service.update_rule(
        db, actor_id=principal.user_id, rule_id=rule_id, data=data, enabled=changes.get("enabled")
    )
    return rule_read(rule)


@router.delete("/rules/{rule_id}", response_model=DeletedRead)
def delete_rule(rule_id: PathId, db: DB, principal: ManagerOfRule):
    service.delete_rule(db, actor_id=principal.user_id, rule_id=rule_id)
    return DeletedRead(id=rule_id)


@router.get("/rules/{rule_id}/firings", response_model=list[FiringRead])
def rule_firings(rule_id: PathId, db: DB, _: ViewerOfRule):
    """The events the rule fired on, newest first, with what each action did."""
    return service.firings(db, rule_id=rule_id)


@router.get("/workspaces/{workspace_id}/notifications", response_model=list[NotificationRead])
def list_notifications(
    workspace_id: PathId,
    db: DB,
    _: ViewerOfWorkspace,
    unread: Annotated[bool, Query(description="Only the unread ones.")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
):
    rows = notification_service.list_notifications(
        db, workspace_id=workspace_id, unread_only=unread, limit=limit
    )
    return [_notification(row, name) for row, name in rows]


@router.post("/notifications/{notification_id}/read", response_model=NotificationRead)
def mark_read(notification_id: PathId, db: DB, principal: ViewerOfNotification):
    row = notification_service.mark_read(db, actor_id=principal.user_id, notification_id=notification_id)
    return _notification(row, None)


@router.post("/workspaces/{workspace_id}/notifications/read", response_model=MarkedRead)
def mark_all_read(workspace_id: PathId, db: DB, principal: ViewerOfWorkspace):
    marked = notification_service.mark_all_read(db, actor_id=principal.user_id, workspace_id=workspace_id)
    return MarkedRead(marked=marked)


def _notification(row, rule_name: str | None) -> NotificationRead:
    return NotificationRead(
        id=row.id,
        workspace_id=row.workspace_id,
        rule_id=row.rule_id,
        rule=rule_name,
        item_id=row.item_id,
        message=row.message,
        created_at=row.created_at,
        read_at=row.read_at,
    )


def _without_nones(value):
    if isinstance(value, list):
        return [_without_nones(x) for x in value]
    if isinstance(value, dict):
        return {k: _without_nones(x) for k, x in value.items() if x is not None}
    return value
