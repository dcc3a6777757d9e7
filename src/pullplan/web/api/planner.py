"""The Last Planner API: milestones and pull plans, the lookahead and constraint log, weekly
plans with promises and check-ins, week close, metrics and learning cycles.

Viewers read; members plan, promise, check in, close weeks and log constraints; managers set
the lookahead window and the reasons for variance."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from pullplan.domain.permissions import Role
from pullplan.domain.planner import CATEGORY_LABELS, ConstraintStatus
from pullplan.services import planner as service
from pullplan.services import planner_weeks as weeks_service
from pullplan.services.accounts import Principal
from pullplan.web.api.deps import DB, PathId
from pullplan.web.api.errors import RESPONSES
from pullplan.web.api.planner_schemas import (
    CategoryRead,
    CheckInCreate,
    ConstraintCreate,
    ConstraintRead,
    ConstraintUpdate,
    LearningCycleCreate,
    LearningCycleRead,
    LearningCycleUpdate,
    LookaheadRead,
    MilestoneCreate,
    MilestoneRead,
    MilestoneUpdate,
    PlannerMetricsRead,
    PlannerSettingsRead,
    PlannerSettingsUpdate,
    PlanTaskCreate,
    PlanTaskRead,
    PlanTaskUpdate,
    PromiseCreate,
    PromiseRead,
    PromiseResultRead,
    ReasonRead,
    SnapshotRead,
    WeekCloseRequest,
    WeekPlanRead,
)
from pullplan.web.auth import allow
from pullplan.web.sync_work import SyncRoute

router = APIRouter(route_class=SyncRoute, tags=["last planner"], responses=RESPONSES)

ViewerOnWorkspace = Annotated[Principal, allow(Role.VIEWER, on="workspace")]
MemberOnWorkspace = Annotated[Principal, allow(Role.MEMBER, on="workspace")]
ManagerOnWorkspace = Annotated[Principal, allow(Role.MANAGER, on="workspace")]
ViewerOnMilestone = Annotated[Principal, allow(Role.VIEWER, on="milestone")]
MemberOnMilestone = Annotated[Principal, allow(Role.MEMBER, on="milestone")]
MemberOnPlanTask = Annotated[Principal, allow(Role.MEMBER, on="plan_task")]
MemberOnConstraint = Annotated[Principal, allow(Role.MEMBER, on="constraint")]
MemberOnPromise = Annotated[Principal, allow(Role.MEMBER, on="promise")]
MemberOnLearningCycle = Annotated[Principal, allow(Role.MEMBER, on="learning_cycle")]


def settings_read(settings: service.PlannerSettings) -> PlannerSettingsRead:
    return PlannerSettingsRead(
        lookahead_weeks=settings.lookahead_weeks,
        lag_weeks=settings.lag_weeks,
        reasons=[ReasonRead.model_validate(r) for r in settings.reasons],
        constraint_categories=[
            CategoryRead(code=c.value, label=label) for c, label in CATEGORY_LABELS.items()
        ],
    )


def week_plan_read(plan: weeks_service.WeekPlan) -> WeekPlanRead:
    read = WeekPlanRead.model_validate(
        {**plan.__dict__, "at_risk": [p.id for p in plan.at_risk]}, from_attributes=True
    )
    return read


# --- settings -------------------------------------------------------------------------------


@router.get("/workspaces/{workspace_id}/planner/settings", response_model=PlannerSettingsRead)
def get_planner_settings(workspace_id: PathId, db: DB, _: ViewerOnWorkspace):
    return settings_read(service.get_settings(db, workspace_id))


@router.put("/workspaces/{workspace_id}/planner/settings", response_model=PlannerSettingsRead)
def set_planner_settings(
    workspace_id: PathId, body: PlannerSettingsUpdate, db: DB, principal: ManagerOnWorkspace
):
    """Managers set the lookahead window (weeks), the lag k of TA and TMR, and the workspace's
    taxonomy of reasons for variance."""
    reasons = None if body.reasons is None else [r.model_dump() for r in body.reasons]
    return settings_read(
        service.update_settings(
            db,
            actor_id=principal.user_id,
            workspace_id=workspace_id,
            lookahead_weeks=body.lookahead_weeks,
            lag_weeks=body.lag_weeks,
            reasons=reasons,
        )
    )


# --- milestones and pull plans --------------------------------------------------------------


@router.get("/workspaces/{workspace_id}/milestones", response_model=list[MilestoneRead])
def list_milestones(workspace_id: PathId, db: DB, _: ViewerOnWorkspace):
    return service.list_milestones(db, workspace_id)


@router.post("/workspaces/{workspace_id}/milestones", response_model=MilestoneRead, status_code=201)
def create_milestone(workspace_id: PathId, body: MilestoneCreate, db: DB, principal: MemberOnWorkspace):
    return service.create_milestone(
        db,
        actor_id=principal.user_id,
        workspace_id=workspace_id,
        name=body.name,
        date=body.date,
        conditions=body.conditions,
    )


@router.get("/milestones/{milestone_id}", response_model=MilestoneRead)
def get_pull_plan(milestone_id: PathId, db: DB, _: ViewerOnMilestone):
    """The milestone's pull plan: each handoff's latest dates pulled back from the milestone,
    its earliest dates from today, and whether the plan fits (slack in working days)."""
    return service.pull_plan(db, milestone_id)


@router.patch("/milestones/{milestone_id}", response_model=MilestoneRead)
def edit_milestone(milestone_id: PathId, body: MilestoneUpdate, db: DB, principal: MemberOnMilestone):
    return service.edit_milestone(
        db, actor_id=principal.user_id, milestone_id=milestone_id, changes=body.model_dump(exclude_unset=True)
    )


@router.post("/milestones/{milestone_id}/tasks", response_model=PlanTaskRead, status_code=201)
def add_plan_task(milestone_id: PathId, body: PlanTaskCreate, db: DB, principal: MemberOnMilestone):
    return service.add_plan_task(
        db, actor_id=principal.user_id, milestone_id=milestone_id, **body.model_dump()
    )


@router.patch("/plan-tasks/{plan_task_id}", response_model=PlanTaskRead)
def edit_plan_task(plan_task_id: PathId, body: PlanTaskUpdate, db: DB, principal: MemberOnPlanTask):
    return service.edit_plan_task(
        db, actor_id=principal.user_id, plan_task_id=plan_task_id, changes=body.model_dump(exclude_unset=True)
    )


# --- the lookahead and the constraint log ---------------------------------------------------


@router.get("/workspaces/{workspace_id}/lookahead", response_model=LookaheadRead)
def get_lookahead(workspace_id: PathId, db: DB, _: ViewerOnWorkspace):
    """Tasks planned inside the lookahead window, each with its constraints and whether it is
    ready (no open constraint)."""
    return service.lookahead(db, workspace_id)


@router.post("/workspaces/{workspace_id}/lookahead/snapshots", response_model=SnapshotRead, status_code=201)
def take_snapshot(workspace_id: PathId, db: DB, principal: MemberOnWorkspace):
    """Store this week's lookahead for TA and TMR; the week's first snapshot stands."""
    return service.take_snapshot(db, actor_id=principal.user_id, workspace_id=workspace_id)


@router.get("/workspaces/{workspace_id}/constraints", response_model=list[ConstraintRead])
def list_constraints(
    workspace_id: PathId,
    db: DB,
    _: ViewerOnWorkspace,
    status: Annotated[ConstraintStatus | None, Query(description="open, removed or waived")] = None,
):
    return service.list_constraints(db, workspace_id, status=status)


@router.post("/workspaces/{workspace_id}/constraints", response_model=ConstraintRead, status_code=201)
def add_constraint(workspace_id: PathId, body: ConstraintCreate, db: DB, principal: MemberOnWorkspace):
    """Log a constraint on a pull-plan task (plan_task_id) or a board item (item_id)."""
    return service.add_constraint(
        db, actor_id=principal.user_id, workspace_id=workspace_id, **body.model_dump()
    )


@router.patch("/constraints/{constraint_id}", response_model=ConstraintRead)
def edit_constraint(constraint_id: PathId, body: ConstraintUpdate, db: DB, principal: MemberOnConstraint):
    """Remove or waive a constraint (status), reopen it, or change its fields."""
    return service.edit_constraint(
        db,
        actor_id=principal.user_id,
        constraint_id=constraint_id,
        changes=body.model_dump(exclude_unset=True),
    )


# --- weekly plans, check-ins and week close -------------------------------------------------


@router.get("/workspaces/{workspace_id}/weekly-plan", response_model=WeekPlanRead)
def get_weekly_plan(
    workspace_id: PathId,
    db: DB,
    _: ViewerOnWorkspace,
    week: Annotated[dt.date | None, Query(description="Any day of the week; default: this week")] = None,
):
    return week_plan_read(weeks_service.weekly_plan(db, workspace_id, week))


@router.post("/workspaces/{workspace_id}/promises", response_model=PromiseResultRead, status_code=201)
def make_promise(workspace_id: PathId, body: PromiseCreate, db: DB, principal: MemberOnWorkspace):
    """Promise a task for a week, as its performer. 409 `not_ready` when the task has an open
    constraint and no override reason is given; warnings when it is more than the performer's
    recent weekly throughput."""
    result = weeks_service.promise(
        db, actor_id=principal.user_id, workspace_id=workspace_id, **body.model_dump()
    )
    return PromiseResultRead(
        promise=PromiseRead.model_validate(result.promise), warnings=list(result.warnings)
    )


@router.post("/promises/{promise_id}/check-ins", response_model=PromiseRead, status_code=201)
def check_in(promise_id: PathId, body: CheckInCreate, db: DB, principal: MemberOnPromise):
    return weeks_service.check_in(
        db, actor_id=principal.user_id, promise_id=promise_id, status=body.status, note=body.note
    )


@router.post("/workspaces/{workspace_id}/week-close", response_model=WeekPlanRead)
def close_week(workspace_id: PathId, body: WeekCloseRequest, db: DB, principal: MemberOnWorkspace):
    """Close a week: every promise done or not, a miss with a reason for variance (and a 5-why
    where the reason asks for one)."""
    return week_plan_read(
        weeks_service.close_week(
            db,
            actor_id=principal.user_id,
            workspace_id=workspace_id,
            week=body.week,
            outcomes=[o.model_dump() for o in body.outcomes],
        )
    )


# --- metrics and learning cycles ------------------------------------------------------------


@router.get("/workspaces/{workspace_id}/planner/metrics", response_model=PlannerMetricsRead)
def get_planner_metrics(
    workspace_id: PathId,
    db: DB,
    _: ViewerOnWorkspace,
    weeks: Annotated[int, Query(ge=1, le=104, description="How many weeks, this one last")] = 12,
):
    """PPC, TA, TMR and PCR per week, per person and per team, and the Pareto of reasons for
    variance with their learning cycles. A metric without a denominator is null."""
    return weeks_service.planner_metrics(db, workspace_id, weeks=weeks)


@router.get("/workspaces/{workspace_id}/learning-cycles", response_model=list[LearningCycleRead])
def list_learning_cycles(workspace_id: PathId, db: DB, _: ViewerOnWorkspace):
    return weeks_service.list_learning_cycles(db, workspace_id)


@router.post("/workspaces/{workspace_id}/learning-cycles", response_model=LearningCycleRead, status_code=201)
def create_learning_cycle(
    workspace_id: PathId, body: LearningCycleCreate, db: DB, principal: MemberOnWorkspace
):
    fields = body.model_dump(exclude={"kind", "title"})
    return weeks_service.create_learning_cycle(
        db, actor_id=principal.user_id, workspace_id=workspace_id, kind=body.kind, title=body.title, **fields
    )


@router.patch("/learning-cycles/{learning_cycle_id}", response_model=LearningCycleRead)
def edit_learning_cycle(
    learning_cycle_id: PathId, body: LearningCycleUpdate, db: DB, principal: MemberOnLearningCycle
):
    return weeks_service.edit_learning_cycle(
        db,
        actor_id=principal.user_id,
        learning_cycle_id=learning_cycle_id,
        changes=body.model_dump(exclude_unset=True),
    )
