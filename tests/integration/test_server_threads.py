"""`threads` (PULLPLAN_THREADS, `serve --threads`) sizes the pool of worker threads that runs
the sync routes: with 1, slow requests run one after the other; with 4, four side by side."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from pullplan.settings import Settings
from pullplan.web.app import create_app

REQUESTS = 8


@pytest.mark.parametrize("threads", [1, 4])
def test_sync_routes_run_on_at_most_the_configured_threads(sqlite_url, threads):
    app = create_app(Settings(database_url=sqlite_url, demo=False, scheduler=False, threads=threads))
    running, peak, lock = 0, 0, threading.Lock()

    @app.get("/slow-for-the-test")
    def slow() -> dict:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.2)
        with lock:
            running -= 1
        return {}

    async def send_together() -> list[httpx.Response]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
                return await asyncio.gather(*(client.get("/slow-for-the-test") for _ in range(REQUESTS)))

    # A thread of its own: the browser tests' Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as runner:
        answers = runner.submit(asyncio.run, send_together()).result(timeout=60)
    assert [a.status_code for a in answers] == [200] * REQUESTS
    assert peak == threads


def test_serve_refuses_a_thread_count_out_of_range(tmp_path):
    from typer.testing import CliRunner

    from pullplan.cli import app

    result = CliRunner().invoke(app, ["serve", "--threads", "0"], env={"PULLPLAN_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2
    assert "--threads" in result.output
