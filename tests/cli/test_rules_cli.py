"""`pullplan rules`, `pullplan webhook` and `pullplan worker` as a user runs them."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from pullplan.services import boards as board_service
from pullplan.services import items as item_service
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.storage.rule_tables import NotificationRow
from pullplan.storage.tables import ItemRow

PULLPLAN = str(Path(sys.executable).with_name("pullplan"))


@pytest.fixture
def ws(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    db = Database(url)
    upgrade(db)
    workspace = board_service.create_workspace(db, name="Team")
    board_service.create_work_type(db, workspace_id=workspace.id, name="Proposal")
    board = board_service.create_board(
        db,
        workspace_id=workspace.id,
        name="Marketing",
        stages=[
            {"name": "Ideas", "kind": "option"},
            {"name": "Doing", "kind": "committed"},
            {"name": "Done", "kind": "done"},
        ],
    )
    db.dispose()
    return {"url": url, "board": board, "tmp": tmp_path}


def env_of(ws) -> dict:
    return {
        **os.environ,
        "PULLPLAN_DATABASE_URL": ws["url"],
        "PULLPLAN_DEMO": "false",
        "PULLPLAN_SCHEDULER": "false",
    }


def run(ws, *args, expect=0):
    proc = subprocess.run([PULLPLAN, *args], capture_output=True, text=True, env=env_of(ws), timeout=60)
    assert proc.returncode == expect, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    return proc


def test_rules_add_list_disable_enable_delete(ws):
    added = run(
        ws,
        "rules",
        "add",
        "Team",
        "--name",
        "Commit now",
        "--event",
        "lrm.due",
        "--if",
        "board equals Marketing",
        "--if",
        "class in standard, fixed_date",
        "--notify",
        "{title}: commit by {commit_by}",
    ).stdout
    assert "Added rule #1: When an item's LRM status becomes due if board equals Marketing" in added
    run(
        ws,
        "rules",
        "add",
        "Team",
        "--rule",
        json.dumps(
            {
                "name": "Blocked",
                "event": "item.blocked",
                "actions": [{"kind": "notify", "message": "{title}"}],
            }
        ),
    )

    listed = json.loads(run(ws, "rules", "list", "--json").stdout)
    assert [(r["id"], r["name"], r["enabled"]) for r in listed] == [
        (1, "Commit now", True),
        (2, "Blocked", True),
    ]
    assert "off" in run(ws, "rules", "disable", "1").stdout
    assert json.loads(run(ws, "rules", "list", "--workspace", "Team", "--json").stdout)[0]["enabled"] is False
    assert "on" in run(ws, "rules", "enable", "1").stdout
    run(ws, "rules", "delete", "2")
    assert "Blocked" not in run(ws, "rules", "list").stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--rule", "{not json"], "--rule: not JSON"),
        (["--name", "X", "--event", "item.moved", "--if", "board is Marketing", "--notify", "m"], "--if:"),
        (["--name", "X", "--event", "item.sold", "--notify", "m"], "event: must be one of"),
        (["--name", "X", "--event", "item.moved"], "actions: a rule needs at least one action."),
        (
            ["--name", "X", "--event", "item.due_soon", "--notify", "m"],
            "days: a rule on item.due_soon needs days",
        ),
    ],
)
def test_a_bad_rule_is_refused_with_a_message(ws, args, message):
    proc = run(ws, "rules", "add", "Team", *args, expect=2)

    assert message in proc.stderr
    assert "No rules yet" in run(ws, "rules", "list").stdout


def test_worker_once_fires_a_time_rule_once(ws):
    db = Database(ws["url"])
    today = dt.date.today()
    item_service.create_item(
        db, actor_id=None, board_id=ws["board"].id, title="Trade show", due_date=today + dt.timedelta(days=2)
    )
    run(
        ws,
        "rules",
        "add",
        "Team",
        "--name",
        "Soon",
        "--event",
        "item.due_soon",
        "--days",
        "3",
        "--notify",
        "{title} is due in {days_left} days",
    )

    first = run(ws, "worker", "--once").stdout
    second = json.loads(run(ws, "worker", "--once", "--json").stdout)

    assert "fired 1 rule(s) on 1 event(s)" in first
    assert second["events"] == 1 and second["fired"] == []  # seen, but fired already
    with db.read() as session:
        assert session.scalars(select(NotificationRow.message)).all() == ["Trade show is due in 2 days"]
    db.dispose()


def test_worker_stops_on_sigterm(ws):
    proc = subprocess.Popen(
        [PULLPLAN, "worker", "--interval", "1"],
        env=env_of(ws),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "a tick every 1 s" in proc.stderr.readline()  # the signal handlers are set
        time.sleep(1.5)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "pullplan worker stopped" in err and "Traceback" not in err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_webhook_test_sends_a_signed_request_to_a_running_server(ws):
    created = run(ws, "webhook", "add-source", "Team", "CRM").stdout
    assert "secret (shown once): whsec_" in created
    run(
        ws,
        "rules",
        "add",
        "Team",
        "--rule",
        json.dumps(
            {
                "name": "Deal reached proposal",
                "event": "webhook.received",
                "source": "CRM",
                "conditions": [{"field": "payload.stage", "op": "equals", "value": "proposal"}],
                "actions": [
                    {
                        "kind": "create_item",
                        "board": "Marketing",
                        "title": "Proposal support: {payload.deal}",
                        "type": "Proposal",
                    }
                ],
            }
        ),
    )
    payload = ws["tmp"] / "deal.json"
    payload.write_text(json.dumps({"deal": "Northwind", "stage": "proposal"}))
    printed = run(ws, "webhook", "test", "CRM", "--payload", str(payload), "--print").stdout
    assert "X-Pullplan-Signature: sha256=" in printed and "/api/v1/hooks/1" in printed

    port = free_port()
    server = subprocess.Popen(
        [PULLPLAN, "serve", "--port", str(port)],
        env=env_of(ws),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        sent = run(ws, "webhook", "test", "1", "--payload", str(payload), "--url", f"http://127.0.0.1:{port}")
        again = run(
            ws, "webhook", "test", "CRM", "--payload", str(payload), "--url", f"http://127.0.0.1:{port}"
        )
    finally:
        server.terminate()
        server.wait(20)

    assert sent.stdout.startswith("202")
    assert json.loads(sent.stdout.split("\n", 1)[1])["fired"][0]["results"][0]["ok"] is True
    assert again.stdout.startswith("202")  # a new timestamp: a new request, not a replay
    db = Database(ws["url"])
    with db.read() as session:
        titles = session.scalars(select(ItemRow.title)).all()
    db.dispose()
    assert titles.count("Proposal support: Northwind") == 2


def test_webhook_test_with_a_bad_payload_file(ws):
    run(ws, "webhook", "add-source", "Team", "CRM")
    bad = ws["tmp"] / "bad.json"
    bad.write_text("[1, 2")

    assert (
        "--payload: is not JSON" in run(ws, "webhook", "test", "CRM", "--payload", str(bad), expect=2).stderr
    )
    assert (
        "no webhook source 'ERP'" in run(ws, "webhook", "test", "ERP", "--payload", str(bad), expect=2).stderr
    )


def test_two_worker_processes_fire_a_time_event_once(ws):
    db = Database(ws["url"])
    today = dt.date.today()
    for n in range(5):
        item_service.create_item(
            db,
            actor_id=None,
            board_id=ws["board"].id,
            title=f"Mailing {n}",
            due_date=today + dt.timedelta(days=1),
        )
    run(
        ws,
        "rules",
        "add",
        "Team",
        "--name",
        "Soon",
        "--event",
        "item.due_soon",
        "--days",
        "3",
        "--notify",
        "{title} is due in {days_left} days",
    )

    workers = [
        subprocess.Popen(
            [PULLPLAN, "worker", "--once", "--json"], env=env_of(ws), stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    fired = [len(json.loads(w.communicate(timeout=60)[0])["fired"]) for w in workers]

    assert [w.returncode for w in workers] == [0, 0]
    assert sum(fired) == 5  # each event once, whichever process saw it first
    with db.read() as session:
        messages = sorted(session.scalars(select(NotificationRow.message)).all())
    db.dispose()
    assert messages == [f"Mailing {n} is due in 1 days" for n in range(5)]


def test_webhook_targets_and_the_delivery_log(ws):
    added = run(ws, "webhook", "add-target", "Team", "Chat", "http://127.0.0.1:9/hook").stdout
    assert "Target #1 Chat: http://127.0.0.1:9/hook" in added and "secret (shown once): whsec_" in added
    refused = run(ws, "webhook", "add-target", "Team", "Old", "ftp://x", expect=2).stderr
    assert "url: must be an http:// or https:// address." in refused
    run(
        ws,
        "rules",
        "add",
        "Team",
        "--name",
        "Tell",
        "--event",
        "item.created",
        "--notify",
        "{title}",
        "--target",
        "Chat",
    )
    db = Database(ws["url"])
    item_service.create_item(db, actor_id=None, board_id=ws["board"].id, title="Roadshow")
    db.dispose()

    run(ws, "worker", "--once")  # nothing listens on port 9: the attempt fails
    log = json.loads(run(ws, "webhook", "deliveries", "Team", "--json").stdout)

    assert [(d["target"], d["state"], d["attempts"]) for d in log] == [("Chat", "pending", 1)]
    assert log[0]["log"][0]["status_code"] is None and "ConnectError" in log[0]["log"][0]["error"]
    assert "pending" in run(ws, "webhook", "deliveries", "Team").stdout
    assert "Chat" in run(ws, "webhook", "targets", "Team").stdout
