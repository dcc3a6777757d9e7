"""A lossless JSON export of a whole workspace: its row, every row of every table that belongs to
it (boards, items, the transition log, plans, constraints, rules...), and the people it names,
by username and without password hashes. The same workspace always gives the same document."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Table, select

from pullplan.services.errors import NotFound
from pullplan.storage.database import Database
from pullplan.storage.tables import MembershipRow, UserRow, WorkspaceRow
from pullplan.storage.workspace_rows import is_secret, rows_of, user_columns, workspace_tables

FORMAT = "pullplan-workspace"
VERSION = 1
USER_FIELDS = ("username", "display_name", "email", "created_at", "disabled_at")


def export_workspace(db: Database, workspace_id: int) -> dict:
    with db.read() as session:
        workspace = session.execute(
            select(WorkspaceRow.__table__).where(WorkspaceRow.id == workspace_id)
        ).first()
        if workspace is None:
            raise NotFound("Workspace", workspace_id)
        schema = MigrationContext.configure(session.connection()).get_current_revision()
        usernames = dict(session.execute(select(UserRow.id, UserRow.username)).all())
        tables: dict[str, list[dict]] = {}
        named: set[int] = set(
            session.scalars(select(MembershipRow.user_id).where(MembershipRow.workspace_id == workspace_id))
        )
        for table in workspace_tables():
            people = {c.name for c in user_columns(table)}
            rows = []
            for row in session.execute(rows_of(table, workspace_id)).mappings():
                rows.append(_row(table, row, people, usernames))
                named.update(row[name] for name in people if row[name] is not None)
            tables[table.name] = rows
        users = session.execute(
            select(*(getattr(UserRow, f) for f in USER_FIELDS))
            .where(UserRow.id.in_(named))
            .order_by(UserRow.username)
        ).mappings()
        return {
            "format": FORMAT,
            "version": VERSION,
            "schema": schema,
            "workspace": {k: _plain(v) for k, v in workspace._mapping.items()},
            "users": [{k: _plain(v) for k, v in user.items()} for user in users],
            "tables": tables,
        }


def _row(table: Table, row, people: set[str], usernames: dict[int, str]) -> dict:
    out = {}
    for column in table.columns:
        if is_secret(column):
            continue
        value = row[column.name]
        out[column.name] = (
            usernames.get(value) if column.name in people and value is not None else _plain(value)
        )
    return out


def _plain(value):
    """A JSON value: times and dates in ISO 8601 (times in UTC), money as a decimal string."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
