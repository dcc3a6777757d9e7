"""Backups of the whole database: SQLite with its online backup API (a consistent copy while
the server runs), PostgreSQL with pg_dump / pg_restore (custom format)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from pullplan.services.errors import InvalidInput
from pullplan.storage.database import Database

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


def backup(db: Database, target: Path) -> str:
    """Write a backup of the database to `target` (replaced only once the copy is complete).
    Returns the kind of backup written ("sqlite" or "pg_dump")."""
    target = Path(target)
    if target.is_dir():
        raise InvalidInput("file", f"{target} is a directory; name the backup file.")
    if not target.parent.is_dir():
        raise InvalidInput("file", f"the folder {target.parent} does not exist.")
    partial = target.with_name(target.name + ".partial")
    try:
        if db.is_sqlite:
            _sqlite_copy(_sqlite_path(db), partial)
            kind = "sqlite"
        else:
            _run(_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", _libpq_url(db))
            kind = "pg_dump"
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return kind


def restore(db: Database, source: Path) -> str:
    """Replace the database's content with the backup in `source`. Stop the server first."""
    source = Path(source)
    if not source.is_file():
        raise InvalidInput("file", f"{source} is not a file.")
    with source.open("rb") as f:
        head = f.read(16)
    if db.is_sqlite:
        if not head.startswith(SQLITE_MAGIC):
            raise InvalidInput("file", f"{source} is not a SQLite backup (this database is SQLite).")
        problem = _sqlite_problem(source)
        if problem:
            raise InvalidInput("file", f"{source} cannot be restored: {problem}")
        db.dispose()
        _sqlite_copy(source, Path(_sqlite_path(db)))
        return "sqlite"
    if not head.startswith(PG_DUMP_MAGIC):
        raise InvalidInput("file", f"{source} is not a pg_dump backup (this database is PostgreSQL).")
    db.dispose()
    _run(
        _tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        f"--dbname={_libpq_url(db)}",
        str(source),
    )
    return "pg_dump"


def _sqlite_path(db: Database) -> str:
    path = db.url.database
    if not path or path == ":memory:":
        raise InvalidInput("database", "an in-memory SQLite database has nothing to back up.")
    return path


def _sqlite_copy(source: str | Path, target: Path) -> None:
    """Copy page by page with SQLite's backup API, in one step: a consistent snapshot even
    while other connections write."""
    src = sqlite3.connect(str(source), timeout=30)
    try:
        dst = sqlite3.connect(str(target), timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _sqlite_problem(path: Path) -> str | None:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            check = connection.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                return f"its integrity check says {check!r}"
            named = connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
            if named is None:
                return "it is not a pullplan database (it has no schema version)."
        finally:
            connection.close()
    except sqlite3.DatabaseError as e:
        return f"it cannot be read ({e})."
    return None


def _libpq_url(db: Database) -> str:
    """pg_dump wants a libpq URL: the same database without SQLAlchemy's driver name."""
    return db.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise InvalidInput(
            "database",
            f"{name} is not installed: install the PostgreSQL client tools (Debian: postgresql-client), "
            "or use `pullplan export` for a JSON copy of a workspace.",
        )
    return found


def _run(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        tool = Path(command[0]).name
        raise InvalidInput("database", f"{tool} failed: {done.stderr.strip() or done.returncode}")
