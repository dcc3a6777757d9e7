"""`pullplan plan ...` as a user runs it: a real process on a real SQLite file. A week is
promised, checked in on and closed from the command line; bad input is one line on stderr."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pullplan.services import accounts, planner
from pullplan.services import boards as board_service
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade

PULLPLAN = str(Path(sys.executable).with_name("pullplan"))


@pytest.fixture
def team(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    db = Database(url)
    upgrade(db)
    ws = board_service.create_workspace(db, name="Team")
    bob = accounts.create_user(db, username="bob", display_name="Bob Nguyen")
    accounts.set_role(db, workspace_id=ws.id, user_id=bob.id, role="member")
    milestone = planner.create_milestone(
        db, actor_id=None, workspace_id=ws.id, name="Webinar", date=dt.date.today() + dt.timedelta(days=21)
    )
    tasks = [
        planner.add_plan_task(
            db, actor_id=None, milestone_id=milestone.id, title=t, duration_days=2, team="Marketing"
        )
        for t in ("Landing page", "Invitations")
    ]
    planner.add_constraint(
        db,
        actor_id=None,
        workspace_id=ws.id,
        plan_task_id=tasks[1].id,
        category="approval",
        description="Legal reads the invitation",
        need_by=dt.date.today() + dt.timedelta(days=3),
    )
    db.dispose()
    return {"url": url, "tasks": [t.id for t in tasks]}


def run(team, *args, expect=0):
    env = {**os.environ, "PULLPLAN_DATABASE_URL": team["url"], "PULLPLAN_DEMO": "false"}
    proc = subprocess.run([PULLPLAN, "plan", *args], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == expect, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    return proc


def test_a_week_from_the_command_line(team):
    landing, invites = team["tasks"]
    lookahead = json.loads(run(team, "lookahead", "--json").stdout)
    assert {t["title"]: t["ready"] for t in lookahead} == {"Landing page": True, "Invitations": False}
    assert "Legal reads the invitation" in run(team, "constraints", "--status", "open").stdout

    refused = run(team, "promise", f"task:{invites}", "--as", "bob", expect=2)
    assert refused.stderr.startswith("error: This task is not ready: 1 open constraint")
    made = run(team, "promise", f"task:{landing}", "--as", "bob").stdout
    assert "Landing page" in made and "added later" in made
    week = json.loads(run(team, "week", "--json").stdout)
    promise = week["promises"][0]["id"]
    assert "is at risk" in run(team, "checkin", str(promise), "--status", "at_risk", "--as", "bob").stdout
    assert json.loads(run(team, "week", "--json").stdout)["at_risk"] == [promise]

    closed = run(team, "close", "--as", "bob", "--missed", f"{promise}=approval_late").stdout
    assert "closed: PPC -" in closed  # the only promise was added later: no PPC, not 0%
    metrics = json.loads(run(team, "metrics", "--weeks", "2", "--json").stdout)
    assert metrics["pareto"][0]["reason"] == "approval_late"
    assert metrics["weeks"][-1]["ppc"] is None
    assert "PPC" in run(team, "metrics").stdout
    assert "stored" in run(team, "snapshot").stdout


def test_bad_input_is_one_line_on_stderr(team):
    assert "not task:<id>" in run(team, "promise", "nonsense", "--as", "bob", expect=2).stderr
    assert "no user 'zoe'" in run(team, "promise", "task:1", "--as", "zoe", expect=2).stderr
    assert "not a date" in run(team, "week", "--week", "soon", expect=2).stderr
    assert "does not exist" in run(team, "week", "--workspace", "Nowhere", expect=2).stderr
    assert "not ID=REASON" in run(team, "close", "--as", "bob", "--missed", "x", expect=2).stderr
