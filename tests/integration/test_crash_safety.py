"""Crash safety: the server is killed (SIGKILL, no clean shutdown) again and again while clients
create and pull items; after each restart nothing the clients saw acknowledged is lost, the
database passes its integrity check, and the transition log never shows a block-mode WIP
limit exceeded. On a SQLite file and on PostgreSQL; bounded to well under a minute each."""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

import httpx
from sqlalchemy import select, text

from pullplan.domain.permissions import Role
from pullplan.services import accounts
from pullplan.services.boards import create_board, create_workspace
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.storage.tables import ItemRow, TransitionRow

LIMIT = 5
CLIENTS = 4
KILLS = 4
ACKS_BEFORE_KILL = 12  # writes acknowledged since the last start before the next kill...
LOAD_DEADLINE_S = 4  # ...or this long, whichever comes first


@dataclass
class Acknowledged:
    """What the clients were told happened (a 2xx answer fully received)."""

    created: dict[int, str] = field(default_factory=dict)  # item id -> title
    moved: list[tuple[int, int]] = field(default_factory=list)  # (item id, stage id)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        return len(self.created) + len(self.moved)


def _seed(db: Database) -> tuple[str, int, dict[str, int]]:
    ws = create_workspace(db, name="Crash")
    alice = accounts.create_user(db, username="alice", display_name="Alice Adams")
    accounts.set_role(db, workspace_id=ws.id, user_id=alice.id, role="member")
    board = create_board(
        db,
        workspace_id=ws.id,
        name="Marketing",
        stages=[
            {"name": "Options", "kind": "option"},
            {"name": "Doing", "kind": "committed", "wip_limit": LIMIT, "wip_mode": "block"},
            {"name": "Done", "kind": "done"},
        ],
    )
    creator = accounts.Principal(
        user_id=alice.id,
        username="alice",
        display_name="Alice Adams",
        is_admin=False,
        via="session",
        roles={ws.id: Role.MEMBER},
    )
    token, _ = accounts.create_token(db, creator=creator, workspace_id=ws.id, role="member", name="load")
    return token, board.id, {s.name: s.id for s in board.stages}


def _client(n, base_url, token, board_id, stages, acked: Acknowledged, stop: threading.Event) -> None:
    options: list[int] = []
    doing: list[int] = []
    count = 0
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10, trust_env=False) as http:
        while not stop.is_set():
            try:
                count += 1
                title = f"Client {n} item {count}"
                answer = http.post(f"/api/v1/boards/{board_id}/items", json={"title": title})
                if answer.status_code == 201:
                    item_id = answer.json()["item"]["id"]
                    with acked.lock:
                        acked.created[item_id] = title
                    options.append(item_id)
                if options:
                    item_id = options.pop(0)
                    answer = http.post(f"/api/v1/items/{item_id}/move", json={"to_stage_id": stages["Doing"]})
                    if answer.status_code == 200:
                        with acked.lock:
                            acked.moved.append((item_id, stages["Doing"]))
                        doing.append(item_id)
                    elif answer.status_code == 409:
                        options.append(item_id)  # Doing is full: try again later
                        if not doing:  # full of items no client holds after a crash: take one
                            doing.extend(_in_stage(http, board_id, stages["Doing"])[:1])
                if doing and random.random() < 0.6:
                    item_id = doing.pop(0)
                    answer = http.post(f"/api/v1/items/{item_id}/move", json={"to_stage_id": stages["Done"]})
                    if answer.status_code == 200:
                        with acked.lock:
                            acked.moved.append((item_id, stages["Done"]))
            except httpx.TransportError:
                # The server died mid-request: whatever that request did is unknown, so the
                # items this client was holding are forgotten, not retried.
                options.clear()
                doing.clear()
                time.sleep(0.05)


def _in_stage(http: httpx.Client, board_id: int, stage_id: int) -> list[int]:
    view = http.get(f"/api/v1/boards/{board_id}/view").json()
    items = next(s["items"] for s in view["stages"] if s["stage"]["id"] == stage_id)
    return [card["id"] for card in items]


def _integrity_problems(db: Database) -> list[str]:
    with db.read_engine.connect() as connection:
        if db.is_sqlite:
            result = connection.execute(text("PRAGMA integrity_check")).scalars().all()
            return [] if result == ["ok"] else result
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
        indexes = connection.execute(
            text(
                "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE a.amname = 'btree' AND n.nspname = 'public'"
            )
        ).scalars()
        for index in indexes:  # raises on a corrupt index
            connection.execute(text("SELECT bt_index_check(CAST(:i AS regclass), true)"), {"i": index})
        connection.commit()
    return []


def test_killed_server_loses_nothing_acknowledged(database_url, server_process):
    db = Database(database_url)
    upgrade(db)
    token, board_id, stages = _seed(db)
    server = server_process(database_url)
    server.start()
    acked = Acknowledged()
    stop = threading.Event()
    clients = [
        threading.Thread(target=_client, args=(n, server.base_url, token, board_id, stages, acked, stop))
        for n in range(CLIENTS)
    ]
    for t in clients:
        t.start()
    rng = random.Random(11)

    def under_load() -> None:
        """Wait until the clients have had some writes acknowledged, then a random moment more,
        so that the kill lands in the middle of the load."""
        seen = acked.count()
        deadline = time.monotonic() + LOAD_DEADLINE_S
        while acked.count() < seen + ACKS_BEFORE_KILL and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.3))

    try:
        for _ in range(KILLS):
            under_load()
            server.kill()
            server.start()
        under_load()
    finally:
        stop.set()
        for t in clients:
            t.join(timeout=30)
        server.stop()

    assert len(acked.created) > 20 and len(acked.moved) > 20, "too little load to prove anything"
    assert _integrity_problems(db) == []
    with db.read() as session:
        titles = dict(
            session.execute(select(ItemRow.id, ItemRow.title).where(ItemRow.board_id == board_id)).all()
        )
        log = session.execute(
            select(TransitionRow.item_id, TransitionRow.kind, TransitionRow.to_stage_id)
            .where(TransitionRow.board_id == board_id)
            .order_by(TransitionRow.id)
        ).all()
    lost = {i: t for i, t in acked.created.items() if titles.get(i) != t}
    assert lost == {}, "acknowledged items missing after the crashes"
    logged = {(item, stage) for item, kind, stage in log if kind == "moved"}
    assert [m for m in acked.moved if m not in logged] == [], "acknowledged moves missing from the log"

    # Replay the log: Doing never held more than its block-mode limit.
    where: dict[int, int] = {}
    in_stage: dict[int, int] = defaultdict(int)
    most = 0
    for item, kind, stage in log:
        if stage is None or kind not in ("created", "moved"):
            continue
        if item in where:
            in_stage[where[item]] -= 1
        where[item] = stage
        in_stage[stage] += 1
        most = max(most, in_stage[stages["Doing"]])
    assert 0 < most <= LIMIT
    db.dispose()
