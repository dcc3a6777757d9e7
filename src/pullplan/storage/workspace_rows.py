"""Which rows of every table belong to a workspace, found from the foreign keys: a table added
later is exported and imported without being listed anywhere."""

from __future__ import annotations

from collections import deque
from functools import cache

from sqlalchemy import Column, ForeignKey, Select, Table, select

from pullplan.storage.schema import metadata

# Never part of a workspace's data: the schema version, the people themselves (exported by
# username, without password hashes), and credentials (sessions, API tokens, sign-in failures).
NOT_EXPORTED = {"alembic_version", "users", "workspaces", "api_tokens", "browser_sessions", "login_failures"}


def is_secret(column: Column) -> bool:
    """Credentials stay where they are: webhook secrets are not exported (an import makes new
    ones)."""
    return column.name == "secret" or column.name.endswith("_hash")


@cache
def workspace_tables() -> tuple[Table, ...]:
    """Every table with rows that belong to a workspace, parents before children."""
    return tuple(
        t for t in metadata().sorted_tables if t.name not in NOT_EXPORTED and path_to_workspace(t) is not None
    )


def user_columns(table: Table) -> list[Column]:
    return [fk.parent for fk in table.foreign_keys if fk.column.table.name == "users"]


def self_columns(table: Table) -> list[Column]:
    """Columns that point at another row of the same table (a split item's parent)."""
    return [fk.parent for fk in table.foreign_keys if fk.column.table is table]


@cache
def path_to_workspace(table: Table) -> tuple[ForeignKey, ...] | None:
    """The shortest chain of foreign keys from `table` to workspaces.id (not through users)."""
    queue: deque[tuple[Table, tuple[ForeignKey, ...]]] = deque([(table, ())])
    seen = {table.name}
    while queue:
        current, path = queue.popleft()
        for fk in sorted(current.foreign_keys, key=lambda f: f.parent.name):
            parent = fk.column.table
            if parent.name == "workspaces":
                return (*path, fk)
            if parent.name in seen or parent.name == "users":
                continue
            seen.add(parent.name)
            queue.append((parent, (*path, fk)))
    return None


def rows_of(table: Table, workspace_id: int) -> Select:
    """SELECT the table's rows that belong to the workspace, in primary-key order."""
    path = path_to_workspace(table)
    query = select(table)
    for fk in path[:-1]:
        query = query.join(fk.column.table, fk.parent == fk.column)
    return query.where(path[-1].parent == workspace_id).order_by(*table.primary_key.columns)
