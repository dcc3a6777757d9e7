"""`pullplan handoff` as a user runs it: a real process, a real SQLite file. A Sales deal asks
Marketing for a case study; refusals go to stderr with exit code 2."""

from __future__ import annotations

import datetime as dt
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
DUE = (dt.date.today() + dt.timedelta(days=10)).isoformat()


@pytest.fixture
def world(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    db = Database(url)
    upgrade(db)
    ws = board_service.create_workspace(db, name="Team")
    for username, name, role in [
        ("hugo", "Hugo Lefebvre", "member"),
        ("emma", "Emma Schulz", "member"),
        ("carol", "Carol Diaz", "viewer"),
    ]:
        user = accounts.create_user(db, username=username, display_name=name)
        accounts.set_role(db, workspace_id=ws.id, user_id=user.id, role=role)
    stages = [{"name": "Ideas", "kind": "option"}, {"name": "Doing", "kind": "committed"}]
    for name in ("Marketing", "Sales"):
        board = board_service.create_board(
            db, workspace_id=ws.id, name=name, stages=[*stages, {"name": "Done", "kind": "done"}]
        )
    deal = item_service.create_item(db, actor_id=None, board_id=board.id, title="Globex — 120 seats").item
    db.dispose()
    return {"url": url, "deal": deal.id}


def run(world, *args, expect=0):
    env = {**os.environ, "PULLPLAN_DATABASE_URL": world["url"], "PULLPLAN_DEMO": "false"}
    proc = subprocess.run([PULLPLAN, "handoff", *args], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == expect, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    return proc


def test_request_promise_complete_accept_and_list(world):
    deal = str(world["deal"])
    asked = run(
        world, "request", deal, "Marketing", "Case study: Globex", "--as", "hugo",
        "--conditions", "Two pages with a quote", "--due", DUE, "--performer", "emma", "--block",
    ).stdout  # fmt: skip
    assert "Requested handoff 1: Case study: Globex — requested" in asked
    assert "waiting and blocked" in asked and "linked item 2 on Marketing" in asked

    refused = run(world, "step", "1", "promise", "--as", "hugo", expect=2)
    assert refused.stderr.strip() == (
        "error: You made this request: only the performer (Emma Schulz) may promise it."
    )

    run(world, "step", "1", "promise", "--as", "emma", "--note", "By Friday")
    run(world, "step", "1", "declare-complete", "--as", "emma")
    accepted = json.loads(run(world, "step", "1", "accept", "--as", "hugo", "--json").stdout)

    assert accepted["status"] == "accepted" and accepted["waiting"] is False
    assert [(s["step"], s["by"]) for s in accepted["steps"]] == [
        ("request", "Hugo Lefebvre"),
        ("promise", "Emma Schulz"),
        ("declare_complete", "Emma Schulz"),
        ("accept", "Hugo Lefebvre"),
    ]
    table = run(world, "list", "--mine", "performer", "--as", "emma").stdout
    assert "Case study: Globex" in table and "accepted" in table
    assert run(world, "list", "--status", "open").stdout.strip() == "No handoffs."


def test_a_declined_request_cannot_be_completed(world):
    deal = str(world["deal"])
    run(world, "request", deal, "Marketing", "Webinar slot", "--as", "hugo", "--conditions", "Any Thursday",
        "--due", DUE)  # fmt: skip
    run(world, "step", "1", "decline", "--as", "emma", "--note", "The calendar is full.")

    refused = run(world, "step", "1", "declare-complete", "--as", "emma", expect=2)

    assert "declined" in refused.stderr and "cannot be completed" in refused.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["step", "1", "fly", "--as", "emma"], "STEP: 'fly' is not one of"),
        (["step", "9", "promise", "--as", "emma"], "Handoff 9 does not exist."),
        (["step", "1", "decline", "--as", "emma"], "To decline, say why in a note."),
        (["step", "1", "promise", "--as", "carol"], "carol is a viewer here"),
        (["step", "1", "counter", "--as", "emma", "--due", "soon"], "--due: 'soon' is not a date"),
        (["list", "--mine", "boss"], "--mine: 'boss' is not requester or performer."),
        (["list", "--mine", "requester"], "--mine needs --as"),
        (["list", "--status", "lost"], "status: 'lost' is not one of"),
    ],
)
def test_bad_input_is_named_on_stderr(world, args, message):
    run(world, "request", str(world["deal"]), "Marketing", "Case study", "--as", "hugo", "--conditions", "x",
        "--due", DUE)  # fmt: skip

    assert message in run(world, *args, expect=2).stderr
