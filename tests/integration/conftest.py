"""Real `pullplan serve` processes for the integration tests that need a server: started on a
free loopback port with their own log file, waited for until ready, stopped or killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

START_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pullplan_command() -> list[str]:
    script = Path(sys.executable).with_name("pullplan")  # the console script beside this Python
    return (
        [str(script)] if script.exists() else [sys.executable, "-c", "from pullplan.cli import main; main()"]
    )


class ServerProcess:
    """`pullplan serve --no-demo` on `database_url`; start() again after kill() restarts it on
    the same port and database."""

    def __init__(self, database_url: str, log_path: Path, *, workers: int = 1, env: dict | None = None):
        self.database_url = database_url
        self.log_path = log_path
        self.workers = workers
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PULLPLAN_DATABASE_URL": database_url,
            "PULLPLAN_DATA_DIR": str(log_path.parent),
            "PULLPLAN_SCHEDULER": "false",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [*pullplan_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--no-demo"]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        problem = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"pullplan serve exited with code {self.process.returncode}:\n{self.log()}")
            try:
                answer = httpx.get(self.base_url + "/readyz", timeout=2, trust_env=False)
                if answer.status_code == 200:
                    return
                problem = answer.text
            except httpx.HTTPError as e:
                problem = repr(e)
            time.sleep(0.1)
        pytest.fail(f"pullplan serve was not ready within {START_TIMEOUT_S} s ({problem}):\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL, to the whole process group: no clean shutdown, as in a crash."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def server_process(tmp_path) -> Iterator:
    """A factory of ServerProcess; every one started is stopped at the end of the test."""
    started: list[ServerProcess] = []

    def make(database_url: str, *, workers: int = 1, env: dict | None = None) -> ServerProcess:
        server = ServerProcess(
            database_url, tmp_path / f"server-{len(started)}.log", workers=workers, env=env
        )
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
