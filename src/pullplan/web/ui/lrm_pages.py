"""The commit-by page of a workspace: every option's last responsible moment and why, the
commitment timing of each board, and the workspace's LRM settings (changed by managers);
members split an aggregate from its template there."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import pass_context

from pullplan.domain.permissions import Role, at_least
from pullplan.services import accounts, aggregates, lrm, lrm_settings
from pullplan.services import boards as board_service
from pullplan.services.accounts import Principal
from pullplan.services.errors import InvalidInput, NotFound, ServiceError
from pullplan.web.api.deps import DB, PathId
from pullplan.web.api.errors import STATUS
from pullplan.web.auth import allow
from pullplan.web.sync_work import SyncRoute
from pullplan.web.ui.render import render, templates

router = APIRouter(route_class=SyncRoute, include_in_schema=False)

Viewer = Annotated[Principal, allow(Role.VIEWER, on="workspace")]
Member = Annotated[Principal, allow(Role.MEMBER, on="workspace")]
Manager = Annotated[Principal, allow(Role.MANAGER, on="workspace")]
OptionalId = Annotated[int | None, Query(ge=1, le=2_147_483_647)]
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MESSAGES = {
    "settings": "The LRM settings are saved.",
    "split": "The item is split into its children.",
    "template": "The split template is saved.",
}


def _page(
    request: Request,
    db,
    principal: Principal,
    workspace_id: int,
    *,
    board_id: int | None = None,
    owner_id: int | None = None,
    message: str | None = None,
    problem: str | None = None,
    status_code: int = 200,
):
    workspace = board_service.get_workspace(db, workspace_id)
    boards = board_service.list_boards(db, workspace_id)
    rows = lrm.workspace_lrm(db, workspace_id=workspace_id, owner_id=owner_id, board_id=board_id)
    options = sorted((r for r in rows if r.commit_by), key=lambda r: (r.commit_by, r.item.id))
    committed = [r for r in rows if r.commit_by is None]
    timing = [
        (b, lrm.commitment_timing_summary(db, board_id=b.id))
        for b in boards
        if board_id is None or b.id == board_id
    ]
    levels = [
        (b, lrm.service_levels(db, board_id=b.id)) for b in boards if board_id is None or b.id == board_id
    ]
    role = principal.role_in(workspace_id)
    with db.read() as session:
        templates = aggregates.load_templates(session, workspace_id)
    return render(
        request,
        "commit_by.html",
        {
            "workspace": workspace,
            "boards": boards,
            "members": [user for user, _ in accounts.list_members(db, workspace_id)],
            "board_id": board_id,
            "owner_id": owner_id,
            "options": options,
            "committed": committed,
            "timing": timing,
            "levels": levels,
            "settings": lrm_settings.get_settings(db, workspace_id).as_dict(),
            "templates": templates,
            "split_templates": aggregates.list_templates(db, workspace_id),
            "work_types": board_service.list_work_types(db, workspace_id),
            "weekdays": list(enumerate(WEEKDAY_NAMES, start=1)),
            "can_split": at_least(role, Role.MEMBER),
            "can_manage": at_least(role, Role.MANAGER),
            "message": message,
            "problem": problem,
        },
        status_code=status_code,
    )


@router.get("/workspaces/{workspace_id}/commit-by", response_class=HTMLResponse)
def commit_by_page(
    request: Request,
    workspace_id: PathId,
    db: DB,
    principal: Viewer,
    board_id: OptionalId = None,
    owner_id: OptionalId = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
):
    return _page(
        request, db, principal, workspace_id, board_id=board_id, owner_id=owner_id, message=MESSAGES.get(done)
    )


def _number(field: str, text: str, *, blank_is_none: bool = False) -> int | None:
    text = text.strip()
    if not text and blank_is_none:
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(field, f"{text[:20]!r} is not a whole number.") from None


def _dates(text: str) -> list[str]:
    return [part for part in text.replace(",", " ").split() if part]


@router.post("/workspaces/{workspace_id}/commit-by/settings", response_class=HTMLResponse)
def save_settings(
    request: Request,
    workspace_id: PathId,
    db: DB,
    principal: Manager,
    default_percentile: Annotated[str, Form(max_length=10)] = "",
    fixed_date_percentile: Annotated[str, Form(max_length=10)] = "",
    standard_percentile: Annotated[str, Form(max_length=10)] = "",
    cadence_days: Annotated[str, Form(max_length=10)] = "",
    fixed_date_buffer: Annotated[str, Form(max_length=10)] = "",
    standard_buffer: Annotated[str, Form(max_length=10)] = "",
    lookahead_days: Annotated[str, Form(max_length=10)] = "",
    use_working_days: Annotated[str, Form(max_length=10)] = "",
    working_days: Annotated[list[str] | None, Form()] = None,
    holidays: Annotated[str, Form(max_length=10_000)] = "",
    time_zone: Annotated[str, Form(max_length=64)] = "",
):
    """The settings form: blank class fields go back to the default percentile or cadence."""
    try:
        changes = {
            "default_percentile": _number("default_percentile", default_percentile),
            "class_percentiles": {
                "fixed_date": _number("fixed_date_percentile", fixed_date_percentile, blank_is_none=True),
                "standard": _number("standard_percentile", standard_percentile, blank_is_none=True),
            },
            "cadence_days": _number("cadence_days", cadence_days),
            "class_buffers": {
                "fixed_date": _number("fixed_date_buffer", fixed_date_buffer, blank_is_none=True),
                "standard": _number("standard_buffer", standard_buffer, blank_is_none=True),
            },
            "lookahead_days": _number("lookahead_days", lookahead_days),
            "use_working_days": use_working_days == "on",
            "working_days": [_number("working_days", d) for d in working_days or []],
            "holidays": _dates(holidays),
            "time_zone": time_zone.strip(),
        }
        lrm_settings.update_settings(
            db, actor_id=principal.user_id, workspace_id=workspace_id, changes=changes
        )
    except InvalidInput as e:
        return _page(request, db, principal, workspace_id, problem=e.message, status_code=422)
    return RedirectResponse(f"/workspaces/{workspace_id}/commit-by?done=settings", status_code=303)


@router.post("/workspaces/{workspace_id}/commit-by/templates", response_class=HTMLResponse)
def save_template(
    request: Request,
    workspace_id: PathId,
    db: DB,
    principal: Manager,
    work_type_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
    children: Annotated[str, Form(max_length=20_000)] = "",
):
    """A work type's split template, one child a line: TITLE | TYPE | STAGE | OFFSET."""
    try:
        lines = aggregates.children_from_lines(db, workspace_id, children.splitlines(), "children")
        aggregates.set_template(
            db,
            actor_id=principal.user_id,
            workspace_id=workspace_id,
            work_type_id=work_type_id,
            children=lines,
        )
    except InvalidInput as e:
        return _page(request, db, principal, workspace_id, problem=e.message, status_code=422)
    return RedirectResponse(f"/workspaces/{workspace_id}/commit-by?done=template", status_code=303)


@router.post("/workspaces/{workspace_id}/commit-by/split", response_class=HTMLResponse)
def split_from_template(
    request: Request,
    workspace_id: PathId,
    db: DB,
    principal: Member,
    item_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
):
    """Split an aggregate of this workspace from its work type's template."""
    try:
        aggregates.split_item(db, actor_id=principal.user_id, item_id=item_id, workspace_id=workspace_id)
    except ServiceError as e:
        if isinstance(e, NotFound):
            raise
        status = next((s for kind, s in STATUS.items() if isinstance(e, kind)), 400)
        return _page(request, db, principal, workspace_id, problem=e.message, status_code=status)
    return RedirectResponse(f"/workspaces/{workspace_id}/commit-by?done=split", status_code=303)


@pass_context
def commit_by_href(context) -> str | None:
    """The commit-by page of the workspace the page shows (or the reader's first one)."""
    workspace = context.get("workspace")
    view = context.get("view")
    workspace_id = getattr(workspace, "id", None) or getattr(view, "workspace_id", None)
    principal = context.get("principal")
    if workspace_id is None and principal is not None and principal.roles:
        workspace_id = min(principal.roles)
    return f"/workspaces/{workspace_id}/commit-by" if workspace_id is not None else None


templates.env.globals.update(commit_by_href=commit_by_href)
