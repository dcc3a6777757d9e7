"""Liveness and readiness: /healthz answers while the process serves; /readyz answers 200 only
when the database answers at the schema this pullplan needs, and 503 saying what to do."""

from __future__ import annotations

import os

from fastapi.testclient import TestClient

from pullplan.settings import Settings
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.web.app import create_app


def test_healthz_says_the_process_is_up(in_process):
    answer = in_process().get("/healthz")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"
    assert answer.json()["pid"] == os.getpid()


def test_readyz_is_ready_at_the_current_schema(in_process):
    answer = in_process().get("/readyz")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ready"


def test_readyz_is_not_ready_on_an_old_schema(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    upgrade(db, "0002")
    with TestClient(create_app(Settings(demo=False), db=db)) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    error = answer.json()["error"]
    assert error["code"] == "not_ready"
    assert "0002" in error["message"] and "pullplan db upgrade" in error["message"]
    db.dispose()
