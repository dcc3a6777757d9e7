"""Import a workspace exported by `workspace_export` into a database that does not hold it yet,
all or nothing: every row keeps its id (so the transition log, rules and plans keep pointing at
the right things), people are matched by username (created, unable to sign in until they are
given a password, when missing), and webhook sources and targets get new secrets."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    String,
    Table,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pullplan.services.accounts import record
from pullplan.services.clock import utcnow
from pullplan.services.errors import InvalidInput
from pullplan.services.workspace_export import FORMAT, USER_FIELDS, VERSION
from pullplan.storage.database import Database
from pullplan.storage.tables import UserRow, UtcDateTime, WorkspaceRow
from pullplan.storage.workspace_rows import is_secret, self_columns, user_columns, workspace_tables

CHUNK = 500
Progress = Callable[[str, int, int], None]  # (table, rows written so far, rows of the table)


def import_workspace(db: Database, document: object, *, progress: Progress | None = None) -> dict[str, int]:
    """Recreate the workspace; returns how many rows each table received (and "users created")."""
    doc = _checked(document)
    tables = workspace_tables()
    known = {t.name for t in tables}
    unknown = sorted(set(doc["tables"]) - known)
    if unknown:
        raise InvalidInput(
            f"tables.{unknown[0]}", "is not a table of a workspace in this version of pullplan."
        )
    with db.write() as session:
        schema = MigrationContext.configure(session.connection()).get_current_revision()
        if doc["schema"] != schema:
            raise InvalidInput(
                "schema",
                f"the file was exported at schema {doc['schema']}; this database is at {schema}. "
                "Export and import with the same version of pullplan.",
            )
        workspace = _values(WorkspaceRow.__table__, doc["workspace"], "workspace", {})
        if session.get(WorkspaceRow, workspace["id"]) is not None:
            raise InvalidInput("workspace.id", f"this database already has a workspace {workspace['id']}.")
        people, created = _people(session, doc["users"])
        session.execute(insert(WorkspaceRow.__table__), [workspace])
        counts = {"users created": created}
        for table in tables:
            rows = doc["tables"].get(table.name, [])
            _insert(session, table, rows, people, progress)
            counts[table.name] = len(rows)
        if db.url.get_backend_name() == "postgresql":
            _advance_sequences(session, [WorkspaceRow.__table__, *tables])
        record(session, None, None, "workspace.imported", f"workspace {workspace['id']}", {"rows": counts})
    return counts


def _checked(document: object) -> dict:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InvalidInput("format", f'this is not a pullplan workspace export (no "format": "{FORMAT}").')
    if document.get("version") != VERSION:
        raise InvalidInput(
            "version", f"version {document.get('version')!r} is not supported (expected {VERSION})."
        )
    for key, kind, words in (
        ("schema", str, "text"),
        ("workspace", dict, "an object"),
        ("users", list, "a list"),
        ("tables", dict, "an object"),
    ):
        if not isinstance(document.get(key), kind):
            raise InvalidInput(key, f"is missing or not {words}.")
    for name, rows in document["tables"].items():
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InvalidInput(f"tables.{name}", "must be a list of rows (objects).")
    return document


def _people(session: Session, users: list) -> tuple[dict[str, int], int]:
    """username -> id in this database, creating who is missing (without a password)."""
    ids = dict(session.execute(select(UserRow.username, UserRow.id)).all())
    created = 0
    for n, user in enumerate(users):
        where = f"users[{n}]"
        if not isinstance(user, dict) or not isinstance(user.get("username"), str) or not user["username"]:
            raise InvalidInput(f"{where}.username", "every person needs a username.")
        if user["username"] in ids:
            continue
        values = _values(UserRow.__table__, {k: user.get(k) for k in USER_FIELDS}, where, {})
        values.update(password_hash=None, is_admin=False)
        values["created_at"] = values.get("created_at") or utcnow()
        if not isinstance(values.get("display_name"), str):
            raise InvalidInput(f"{where}.display_name", "every person needs a display name.")
        ids[user["username"]] = session.execute(
            insert(UserRow).values(**values).returning(UserRow.id)
        ).scalar_one()
        created += 1
    return ids, created


def _insert(session: Session, table: Table, rows: list[dict], people: dict[str, int], progress) -> None:
    later = [c.name for c in self_columns(table)]  # set once every row of the table exists
    values = [_values(table, row, f"tables.{table.name}[{n}]", people) for n, row in enumerate(rows)]
    links = [(v["id"], {c: v[c] for c in later}) for v in values if any(v.get(c) is not None for c in later)]
    for v in values:
        v.update(dict.fromkeys(later))
    try:
        for start in range(0, len(values), CHUNK):
            session.execute(insert(table), values[start : start + CHUNK])
            if progress:
                progress(table.name, min(start + CHUNK, len(values)), len(values))
        for row_id, columns in links:
            session.execute(update(table).where(table.c.id == row_id).values(**columns))
        session.flush()
    except IntegrityError as e:
        problem = str(e.orig).splitlines()[0]
        raise InvalidInput(
            f"tables.{table.name}",
            f"cannot be written ({problem}): the file refers to rows it does not hold, or this "
            "database already holds rows with the same ids; import into a database without them.",
        ) from None


def _values(table: Table, row: dict, where: str, people: dict[str, int]) -> dict:
    columns = {c.name: c for c in table.columns}
    extra = sorted(set(row) - set(columns))
    if extra:
        raise InvalidInput(f"{where}.{extra[0]}", f"is not a column of {table.name}.")
    person = {c.name for c in user_columns(table)}
    out = {}
    for name, column in columns.items():
        if is_secret(column):
            out[name] = secrets.token_urlsafe(32)
            continue
        value = row.get(name)
        if value is None:
            if not column.nullable and not column.primary_key and column.default is None:
                raise InvalidInput(f"{where}.{name}", "is missing.")
            if name in row or not column.primary_key:
                out[name] = None
            continue
        if name in person:
            if value not in people:
                raise InvalidInput(f"{where}.{name}", f"names {value!r}, who is not among the file's users.")
            out[name] = people[value]
        else:
            out[name] = _typed(column.type, value, f"{where}.{name}")
    return out


def _typed(kind, value, where: str):
    """The column's Python value from its JSON form, or an error naming the field."""
    try:
        if isinstance(kind, UtcDateTime):
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError("a time without its zone")
            return parsed
        if isinstance(kind, DateTime):
            return datetime.fromisoformat(value)
        if isinstance(kind, Date):
            return date.fromisoformat(value)
        if isinstance(kind, Numeric) and not isinstance(kind, Float):
            return Decimal(str(value))
        if isinstance(kind, Boolean):
            if not isinstance(value, bool):
                raise ValueError("not true or false")
            return value
        if isinstance(kind, Integer):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError("not a whole number")
            return value
        if isinstance(kind, Float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError("not a number")
            return float(value)
        if isinstance(kind, String):
            if not isinstance(value, str):
                raise ValueError("not text")
            if kind.length and len(value) > kind.length:
                raise ValueError(f"longer than {kind.length} characters")
            return value
        if isinstance(kind, JSON):
            return value
    except (TypeError, ValueError, InvalidOperation) as e:
        raise InvalidInput(where, f"has a bad value {value!r} ({e}).") from None
    return value


def _advance_sequences(session: Session, tables: list[Table]) -> None:
    """Rows came with their ids: move each id sequence past them."""
    for table in tables:
        if "id" not in table.c or not isinstance(table.c.id.type, Integer):
            continue
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"GREATEST((SELECT MAX(id) FROM {table.name}), 1))"
            )
        )
