"""The rules editor (list, create, switch on or off, delete) and the notification list of a
workspace, with plain forms; and the nav link every page shows."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import pass_context
from sqlalchemy import select

from pullplan.domain.permissions import Role, at_least
from pullplan.domain.rules import (
    CLASSES,
    EVENT_LABELS,
    FIELDS,
    ActionKind,
    EventKind,
    Operator,
)
from pullplan.integrations.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER
from pullplan.services import notifications as notification_service
from pullplan.services import rules as service
from pullplan.services import webhooks as webhook_service
from pullplan.services.accounts import Principal
from pullplan.services.errors import Conflict, ServiceError
from pullplan.storage.tables import BoardRow, WorkspaceRow, WorkTypeRow
from pullplan.web.api.deps import DB, PathId
from pullplan.web.auth import allow
from pullplan.web.sync_work import SyncRoute, run_sync
from pullplan.web.ui.render import render, templates

router = APIRouter(route_class=SyncRoute, include_in_schema=False)

Viewer = Annotated[Principal, allow(Role.VIEWER, on="workspace")]
Manager = Annotated[Principal, allow(Role.MANAGER, on="workspace")]
RuleManager = Annotated[Principal, allow(Role.MANAGER, on="rule")]
SourceManager = Annotated[Principal, allow(Role.MANAGER, on="source")]
CONDITION_ROWS = 3
ACTION_LABELS = {
    ActionKind.CREATE_ITEM: "create an item",
    ActionKind.MOVE_ITEM: "move the item",
    ActionKind.PROMOTE_EXPEDITE: "promote the item to expedite",
    ActionKind.ADD_BLOCKER: "block the item",
    ActionKind.NOTIFY: "notify",
}


def _choices(db, workspace_id: int) -> dict:
    with db.read() as session:
        return {
            "workspace_name": session.scalar(
                select(WorkspaceRow.name).where(WorkspaceRow.id == workspace_id)
            ),
            "boards": session.scalars(
                select(BoardRow.name).where(BoardRow.workspace_id == workspace_id).order_by(BoardRow.name)
            ).all(),
            "work_types": session.scalars(
                select(WorkTypeRow.name)
                .where(WorkTypeRow.workspace_id == workspace_id)
                .order_by(WorkTypeRow.name)
            ).all(),
        }


def _rules_page(
    request, db, principal, workspace_id, *, error=None, form=None, status_code=200, new_source=None
):
    can_manage = at_least(principal.role_in(workspace_id), Role.MANAGER)
    context = {
        "workspace_id": workspace_id,
        "rules": service.list_rules(db, workspace_id=workspace_id),
        "fired": service.firing_counts(db, workspace_id=workspace_id),
        "can_manage": can_manage,
        "sources": webhook_service.list_sources(db, workspace_id=workspace_id) if can_manage else [],
        "new_source": new_source,
        "signature_headers": (TIMESTAMP_HEADER, SIGNATURE_HEADER),
        "events": [(e.value, label) for e, label in EVENT_LABELS.items()],
        "fields": FIELDS,
        "operators": [o.value for o in Operator],
        "actions": [(a.value, label) for a, label in ACTION_LABELS.items()],
        "classes": CLASSES,
        "condition_rows": range(CONDITION_ROWS),
        "error": error,
        "form": form or {},
        **_choices(db, workspace_id),
    }
    return render(request, "rules.html", context, status_code=status_code)


@router.get("/workspaces/{workspace_id}/rules", response_class=HTMLResponse)
def rules_page(request: Request, workspace_id: PathId, db: DB, principal: Viewer):
    return _rules_page(request, db, principal, workspace_id)


@router.post("/workspaces/{workspace_id}/rules", response_class=HTMLResponse)
async def create_rule(request: Request, workspace_id: PathId, db: DB, principal: Manager):
    """The form's rule (or the JSON pasted in it); on a problem the page again, saying which
    field is wrong, with nothing saved."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        data = rule_from_form(form)
        await run_sync(
            service.create_rule, db, actor_id=principal.user_id, workspace_id=workspace_id, data=data
        )
    except (ServiceError, ValueError) as e:
        message = getattr(e, "message", None) or str(e)
        return await run_sync(
            _rules_page, request, db, principal, workspace_id, error=message, form=form, status_code=422
        )
    return RedirectResponse(f"/workspaces/{workspace_id}/rules", status_code=303)


@router.post("/rules/{rule_id}/enabled", response_class=HTMLResponse)
async def switch_rule(request: Request, rule_id: PathId, db: DB, principal: RuleManager):
    form = await request.form()
    on = form.get("enabled") == "true"
    rule = await run_sync(service.update_rule, db, actor_id=principal.user_id, rule_id=rule_id, enabled=on)
    return RedirectResponse(f"/workspaces/{rule.workspace_id}/rules", status_code=303)


@router.post("/rules/{rule_id}/delete", response_class=HTMLResponse)
def delete_rule(request: Request, rule_id: PathId, db: DB, principal: RuleManager):
    workspace_id = service.get_rule(db, rule_id).workspace_id
    service.delete_rule(db, actor_id=principal.user_id, rule_id=rule_id)
    return RedirectResponse(f"/workspaces/{workspace_id}/rules", status_code=303)


@router.post("/workspaces/{workspace_id}/webhook-sources", response_class=HTMLResponse)
async def add_source(request: Request, workspace_id: PathId, db: DB, principal: Manager):
    """A new inbound source: the page again, showing its secret this once."""
    form = await request.form()
    try:
        row = await run_sync(
            webhook_service.create_source,
            db,
            actor_id=principal.user_id,
            workspace_id=workspace_id,
            name=form.get("source_name", ""),
        )
    except ServiceError as e:
        return await run_sync(
            _rules_page, request, db, principal, workspace_id, error=e.message, status_code=_status(e)
        )
    return await run_sync(_rules_page, request, db, principal, workspace_id, new_source=row)


@router.post("/webhook-sources/{source_id}/delete", response_class=HTMLResponse)
def delete_source(request: Request, source_id: PathId, db: DB, principal: SourceManager):
    workspace_id = request.state.workspace_id
    webhook_service.delete_source(db, actor_id=principal.user_id, source_id=source_id)
    return RedirectResponse(f"/workspaces/{workspace_id}/rules", status_code=303)


def _status(error: ServiceError) -> int:
    return 409 if isinstance(error, Conflict) else 422


@router.get("/workspaces/{workspace_id}/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, workspace_id: PathId, db: DB, principal: Viewer):
    return render(
        request,
        "notifications.html",
        {
            "workspace_id": workspace_id,
            "workspace_name": _choices(db, workspace_id)["workspace_name"],
            "notifications": notification_service.list_notifications(
                db, workspace_id=workspace_id, limit=200
            ),
        },
    )


@router.post("/workspaces/{workspace_id}/notifications/read", response_class=HTMLResponse)
def mark_all_read(request: Request, workspace_id: PathId, db: DB, principal: Viewer):
    notification_service.mark_all_read(db, actor_id=principal.user_id, workspace_id=workspace_id)
    return RedirectResponse(f"/workspaces/{workspace_id}/notifications", status_code=303)


def rule_from_form(form: dict[str, str]) -> dict:
    """The rule a filled-in form describes: its JSON box when given, else its fields."""
    raw = form.get("json", "").strip()
    if raw:
        try:
            return json.loads(raw)
        except json.JSONDecodeError as e:
            raise ValueError(f"json: not JSON ({e.msg} at line {e.lineno}, column {e.colno}).") from None
    data: dict = {"name": form.get("name", ""), "event": form.get("event", "")}
    if form.get("event") == EventKind.DUE_SOON.value:
        data["days"] = _whole(form.get("days", ""), "days")
    if form.get("event") == EventKind.WEBHOOK_RECEIVED.value and form.get("source", "").strip():
        data["source"] = form["source"]
    conditions = []
    for n in range(CONDITION_ROWS):
        field = form.get(f"condition_{n}_field", "").strip()
        path = form.get(f"condition_{n}_path", "").strip()
        value = form.get(f"condition_{n}_value", "").strip()
        if not field or (not value and not path):
            continue
        if field == "payload":
            field = f"payload.{path}"
        op = form.get(f"condition_{n}_op", "equals")
        conditions.append(
            {
                "field": field,
                "op": op,
                "value": [v.strip() for v in value.split(",") if v.strip()] if op == "in" else value,
            }
        )
    data["conditions"] = conditions
    action: dict = {"kind": form.get("action", "")}
    for key in ("board", "stage", "title", "type", "class_of_service", "reason", "message", "target"):
        if form.get(key, "").strip():
            action[key] = form[key]
    if form.get("due_in_days", "").strip():
        action["due_in_days"] = _whole(form["due_in_days"], "due_in_days")
    keep = {
        ActionKind.CREATE_ITEM.value: {"board", "stage", "title", "type", "class_of_service", "due_in_days"},
        ActionKind.MOVE_ITEM.value: {"stage"},
        ActionKind.ADD_BLOCKER.value: {"reason"},
        ActionKind.NOTIFY.value: {"message", "target"},
    }.get(action["kind"], set())
    data["actions"] = [{k: v for k, v in action.items() if k == "kind" or k in keep}]
    return data


def _whole(text: str, field: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"{field}: must be a whole number.") from None


@pass_context
def workspace_nav(context) -> str | None:
    """`/workspaces/<id>` of the workspace the page shows (or the reader's first one)."""
    workspace_id = context.get("workspace_id")
    view = context.get("view")
    if workspace_id is None and view is not None:
        workspace_id = getattr(view, "workspace_id", None)
    principal = context.get("principal")
    if workspace_id is None and principal is not None and principal.roles:
        workspace_id = min(principal.roles)
    return f"/workspaces/{workspace_id}" if workspace_id is not None else None


@pass_context
def unread_notifications(context) -> int:
    """How many notifications of the nav's workspace are unread (0 for none to show)."""
    nav = workspace_nav(context)
    if nav is None:
        return 0
    workspace_id = int(nav.rsplit("/", 1)[1])
    principal = context.get("principal")
    if principal is None or principal.role_in(workspace_id) is None:
        return 0
    return notification_service.unread_count(context["request"].app.state.db, workspace_id=workspace_id)


templates.env.globals.update(workspace_nav=workspace_nav, unread_notifications=unread_notifications)
