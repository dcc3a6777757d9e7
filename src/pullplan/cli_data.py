"""Data in and out: `pullplan backup` and `restore` (a whole database), `export` and `import`
(a whole workspace as JSON), `item export` and `item import` (a board's items as CSV),
`board import-trello` (a Trello board)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from pullplan.services import backup as backup_service
from pullplan.services import item_csv, trello_import, workspace_export, workspace_import
from pullplan.services import items as item_service
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


def items_export_command(
    board: Annotated[str, typer.Argument(help="The board: its id or name.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of stdout.", dir_okay=False),
    ] = None,
    archived: Annotated[bool, typer.Option(help="Include archived items.")] = False,
) -> None:
    """Export a board's items as CSV (one row per item, with its stage, type, owner...)."""
    from pullplan.cli import _board_id

    db = _database()
    try:
        text = item_csv.export_items(db, _board_id(db, board), archived=archived)
    finally:
        db.dispose()
    if output is None:
        sys.stdout.write(text)
        return
    if not output.parent.is_dir():
        raise InvalidInput("output", f"the folder {output.parent} does not exist.")
    output.write_text(text, encoding="utf-8")
    typer.echo(f"Exported {text.count(chr(10)) - 1:,} items to {output}.", err=True)


def items_import_command(
    board: Annotated[str, typer.Argument(help="The board: its id or name.")],
    file: Annotated[
        Path, typer.Argument(help="A CSV file whose first line names the columns.", dir_okay=False)
    ],
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="COLUMN=FIELD: read a column as an item field (title, description, stage, type, "
            "class_of_service, lane, owner, due_date, value, size, tags, external_ref); COLUMN= ignores it.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and say what would happen.")
    ] = False,
    as_user: Annotated[
        str | None, typer.Option("--as", help="Who the items' history says created them.")
    ] = None,
) -> None:
    """Import a CSV file's rows as items of a board, all or none: a problem in any row is shown
    with its line, and nothing is written."""
    from pullplan.cli import _board_id, _user_id

    mapping = {}
    for pair in map_ or []:
        column, sep, target = pair.partition("=")
        if not sep or not column.strip():
            raise InvalidInput("map", f"{pair!r} is not COLUMN=FIELD.")
        mapping[column.strip()] = target.strip()
    if not file.is_file():
        raise InvalidInput("file", f"{file} is not a file.")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("file", f"{file} is not UTF-8 text.") from None
    db = _database()
    try:
        board_id = _board_id(db, board)
        actor = _user_id(db, as_user) if as_user else None
        lines = max(text.count("\n") - 1, 0)
        with typer.progressbar(length=lines, label="Importing", file=sys.stderr) as bar:
            report = item_csv.import_items(
                db,
                actor_id=actor,
                board_id=board_id,
                text=text,
                mapping=mapping,
                dry_run=dry_run,
                progress=lambda n: bar.update(1),
            )
    except item_service.RowProblems as e:
        for line, field, message in e.problems:
            typer.echo(f"line {line}: {field}: {message}", err=True)
        rows = "1 row" if len(e.problems) == 1 else f"{len(e.problems)} rows"
        raise InvalidInput("file", f"{rows} cannot be imported; nothing was written.") from None
    finally:
        db.dispose()
    for column, target in report.mapping.items():
        typer.echo(f"  {column} -> {target}")
    if report.ignored:
        typer.echo(f"  ignored: {', '.join(report.ignored)}")
    stages = ", ".join(f"{n} in {stage}" for stage, n in report.per_stage.items())
    if dry_run:
        typer.echo(f"Dry run: {report.rows} rows would become items ({stages}); nothing was written.")
    else:
        typer.echo(f"Imported {len(report.item_ids)} items ({stages}).")


def trello_import_command(
    workspace_id: Annotated[int, typer.Argument(help="The workspace the board goes into (its id).")],
    file: Annotated[Path, typer.Argument(help="A Trello board's JSON export.", dir_okay=False)],
    name: Annotated[str | None, typer.Option(help="The board's name (default: the Trello board's).")] = None,
    option: Annotated[
        list[str] | None, typer.Option("--option", help="A list that holds options (repeat for several).")
    ] = None,
    done: Annotated[list[str] | None, typer.Option("--done", help="A list that holds finished work.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what it would make.")] = False,
    as_user: Annotated[str | None, typer.Option("--as", help="Who the history says imported it.")] = None,
) -> None:
    """Import a Trello board (its JSON export) as a new board: lists become stages, cards items,
    labels work types, classes of service and tags, and the card moves Trello kept become the
    items' history. All or nothing."""
    from pullplan.cli import _user_id

    document = _read_json(file)
    db = _database()
    try:
        actor = _user_id(db, as_user) if as_user else None
        report = trello_import.import_trello(
            db,
            workspace_id=workspace_id,
            document=document,
            name=name,
            option_lists=option,
            done_lists=done,
            actor_id=actor,
            dry_run=dry_run,
        )
    finally:
        db.dispose()
    typer.echo("Stages: " + ", ".join(f"{stage} ({kind})" for stage, kind in report.stages))
    items = ", ".join(f"{n} in {stage}" for stage, n in report.per_stage.items()) or "none open"
    typer.echo(f"Items: {items}; {report.archived} archived; {report.transitions} history entries.")
    if report.work_types_created:
        typer.echo("New work types: " + ", ".join(report.work_types_created))
    if report.unmatched_members:
        typer.echo(
            "Trello members who are not members here (their cards have no owner): "
            + ", ".join(report.unmatched_members)
        )
    if dry_run:
        typer.echo(f"Dry run: the board {report.board_name!r} would be made; nothing was written.")
    else:
        typer.echo(f"Imported the board {report.board_name!r} (board {report.board_id}).")
