"""The pages: the boards of your workspaces, and a board (its items pulled by members)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pullplan.domain.items import age_days
from pullplan.domain.permissions import Role, at_least
from pullplan.services import boards as service
from pullplan.services import lrm
from pullplan.services.accounts import Principal
from pullplan.web.api.deps import DB, PathId
from pullplan.web.auth import SignedIn, allow
from pullplan.web.ui.render import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DB, principal: SignedIn):
    workspaces: dict = {}
    for board, workspace in service.all_boards(db):
        if principal.role_in(workspace.id) is not None:
            workspaces.setdefault(workspace, []).append(board)
    return render(request, "home.html", {"workspaces": workspaces})


@router.get("/boards/{board_id}", response_class=HTMLResponse)
def board_page(
    request: Request,
    board_id: PathId,
    db: DB,
    principal: Annotated[Principal, allow(Role.VIEWER, on="board")],
):
    last_transition = service.last_transition_id(db, board_id)  # read first: never miss a change
    view = service.read_board(db, board_id)
    model = lrm.board_model(db, board_id)
    lrm_by_item = {row.item.id: row for row in lrm.board_lrm(db, board_id=board_id, model=model)}
    aging = model[0].board_lead_time(85)  # a card older than this is marked
    today = view.read_at.date()
    last_option, first_committed = view.board.commitment_point
    return render(
        request,
        "board.html",
        {
            "view": view,
            "today": today,
            "age": lambda item: age_days(item, today),
            "commitment_after": last_option.id if last_option and first_committed else None,
            "lrm": lrm_by_item,
            "aging_days": aging.days if aging else None,
            "last_transition": last_transition,
            # Only what the server would allow is offered; the move API checks again.
            "can_move": at_least(principal.role_in(view.workspace_id), Role.MEMBER),
        },
    )
