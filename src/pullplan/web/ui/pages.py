"""The pages: the list of boards and a board, read-only."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from pullplan.domain.board import CLASS_LABELS, ClassOfService
from pullplan.domain.items import age_days
from pullplan.services import boards as service
from pullplan.web.api.deps import DB, PathId

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals.update(class_label=lambda c: CLASS_LABELS[ClassOfService(c)])

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DB):
    workspaces: dict = {}
    for board, workspace in service.all_boards(db):
        workspaces.setdefault(workspace, []).append(board)
    return templates.TemplateResponse(request, "home.html", {"workspaces": workspaces})


@router.get("/boards/{board_id}", response_class=HTMLResponse)
def board_page(request: Request, board_id: PathId, db: DB):
    view = service.read_board(db, board_id)
    today = view.read_at.date()
    last_option, first_committed = view.board.commitment_point
    return templates.TemplateResponse(
        request,
        "board.html",
        {
            "view": view,
            "today": today,
            "age": lambda item: age_days(item, today),
            "commitment_after": last_option.id if last_option and first_committed else None,
        },
    )
