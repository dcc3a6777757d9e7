"""`pullplan backup` and `pullplan restore` on a SQLite file and on PostgreSQL: a restore brings
back exactly what the backup held, and bad files are refused with exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from pullplan.services import accounts
from pullplan.services import boards as board_service
from pullplan.services import items as item_service
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.storage.tables import ItemRow, TransitionRow

PULLPLAN = str(Path(sys.executable).with_name("pullplan"))


def run(url: str, *args: str, expect: int = 0) -> subprocess.CompletedProcess:
    env = {**os.environ, "PULLPLAN_DATABASE_URL": url, "PULLPLAN_DEMO": "false"}
    done = subprocess.run([PULLPLAN, *args], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == expect, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done


def _board_with_items(db: Database) -> int:
    ws = board_service.create_workspace(db, name="Team")
    alice = accounts.create_user(db, username="alice", display_name="Alice Martin")
    board = board_service.create_board(
        db,
        workspace_id=ws.id,
        name="Marketing",
        stages=[
            {"name": "Ideas", "kind": "option"},
            {"name": "Doing", "kind": "committed"},
            {"name": "Done", "kind": "done"},
        ],
    )
    for n in range(3):
        item_service.create_item(db, actor_id=alice.id, board_id=board.id, title=f"Idea {n}")
    return board.id


def _snapshot(db: Database) -> tuple[list, int]:
    with db.read() as session:
        items = session.execute(
            select(ItemRow.id, ItemRow.title, ItemRow.stage_id).order_by(ItemRow.id)
        ).all()
        transitions = len(session.scalars(select(TransitionRow.id)).all())
    return [tuple(i) for i in items], transitions


def test_restore_brings_back_what_the_backup_held(database_url, tmp_path):
    db = Database(database_url)
    upgrade(db)
    board_id = _board_with_items(db)
    before = _snapshot(db)
    backup = tmp_path / "pullplan.backup"

    said = run(database_url, "backup", str(backup)).stdout
    assert "Backed up the database" in said and backup.stat().st_size > 0

    item_service.create_item(db, actor_id=None, board_id=board_id, title="Written after the backup")
    assert _snapshot(db) != before
    db.dispose()

    run(database_url, "restore", str(backup), expect=2)  # no --yes, no terminal: refused
    said = run(database_url, "restore", str(backup), "--yes").stdout
    assert "Restored the database" in said
    db = Database(database_url)
    assert _snapshot(db) == before
    db.dispose()


def test_bad_backup_files_are_refused_and_change_nothing(database_url, tmp_path):
    db = Database(database_url)
    upgrade(db)
    _board_with_items(db)
    before = _snapshot(db)
    db.dispose()
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("this is not a backup\n")

    said = run(database_url, "restore", str(not_a_backup), "--yes", expect=2).stderr
    assert "is not a" in said and "backup" in said
    said = run(database_url, "restore", str(tmp_path / "missing.backup"), "--yes", expect=2).stderr
    assert "is not a file" in said
    said = run(database_url, "backup", str(tmp_path / "no-such-folder" / "x.backup"), expect=2).stderr
    assert "does not exist" in said
    db = Database(database_url)
    assert _snapshot(db) == before
    db.dispose()
