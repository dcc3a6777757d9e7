"""The `pullplan backup` and `pullplan restore` commands: a whole database to a file and back."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pullplan.services import backup as backup_service
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
