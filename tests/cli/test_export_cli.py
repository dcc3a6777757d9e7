"""`pullplan export` and `pullplan import`: a workspace to a JSON file and into another database;
a bad file is refused with exit code 2, naming the problem, and writes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from pullplan.services import accounts
from pullplan.services import boards as board_service
from pullplan.services import items as item_service
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.storage.tables import ItemRow, WorkspaceRow

PULLPLAN = str(Path(sys.executable).with_name("pullplan"))


def run(url: str, *args: str, expect: int = 0) -> subprocess.CompletedProcess:
    env = {**os.environ, "PULLPLAN_DATABASE_URL": url, "PULLPLAN_DEMO": "false"}
    done = subprocess.run([PULLPLAN, *args], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == expect, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done


def _team(url: str) -> int:
    db = Database(url)
    upgrade(db)
    ws = board_service.create_workspace(db, name="Team")
    alice = accounts.create_user(db, username="alice", display_name="Alice Martin")
    accounts.set_role(db, workspace_id=ws.id, user_id=alice.id, role="manager")
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
        item_service.create_item(
            db, actor_id=alice.id, board_id=board.id, title=f"Idea {n}", owner_id=alice.id
        )
    db.dispose()
    return ws.id


def _counts(url: str) -> tuple[int, int]:
    db = Database(url)
    upgrade(db)
    with db.read() as session:
        counted = (
            session.scalar(select(func.count()).select_from(WorkspaceRow)),
            session.scalar(select(func.count()).select_from(ItemRow)),
        )
    db.dispose()
    return counted


def test_export_then_import_into_another_database(tmp_path):
    source = f"sqlite:///{tmp_path / 'source.sqlite3'}"
    target = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    workspace_id = _team(source)
    file = tmp_path / "team.json"

    said = run(source, "export", str(workspace_id), "--output", str(file)).stderr
    assert f"Exported workspace {workspace_id}" in said
    document = json.loads(file.read_text())
    assert document["format"] == "pullplan-workspace"
    assert [i["title"] for i in document["tables"]["items"]] == ["Idea 0", "Idea 1", "Idea 2"]
    assert json.loads(run(source, "export", str(workspace_id)).stdout) == document  # to stdout

    said = run(target, "import", str(file)).stdout
    assert f"Imported workspace {workspace_id}" in said and "1 person created" in said
    assert _counts(target) == (1, 3)
    run(target, "export", str(workspace_id), "--output", str(tmp_path / "again.json"))
    assert json.loads((tmp_path / "again.json").read_text()) == document


def test_bad_files_exit_2_and_write_nothing(tmp_path):
    target = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "pullplan-workspace",\n "version": 1,\n "tables": [}\n')
    said = run(target, "import", str(broken), expect=2).stderr
    assert "not valid JSON" in said and "line 3" in said

    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"format": "pullplan-workspace", "version": 1, "schema": "0001"}))
    said = run(target, "import", str(wrong), expect=2).stderr
    assert "error: workspace: is missing or not an object" in said

    said = run(target, "import", str(tmp_path / "missing.json"), expect=2).stderr
    assert "is not a file" in said
    said = run(target, "export", "987654", expect=2).stderr
    assert "987654" in said
    assert _counts(target) == (0, 0)


def test_items_as_csv_out_and_in(tmp_path):
    url = f"sqlite:///{tmp_path / 'team.sqlite3'}"
    _team(url)
    file = tmp_path / "items.csv"
    said = run(url, "item", "export", "Marketing", "-o", str(file)).stderr
    assert "Exported 3 items" in said
    assert file.read_text().splitlines()[0].startswith("id,title,description,stage")

    said = run(url, "item", "import", "Marketing", str(file), "--dry-run").stdout
    assert "Dry run: 3 rows would become items (3 in Ideas); nothing was written." in said
    assert "ignored: id, parent_id, blocked, blocked_reason" in said
    assert _counts(url) == (1, 3)
    said = run(url, "item", "import", "Marketing", str(file), "--as", "alice").stdout
    assert "Imported 3 items (3 in Ideas)." in said
    assert _counts(url) == (1, 6)

    broken = tmp_path / "broken.csv"
    broken.write_text("Name,Status\nFine,Ideas\nLost,Nowhere\n")
    said = run(url, "item", "import", "Marketing", str(broken), expect=2).stderr
    assert "line 3: stage: 'Nowhere' is not on the board Marketing." in said
    assert "1 row cannot be imported; nothing was written." in said
    said = run(url, "item", "import", "Marketing", str(broken), "--map", "Status", expect=2).stderr
    assert "'Status' is not COLUMN=FIELD" in said
    assert _counts(url) == (1, 6)


def test_a_trello_board_is_imported_from_the_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'team.sqlite3'}"
    workspace_id = _team(url)
    export = Path(__file__).parents[1] / "fixtures" / "trello_board.json"

    said = run(url, "board", "import-trello", str(workspace_id), str(export), "--dry-run").stdout
    assert "Stages: Ideas (option), Doing (committed), Review (committed), Done (done)" in said
    assert "Dry run: the board 'Marketing (Trello)' would be made; nothing was written." in said
    assert _counts(url) == (1, 3)
    said = run(url, "board", "import-trello", str(workspace_id), str(export), "--as", "alice").stdout
    assert "Items: " in said and "1 archived" in said and "Imported the board 'Marketing (Trello)'" in said
    assert "not members here (their cards have no owner): bob, zoe" in said
    assert _counts(url) == (1, 8)

    said = run(url, "board", "import-trello", str(workspace_id), str(export), expect=2).stderr
    assert "already exists" in said
    args = ("board", "import-trello", str(workspace_id), str(export), "--done", "Shipped")
    said = run(url, *args, expect=2).stderr
    assert "no list 'Shipped'" in said
    assert _counts(url) == (1, 8)
