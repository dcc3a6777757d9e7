"""SQLAlchemy tables of the Last Planner (DESIGN §3): milestones and pull plans, the constraint
log, lookahead snapshots, weekly promises with their check-ins, closed weeks and learning
cycles. Rows only: the rules live in pullplan.domain.planner."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from pullplan.storage.tables import Base, UtcDateTime


class PlannerSettingsRow(Base):
    """A workspace's planner settings; a workspace without a row has the defaults."""

    __tablename__ = "planner_settings"
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    lookahead_weeks: Mapped[int] = mapped_column(Integer)
    lag_weeks: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list] = mapped_column(JSON)  # [{"code", "label", "needs_five_why"}]


class MilestoneRow(Base):
    __tablename__ = "milestones"
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    date: Mapped[date] = mapped_column(Date)
    conditions: Mapped[str] = mapped_column(Text, default="")  # conditions of satisfaction
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PlanTaskRow(Base):
    """A handoff of a pull plan: the performer hands `title` over to the customer."""

    __tablename__ = "plan_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"), index=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    performer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    team: Mapped[str] = mapped_column(String(60), default="")
    customer: Mapped[str] = mapped_column(String(120), default="")
    duration_days: Mapped[int] = mapped_column(Integer)
    done_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PlanTaskLinkRow(Base):
    """`task_id` needs `predecessor_id` handed over first."""

    __tablename__ = "plan_task_links"
    task_id: Mapped[int] = mapped_column(ForeignKey("plan_tasks.id", ondelete="CASCADE"), primary_key=True)
    predecessor_id: Mapped[int] = mapped_column(
        ForeignKey("plan_tasks.id", ondelete="CASCADE"), primary_key=True
    )


class ConstraintRow(Base):
    """One entry of the constraint log, on a pull-plan task or on a board item."""

    __tablename__ = "plan_constraints"
    __table_args__ = (Index("ix_plan_constraints_workspace_status", "workspace_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    plan_task_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_tasks.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(500))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    need_by: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_on: Mapped[date] = mapped_column(Date)  # in the workspace's time zone
    closed_on: Mapped[date | None] = mapped_column(Date)  # removed or waived on
    note: Mapped[str] = mapped_column(String(500), default="")


class LookaheadSnapshotRow(Base):
    """The lookahead as it stood in a week (the first one taken that week stands)."""

    __tablename__ = "lookahead_snapshots"
    __table_args__ = (UniqueConstraint("workspace_id", "week"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    week: Mapped[date] = mapped_column(Date)
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SnapshotTaskRow(Base):
    """A task of a snapshot, as it was: kept when the task itself is gone."""

    __tablename__ = "lookahead_snapshot_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("lookahead_snapshots.id", ondelete="CASCADE"), index=True
    )
    task: Mapped[str] = mapped_column(String(24))  # "task:<id>" or "item:<id>"
    title: Mapped[str] = mapped_column(String(200))
    week: Mapped[date] = mapped_column(Date)  # the week it was anticipated for
    performer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    team: Mapped[str] = mapped_column(String(60), default="")
    ready: Mapped[bool] = mapped_column(Boolean)


class PromiseRow(Base):
    __tablename__ = "promises"
    __table_args__ = (
        UniqueConstraint("week", "plan_task_id", name="uq_promises_week_plan_task_id"),
        UniqueConstraint("week", "item_id", name="uq_promises_week_item_id"),
        Index("ix_promises_workspace_week", "workspace_id", "week"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    week: Mapped[date] = mapped_column(Date)  # its Monday
    plan_task_id: Mapped[int | None] = mapped_column(ForeignKey("plan_tasks.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    performer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    team: Mapped[str] = mapped_column(String(60), default="")
    promised_at: Mapped[datetime] = mapped_column(UtcDateTime)
    added_later: Mapped[bool] = mapped_column(Boolean, default=False)
    ready: Mapped[bool] = mapped_column(Boolean, default=True)  # ready when promised
    override_reason: Mapped[str | None] = mapped_column(String(500))
    outcome: Mapped[str | None] = mapped_column(String(10))  # done / not_done, at week close
    reason: Mapped[str | None] = mapped_column(String(40))  # reason for variance (code)
    five_whys: Mapped[list] = mapped_column(JSON, default=list)
    outcome_note: Mapped[str] = mapped_column(String(500), default="")


class CheckInRow(Base):
    __tablename__ = "check_ins"
    id: Mapped[int] = mapped_column(primary_key=True)
    promise_id: Mapped[int] = mapped_column(ForeignKey("promises.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(500), default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ClosedWeekRow(Base):
    __tablename__ = "closed_weeks"
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class LearningCycleRow(Base):
    """A PDCA, SDCA or EDCA record, linked to a reason for variance or a constraint."""

    __tablename__ = "learning_cycles"
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(4))
    title: Mapped[str] = mapped_column(String(200))
    plan: Mapped[str] = mapped_column(Text, default="")
    do: Mapped[str] = mapped_column(Text, default="")
    check: Mapped[str] = mapped_column(Text, default="")
    act: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(8), default="plan")
    reason: Mapped[str | None] = mapped_column(String(40))
    constraint_id: Mapped[int | None] = mapped_column(ForeignKey("plan_constraints.id", ondelete="SET NULL"))
    started_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
