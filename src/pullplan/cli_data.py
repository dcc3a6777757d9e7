"""Data in and out: `pullplan backup` and `restore` (a whole database), `export` and `import`
(a whole workspace as JSON)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from pullplan.services import backup as backup_service
from pullplan.services import workspace_export, workspace_import
from pullplan.services.errors import InvalidInput
from pullplan.settings import Settings
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade

BackupFile = Annotated[Path, typer.Argument(help="The backup file.", dir_okay=False)]


def backup_command(file: BackupFile) -> None:
    """Back up the whole database to FILE (SQLite: an online copy, safe while the server runs;
    PostgreSQL: pg_dump's custom format)."""
    db = Database(Settings().resolved_database_url)
    try:
        kind = backup_service.backup(db, file)
    finally:
        db.dispose()
    typer.echo(f"Backed up the database to {file} ({kind}, {file.stat().st_size:,} bytes).")


def restore_command(
    file: BackupFile,
    yes: Annotated[bool, typer.Option("--yes", help="Replace the database without asking.")] = False,
) -> None:
    """Replace the whole database with the backup in FILE (stop the server first). The schema
    is then upgraded to this version of pullplan."""
    settings = Settings()
    if not yes:
        if not sys.stdin.isatty():
            raise InvalidInput("yes", "restoring replaces everything in the database: add --yes to confirm.")
        typer.confirm(f"Replace everything in {settings.resolved_database_url} with {file}?", abort=True)
    db = Database(settings.resolved_database_url)
    try:
        kind = backup_service.restore(db, file)
        upgrade(db)
    finally:
        db.dispose()
    typer.echo(f"Restored the database from {file} ({kind}).")


def export_command(
    workspace_id: Annotated[int, typer.Argument(help="The workspace's id (see `pullplan board list`).")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of stdout.", dir_okay=False),
    ] = None,
) -> None:
    """Export a whole workspace as JSON: boards, items, the transition log, plans, constraints,
    rules and the people it names (without passwords or webhook secrets)."""
    db = _database()
    try:
        document = workspace_export.export_workspace(db, workspace_id)
    finally:
        db.dispose()
    text = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    if not output.parent.is_dir():
        raise InvalidInput("output", f"the folder {output.parent} does not exist.")
    output.write_text(text, encoding="utf-8")
    rows = sum(len(rows) for rows in document["tables"].values())
    typer.echo(f"Exported workspace {workspace_id} ({rows:,} rows) to {output}.", err=True)


def import_command(
    file: Annotated[Path, typer.Argument(help="A file written by `pullplan export`.", dir_okay=False)],
) -> None:
    """Import a workspace exported by `pullplan export` into this database, all or nothing.
    Its ids are kept, so the database must not hold that workspace already. People are matched
    by username; who is missing is created without a password (`pullplan user passwd`)."""
    document = _read_json(file)
    total = _rows_in(document)
    db = _database()
    try:
        with typer.progressbar(length=total, label="Importing", file=sys.stderr) as bar:
            written: dict[str, int] = {}

            def progress(table: str, done: int, _of: int) -> None:
                bar.update(done - written.get(table, 0))
                written[table] = done

            counts = workspace_import.import_workspace(db, document, progress=progress)
    finally:
        db.dispose()
    created = counts.pop("users created")
    typer.echo(
        f"Imported workspace {document['workspace']['id']}: {sum(counts.values()):,} rows, "
        f"{created} {'person' if created == 1 else 'people'} created (without a password)."
    )


def _rows_in(document: object) -> int:
    tables = document.get("tables") if isinstance(document, dict) else None
    return (
        sum(len(rows) for rows in tables.values() if isinstance(rows, list))
        if isinstance(tables, dict)
        else 0
    )


def _read_json(file: Path) -> object:
    if not file.is_file():
        raise InvalidInput("file", f"{file} is not a file.")
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InvalidInput("file", f"{file} is not UTF-8 text.") from None
    except json.JSONDecodeError as e:
        raise InvalidInput(
            "file", f"{file} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}."
        ) from None


def _database() -> Database:
    db = Database(Settings().resolved_database_url)
    upgrade(db)
    return db
