"""SQLAlchemy tables of the last responsible moment: workspace LRM settings and the split
templates of aggregates (rows only: the rules live in pullplan.domain)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pullplan.storage.tables import Base, ItemRow, UtcDateTime


class LrmSettingsRow(Base):
    """A workspace's LRM policy and calendar; a workspace without a row has the defaults.
    The time zone is the workspace's own (workspaces.time_zone)."""

    __tablename__ = "lrm_settings"
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    default_percentile: Mapped[int] = mapped_column(Integer, default=85)
    # {"fixed_date": 95, ...}: the percentile p of a class of service, where it differs.
    class_percentiles: Mapped[dict] = mapped_column(JSON, default=dict)
    cadence_days: Mapped[int] = mapped_column(Integer, default=7)
    # {"standard": 3, ...}: a class's buffer in days, where it is not one cadence.
    class_buffers: Mapped[dict] = mapped_column(JSON, default=dict)
    lookahead_days: Mapped[int] = mapped_column(Integer, default=42)
    use_working_days: Mapped[bool] = mapped_column(Boolean, default=False)
    working_days: Mapped[list] = mapped_column(JSON, default=list)  # ISO weekdays, Monday 1
    holidays: Mapped[list] = mapped_column(JSON, default=list)  # ISO dates
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SplitTemplateChildRow(Base):
    """One child of a work type's split template, in `position` order."""

    __tablename__ = "split_template_children"
    __table_args__ = (UniqueConstraint("work_type_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    work_type_id: Mapped[int] = mapped_column(ForeignKey("work_types.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    child_work_type_id: Mapped[int | None] = mapped_column(ForeignKey("work_types.id", ondelete="SET NULL"))
    stage_name: Mapped[str | None] = mapped_column(String(60))  # None: the board's first option stage
    offset_days: Mapped[int] = mapped_column(Integer, default=0)  # from the parent's due date


# An aggregate's children are read by their parent.
Index("ix_items_parent_id", ItemRow.parent_id)
