"""SQLAlchemy tables of the promise cycle: handoffs, and the append-only log of their steps."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pullplan.storage.tables import Base, UtcDateTime


class HandoffRow(Base):
    """A request from an item's people to a performer (a person and/or a team's board). The
    status is a read cache of the step log, written in the same transaction."""

    __tablename__ = "handoffs"
    __table_args__ = (
        Index("ix_handoffs_workspace_status", "workspace_id", "status"),
        Index("ix_handoffs_requesting_item", "requesting_item_id"),
        Index("ix_handoffs_linked_item", "linked_item_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    requesting_item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    # The item made on the performer's board for this handoff.
    linked_item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    performer_board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    performer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    conditions: Mapped[str] = mapped_column(Text)  # conditions of satisfaction
    due_date: Mapped[date] = mapped_column(Date)
    counter_due_date: Mapped[date | None] = mapped_column(Date)
    counter_conditions: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    # The blocker this handoff put on the requesting item, ended when the handoff closes.
    blocker_id: Mapped[int | None] = mapped_column(ForeignKey("blockers.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class HandoffStepRow(Base):
    """Append-only: one row per step of a handoff (who, when, what, the note and the terms)."""

    __tablename__ = "handoff_steps"
    __table_args__ = (Index("ix_handoff_steps_handoff", "handoff_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    step: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    # The terms the step names: the request's, or a counter-offer's.
    due_date: Mapped[date | None] = mapped_column(Date)
    conditions: Mapped[str | None] = mapped_column(Text)
