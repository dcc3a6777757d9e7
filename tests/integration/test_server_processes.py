"""`pullplan serve --workers N` on Linux: each process listens on a socket of its own, so that
a burst of keep-alive connections is spread over the processes (with one shared socket, the
idle process took 14 of 16); a worker that dies is started again; a second `serve --workers`
on the same port is refused; stopping the server stops every worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import httpx
import pytest

from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="SO_REUSEPORT spreads only on Linux"
)

CONNECTIONS = 32


def _pid_of_each_connection(base_url: str) -> list[int]:
    """Open CONNECTIONS keep-alive connections at once; the process that answers on each."""
    pids: list[int] = []
    problems: list[str] = []
    start = threading.Barrier(CONNECTIONS, timeout=30)

    def connect() -> None:
        with httpx.Client(base_url=base_url, timeout=30, trust_env=False) as http:
            try:
                start.wait()
                first = http.get("/healthz").json()["pid"]
                again = http.get("/healthz").json()["pid"]  # the same connection, the same process
                assert again == first
                pids.append(first)
            except Exception as e:  # reported below
                problems.append(repr(e))

    threads = [threading.Thread(target=connect) for _ in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not problems
    return pids


def _two_workers(sqlite_url: str, server_process):
    db = Database(sqlite_url)
    upgrade(db)
    db.dispose()
    server = server_process(sqlite_url, workers=2)
    server.start()
    return server


def _all_ended(pids, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_burst_of_connections_is_spread_over_the_processes(sqlite_url, server_process):
    server = _two_workers(sqlite_url, server_process)
    per_process = Counter(_pid_of_each_connection(server.base_url))
    assert len(per_process) == 2, per_process
    # Spread by a hash of each connection's address: binomial(32, 1/2). Fewer than 6 on one
    # side happens once in 5,000 runs; one shared socket gave the idle process nearly all.
    assert min(per_process.values()) >= 6, per_process

    workers = list(per_process)
    server.stop()
    assert server.process.returncode == 0, server.log()
    assert _all_ended(workers, within_s=10), "stopping the server stops every worker"


def test_a_worker_that_dies_is_started_again(sqlite_url, server_process):
    server = _two_workers(sqlite_url, server_process)
    before = set(_pid_of_each_connection(server.base_url))
    assert len(before) == 2
    time.sleep(11)  # past the start-up grace: a worker that dies now is started again
    victim = min(before)
    os.kill(victim, signal.SIGKILL)

    deadline = time.monotonic() + 60
    after: set[int] = set()
    while time.monotonic() < deadline:
        after = set(_pid_of_each_connection(server.base_url))
        if len(after) == 2 and victim not in after:
            break
        time.sleep(0.5)
    assert victim not in after and len(after) == 2, (before, after)
    assert "starting another" in server.log()


def test_a_second_server_on_the_same_port_is_refused(sqlite_url, server_process, tmp_path):
    server = _two_workers(sqlite_url, server_process)
    second = subprocess.run(
        server.process.args,  # the same command: the same port
        env={**server.env, "PULLPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'other.sqlite3'}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 2
    assert f"Cannot listen on 127.0.0.1:{server.port}" in second.stderr
    assert "Traceback" not in second.stderr
    assert httpx.get(server.base_url + "/healthz", trust_env=False).status_code == 200


def test_the_workers_end_when_the_supervisor_is_killed(sqlite_url, server_process):
    server = _two_workers(sqlite_url, server_process)
    workers = set(_pid_of_each_connection(server.base_url))
    assert len(workers) == 2
    os.kill(server.process.pid, signal.SIGKILL)  # the supervisor only, not its process group
    server.process.wait(timeout=10)
    assert _all_ended(workers, within_s=20), "no worker is left serving on its own"
