"""The last responsible moment: commit-by dates and LRM statuses."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from pullplan.domain.permissions import Role
from pullplan.services import lrm
from pullplan.services.accounts import Principal
from pullplan.web.api.deps import DB, PathId
from pullplan.web.api.errors import RESPONSES
from pullplan.web.auth import allow

router = APIRouter(tags=["last responsible moment"], responses=RESPONSES)

ViewerOnBoard = Annotated[Principal, allow(Role.VIEWER, on="board")]
ViewerOnWorkspace = Annotated[Principal, allow(Role.VIEWER, on="workspace")]


class ItemLrmRead(BaseModel):
    item_id: int
    title: str
    board: str
    stage_id: int
    class_of_service: str
    work_type: str | None
    owner: str | None
    due_date: dt.date | None
    status: str = Field(
        description="option, approaching, due, late (uncommitted); on_track, at_risk (committed)"
    )
    commit_by: dt.date | None = Field(
        description="due − LT_p − buffer, for uncommitted items with a due date"
    )
    lead_time_days: int | None
    lead_time_percentile: int | None
    lead_time_pooled: bool | None = Field(description="True: the board's history (the type had under 20)")
    why: str


def _rows(rows: list[lrm.ItemLrm]) -> list[ItemLrmRead]:
    return [
        ItemLrmRead(
            item_id=r.item.id,
            title=r.item.title,
            board=r.board_name,
            stage_id=r.item.stage_id,
            class_of_service=r.item.class_of_service.value,
            work_type=r.item.work_type_name,
            owner=r.item.owner_name,
            due_date=r.item.due_date,
            status=r.status.value,
            commit_by=r.commit_by,
            lead_time_days=r.lead_time.days if r.lead_time else None,
            lead_time_percentile=r.lead_time.percentile if r.lead_time else None,
            lead_time_pooled=r.lead_time.pooled if r.lead_time else None,
            why=r.why,
        )
        for r in rows
    ]


@router.get("/boards/{board_id}/commit-by", response_model=list[ItemLrmRead])
def board_commit_by(board_id: PathId, db: DB, _: ViewerOnBoard):
    """The board's open items with their last responsible moment, most urgent first: late,
    due (commit before the next replenishment), at risk, approaching, option, on track."""
    return _rows(lrm.board_lrm(db, board_id=board_id))


@router.get("/workspaces/{workspace_id}/commit-by", response_model=list[ItemLrmRead])
def workspace_commit_by(
    workspace_id: PathId,
    db: DB,
    _: ViewerOnWorkspace,
    owner_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
):
    """The commit-by view of every board of the workspace (optionally one owner's items)."""
    return _rows(lrm.workspace_lrm(db, workspace_id=workspace_id, owner_id=owner_id))


class TimedCommitmentRead(BaseModel):
    item_id: int
    title: str
    committed: dt.date
    commit_by: dt.date
    days: int = Field(description="Days after (positive) or before (negative) the commit-by date")


class CommitmentTimingRead(BaseModel):
    cadence_days: int
    median_days: float | None
    too_early_share: float | None = Field(description="Share committed more than one cadence early")
    late_share: float | None = Field(description="Share committed after their commit-by date")
    items: list[TimedCommitmentRead]


@router.get("/boards/{board_id}/commitment-timing", response_model=CommitmentTimingRead)
def commitment_timing(board_id: PathId, db: DB, _: ViewerOnBoard):
    """How many days before or after its commit-by date each item with a due date crossed the
    commitment point, and the board's summary: committing far too early is waste, late is risk."""
    summary = lrm.commitment_timing_summary(db, board_id=board_id)
    return CommitmentTimingRead(
        cadence_days=summary.cadence_days,
        median_days=summary.median_days,
        too_early_share=summary.too_early_share,
        late_share=summary.late_share,
        items=[TimedCommitmentRead(**t.__dict__) for t in summary.items],
    )
