"""The last responsible moment: commit-by dates, LRM statuses and the workspace's LRM settings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pullplan.domain.permissions import Role
from pullplan.services import lrm, lrm_settings
from pullplan.services.accounts import Principal
from pullplan.services.errors import InvalidInput
from pullplan.web.api.deps import DB, PathId
from pullplan.web.api.errors import RESPONSES
from pullplan.web.auth import allow
from pullplan.web.sync_work import SyncRoute

router = APIRouter(route_class=SyncRoute, tags=["last responsible moment"], responses=RESPONSES)

ViewerOnBoard = Annotated[Principal, allow(Role.VIEWER, on="board")]
ViewerOnWorkspace = Annotated[Principal, allow(Role.VIEWER, on="workspace")]
ManagerOnWorkspace = Annotated[Principal, allow(Role.MANAGER, on="workspace")]


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
    buffer_days: int | None = Field(None, description="The buffer kept before the commit-by date")
    forecast_children: int | None = Field(
        None, description="An aggregate: LT_p is a Monte Carlo forecast of this many children"
    )
    children_done: int | None = Field(None, description="An aggregate split into children: how many are done")
    children_total: int | None = Field(None, description="... of how many (discarded children not counted)")
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
            buffer_days=r.buffer_days,
            forecast_children=r.forecast_children,
            children_done=r.aggregate.done if r.aggregate else None,
            children_total=r.aggregate.total if r.aggregate else None,
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
    board_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
):
    """The commit-by view of every board of the workspace (optionally one board's, one owner's
    items)."""
    return _rows(lrm.workspace_lrm(db, workspace_id=workspace_id, owner_id=owner_id, board_id=board_id))


class ServiceLevelRead(BaseModel):
    work_type: str | None = Field(description="None: the whole board")
    class_of_service: str | None = Field(description="None: the whole board")
    percentile: int
    days: int
    samples: int
    sentence: str = Field(description='In words: "85% of standard Content items finish within 12 days"')


@router.get("/boards/{board_id}/service-levels", response_model=list[ServiceLevelRead])
def service_levels(board_id: PathId, db: DB, _: ViewerOnBoard):
    """The board's service level expectations: the whole board's, then each work type and class
    with at least 20 finished items, at the workspace's percentile p of that class."""
    return [
        ServiceLevelRead(
            work_type=s.work_type,
            class_of_service=s.class_of_service.value if s.class_of_service else None,
            percentile=s.lead_time.percentile,
            days=s.lead_time.days,
            samples=s.lead_time.samples,
            sentence=s.sentence,
        )
        for s in lrm.service_levels(db, board_id=board_id)
    ]


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


# --- the workspace's LRM settings ---------------------------------------------------------------

Percentile = Annotated[int, Field(ge=1, le=100)]
# A class of service with a commit-by date (fixed_date, standard): checked by the service,
# which says why the others have none.
LrmClass = Annotated[str, StringConstraints(min_length=1, max_length=20)]


class ClassLrmRead(BaseModel):
    percentile: int
    buffer_days: int


class LrmSettingsRead(BaseModel):
    workspace_id: int
    default_percentile: int = Field(description="p of LT_p for every class without its own")
    class_percentiles: dict[str, int] = Field(description="p of a class, where it differs")
    cadence_days: int = Field(description="The replenishment cadence: the default buffer")
    class_buffers: dict[str, int] = Field(description="A class's buffer in days, where not one cadence")
    lookahead_days: int = Field(description="Commit-by dates within this window are 'approaching'")
    use_working_days: bool = Field(description="Count working days (else calendar days)")
    working_days: list[int] = Field(description="ISO weekdays that are worked, Monday 1 to Sunday 7")
    holidays: list[dt.date]
    time_zone: str = Field(description="The workspace's time zone, in which its days are counted")
    classes: dict[str, ClassLrmRead] = Field(description="What each class with an LRM gets")


class LrmSettingsUpdate(BaseModel):
    """Only the fields sent change; a class's percentile or buffer set to null goes back to the
    default percentile or the cadence."""

    model_config = ConfigDict(extra="forbid")

    default_percentile: Percentile | None = None
    class_percentiles: dict[LrmClass, Percentile | None] | None = Field(None, max_length=4)
    cadence_days: Annotated[int, Field(ge=1, le=90)] | None = None
    class_buffers: dict[LrmClass, Annotated[int, Field(ge=0, le=365)] | None] | None = Field(
        None, max_length=4
    )
    lookahead_days: Annotated[int, Field(ge=1, le=365)] | None = None
    use_working_days: bool | None = None
    working_days: list[Annotated[int, Field(ge=1, le=7)]] | None = Field(None, min_length=1, max_length=7)
    holidays: list[dt.date] | None = Field(None, max_length=lrm_settings.MAX_HOLIDAYS)
    time_zone: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


@router.get("/workspaces/{workspace_id}/lrm-settings", response_model=LrmSettingsRead)
def get_lrm_settings(workspace_id: PathId, db: DB, _: ViewerOnWorkspace):
    """The percentile p and buffer per class of service, the replenishment cadence, the
    lookahead window and the calendar that every commit-by date of the workspace uses."""
    return lrm_settings.get_settings(db, workspace_id).as_dict()


@router.patch("/workspaces/{workspace_id}/lrm-settings", response_model=LrmSettingsRead)
def update_lrm_settings(workspace_id: PathId, body: LrmSettingsUpdate, db: DB, principal: ManagerOnWorkspace):
    """Change the workspace's LRM settings (managers). Fields left out keep their value."""
    changes = body.model_dump(exclude_unset=True)
    for key, value in changes.items():
        if value is None:
            raise InvalidInput(key, "must not be null.")
    return lrm_settings.update_settings(
        db, actor_id=principal.user_id, workspace_id=workspace_id, changes=changes
    ).as_dict()
