"""Load benchmark: a mixed team workload against real servers. Not a test: it prints figures.

For each set-up (a SQLite file with one server process; PostgreSQL with 1 and with 4 server
processes, `pullplan serve --workers N`) and each number of users (16, 64), it seeds a fresh
database, starts the server on 127.0.0.1, and runs that many users at once, each a thread
with its own keep-alive connection and the same member's API token, each sending a bounded
number of requests (and stopping at a deadline), chosen at random in this mix:

* 45 % board reads (GET /api/v1/boards/{id}/view, a board of 1,000 open items);
* 25 % pulls: into "Review", a block-mode stage with a WIP limit of 5 that every user pulls
  into from the shared backlog (a refusal, 409, is the pull policy's answer, not an error),
  or, for an item the user pulled, on to "Done";
* 15 % edits (PATCH /api/v1/items/{id}: a new description);
* 10 % item reads (GET /api/v1/items/{id});
* 5 % forecasts (GET /api/v1/boards/{id}/forecast/how-many?days=30).

Users think between requests (`--think-ms`, 0 by default: back to back, the worst case).
It reports, per set-up and number of users: requests per second, p50/p95/p99 latency of all
requests and of each kind, errors (any answer other than 2xx, or 409 to a pull), and, after
the run, whether the transition log ever shows Review above its limit (it must not, with any
number of processes).

    python bench/load_bench.py [--users 16,64] [--setups sqlite,postgres-1,postgres-4]
                               [--requests N] [--think-ms MS] [--markdown]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pull_bench import (  # noqa: E402  (the sibling benchmark's helpers)
    free_port,
    http_client,
    load_average,
    machine,
    percentile,
    postgres_database,
    postgres_problem,
    pullplan_command,
    sqlite_database,
)

from pullplan.domain.permissions import Role  # noqa: E402
from pullplan.services import accounts  # noqa: E402
from pullplan.services.boards import create_board, create_workspace  # noqa: E402
from pullplan.services.items import create_items  # noqa: E402
from pullplan.storage.database import Database  # noqa: E402
from pullplan.storage.migrate import upgrade  # noqa: E402
from pullplan.storage.tables import TransitionRow  # noqa: E402

HOST = "127.0.0.1"
OPEN_ITEMS = 1_000
REVIEW_LIMIT = 5
MIX = (("board", 45), ("pull", 25), ("edit", 15), ("item", 10), ("forecast", 5))
RUN_DEADLINE_S = 300
POSTGRES_URL = os.environ.get(
    "PULLPLAN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@dataclass
class Seeded:
    board_id: int
    stages: dict[str, int]
    backlog: list[int]
    token: str


@dataclass
class Result:
    setup: str
    users: int
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refused_pulls: int = 0
    most_in_review: int = 0

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def all_latencies(self) -> list[float]:
        return [ms for values in self.latencies.values() for ms in values]


def seed(db: Database) -> Seeded:
    ws = create_workspace(db, name="Load")
    member = accounts.create_user(db, username="member", display_name="A member")
    accounts.set_role(db, workspace_id=ws.id, user_id=member.id, role="member")
    board = create_board(
        db,
        workspace_id=ws.id,
        name="Marketing",
        stages=[
            {"name": "Backlog", "kind": "option"},
            {"name": "Doing", "kind": "committed"},
            {"name": "Review", "kind": "committed", "wip_limit": REVIEW_LIMIT, "wip_mode": "block"},
            {"name": "Done", "kind": "done"},
        ],
    )
    stages = {s.name: s.id for s in board.stages}
    rng = random.Random(5)
    items = [
        {
            "title": f"Campaign task {n}",
            "description": "Brief, audience, channels. " * rng.randint(0, 4),
            "stage_id": stages["Doing"] if n % 7 == 0 else stages["Backlog"],
            "tags": rng.sample(["email", "paid", "events", "content", "brand"], 2),
        }
        for n in range(OPEN_ITEMS)
    ]
    created = create_items(db, actor_id=member.id, board_id=board.id, items=items)
    # Finished work of the last 60 days: the forecasts' history.
    today = datetime.now(UTC)
    for days_ago in range(1, 61):
        done = [
            {"title": f"Done {days_ago}.{k}", "stage_id": stages["Done"]} for k in range(rng.randint(0, 5))
        ]
        if done:
            create_items(
                db, actor_id=member.id, board_id=board.id, items=done, now=today - timedelta(days=days_ago)
            )
    backlog = [i.id for i in created if i.stage_id == stages["Backlog"]]
    creator = accounts.Principal(
        user_id=member.id,
        username="member",
        display_name="A member",
        is_admin=False,
        via="session",
        roles={ws.id: Role.MEMBER},
    )
    token, _ = accounts.create_token(db, creator=creator, workspace_id=ws.id, role="member", name="load")
    return Seeded(board.id, stages, backlog, token)


@contextmanager
def server(database_url: str, workers: int, token: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "PULLPLAN_DATABASE_URL": database_url, "PULLPLAN_SCHEDULER": "false"}
    command = [
        pullplan_command(),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-demo",
        "--workers",
        str(workers),
    ]
    with tempfile.TemporaryFile(prefix="pullplan-load-server-") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
        base = f"http://{HOST}:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"the server exited:\n{log.read().decode()[-3000:]}")
                try:
                    if httpx.get(base + "/readyz", timeout=2, trust_env=False).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the server was not ready within 60 s")
                time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def run(base: str, seeded: Seeded, setup: str, users: int, requests: int, think_ms: float) -> Result:
    result = Result(setup, users)
    lock = threading.Lock()
    backlog = list(seeded.backlog)
    random.Random(1).shuffle(backlog)
    start = threading.Barrier(users + 1, timeout=60)
    stop_at = [time.monotonic() + 60 + RUN_DEADLINE_S]  # set again when the users start
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]

    def user(n: int) -> None:
        rng = random.Random(n)
        mine: list[int] = []  # items this user pulled into Review
        with http_client(base, seeded.token, 30) as http:
            start.wait()
            for _ in range(requests):
                if time.monotonic() > stop_at[0]:
                    break
                kind = rng.choices(kinds, weights)[0]
                began = time.perf_counter()
                try:
                    answer, ok = _request(http, kind, rng, seeded, backlog, mine, lock)
                except httpx.HTTPError as e:
                    answer, ok = None, False
                    kind = f"{kind} ({type(e).__name__})"
                ms = (time.perf_counter() - began) * 1000
                with lock:
                    result.latencies[kind].append(ms)
                    if not ok:
                        result.errors[f"{kind} {answer.status_code if answer is not None else ''}"] += 1
                    elif answer is not None and answer.status_code == 409:
                        result.refused_pulls += 1
                if think_ms:
                    time.sleep(rng.uniform(0.5, 1.5) * think_ms / 1000)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    stop_at[0] = time.monotonic() + RUN_DEADLINE_S
    for t in threads:
        t.join(timeout=RUN_DEADLINE_S + 60)
    result.seconds = time.perf_counter() - began
    return result


def _request(http, kind, rng, seeded: Seeded, backlog: list[int], mine: list[int], lock):
    board = seeded.board_id
    if kind == "board":
        answer = http.get(f"/api/v1/boards/{board}/view")
    elif kind == "item":
        answer = http.get(f"/api/v1/items/{rng.choice(seeded.backlog)}")
    elif kind == "edit":
        answer = http.patch(
            f"/api/v1/items/{rng.choice(seeded.backlog)}", json={"description": f"Edit {rng.random()}"}
        )
    elif kind == "forecast":
        answer = http.get(f"/api/v1/boards/{board}/forecast/how-many", params={"days": 30})
    else:  # a pull: finish one of mine, or pull a shared backlog item into Review
        if mine and rng.random() < 0.5:
            answer = http.post(
                f"/api/v1/items/{mine.pop(0)}/move", json={"to_stage_id": seeded.stages["Done"]}
            )
        else:
            with lock:
                item = backlog.pop() if backlog else None
            if item is None:
                return None, True
            answer = http.post(f"/api/v1/items/{item}/move", json={"to_stage_id": seeded.stages["Review"]})
            if answer.status_code == 200:
                mine.append(item)
            elif answer.status_code == 409:
                with lock:
                    backlog.insert(0, item)
                return answer, True
    return answer, answer.is_success


def most_in_review(db: Database, seeded: Seeded) -> int:
    """Replay the transition log: the most items Review ever held."""
    review = seeded.stages["Review"]
    with db.read() as session:
        log = session.execute(
            select(TransitionRow.item_id, TransitionRow.to_stage_id)
            .where(TransitionRow.board_id == seeded.board_id, TransitionRow.kind.in_(("created", "moved")))
            .order_by(TransitionRow.id)
        ).all()
    where: dict[int, int] = {}
    count = most = 0
    for item, stage in log:
        count -= where.get(item) == review
        where[item] = stage
        count += stage == review
        most = max(most, count)
    return most


def table(results: list[Result], markdown: bool) -> str:
    head = ["set-up", "users", "requests", "errors", "per s", "p50 ms", "p95 ms", "p99 ms", "refused pulls",
            "Review max (limit 5)"]  # fmt: skip
    rows = []
    for r in results:
        every = r.all_latencies()
        if r.errors:
            print(f"{r.setup}, {r.users} users: errors {dict(r.errors)}")
        rows.append([
            r.setup, str(r.users), f"{r.requests:,}", str(sum(r.errors.values())),
            f"{r.requests / r.seconds:.0f}",
            f"{percentile(every, 50):.1f}", f"{percentile(every, 95):.1f}", f"{percentile(every, 99):.1f}",
            str(r.refused_pulls), str(r.most_in_review),
        ])  # fmt: skip
    by_kind_head = ["set-up", "users", *[f"{k} p50/p95" for k, _ in MIX]]
    by_kind = [
        [r.setup, str(r.users)]
        + [f"{percentile(r.latencies[k], 50):.0f} / {percentile(r.latencies[k], 95):.0f}" for k, _ in MIX]
        for r in results
    ]
    return (
        _render(head, rows, markdown)
        + "\n\nLatency by kind of request (ms):\n\n"
        + _render(by_kind_head, by_kind, markdown)
    )


def _render(head: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    return "\n".join("  ".join(x.rjust(w) for x, w in zip(r, widths, strict=True)) for r in [head, *rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="16,64")
    parser.add_argument("--setups", default="sqlite,postgres-1,postgres-4")
    parser.add_argument("--requests", type=int, default=40, help="requests per user")
    parser.add_argument("--think-ms", type=float, default=0.0)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    print(f"pullplan load bench: {machine()}; load average {load_average()}", flush=True)
    results = []
    for setup in args.setups.split(","):
        if setup.startswith("postgres"):
            problem = postgres_problem(POSTGRES_URL)
            if problem:
                print(f"{setup}: skipped ({problem})")
                continue
        for users in (int(u) for u in args.users.split(",")):
            databases = sqlite_database() if setup == "sqlite" else postgres_database(POSTGRES_URL)
            with databases as url:
                db = Database(url)
                upgrade(db)
                seeded = seed(db)
                workers = int(setup.split("-")[1]) if "-" in setup else 1
                with server(url, workers, seeded.token) as base:
                    result = run(base, seeded, setup, users, args.requests, args.think_ms)
                result.most_in_review = most_in_review(db, seeded)
                db.dispose()
            results.append(result)
            every = result.all_latencies()
            print(
                f"{setup}, {users} users: {result.requests} requests in {result.seconds:.1f} s, "
                f"{sum(result.errors.values())} errors, p95 {percentile(every, 95):.1f} ms, "
                f"Review held at most {result.most_in_review}",
                flush=True,
            )
    print(f"\nload average at the end: {load_average()}\n")
    print(table(results, args.markdown))
    failed = any(r.errors for r in results) or any(r.most_in_review > REVIEW_LIMIT for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
