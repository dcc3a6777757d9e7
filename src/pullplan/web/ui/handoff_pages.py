"""The handoffs page of a workspace (requests I made, requests to me, with their steps and
history), and the two marks other pages show: the nav link and a card's "waiting for handoff"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import pass_context

from pullplan.domain.handoffs import STATUS_LABELS, STEP_LABELS, Step
from pullplan.domain.permissions import Role, at_least
from pullplan.services import handoffs as service
from pullplan.services.accounts import Principal
from pullplan.web.api.deps import DB, PathId
from pullplan.web.auth import allow
from pullplan.web.sync_work import SyncRoute
from pullplan.web.ui.render import render, templates

router = APIRouter(route_class=SyncRoute, include_in_schema=False)

# The API path of each step.
STEP_PATHS = {step: step.value.replace("_", "-") for step in Step if step != Step.REQUEST}


@router.get("/workspaces/{workspace_id}/handoffs", response_class=HTMLResponse)
def handoffs_page(
    request: Request,
    workspace_id: PathId,
    db: DB,
    principal: Annotated[Principal, allow(Role.VIEWER, on="workspace")],
):
    me = principal.user_id
    every = service.list_handoffs(db, workspace_id=workspace_id, limit=500)
    can_act = at_least(principal.role_in(workspace_id), Role.MEMBER)
    answerable = (me, None) if can_act else (me,)
    mine = [h for h in every if h.handoff.requester_id == me]
    # Asked of me by name, or of my team's board with nobody named yet.
    to_me = [h for h in every if h.handoff.requester_id != me and h.handoff.performer_id in answerable]
    others = [h for h in every if h not in mine and h not in to_me]
    return render(
        request,
        "handoffs.html",
        {
            "workspace_id": workspace_id,
            "workspace_name": service.workspace_name(db, workspace_id),
            "sections": [
                ("mine", "Requests I made", mine),
                ("to-me", "Requests to me", to_me),
                ("others", "Other handoffs in this workspace", others),
            ],
            "me": me,
            "can_act": can_act,
            "choices": service.request_choices(db, workspace_id) if can_act else None,
            "status_labels": {s.value: label for s, label in STATUS_LABELS.items()},
            "step_labels": {s.value: label for s, label in STEP_LABELS.items()},
            "step_paths": {s.value: path for s, path in STEP_PATHS.items()},
            "preselected_item": request.query_params.get("item", ""),
        },
    )


@pass_context
def waiting_for_handoff(context, board_id: int) -> set[int]:
    """The ids of a board's items that wait for a handoff: read once per page."""
    request = context["request"]
    cache = request.state.__dict__.setdefault("_handoff_waits", {})
    if board_id not in cache:
        cache[board_id] = service.waiting_item_ids(request.app.state.db, board_id)
    return cache[board_id]


@pass_context
def handoffs_href(context) -> str | None:
    """The handoffs page of the workspace the page shows (or of the reader's first one)."""
    workspace_id = context.get("workspace_id")
    view = context.get("view")
    if workspace_id is None and view is not None:
        workspace_id = getattr(view, "workspace_id", None)
    principal = context.get("principal")
    if workspace_id is None and principal is not None and principal.roles:
        workspace_id = min(principal.roles)
    return f"/workspaces/{workspace_id}/handoffs" if workspace_id is not None else None


templates.env.globals.update(waiting_for_handoff=waiting_for_handoff, handoffs_href=handoffs_href)
