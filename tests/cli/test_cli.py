"""The `pullplan` command as a user runs it: a real process, a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pullplan.services import accounts
from pullplan.services import boards as board_service
from pullplan.services import items as item_service
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade

PULLPLAN = str(Path(sys.executable).with_name("pullplan"))


@pytest.fixture
def workspace(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    db = Database(url)
    upgrade(db)
    ws = board_service.create_workspace(db, name="Team")
    alice = accounts.create_user(db, username="alice", display_name="Alice Martin")
    accounts.set_role(db, workspace_id=ws.id, user_id=alice.id, role="manager")
    board_service.create_work_type(db, workspace_id=ws.id, name="Campaign")
    board = board_service.create_board(
        db,
        workspace_id=ws.id,
        name="Marketing",
        stages=[
            {"name": "Ideas", "kind": "option"},
            {"name": "Doing", "kind": "committed", "wip_limit": 1, "wip_mode": "block"},
            {"name": "Review", "kind": "committed", "wip_limit": 0, "wip_mode": "reason"},
            {"name": "Published", "kind": "done"},
        ],
    )
    db.dispose()
    return {"url": url, "board": board}


def run(ws, *args, expect=0):
    env = {**os.environ, "PULLPLAN_DATABASE_URL": ws["url"], "PULLPLAN_DEMO": "false"}
    proc = subprocess.run([PULLPLAN, *args], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == expect, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    return proc


def test_add_move_show_and_refusal(workspace):
    out = run(
        workspace,
        "item",
        "add",
        "Marketing",
        "Spring webinar",
        "--type",
        "Campaign",
        "--owner",
        "alice",
        "--due",
        "2026-03-01",
        "--tag",
        "webinar",
    ).stdout
    assert "Created item 1" in out and "Spring webinar" in out
    run(workspace, "item", "add", "Marketing", "Case study")
    assert "Moved item 1" in run(workspace, "item", "move", "1", "Doing").stdout

    refused = run(workspace, "item", "move", "2", "doing", expect=2)
    assert "Doing has 1 of 1 items" in refused.stderr

    shown = json.loads(run(workspace, "board", "show", "Marketing", "--json").stdout)
    stages = {s["name"]: s for s in shown["stages"]}
    assert stages["Doing"]["count"] == 1 and stages["Doing"]["wip_limit"] == 1
    assert [i["title"] for i in stages["Doing"]["items"]] == ["Spring webinar"]
    assert stages["Doing"]["items"][0]["owner"] == "Alice Martin"

    table = run(workspace, "board", "show", "Marketing").stdout
    assert "commitment point" in table and "Doing [committed] 1/1 block" in table


def test_reason_mode_needs_a_reason_and_records_it(workspace):
    run(workspace, "item", "add", "Marketing", "Landing page", "--stage", "Doing")
    needs = run(workspace, "item", "move", "1", "Review", expect=2)
    assert "needs a reason" in needs.stderr
    out = run(workspace, "item", "move", "1", "Review", "--reason", "Launch is tomorrow").stdout
    assert "override" in out
    db = Database(workspace["url"])
    kinds = [t.kind for t in item_service.item_history(db, 1)]
    assert kinds == ["created", "moved", "override"]


def test_block_unblock_and_pull_next(workspace):
    run(workspace, "item", "add", "Marketing", "First in")
    run(workspace, "item", "add", "Marketing", "Urgent fix", "--class", "expedite")
    ranked = json.loads(run(workspace, "pull-next", "Marketing", "Doing", "--json").stdout)
    assert [c["title"] for c in ranked["candidates"]] == ["Urgent fix", "First in"]
    assert ranked["candidates"][0]["why"].startswith("Expedite")
    assert "Blocked item 1" in run(workspace, "item", "block", "1", "Waiting for legal").stdout
    refused = run(workspace, "item", "move", "1", "Doing", expect=2)
    assert "blocked: Waiting for legal" in refused.stderr
    run(workspace, "item", "unblock", "1")
    run(workspace, "item", "move", "1", "Doing")


@pytest.mark.parametrize(
    "args, message",
    [
        (["board", "show", "Nope"], "no board named 'Nope'"),
        (["board", "show", "999"], "no board 999"),
        (["item", "move", "1", "Nowhere"], "Item 1 does not exist"),
        (["item", "add", "Marketing", "x", "--due", "tomorrow"], "'tomorrow' is not a date"),
        (["item", "add", "Marketing", "x", "--class", "urgent"], "'urgent' is not one of"),
        (["item", "add", "Marketing", "x", "--owner", "zed"], "no user 'zed'"),
        (["item", "add", "Marketing", "x", "--value", "lots"], "'lots' is not a number"),
        (["item", "add", "Marketing", "x" * 201], "the limit is 200"),
        (["item", "add", "Marketing", "x", "--stage", "Limbo"], "no stage 'Limbo'"),
        (["item", "unblock", "1"], "Item 1 does not exist"),
        (["item", "move", "abc", "Doing"], "Invalid value for 'item'"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(workspace, args, message):
    proc = run(workspace, *args, expect=2)
    assert message in proc.stderr
    db = Database(workspace["url"])
    assert board_service.read_board(db, workspace["board"].id).stages[0].count == 0


def test_board_list(workspace):
    rows = json.loads(run(workspace, "board", "list", "--json").stdout)
    assert rows == [{"id": 1, "name": "Marketing", "workspace_id": 1, "workspace": "Team"}]
