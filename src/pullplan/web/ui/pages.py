"""The pages: the boards of your workspaces, and a board (its items pulled by members)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pullplan.domain.board import Lane, StageKind
from pullplan.domain.items import age_days
from pullplan.domain.permissions import Role, at_least
from pullplan.services import aggregates, lrm
from pullplan.services import boards as service
from pullplan.services.accounts import Principal, list_members
from pullplan.services.boards import BoardView
from pullplan.storage.database import Database
from pullplan.web.api.deps import DB, PathId
from pullplan.web.auth import SignedIn, allow
from pullplan.web.sync_work import SyncRoute
from pullplan.web.ui.render import render

router = APIRouter(route_class=SyncRoute, include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DB, principal: SignedIn):
    workspaces: dict = {}
    for board, workspace in service.all_boards(db):
        if principal.role_in(workspace.id) is not None:
            workspaces.setdefault(workspace, []).append(board)
    return render(request, "home.html", {"workspaces": workspaces})


@dataclass(frozen=True)
class LaneRow:
    """A horizontal band of the board page: a lane (or, on a board with lanes, the items in
    none) with its count of items in the committed stages, against the lane's WIP limit."""

    lane: Lane | None
    count: int
    row: int  # its grid row on the page: 2, 3, ... (row 1 holds the stage headers)

    @property
    def key(self) -> str:
        return str(self.lane.id) if self.lane else "none"

    @property
    def name(self) -> str:
        return self.lane.name if self.lane else "No lane"

    @property
    def over_limit(self) -> bool:
        return self.lane is not None and self.lane.wip_limit is not None and self.count > self.lane.wip_limit

    @property
    def at_limit(self) -> bool:
        return self.lane is not None and self.lane.wip_limit is not None and self.count >= self.lane.wip_limit


def lane_rows(view: BoardView) -> list[LaneRow]:
    """The board's lanes, then "No lane" (shown only while an item is in no lane): empty for
    a board without lanes. Counted as the pull policy counts a lane: its committed items."""
    if not view.board.lanes:
        return []
    counts: dict[int | None, int] = {}
    for sv in view.stages:
        if sv.stage.kind == StageKind.COMMITTED:
            for card in sv.items:
                counts[card.lane_id] = counts.get(card.lane_id, 0) + 1
    lanes = [*view.board.lanes, None]
    return [
        LaneRow(lane, counts.get(lane.id if lane else None, 0), row)
        for row, lane in enumerate(lanes, start=2)
    ]


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
    return render(
        request,
        "board.html",
        board_context(
            db,
            view,
            lrm_by_item=lrm_by_item,
            progress=aggregates.board_progress(db, board_id),
            aging_days=aging.days if aging else None,
            last_transition=last_transition,
            # Only what the server would allow is offered; the move API checks again.
            can_move=at_least(principal.role_in(view.workspace_id), Role.MEMBER),
        ),
    )


def board_context(
    db: Database,
    view: BoardView,
    *,
    lrm_by_item: dict,
    aging_days: int | None,
    progress: dict | None = None,
    last_transition: int,
    can_move: bool,
) -> dict:
    """What board.html needs besides the reads: the cards by stage and lane, the lanes'
    counts, the "ready to pull" counts and signals, and (for members) who may own an item and
    the workspace's work types."""
    today = view.read_at.date()
    last_option, first_committed = view.board.commitment_point
    lanes = lane_rows(view)
    lane_ids = {lane.lane.id for lane in lanes if lane.lane}
    # The cards of each stage in each band: its lane's, or "none" (also for an unknown lane).
    cells: dict[tuple[int, str], list] = {}
    if lanes:
        for sv in view.stages:
            for card in sv.items:
                key = str(card.lane_id) if card.lane_id in lane_ids else "none"
                cells.setdefault((sv.stage.id, key), []).append(card)
    # Where a split stage signals "ready to pull": the stage that pulls from it.
    ready_from = {}
    for sv in view.stages:
        upstream = view.board.upstream_of(sv.stage)
        if upstream is not None and upstream.split:
            ready_from[sv.stage.id] = upstream
    owners, work_types = [], []
    if can_move:
        members = list_members(db, view.workspace_id)
        owners = sorted(((user.id, user.display_name) for user, _ in members), key=lambda o: o[1].lower())
        work_types = [(row.id, row.name) for row in service.list_work_types(db, view.workspace_id)]
    return {
        "view": view,
        "today": today,
        "age": lambda item: age_days(item, today),
        "commitment_after": last_option.id if last_option and first_committed else None,
        "lrm": lrm_by_item,
        "progress": progress or {},
        "aging_days": aging_days,
        "last_transition": last_transition,
        "lanes": lanes,
        "cells": cells,
        "ready_from": ready_from,
        "ready_counts": {
            sv.stage.id: sum(1 for card in sv.items if card.ready) for sv in view.stages if sv.stage.split
        },
        "owners": owners,
        "work_types": work_types,
        "can_move": can_move,
    }
