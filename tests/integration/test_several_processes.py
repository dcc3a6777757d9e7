"""Team deployments: `pullplan serve --workers 4` on PostgreSQL, and `--workers 2 --threads 1`
on a SQLite file (the busy-team setting of the README). Many clients race to pull into two
block-mode stages through the server processes; no WIP limit is exceeded, every refusal says
why, the transition log agrees, and the processes log one JSON line per request."""

from __future__ import annotations

import json
import threading
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select

from pullplan.domain.permissions import Role
from pullplan.services import accounts
from pullplan.services.boards import create_board, create_workspace
from pullplan.services.items import create_item
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.storage.tables import ItemRow, TransitionRow

ITEMS = 100
LIMIT = 5
CLIENTS = 32


def _seed(db: Database) -> tuple[str, dict[str, int], list[int]]:
    ws = create_workspace(db, name="Race")
    alice = accounts.create_user(db, username="alice", display_name="Alice Adams")
    accounts.set_role(db, workspace_id=ws.id, user_id=alice.id, role="member")
    board = create_board(
        db,
        workspace_id=ws.id,
        name="Marketing",
        stages=[
            {"name": "Options", "kind": "option"},
            {"name": "Writing", "kind": "committed", "wip_limit": LIMIT, "wip_mode": "block"},
            {"name": "Review", "kind": "committed", "wip_limit": LIMIT, "wip_mode": "block"},
            {"name": "Done", "kind": "done"},
        ],
    )
    stages = {s.name: s.id for s in board.stages}
    items = [
        create_item(db, actor_id=alice.id, board_id=board.id, title=f"Item {n}").item.id for n in range(ITEMS)
    ]
    creator = accounts.Principal(
        user_id=alice.id,
        username="alice",
        display_name="Alice Adams",
        is_admin=False,
        via="session",
        roles={ws.id: Role.MEMBER},
    )
    token, _ = accounts.create_token(db, creator=creator, workspace_id=ws.id, role="member", name="race")
    return token, stages, items


@pytest.mark.postgres
def test_four_server_processes_keep_every_block_mode_limit_on_postgres(postgres_url, server_process):
    _race(postgres_url, server_process, workers=4, threads=40)


def test_two_single_thread_processes_keep_every_block_mode_limit_on_sqlite(sqlite_url, server_process):
    _race(sqlite_url, server_process, workers=2, threads=1)


def _race(url: str, server_process, *, workers: int, threads: int) -> None:
    db = Database(url)
    upgrade(db)
    token, stages, items = _seed(db)
    targets = {item: stages["Writing"] if item % 2 else stages["Review"] for item in items}
    env = {"PULLPLAN_LOG_FORMAT": "json", "PULLPLAN_THREADS": str(threads)}
    server = server_process(url, workers=workers, env=env)
    server.start()

    answers: dict[int, httpx.Response] = {}
    problems: list[str] = []
    start = threading.Barrier(CLIENTS, timeout=30)

    def client(n: int) -> None:
        with httpx.Client(
            base_url=server.base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            trust_env=False,
        ) as http:
            try:
                start.wait()
                for item in items[n::CLIENTS]:
                    answers[item] = http.post(
                        f"/api/v1/items/{item}/move", json={"to_stage_id": targets[item]}
                    )
            except Exception as e:  # reported below, with the test's own message
                problems.append(repr(e))

    racers = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in racers:
        t.start()
    for t in racers:
        t.join(timeout=120)
    assert not problems
    assert len(answers) == ITEMS

    statuses = Counter(a.status_code for a in answers.values())
    assert statuses == {200: 2 * LIMIT, 409: ITEMS - 2 * LIMIT}
    for item, answer in answers.items():
        if answer.status_code == 409:
            stage = "Writing" if targets[item] == stages["Writing"] else "Review"
            assert f"{stage} has {LIMIT} of {LIMIT} items" in answer.json()["error"]["message"]

    with db.read() as session:
        in_stage = dict(
            session.execute(select(ItemRow.stage_id, func.count()).group_by(ItemRow.stage_id)).all()
        )
        pulled = dict(
            session.execute(
                select(TransitionRow.to_stage_id, func.count())
                .where(TransitionRow.kind == "moved")
                .group_by(TransitionRow.to_stage_id)
            ).all()
        )
    assert in_stage[stages["Writing"]] == in_stage[stages["Review"]] == LIMIT
    assert pulled == {stages["Writing"]: LIMIT, stages["Review"]: LIMIT}

    server.stop()
    assert f"{workers} processes of {threads} thread" in server.log()
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    moves = [line for line in lines if line.get("method") == "POST" and line["path"].endswith("/move")]
    assert len(moves) == ITEMS
    assert {line["status"] for line in moves} == {200, 409}
    assert all(line["duration_ms"] >= 0 and line["level"] == "INFO" for line in moves)
    assert len({line["pid"] for line in moves}) > 1, "the moves should be served by several processes"
    db.dispose()
