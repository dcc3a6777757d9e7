"""`pullplan lrm ...` as a user runs it: commit-by dates of a board, the workspace's LRM
settings, split templates and a split by hand; bad input exits 2 naming the problem."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pullplan.services import aggregates
from pullplan.services import boards as board_service
from pullplan.services import items as item_service
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade

PULLPLAN = str(Path(sys.executable).with_name("pullplan"))
NOW = dt.datetime.now(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0)


@pytest.fixture
def workspace(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    db = Database(url)
    upgrade(db)
    ws = board_service.create_workspace(db, name="Team")
    campaign = board_service.create_work_type(db, workspace_id=ws.id, name="Campaign").id
    board = board_service.create_board(
        db,
        workspace_id=ws.id,
        name="Marketing",
        stages=[
            {"name": "Ideas", "kind": "option"},
            {"name": "Doing", "kind": "committed"},
            {"name": "Published", "kind": "done"},
        ],
    )
    ideas, doing, done = (s.id for s in board.stages)
    for n in range(20):  # 20 Campaigns of 10 days
        item = item_service.create_item(
            db, actor_id=None, board_id=board.id, title=f"Past {n}", work_type_id=campaign,
            stage_id=doing, now=NOW - 40 * dt.timedelta(days=1),
        ).item  # fmt: skip
        item_service.move_item(
            db, actor_id=None, item_id=item.id, to_stage_id=done, now=NOW - 31 * dt.timedelta(days=1)
        )
    aggregates.set_template(
        db, actor_id=None, workspace_id=ws.id, work_type_id=campaign,
        children=[{"title": "Brief", "offset_days": -5}, {"title": "Launch"}],
    )  # fmt: skip
    option = item_service.create_item(
        db, actor_id=None, board_id=board.id, title="Spring launch", work_type_id=campaign,
        due_date=NOW.date() + dt.timedelta(days=60),
    ).item  # fmt: skip
    db.dispose()
    return {"url": url, "workspace": ws.id, "option": option.id}


def run(ws, *args, expect=0):
    env = {**os.environ, "PULLPLAN_DATABASE_URL": ws["url"], "PULLPLAN_DEMO": "false"}
    proc = subprocess.run([PULLPLAN, *args], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == expect, proc.stderr + proc.stdout
    return proc


def test_lrm_board_lists_commit_by_dates_with_or_without_the_word_board(workspace):
    short = json.loads(run(workspace, "lrm", "Marketing", "--json").stdout)
    long = json.loads(run(workspace, "lrm", "board", "Marketing", "--json").stdout)

    assert short == long
    # The aggregate: its two children need 10 + 5 = 15 days; buffer 7: due - 22 days.
    (row,) = short
    assert row["title"] == "Spring launch"
    assert row["commit_by"] == (NOW.date() + dt.timedelta(days=38)).isoformat()
    assert "Monte Carlo forecast of its 2 children" in row["why"]


def test_settings_are_shown_and_changed(workspace):
    before = run(workspace, "lrm", "settings", "show", "Team").stdout
    assert "fixed_date   p = 95, buffer 7 days" in before and "calendar days" in before

    changed = json.loads(
        run(
            workspace, "lrm", "settings", "set", "Team", "--buffer", "standard=14", "--class-percentile",
            "fixed_date=90", "--working-days", "--holiday", "2026-12-25", "--json",
        ).stdout
    )  # fmt: skip

    assert changed["classes"] == {
        "fixed_date": {"percentile": 90, "buffer_days": 7},
        "standard": {"percentile": 85, "buffer_days": 14},
    }
    assert changed["use_working_days"] and changed["holidays"] == ["2026-12-25"]
    (row,) = json.loads(run(workspace, "lrm", "Marketing", "--json").stdout)
    assert "minus a 14-day buffer" in row["why"]


@pytest.mark.parametrize(
    "args, words",
    [
        (["--buffer", "urgent=3"], "--buffer: 'urgent=3' is not CLASS=N"),
        (["--percentile", "0"], "default_percentile: must be a whole number from 1 to 100"),
        (["--lookahead", "3"], "lookahead_days: the lookahead window (3 days) must be at least"),
        (["--holiday", "Christmas"], "holidays: 'Christmas' is not a date"),
        (["--time-zone", "Mars/Olympus"], "time_zone: 'Mars/Olympus' is not a time zone"),
        ([], "nothing to change"),
    ],
)
def test_bad_settings_exit_2_naming_the_problem(workspace, args, words):
    proc = run(workspace, "lrm", "settings", "set", "Team", *args, expect=2)
    assert words in proc.stderr and "Traceback" not in proc.stderr
    assert "buffer 7 days" in run(workspace, "lrm", "settings", "show", "Team").stdout


def test_templates_and_a_split_by_hand(workspace):
    assert (
        "Brief  (Campaign, in the first option stage, due -5 days)"
        in run(workspace, "lrm", "templates", "Team").stdout
    )

    split = json.loads(run(workspace, "lrm", "split", str(workspace["option"]), "--json").stdout)
    again = run(workspace, "lrm", "split", str(workspace["option"]), expect=2)

    assert [c["title"] for c in split["children"]] == ["Spring launch: Brief", "Spring launch: Launch"]
    assert "split already" in again.stderr


def test_a_template_is_set_from_the_command_line(workspace):
    out = run(
        workspace,
        "lrm",
        "set-template",
        "Team",
        "Campaign",
        "--child",
        "Brief|Campaign|Ideas|-10",
        "--child",
        "Launch",
    ).stdout

    assert "Campaign items are split into 2 children when pulled." in out
    shown = json.loads(run(workspace, "lrm", "templates", "Team", "--json").stdout)
    assert shown == [
        {
            "work_type": "Campaign",
            "children": [
                {"title": "Brief", "work_type": "Campaign", "stage": "Ideas", "offset_days": -10},
                {"title": "Launch", "work_type": None, "stage": None, "offset_days": 0},
            ],
        }
    ]
    bad = run(workspace, "lrm", "set-template", "Team", "Campaign", "--child", "Brief|Webinar", expect=2)
    assert "--child: line 1: there is no work type 'Webinar' here." in bad.stderr
    assert "no longer split" in run(workspace, "lrm", "set-template", "Team", "Campaign").stdout


def test_sle_in_words(workspace):
    assert run(workspace, "lrm", "sle", "Marketing").stdout.splitlines() == [
        "85% of the board's items finish within 10 days (20 finished)",
        "85% of standard Campaign items finish within 10 days (20 finished)",
    ]
