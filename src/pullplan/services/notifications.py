"""The in-app notification list of a workspace: what fired rules said, newest first."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from pullplan.services.clock import utcnow
from pullplan.services.errors import NotFound
from pullplan.storage.database import Database
from pullplan.storage.rule_tables import NotificationRow, RuleRow


def list_notifications(
    db: Database, *, workspace_id: int, unread_only: bool = False, limit: int = 100
) -> list[tuple[NotificationRow, str | None]]:
    """(notification, name of the rule that made it) pairs, newest first."""
    query = (
        select(NotificationRow, RuleRow.name)
        .outerjoin(RuleRow, RuleRow.id == NotificationRow.rule_id)
        .where(NotificationRow.workspace_id == workspace_id)
        .order_by(NotificationRow.id.desc())
        .limit(limit)
    )
    if unread_only:
        query = query.where(NotificationRow.read_at.is_(None))
    with db.read() as session:
        return [(row, name) for row, name in session.execute(query)]


def unread_count(db: Database, *, workspace_id: int) -> int:
    with db.read() as session:
        return session.scalar(
            select(func.count(NotificationRow.id)).where(
                NotificationRow.workspace_id == workspace_id, NotificationRow.read_at.is_(None)
            )
        )


def mark_read(
    db: Database, *, actor_id: int, notification_id: int, now: dt.datetime | None = None
) -> NotificationRow:
    now = now or utcnow()
    with db.write() as session:
        row = session.get(NotificationRow, notification_id)
        if row is None:
            raise NotFound("Notification", notification_id)
        if row.read_at is None:
            row.read_at, row.read_by = now, actor_id
        session.flush()
        return row


def mark_all_read(db: Database, *, actor_id: int, workspace_id: int, now: dt.datetime | None = None) -> int:
    now = now or utcnow()
    with db.write() as session:
        return session.execute(
            update(NotificationRow)
            .where(NotificationRow.workspace_id == workspace_id, NotificationRow.read_at.is_(None))
            .values(read_at=now, read_by=actor_id)
        ).rowcount
