"""The scheduler runs inside the server: started with the app, stopped with it, and off
with PULLPLAN_SCHEDULER=false."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient

from pullplan.services import items as item_service
from pullplan.settings import Settings
from pullplan.web.app import create_app

API = "/api/v1"


def scheduler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "pullplan-scheduler"]


def test_the_server_runs_the_scheduler_and_stops_it(api_db, team):
    today = item_service.utcnow().date()
    item_service.create_item(
        api_db,
        actor_id=None,
        board_id=team.board_id,
        title="Trade show",
        due_date=today,
    )
    team.client.post(
        f"{API}/workspaces/{team.workspace_id}/rules",
        json={
            "name": "Due",
            "event": "item.due_soon",
            "days": 0,
            "actions": [{"kind": "notify", "message": "{title} is due today"}],
        },
    )
    before = len(scheduler_threads())
    app = create_app(Settings(demo=False, scheduler_interval=1), db=api_db)

    with TestClient(app):
        assert len(scheduler_threads()) == before + 1
        for _ in range(100):  # its first tick comes at once
            notes = team.client.get(f"{API}/workspaces/{team.workspace_id}/notifications").json()
            if notes:
                break
            time.sleep(0.05)
    assert [n["message"] for n in notes] == ["Trade show is due today"]
    assert len(scheduler_threads()) == before


def test_the_scheduler_can_be_left_to_a_worker(api_db):
    before = len(scheduler_threads())

    with TestClient(create_app(Settings(demo=False, scheduler=False), db=api_db)):
        assert len(scheduler_threads()) == before
