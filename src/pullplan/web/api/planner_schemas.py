"""Request and response shapes of the Last Planner API (Create / Update / Read families)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from pullplan.domain.planner import (
    CheckInStatus,
    ConstraintCategory,
    ConstraintStatus,
    LearningKind,
    LearningStatus,
)
from pullplan.web.api.schemas import Id, Read, Reason, Strict, Text, Title

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Team = Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)]
Customer = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Duration = Annotated[int, Field(ge=1, le=250, description="Working days")]


# --- settings -------------------------------------------------------------------------------


class ReasonIn(Strict):
    code: Code
    label: Label
    needs_five_why: bool = False


class ReasonRead(Read):
    code: str
    label: str
    needs_five_why: bool


class CategoryRead(BaseModel):
    code: str
    label: str


class PlannerSettingsRead(BaseModel):
    lookahead_weeks: int
    lag_weeks: int = Field(description="k: TA and TMR of week W read the lookahead snapshot of W−k")
    reasons: list[ReasonRead]
    constraint_categories: list[CategoryRead]


class PlannerSettingsUpdate(Strict):
    lookahead_weeks: Annotated[int, Field(ge=1, le=26)] | None = None
    lag_weeks: Annotated[int, Field(ge=1, le=8)] | None = None
    reasons: Annotated[list[ReasonIn], Field(min_length=1, max_length=30)] | None = None


# --- milestones and pull plans --------------------------------------------------------------


class MilestoneCreate(Strict):
    name: Title
    date: dt.date
    conditions: Text = Field("", description="Conditions of satisfaction")


class MilestoneUpdate(Strict):
    name: Title | None = None
    date: dt.date | None = None
    conditions: Text | None = None


class PlanTaskCreate(Strict):
    title: Title = Field(description="What is handed over")
    duration_days: Duration
    performer_id: Id | None = None
    team: Team = ""
    customer: Customer = Field("", description="Who receives the handoff")
    predecessor_ids: Annotated[list[Id], Field(max_length=50)] = []


class PlanTaskUpdate(Strict):
    title: Title | None = None
    duration_days: Duration | None = None
    performer_id: Id | None = None
    team: Team | None = None
    customer: Customer | None = None
    predecessor_ids: Annotated[list[Id], Field(max_length=50)] | None = None
    done_on: dt.date | None = None


class PlanTaskRead(Read):
    id: int
    milestone_id: int
    title: str
    performer_id: int | None
    performer_name: str | None
    team: str
    customer: str
    duration_days: int
    predecessor_ids: list[int]
    done_on: dt.date | None
    latest_start: dt.date = Field(description="The last responsible start, pulled back from the milestone")
    latest_finish: dt.date
    earliest_start: dt.date | None
    earliest_finish: dt.date | None
    float_days: int | None = Field(description="Working days between the earliest and latest start")
    open_constraints: int


class MilestoneRead(Read):
    id: int
    workspace_id: int
    name: str
    date: dt.date
    conditions: str
    tasks: list[PlanTaskRead]
    fits: bool
    slack_days: int = Field(description="Working days to spare before the milestone; negative: late")
    finish: dt.date | None


# --- tasks, constraints and the lookahead ---------------------------------------------------


class TaskRead(Read):
    kind: str = Field(description="task (of a pull plan) or item (of a board)")
    id: int
    title: str
    performer_id: int | None
    team: str
    key: str


class ConstraintCreate(Strict):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "item_id": 1,
                    "category": "approval",
                    "description": "Legal has not approved the claims",
                    "need_by": "2030-01-15",
                }
            ]
        }
    }

    plan_task_id: Id | None = None
    item_id: Id | None = None
    category: ConstraintCategory
    description: Reason
    owner_id: Id | None = None
    need_by: dt.date


class ConstraintUpdate(Strict):
    status: ConstraintStatus | None = None
    category: ConstraintCategory | None = None
    description: Reason | None = None
    owner_id: Id | None = None
    need_by: dt.date | None = None
    note: Note | None = None


class ConstraintRead(Read):
    id: int
    task: TaskRead
    category: str
    description: str
    owner_id: int | None
    owner_name: str | None
    need_by: dt.date
    status: str
    created_on: dt.date
    closed_on: dt.date | None
    note: str
    overdue: bool


class LookaheadTaskRead(Read):
    task: TaskRead
    week: dt.date
    start: dt.date | None
    finish: dt.date | None
    performer_name: str | None
    milestone: str | None = Field(description="The pull plan of a task, or the board of an item")
    ready: bool
    open_constraints: int
    constraints: list[ConstraintRead]
    promised_for: list[dt.date]


class LookaheadRead(Read):
    today: dt.date
    weeks: list[dt.date]
    tasks: list[LookaheadTaskRead]
    snapshot_weeks: list[dt.date]


class SnapshotRead(Read):
    id: int
    week: dt.date
    taken_at: dt.datetime
    tasks: int
    created: bool = Field(description="False: the week's snapshot was taken before and stands")


# --- weekly plans ---------------------------------------------------------------------------


class PromiseCreate(Strict):
    week: dt.date = Field(description="Any day of the week promised for")
    plan_task_id: Id | None = None
    item_id: Id | None = None
    override_reason: Reason | None = Field(None, description="Why an unready task is promised anyway")


class CheckInCreate(Strict):
    status: CheckInStatus
    note: Note = ""


class CheckInRead(Read):
    id: int
    at: dt.datetime
    status: str
    note: str
    by_name: str | None


class PromiseRead(Read):
    id: int
    week: dt.date
    task: TaskRead
    title: str
    performer_id: int | None
    performer_name: str | None
    team: str
    promised_at: dt.datetime
    added_later: bool
    ready: bool
    override_reason: str | None
    status: str | None = Field(description="The latest check-in: on_track, at_risk or done")
    outcome: str | None
    reason: str | None
    reason_label: str
    five_whys: list[str]
    outcome_note: str
    check_ins: list[CheckInRead]


class PromiseResultRead(BaseModel):
    promise: PromiseRead
    warnings: list[str]


class OutcomeIn(Strict):
    promise_id: Id
    done: bool
    reason: Code | None = None
    five_whys: Annotated[list[Note], Field(max_length=5)] = []
    note: Note = ""


class WeekCloseRequest(Strict):
    model_config = {"json_schema_extra": {"examples": [{"week": "2026-11-16", "outcomes": []}]}}

    week: dt.date
    outcomes: Annotated[list[OutcomeIn], Field(max_length=500)]


class RatioRead(Read):
    numerator: int
    denominator: int
    percent: float | None


class CandidateRead(Read):
    task: TaskRead
    planned_week: dt.date
    performer_name: str | None
    source: str | None
    ready: bool
    open_constraints: int


class LoadRead(Read):
    performer_id: int | None
    name: str | None
    promised: int
    throughput: float | None
    over: bool


class WeekPlanRead(Read):
    week: dt.date
    today: dt.date
    closed: bool
    closed_at: dt.datetime | None
    started: bool
    promises: list[PromiseRead]
    at_risk: list[int] = Field(description="The ids of promises whose latest check-in is at risk")
    candidates: list[CandidateRead]
    load: list[LoadRead]
    ppc: RatioRead | None = Field(
        description="Absent until the week is closed, and for a week without promises"
    )
    reasons: list[ReasonRead]


# --- metrics and learning -------------------------------------------------------------------


class WeekMetricsRead(Read):
    week: dt.date
    ppc: RatioRead | None
    ta: RatioRead | None
    tmr: RatioRead | None
    pcr: RatioRead | None


class LearningCycleCreate(Strict):
    kind: LearningKind
    title: Title
    plan: Text = ""
    do: Text = ""
    check: Text = ""
    act: Text = ""
    owner_id: Id | None = None
    status: LearningStatus = LearningStatus.PLAN
    reason: Code | None = Field(None, description="A reason for variance of the workspace")
    constraint_id: Id | None = None


class LearningCycleUpdate(Strict):
    kind: LearningKind | None = None
    title: Title | None = None
    plan: Text | None = None
    do: Text | None = None
    check: Text | None = None
    act: Text | None = None
    owner_id: Id | None = None
    status: LearningStatus | None = None
    reason: Code | None = None
    constraint_id: Id | None = None


class LearningCycleRead(Read):
    id: int
    kind: str
    title: str
    plan: str
    do: str
    check: str
    act: str
    owner_id: int | None
    owner_name: str | None
    status: str
    reason: str | None
    reason_label: str
    constraint_id: int | None
    started_on: dt.date
    closed_on: dt.date | None


class ParetoRead(Read):
    reason: str
    label: str
    count: int
    share: float
    cumulative: float
    learning_cycles: list[LearningCycleRead]


class PlannerMetricsRead(Read):
    lag_weeks: int
    weeks: list[dt.date]
    trend: list[WeekMetricsRead]
    by_person: dict[str, list[WeekMetricsRead]]
    by_team: dict[str, list[WeekMetricsRead]]
    pareto: list[ParetoRead]
