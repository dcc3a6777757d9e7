"""Benchmark of the pull (move) API and of reading a board. Not a test: it prints figures.

For each database (a SQLite file, PostgreSQL) and each board size it seeds a fresh database,
starts the real server as a subprocess (`pullplan serve --no-demo` on 127.0.0.1 and a free
port) and measures, over HTTP with keep-alive clients (aiohttp sessions, as asyncio tasks of one thread):

* moves: POST /api/v1/items/{id}/move with 1 and 16 concurrent clients, each client moving
  its own items back and forth between the committed stages "Doing A" and "Doing B" (so no
  move ever conflicts with another or is refused); moves per second, p50/p95/p99 latency,
  and errors (any non-2xx response or transport error); then, as a floor to compare with,
  the same clients sending GET /api/v1/items/{id} (skip with --no-baseline; --reads-only
  skips both); with each run, the CPU time pullplan's server processes spent on it, per
  request (from /proc, on Linux; PostgreSQL's own processes are not counted);
* board read: GET /api/v1/boards/{id}/view, p50/p95 over a fixed number of reads, and the
  same read in-process split into the service call (`read_board`: SQL and the cards) and
  the JSON response (`board_view_read`), so that server time can be told from HTTP time;
  also one in-process `move_item`, for the same reason.

Every request sends a member's API token (`Authorization: Bearer`), as any API client must.

"A board of N items" holds N open items (in its option and committed stages, which is what
the board read returns in full) plus 0.3 N done items (the read returns one page of them)
and 0.2 N archived done items (never read). Seeding writes what the services write (an item
row, a `created` transition each, an open blocker and a `blocked` transition for blocked
items, an `archived` transition for archived items) with bulk inserts.

    python bench/pull_bench.py [--quick] [--databases sqlite,postgres] [--sizes 1000,10000]
                               [--clients 1,16] [--markdown] [--no-baseline] [--reads-only]

Every loop is bounded by a count and by a deadline. Needs only what `pip install -e
'.[test,postgres]'` installs (aiohttp from the test extra, psycopg for PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import os
import platform
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
import httpx
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from pullplan.domain.permissions import Role
from pullplan.services import accounts
from pullplan.services import boards as board_service
from pullplan.services import items as item_service
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.storage.tables import BlockerRow, ItemRow, TransitionRow
from pullplan.web.api.views import board_view_read

HOST = "127.0.0.1"
DEFAULT_POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ITEMS_PER_CLIENT = 4  # each client cycles over its own items
IN_PROCESS_ITEMS = 4  # moved by the in-process measurement, never by a client
SEED_CHUNK = 2_000
SERVER_START_TIMEOUT_S = 90
REQUEST_TIMEOUT_S = 60
TARGET_MOVE_P95_MS = 25.0  # at 16 clients on SQLite
TARGET_READ_MS = 150.0  # reading a 10,000-item board


@dataclass(frozen=True)
class Profile:
    moves_per_client: dict[int, int]  # clients -> measured moves per client
    default_moves_per_client: int
    warmup_moves: int
    reads: int
    warmup_reads: int
    in_process_moves: int
    cell_deadline_s: float  # wall-clock cap on one (database, size, clients) move run
    read_deadline_s: float
    think_ms: float = 0.0  # each client's mean pause after each request (0: a closed loop)
    workers: int = 1  # server processes (`serve --workers`)
    threads: int | None = None  # worker threads per server process (`serve --threads`)

    def moves_for(self, clients: int) -> int:
        return self.moves_per_client.get(clients, self.default_moves_per_client)


FULL = Profile(
    moves_per_client={1: 300, 16: 150},  # 2,400 moves at 16 clients: a p95 that holds from run to run
    default_moves_per_client=150,
    warmup_moves=3,
    reads=20,
    warmup_reads=2,
    in_process_moves=30,
    cell_deadline_s=240,
    read_deadline_s=180,
)
QUICK = Profile(
    moves_per_client={1: 60, 16: 10},
    default_moves_per_client=10,
    warmup_moves=2,
    reads=5,
    warmup_reads=1,
    in_process_moves=10,
    cell_deadline_s=60,
    read_deadline_s=60,
)


# --- figures ----------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass
class RunResult:
    database: str
    size: int
    clients: int
    planned: int
    request: str = "move"
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    timed_out: bool = False
    server_cpu_s: float | None = None  # CPU time of pullplan's server processes over the run

    @property
    def ok(self) -> int:
        return len(self.latencies_ms)

    @property
    def server_cpu_ms(self) -> float:
        """Server CPU per request (nan where /proc cannot tell)."""
        done = self.ok + self.errors
        return 1000 * self.server_cpu_s / done if self.server_cpu_s is not None and done else float("nan")

    @property
    def per_second(self) -> float:
        return self.ok / self.wall_s if self.wall_s > 0 else float("nan")


@dataclass
class ReadResult:
    database: str
    size: int
    http_ms: list[float]
    service_ms: list[float]  # read_board in-process
    response_ms: list[float]  # board_view_read in-process: the JSON response
    move_service_ms: list[float]  # move_item in-process
    response_bytes: int
    items_returned: int
    open_items_returned: int
    archived_excluded: bool
    errors: int = 0


@dataclass
class Seeded:
    board_id: int
    doing_a: int
    doing_b: int
    client_items: list[list[int]]  # per client: its items, all in Doing A at the start
    in_process_items: list[int]  # in Doing A at the start
    archived_ids: set[int]
    open_items: int
    seconds: float
    token: str  # a member's API token, sent with every request


# --- databases --------------------------------------------------------------------------------


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="pullplan-bench-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    name = f"pullplan_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def postgres_problem(admin_url: str) -> str | None:
    try:
        engine = create_engine(admin_url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as e:  # noqa: BLE001 - any failure means "not reachable"
        return str(e).splitlines()[0]


# --- seeding ----------------------------------------------------------------------------------


def seed(db: Database, size: int, max_clients: int, rng: random.Random) -> Seeded:
    """A realistic board of `size` open items, plus done and archived ones (see the module doc)."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    ws = board_service.create_workspace(db, name="Bench")
    users = []
    for i in range(8):
        user = accounts.create_user(db, username=f"user{i}", display_name=f"User {i}")
        accounts.set_role(db, workspace_id=ws.id, user_id=user.id, role="member")
        users.append(user.id)
    creator = accounts.Principal(
        user_id=users[0],
        username="user0",
        display_name="User 0",
        is_admin=False,
        via="session",
        roles={ws.id: Role.MEMBER},
    )
    token, _ = accounts.create_token(db, creator=creator, workspace_id=ws.id, role="member", name="bench")
    types = [
        board_service.create_work_type(db, workspace_id=ws.id, name=name).id
        for name in ("Campaign", "Content", "Deal")
    ]
    board = board_service.create_board(
        db,
        workspace_id=ws.id,
        name=f"Bench {size}",
        stages=[
            {"name": "Backlog", "kind": "option"},
            {"name": "Doing A", "kind": "committed", "wip_limit": 2 * size, "wip_mode": "block"},
            {"name": "Doing B", "kind": "committed", "wip_limit": 2 * size, "wip_mode": "block"},
            {"name": "Done", "kind": "done"},
        ],
        lanes=[
            {"name": "Fixed date", "class_of_service": "fixed_date"},
            {"name": "Standard", "class_of_service": "standard"},
            {"name": "Intangible", "class_of_service": "intangible"},
        ],
        person_wip_limit=size,
    )
    stage = {s.name: s.id for s in board.stages}
    lane = {lane.class_of_service.value: lane.id for lane in board.lanes}

    reserved = max_clients * ITEMS_PER_CLIENT + IN_PROCESS_ITEMS
    committed = max(reserved, size * 15 // 100)
    if committed > size:
        raise SystemExit(f"a board of {size} items is too small for {max_clients} clients")
    done, archived = size * 30 // 100, size * 20 // 100
    # (stage, archived, may be blocked) for every item; the reserved ones first, in Doing A.
    plan = [("Doing A", False, False)] * reserved
    plan += [("Doing A" if i % 2 else "Doing B", False, True) for i in range(committed - reserved)]
    plan += [("Backlog", False, True)] * (size - committed)
    plan += [("Done", False, False)] * done + [("Done", True, False)] * archived

    def row(stage_name: str, is_archived: bool, n: int) -> dict:
        cos = rng.choices(["standard", "fixed_date", "intangible"], weights=[80, 12, 8])[0]
        created = now - timedelta(days=rng.uniform(1, 180))
        entered = created + (now - created) * rng.uniform(0, 0.9)
        kind_committed = stage_name != "Backlog"
        done_at = entered if stage_name == "Done" else None
        return {
            "board_id": board.id,
            "stage_id": stage[stage_name],
            "lane_id": lane[cos],
            "work_type_id": rng.choice(types) if rng.random() < 0.8 else None,
            "class_of_service": cos,
            "title": f"Item {n}: {rng.choice(['Follow up', 'Draft', 'Review', 'Call', 'Launch'])} "
            f"{rng.choice(['the webinar', 'ACME renewal', 'Q3 newsletter', 'pricing page', 'demo'])}",
            "description": "Notes from the last meeting and the next step. " * rng.randint(0, 4),
            "owner_id": rng.choice(users) if kind_committed or rng.random() < 0.3 else None,
            "due_date": (now + timedelta(days=rng.randint(-10, 60))).date() if cos == "fixed_date" else None,
            "value": Decimal(rng.randint(1_000, 90_000)) if rng.random() < 0.3 else None,
            "size": rng.choice([None, 1, 2, 3, 5, 8]),
            "tags": rng.sample(["q3", "emea", "smb", "enterprise", "launch", "seo"], rng.randint(0, 3)),
            "external_ref": f"CRM-{n}" if rng.random() < 0.2 else None,
            "parent_id": None,
            "ready": False,
            "created_at": created,
            "updated_at": entered,
            "stage_entered_at": entered,
            "committed_at": entered if kind_committed else None,
            "done_at": done_at,
            "archived_at": (done_at + timedelta(days=1)) if is_archived else None,
        }

    ids: list[int] = []
    archived_ids: set[int] = set()
    for start in range(0, len(plan), SEED_CHUNK):
        chunk = plan[start : start + SEED_CHUNK]
        rows = [row(s, a, start + i + 1) for i, (s, a, _) in enumerate(chunk)]
        with db.write() as session:
            new_ids = list(
                session.scalars(insert(ItemRow).returning(ItemRow.id, sort_by_parameter_order=True), rows)
            )
            transitions, blockers = [], []
            for item_id, values, (_, is_archived, may_block) in zip(new_ids, rows, chunk, strict=True):
                transitions.append(
                    {
                        "item_id": item_id,
                        "board_id": board.id,
                        "at": values["created_at"],
                        "kind": "created",
                        "to_stage_id": values["stage_id"],
                        "details": {},
                    }
                )
                if may_block and rng.random() < 0.03:
                    blockers.append(
                        {"item_id": item_id, "reason": "Waiting for legal review", "started_at": now}
                    )
                    transitions.append(
                        {
                            "item_id": item_id,
                            "board_id": board.id,
                            "at": now,
                            "kind": "blocked",
                            "reason": "Waiting for legal review",
                            "details": {},
                        }
                    )
                if is_archived:
                    archived_ids.add(item_id)
                    transitions.append(
                        {
                            "item_id": item_id,
                            "board_id": board.id,
                            "at": values["archived_at"],
                            "kind": "archived",
                            "details": {},
                        }
                    )
            session.execute(insert(TransitionRow), transitions)
            if blockers:
                session.execute(insert(BlockerRow), blockers)
        ids.extend(new_ids)
    if not db.is_sqlite:
        with db.write() as session:
            session.execute(text("ANALYZE"))
    clients = [ids[c * ITEMS_PER_CLIENT : (c + 1) * ITEMS_PER_CLIENT] for c in range(max_clients)]
    return Seeded(
        board_id=board.id,
        doing_a=stage["Doing A"],
        doing_b=stage["Doing B"],
        client_items=clients,
        in_process_items=ids[max_clients * ITEMS_PER_CLIENT : reserved],
        archived_ids=archived_ids,
        open_items=size,
        seconds=time.perf_counter() - started,
        token=token,
    )


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def http_client(base: str, token: str, timeout: float) -> httpx.Client:
    """A keep-alive client that authenticates every request with `token`."""
    return httpx.Client(
        base_url=base, timeout=timeout, trust_env=False, headers={"Authorization": f"Bearer {token}"}
    )


def async_http_client(base: str, token: str, timeout: float) -> aiohttp.ClientSession:
    """The same for asyncio, on one connection: an aiohttp session, which spends a quarter of
    the CPU per request that an httpx.AsyncClient does (0.35 ms instead of 1.46 ms here); the
    clients run on the server's machine and would otherwise take a core the server needs."""
    return aiohttp.ClientSession(
        base_url=base,
        connector=aiohttp.TCPConnector(limit=1),
        timeout=aiohttp.ClientTimeout(total=timeout),
        headers={"Authorization": f"Bearer {token}"},
    )


def pullplan_command() -> str:
    beside = Path(sys.executable).parent / "pullplan"
    found = str(beside) if beside.exists() else shutil.which("pullplan")
    if not found:
        raise SystemExit("the `pullplan` command is not installed; pip install -e '.[test,postgres]'")
    return found


def process_cpu_s(pid: int) -> float | None:
    """User and system CPU seconds of a process and all its descendants (Linux /proc; None
    elsewhere, or when the process is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except OSError:
        return None
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total + sum(process_cpu_s(child) or 0.0 for child in children)


@contextmanager
def server(
    database_url: str, probe_path: str, token: str, *, workers: int = 1, threads: int | None = None
) -> Iterator[tuple[str, int]]:
    """`pullplan serve --no-demo` on a free port of 127.0.0.1 (with `--workers`, and
    `--threads` when given); yields its base URL and its process id."""
    options = ["--workers", str(workers)] + (["--threads", str(threads)] if threads else [])
    command = [pullplan_command(), "serve", "--host", HOST, "--no-demo", *options]
    env = {**os.environ, "PULLPLAN_DATABASE_URL": database_url}
    with started(command, env, probe_path, token) as served:
        yield served


@contextmanager
def started(command: list[str], env: dict, probe_path: str, token: str) -> Iterator[tuple[str, int]]:
    """Run `command` plus `--port` and a free port of 127.0.0.1 until GET `probe_path` answers
    200; yield its base URL and its process id; stop it when the block ends."""
    port = free_port()
    with tempfile.TemporaryFile(prefix="pullplan-bench-server-") as log:
        proc = subprocess.Popen([*command, "--port", str(port)], env=env, stdout=log, stderr=log)
        base = f"http://{HOST}:{port}"
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT_S
            with http_client(base, token, 5) as probe:
                while True:
                    if proc.poll() is not None:
                        log.seek(0)
                        raise RuntimeError(f"the server exited:\n{log.read().decode()[-3000:]}")
                    try:
                        if probe.get(probe_path).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline:
                        raise RuntimeError("the server did not answer in time")
                    time.sleep(0.1)
            yield base, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


# --- the measurements -------------------------------------------------------------------------


def run_clients(
    base: str, seeded: Seeded, database: str, size: int, clients: int, profile: Profile, request: str
) -> RunResult:
    """`clients` clients, each sending its requests one after the other (a closed loop; with
    --think-ms, each pauses about that long after each request, like a person would: from half
    to one and a half times it, at random, and the first time before its first request, so
    that the clients do not send in step). `request` is
    "move", or "get" (GET /api/v1/items/{id} on the same items: the floor that HTTP, FastAPI
    and one small read cost, to compare a move with). The clients are asyncio tasks of one
    thread, each with its own keep-alive connection: threads of sync clients would spend the
    bench's CPU, which the server needs, on taking turns on the GIL."""
    return asyncio.run(_run_clients(base, seeded, database, size, clients, profile, request))


def run_measured(
    base: str,
    pid: int,
    seeded: Seeded,
    database: str,
    size: int,
    clients: int,
    profile: Profile,
    request: str,
) -> RunResult:
    """`run_clients` against the server process `pid`, with the CPU time it spent on the run."""
    cpu_before = process_cpu_s(pid)
    result = run_clients(base, seeded, database, size, clients, profile, request)
    cpu_after = process_cpu_s(pid)
    if cpu_before is not None and cpu_after is not None:
        result.server_cpu_s = cpu_after - cpu_before
    return result


async def _run_clients(
    base: str, seeded: Seeded, database: str, size: int, clients: int, profile: Profile, request: str
) -> RunResult:
    moves = profile.moves_for(clients)
    result = RunResult(database, size, clients, planned=moves * clients, request=request)
    ready = asyncio.Barrier(clients + 1)
    go = asyncio.Event()
    # Where each item is now: every client item starts in Doing A, and the previous run on the
    # same board left each one where its client last put it; the server's answer keeps this true.
    other = {seeded.doing_a: seeded.doing_b, seeded.doing_b: seeded.doing_a}

    async def client(n: int) -> None:
        items = seeded.client_items[n]
        rng = random.Random(n)

        def pause() -> float:
            return rng.uniform(0.5, 1.5) * profile.think_ms / 1000

        async with async_http_client(base, seeded.token, REQUEST_TIMEOUT_S) as http:
            where = {}
            for item_id in items:
                async with http.get(f"/api/v1/items/{item_id}", raise_for_status=True) as r:
                    where[item_id] = (await r.json())["stage_id"]

            async def move(i: int) -> tuple[float, str | None]:
                item_id = items[i % len(items)]
                target = other[where[item_id]]
                t0 = time.perf_counter()
                try:
                    if request == "get":
                        sent = http.get(f"/api/v1/items/{item_id}")
                    else:
                        sent = http.post(f"/api/v1/items/{item_id}/move", json={"to_stage_id": target})
                    async with sent as r:
                        body = await r.read()
                except (aiohttp.ClientError, TimeoutError) as e:
                    return (time.perf_counter() - t0) * 1000, f"{type(e).__name__}: {e}"
                ms = (time.perf_counter() - t0) * 1000
                if r.ok:
                    if request == "move":
                        where[item_id] = json.loads(body)["item"]["stage_id"]
                    return ms, None
                return ms, f"HTTP {r.status}: {body[:200].decode(errors='replace')}"

            for i in range(profile.warmup_moves):
                await move(i)
            await ready.wait()
            await go.wait()
            if profile.think_ms:
                await asyncio.sleep(rng.uniform(0, profile.think_ms / 1000))
            deadline = time.monotonic() + profile.cell_deadline_s
            for i in range(moves):
                if time.monotonic() > deadline:
                    break
                ms, error = await move(profile.warmup_moves + i)
                if error is None:
                    result.latencies_ms.append(ms)
                else:
                    result.errors += 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(error)
                if profile.think_ms:
                    await asyncio.sleep(pause())

    tasks = [asyncio.create_task(client(n)) for n in range(clients)]
    waiting = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait([waiting, *tasks], timeout=120, return_when=asyncio.FIRST_COMPLETED)
    if waiting not in done:
        failed = [t.exception() for t in done if t is not waiting and t.exception()]
        for t in [waiting, *tasks]:
            t.cancel()
        raise RuntimeError(f"a client failed before the run: {failed[:1] or 'timeout'}")
    t0 = time.perf_counter()
    go.set()
    cap = profile.cell_deadline_s + REQUEST_TIMEOUT_S + 10
    finished, pending = await asyncio.wait(tasks, timeout=cap)
    result.wall_s = time.perf_counter() - t0
    for t in pending:
        t.cancel()
    failures = [t.exception() for t in finished if t.exception()]
    if failures:
        raise RuntimeError(f"a client failed: {failures[0]!r}")
    result.timed_out = bool(pending) or result.ok + result.errors < result.planned
    return result


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    value = fn()
    return (time.perf_counter() - t0) * 1000, value


def run_reads(
    base: str, db: Database, seeded: Seeded, database: str, size: int, profile: Profile
) -> ReadResult:
    path = f"/api/v1/boards/{seeded.board_id}/view"
    http_ms: list[float] = []
    errors = 0
    body = b""
    deadline = time.monotonic() + profile.read_deadline_s
    with http_client(base, seeded.token, REQUEST_TIMEOUT_S) as http:
        for i in range(profile.warmup_reads + profile.reads):
            if time.monotonic() > deadline:
                break
            t0 = time.perf_counter()
            r = http.get(path)
            ms = (time.perf_counter() - t0) * 1000
            if not r.is_success:
                errors += 1
                continue
            body = r.content
            if i >= profile.warmup_reads:
                http_ms.append(ms)
    view = httpx.Response(200, content=body).json() if body else {"stages": []}
    returned = [item["id"] for sv in view["stages"] for item in sv["items"]]
    open_returned = sum(
        len(sv["items"]) for sv in view["stages"] if sv["stage"]["kind"] in ("option", "committed")
    )
    archived_excluded = bool(body) and not (set(returned) & seeded.archived_ids)
    response_bytes, items_returned = len(body), len(returned)
    # Let go of the parsed response (10,000 dicts) so that the garbage collector of this process
    # scans no more than the server's does during the in-process timings.
    del view, body, returned
    gc.collect()

    # The same read in-process: the service (SQL and cards), then the JSON response.
    service_ms, response_ms = [], []
    for i in range(profile.warmup_reads + profile.reads):
        if time.monotonic() > deadline:
            break
        s_ms, board_view = timed(lambda: board_service.read_board(db, seeded.board_id))
        r_ms, _ = timed(lambda bv=board_view: board_view_read(bv))
        if i >= profile.warmup_reads:
            service_ms.append(s_ms)
            response_ms.append(r_ms)

    # One move in-process, on items no client touches: the service's share of a move.
    move_ms: list[float] = []
    other = {seeded.doing_a: seeded.doing_b, seeded.doing_b: seeded.doing_a}
    where = {item_id: seeded.doing_a for item_id in seeded.in_process_items}
    for i in range(profile.warmup_moves + profile.in_process_moves):
        if time.monotonic() > deadline:
            break
        item_id = seeded.in_process_items[i % len(seeded.in_process_items)]
        ms, moved = timed(
            lambda it=item_id: item_service.move_item(
                db, actor_id=None, item_id=it, to_stage_id=other[where[it]]
            )
        )
        where[item_id] = moved.item.stage_id
        if i >= profile.warmup_moves:
            move_ms.append(ms)
    return ReadResult(
        database=database,
        size=size,
        http_ms=http_ms,
        service_ms=service_ms,
        response_ms=response_ms,
        move_service_ms=move_ms,
        response_bytes=response_bytes,
        items_returned=items_returned,
        open_items_returned=open_returned,
        archived_excluded=archived_excluded,
        errors=errors,
    )


def bench_cell(
    database: str,
    url: str,
    size: int,
    client_counts: list[int],
    profile: Profile,
    log,
    requests: tuple[str, ...],
) -> tuple[list[RunResult], ReadResult]:
    db = Database(url)
    try:
        upgrade(db)
        seeded = seed(db, size, max(client_counts), random.Random(size))
        log(
            f"  seeded {size} open items (+{size * 30 // 100} done, {size * 20 // 100} archived) "
            f"in {seeded.seconds:.1f} s"
        )
        moves = []
        probe = f"/api/v1/boards/{seeded.board_id}"
        served = server(url, probe, seeded.token, workers=profile.workers, threads=profile.threads)
        with served as (base, pid):
            for request in requests:
                for clients in client_counts:
                    result = run_measured(base, pid, seeded, database, size, clients, profile, request)
                    log(
                        f"  {request} x {clients:>2} client(s): {result.ok} requests, {result.errors} "
                        f"errors, {result.per_second:.0f}/s, p95 {percentile(result.latencies_ms, 95):.1f} ms"
                        + ("  (stopped by the deadline)" if result.timed_out else "")
                    )
                    for sample in result.error_samples:
                        log(f"     error: {sample}")
                    moves.append(result)
            read = run_reads(base, db, seeded, database, size, profile)
            if read.open_items_returned != size:
                log(f"  WARNING: the board read returned {read.open_items_returned} open items, not {size}")
            log(
                f"  board read: p50 {percentile(read.http_ms, 50):.0f} ms over HTTP, "
                f"read_board p50 {percentile(read.service_ms, 50):.0f} ms in-process"
            )
        return moves, read
    finally:
        db.dispose()


# --- output -----------------------------------------------------------------------------------


def fmt(x: float, digits: int = 1) -> str:
    return "n/a" if x != x else f"{x:.{digits}f}"


def tables(
    moves: list[RunResult], reads: list[ReadResult]
) -> tuple[list[str], list[list[str]], list[str], list[list[str]]]:
    move_head = [
        "database",
        "open items",
        "request",
        "clients",
        "requests",
        "errors",
        "per s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "server CPU ms",
    ]
    move_rows = [
        [
            m.database,
            f"{m.size:,}",
            "move" if m.request == "move" else "get item",
            str(m.clients),
            f"{m.ok}" + ("*" if m.timed_out else ""),
            str(m.errors),
            fmt(m.per_second, 0),
            fmt(percentile(m.latencies_ms, 50)),
            fmt(percentile(m.latencies_ms, 95)),
            fmt(percentile(m.latencies_ms, 99)),
            fmt(m.server_cpu_ms, 2),
        ]
        for m in moves
    ]
    read_head = [
        "database",
        "open items",
        "items returned",
        "KiB",
        "HTTP p50 ms",
        "HTTP p95 ms",
        "read_board p50 ms",
        "JSON p50 ms",
        "move_item p50 ms",
        "archived excluded",
    ]
    read_rows = [
        [
            r.database,
            f"{r.size:,}",
            f"{r.items_returned:,}",
            f"{r.response_bytes / 1024:,.0f}",
            fmt(percentile(r.http_ms, 50), 0),
            fmt(percentile(r.http_ms, 95), 0),
            fmt(percentile(r.service_ms, 50), 0),
            fmt(percentile(r.response_ms, 50), 0),
            fmt(percentile(r.move_service_ms, 50)),
            "yes" if r.archived_excluded else "NO",
        ]
        for r in reads
    ]
    return move_head, move_rows, read_head, read_rows


def render(head: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = [
            "| " + " | ".join(head) + " |",
            "|" + "|".join("---:" if i else "---" for i in range(len(head))) + "|",
        ]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def verdicts(moves: list[RunResult], reads: list[ReadResult]) -> list[str]:
    out = []
    for m in moves:
        if m.database == "sqlite" and m.clients == 16 and m.request == "move":
            p95 = percentile(m.latencies_ms, 95)
            met = p95 < TARGET_MOVE_P95_MS and m.errors == 0
            out.append(
                f"Move p95 at 16 clients on SQLite, {m.size:,} items: {fmt(p95)} ms "
                f"(target < {TARGET_MOVE_P95_MS:.0f} ms): "
                + (
                    "met"
                    if met
                    else f"MISSED by {fmt(p95 - TARGET_MOVE_P95_MS)} ms ({p95 / TARGET_MOVE_P95_MS:.1f}x)"
                )
            )
    for r in reads:
        if r.size == 10_000:
            p95 = percentile(r.http_ms, 95)
            met = p95 < TARGET_READ_MS and r.archived_excluded and r.errors == 0
            out.append(
                f"Board read p95 on {r.database}, 10,000 open items: {fmt(p95, 0)} ms "
                f"(target < {TARGET_READ_MS:.0f} ms): "
                + (
                    "met"
                    if met
                    else f"MISSED by {fmt(p95 - TARGET_READ_MS, 0)} ms ({p95 / TARGET_READ_MS:.1f}x)"
                )
            )
    return out


def machine() -> str:
    return (
        f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def load_average() -> str:
    """The 1-minute load average: above the CPU count, other work shared the machine."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "n/a"


# --- main -------------------------------------------------------------------------------------


def int_list(text_value: str) -> list[int]:
    return [int(x.replace("_", "").replace(",", "")) for x in text_value.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer moves and reads (a smoke run)")
    parser.add_argument("--databases", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--sizes", default="1000,10000", help="open items per board, comma-separated")
    parser.add_argument("--clients", default="1,16", help="concurrent clients, comma-separated")
    parser.add_argument("--markdown", action="store_true", help="print the tables in Markdown")
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the GET /api/v1/items/{id} runs (the HTTP floor a move is compared with)",
    )
    parser.add_argument(
        "--reads-only",
        action="store_true",
        help="skip the move and GET runs: only the board read (and move_item in-process)",
    )
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="each client pauses this long after each request (default 0: back to back)",
    )
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve --workers)")
    parser.add_argument(
        "--threads", type=int, default=None, help="worker threads per server process (serve --threads)"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("PULLPLAN_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_ADMIN_URL),
        help="an administrator URL of the PostgreSQL server (a database is created and dropped)",
    )
    args = parser.parse_args(argv)
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(databases) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown database {sorted(unknown)[0]!r}; use sqlite and/or postgres")
    sizes, client_counts = int_list(args.sizes), int_list(args.clients)
    if not sizes or not client_counts or min(sizes) < 1 or min(client_counts) < 1:
        parser.error("--sizes and --clients need positive numbers")
    if not 0 <= args.think_ms <= 10_000:
        parser.error("--think-ms must be from 0 to 10000")
    if not 1 <= args.workers <= 8 or not 1 <= (args.threads or 1) <= 400:
        parser.error("--workers must be from 1 to 8 and --threads from 1 to 400")
    profile = dataclasses.replace(
        QUICK if args.quick else FULL, think_ms=args.think_ms, workers=args.workers, threads=args.threads
    )
    requests = () if args.reads_only else ("move",) if args.no_baseline else ("move", "get")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    load_before = load_average()
    log(f"pullplan bench: {machine()}; load average {load_before}")
    all_moves: list[RunResult] = []
    all_reads: list[ReadResult] = []
    for database in databases:
        if database == "postgres":
            problem = postgres_problem(args.postgres_url)
            if problem:
                log(f"skipping PostgreSQL: {problem}")
                continue
        for size in sizes:
            log(f"{database}, {size:,} open items")
            context = sqlite_database() if database == "sqlite" else postgres_database(args.postgres_url)
            with context as url:
                moves, read = bench_cell(database, url, size, client_counts, profile, log, requests)
            all_moves.extend(moves)
            all_reads.append(read)

    move_head, move_rows, read_head, read_rows = tables(all_moves, all_reads)
    command = "python bench/pull_bench.py " + " ".join(argv if argv is not None else sys.argv[1:])
    load = f"1-minute load average {load_before} at the start, {load_average()} at the end"
    threads = f"{args.threads} thread(s)" if args.threads else "the default threads"
    load += f"; server: {args.workers} process(es) of {threads}"
    if args.markdown:
        print(f"Machine: {machine()}; {load}.\n\nCommand: `{command.strip()}`\n")
        print(
            "Moves (POST /api/v1/items/{id}/move) and, for comparison, GET /api/v1/items/{id}; "
            "`*`: stopped by the deadline:\n"
        )
        print(render(move_head, move_rows, True))
        print("\nBoard read (GET /api/v1/boards/{id}/view; in-process columns are the server's parts):\n")
        print(render(read_head, read_rows, True))
        print()
        for line in verdicts(all_moves, all_reads):
            print(f"- {line}")
    else:
        print(f"\n{machine()}; {load}")
        print("\nMoves (POST /api/v1/items/{id}/move) and GET /api/v1/items/{id}; *: stopped by the deadline")
        print(render(move_head, move_rows, False))
        print("\nBoard read (GET /api/v1/boards/{id}/view) and in-process parts")
        print(render(read_head, read_rows, False))
        print()
        for line in verdicts(all_moves, all_reads):
            print(line)
    errors = sum(m.errors for m in all_moves) + sum(r.errors for r in all_reads)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
