"""The least a move can cost on this machine, beside pullplan's own move: a calibration of the
move target of bench/pull_bench.py (p95 under 25 ms at 16 back-to-back clients on SQLite).

The floor server answers POST /api/v1/items/{id}/move with the very statements pullplan runs
for a move, captured from one through the app: the three reads that authenticate the request
(the token's SHA-256 included), then the pull's write transaction (BEGIN IMMEDIATE behind the
same writer lock file as storage/database.py). It runs them on the sqlite3 module behind a
bare ASGI app on uvicorn: no FastAPI, SQLAlchemy or pydantic, no pull policy, no error
handling, and an answer that is the item's row as JSON. GET /api/v1/items/{id} authenticates
and reads the item the same way (the clients read where their items are).

The same 16 asyncio clients of pull_bench.py move items back and forth between two committed
stages, back to back, against the floor and against `pullplan serve`, in alternate rounds on
one database, with each server's CPU time per move. Where the floor's own p95 is near the
target, no server written in Python meets the target on this machine.

    python bench/move_floor.py [--rounds 2] [--workers 1] [--threads 1] [--clients 16] [--markdown]

Not a test, and not a product path. Every loop is bounded by a count and by a deadline.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import random
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

SPEC_ENV = "PULLPLAN_MOVE_FLOOR_SPEC"  # the captured statements, for the floor's processes
HERE = Path(__file__).resolve().parent

# --- the floor server (each uvicorn process imports this module and serves `app`) ------------


class Floor:
    """The captured statements of a move, replayed for any item and target stage."""

    def __init__(self, spec: dict) -> None:
        self.database = spec["database"]
        self.reads = spec["reads"]  # [sql, bind names, captured values] of the authentication
        self.writes = spec["writes"]  # the same for the pull's write transaction
        # The item read (its place among the writes: the item it reads is moved)
        self.item_sql = self.writes[spec["item_read"]]
        self._open: tuple[int, sqlite3.Connection, sqlite3.Connection, int] | None = None

    def connections(self) -> tuple[sqlite3.Connection, sqlite3.Connection, int]:
        """This process's read and write connections and writer lock file (opened on first use:
        a uvicorn worker is a process of its own)."""
        if self._open is None or self._open[0] != os.getpid():
            read, write = (sqlite3.connect(self.database, isolation_level=None) for _ in range(2))
            for connection in (read, write):  # as storage/database.py sets every connection
                for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):
                    connection.execute(f"PRAGMA {pragma}")
            lock = os.open(f"{self.database}-writer", os.O_RDWR | os.O_CREAT, 0o600)
            self._open = (os.getpid(), read, write, lock)
        return self._open[1:]

    def authenticate(self, token: str, item_id: int) -> None:
        read, _, _ = self.connections()
        values = {"token_hash": hashlib.sha256(token.encode()).hexdigest(), "id": item_id}
        read.execute("BEGIN")
        try:
            found = [_run(read, statement, values) for statement in self.reads]
        finally:
            read.execute("COMMIT")
        if not found[0]:
            raise PermissionError("unknown token")

    def item(self, item_id: int) -> dict:
        read, _, _ = self.connections()
        return _item(read, self.item_sql, {"item_id": item_id})

    def move(self, item_id: int, to_stage_id: int) -> dict:
        _, write, lock = self.connections()
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # UtcDateTime's SQLite text
        values = {"item_id": item_id, "excluding": item_id, "to_stage_id": to_stage_id}
        values |= {"to_entered_at": now, "to_updated_at": now, "at": now}
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            write.execute("BEGIN IMMEDIATE")
            try:
                for statement in self.writes:
                    if statement is self.item_sql:  # the item read: where it comes from
                        item = _item(write, statement, values)
                        values["from_stage_id"] = item["stage_id"]
                    else:
                        _run(write, statement, values)
                write.execute("COMMIT")
            except BaseException:
                write.execute("ROLLBACK")
                raise
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
        return item | {"stage_id": to_stage_id, "stage_entered_at": now}


def _run(connection: sqlite3.Connection, statement: list, values: dict) -> list[tuple]:
    """Run a captured statement with `values` for the names they give (the captured values for
    the others); all its rows, as pullplan fetches them."""
    sql, names, captured = statement
    return connection.execute(
        sql, [values.get(n, c) for n, c in zip(names, captured, strict=True)]
    ).fetchall()


def _item(connection: sqlite3.Connection, statement: list, values: dict) -> dict:
    """The row of a read of one item, by column name."""
    sql, names, captured = statement
    cursor = connection.execute(sql, [values.get(n, c) for n, c in zip(names, captured, strict=True)])
    return dict(zip((d[0] for d in cursor.description), cursor.fetchone(), strict=True))


_floor: Floor | None = None


async def app(scope, receive, send) -> None:
    """The bare ASGI app: GET /api/v1/items/{id} and POST /api/v1/items/{id}/move."""
    global _floor
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if _floor is None:
        _floor = Floor(json.loads(Path(os.environ[SPEC_ENV]).read_text()))
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    status, answer = 200, {}
    try:
        item_id = int(scope["path"].split("/")[4])
        token = dict(scope["headers"]).get(b"authorization", b"").decode()[len("Bearer ") :]
        _floor.authenticate(token, item_id)
        if scope["method"] == "POST":
            answer = {"item": _floor.move(item_id, json.loads(body)["to_stage_id"])}
        else:
            answer = _floor.item(item_id)
    except Exception as e:  # noqa: BLE001 - the bench counts any failure as an error
        status, answer = 500, {"error": repr(e)}
    data = json.dumps(answer, default=str).encode()
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": data})


# --- capturing a move's statements ------------------------------------------------------------


def capture(db, seeded, database_path: str) -> dict:
    """The statements of one authenticated move through pullplan's app, in order, with their
    bind names and values (a first move before it: the token's first use writes its date)."""
    from sqlalchemy import event
    from starlette.testclient import TestClient

    from pullplan.settings import Settings
    from pullplan.web.app import create_app

    url = f"sqlite:///{database_path}"
    settings = Settings(database_url=url, demo=False, prepare=False, threads=1, scheduler=False)
    app = create_app(settings, db=db)
    item_id = seeded.in_process_items[0]
    seen: list[tuple[str, str, list, list]] = []

    def listener(engine: str):
        def before(_conn, _cursor, statement, parameters, context, _many):
            compiled = context.compiled if context is not None else None
            if compiled is not None:
                seen.append((engine, statement, list(compiled.positiontup or ()), list(parameters)))

        return before

    headers = {"Authorization": f"Bearer {seeded.token}"}
    with TestClient(app, headers=headers) as client:
        move = f"/api/v1/items/{item_id}/move"
        client.post(move, json={"to_stage_id": seeded.doing_b}).raise_for_status()
        event.listen(db.read_engine, "before_cursor_execute", listener("read"))
        event.listen(db.write_engine, "before_cursor_execute", listener("write"))
        client.post(move, json={"to_stage_id": seeded.doing_a}).raise_for_status()
    reads = [[sql, names, values] for engine, sql, names, values in seen if engine == "read"]
    writes = [[sql, names, values] for engine, sql, names, values in seen if engine == "write"]
    item_reads = [n for n, s in enumerate(writes) if "items.title" in s[0] and s[1] == ["item_id"]]
    updates = [s for s in writes if s[0].lstrip().upper().startswith("UPDATE")]
    if not reads or not item_reads or not updates:
        raise RuntimeError(
            f"the captured move is not one: {len(reads)} reads, {len(writes)} writes, "
            f"{len(item_reads)} reads of the item, {len(updates)} updates"
        )
    return {"database": database_path, "reads": reads, "writes": writes, "item_read": item_reads[0]}


# --- the run ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(HERE))
    import pull_bench as pb

    from pullplan.storage.database import Database
    from pullplan.storage.migrate import upgrade

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="alternate rounds of the two servers")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=1, help="processes of each server")
    parser.add_argument("--threads", type=int, default=1, help="pullplan's threads per process")
    parser.add_argument("--markdown", action="store_true", help="print the table in Markdown")
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 10 or not 1 <= args.clients <= 64:
        parser.error("--rounds must be from 1 to 10 and --clients from 1 to 64")
    if not 1 <= args.workers <= 8 or not 1 <= args.threads <= 400:
        parser.error("--workers must be from 1 to 8 and --threads from 1 to 400")
    profile = pb.FULL

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    load_before = pb.load_average()
    log(f"move floor: {pb.machine()}; load average {load_before}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="pullplan-floor-") as tmp:
        path = str(Path(tmp) / "bench.sqlite3")
        url = f"sqlite:///{path}"
        db = Database(url)
        try:
            upgrade(db)
            seeded = pb.seed(db, 1000, args.clients, random.Random(1000))
            spec = capture(db, seeded, path)
        finally:
            db.dispose()
        spec_path = Path(tmp) / "floor.json"
        spec_path.write_text(json.dumps(spec, default=str))
        log(f"  captured {len(spec['reads'])} reads and {len(spec['writes'])} write statements")
        probe = f"/api/v1/items/{seeded.client_items[0][0]}"
        floor_command = [sys.executable, "-m", "uvicorn", "move_floor:app", "--app-dir", str(HERE)]
        floor_command += ["--host", pb.HOST, "--workers", str(args.workers), "--no-access-log"]
        floor_command += ["--log-level", "warning"]
        floor_env = {**os.environ, SPEC_ENV: str(spec_path)}
        for round_no in range(1, args.rounds + 1):
            servers = {
                "floor": pb.started(floor_command, floor_env, probe, seeded.token),
                "pullplan": pb.server(url, probe, seeded.token, workers=args.workers, threads=args.threads),
            }
            for name, served in servers.items():
                with served as (base, pid):
                    result = pb.run_measured(base, pid, seeded, "sqlite", 1000, args.clients, profile, "move")
                log(
                    f"  round {round_no}, {name}: {result.ok} moves, {result.errors} errors, "
                    f"{result.per_second:.0f}/s, p95 {pb.percentile(result.latencies_ms, 95):.1f} ms"
                )
                for sample in result.error_samples:
                    log(f"     error: {sample}")
                rows.append((round_no, name, result))

    head = ["round", "server", "moves", "errors", "per s", "p50 ms", "p95 ms", "p99 ms", "server CPU ms"]
    table = [
        [
            str(round_no),
            name,
            str(r.ok),
            str(r.errors),
            f"{r.per_second:.0f}",
            *(pb.fmt(pb.percentile(r.latencies_ms, p)) for p in (50, 95, 99)),
            pb.fmt(r.server_cpu_ms, 2),
        ]
        for round_no, name, r in rows
    ]
    command = "python bench/move_floor.py " + " ".join(argv if argv is not None else sys.argv[1:])
    setting = f"{args.workers} process(es); pullplan with {args.threads} thread(s) each"
    about = f"{pb.machine()}; load average {load_before} at the start, {pb.load_average()} at the end"
    if args.markdown:
        print(f"Machine: {about}; {setting}.\n\nCommand: `{command.strip()}`\n")
    else:
        print(f"\n{about}; {setting}")
    print(pb.render(head, table, args.markdown))
    for name in ("floor", "pullplan"):
        p95s = [pb.percentile(r.latencies_ms, 95) for _, n, r in rows if n == name]
        cpu = [r.server_cpu_ms for _, n, r in rows if n == name]
        print(
            f"{'- ' if args.markdown else ''}{name}: move p95 at {args.clients} clients "
            f"{min(p95s):.1f}-{max(p95s):.1f} ms (target < {pb.TARGET_MOVE_P95_MS:.0f} ms), "
            f"server CPU {min(cpu):.2f}-{max(cpu):.2f} ms per move"
        )
    return 1 if any(r.errors for _, _, r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
