"""`pullplan serve --workers N` on Linux: N server processes, each listening on a socket of its
own bound to the same address (SO_REUSEPORT), so that the kernel spreads new connections over
them, by a hash of each connection's addresses. With one socket shared by all (uvicorn's own
--workers), the process that is idle when a burst of connections arrives accepts all of them:
14 of 16 keep-alive clients ended up on one of two processes, which then served their
requests alone.

The supervisor (this process) starts the workers, starts a worker again when one dies, and
stops them all on SIGINT, SIGTERM or SIGHUP; a worker ends when the supervisor does. It gives
up if a worker dies within its first seconds (it cannot start: a bad setting, a port taken
by another program)."""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from multiprocessing.process import BaseProcess

LOGGER = logging.getLogger("pullplan.processes")
APP_FACTORY = "pullplan.web.app:create_app"
BACKLOG = 2048
STARTUP_GRACE_S = 10.0  # a worker that dies sooner than this after its start failed to start
STOP_TIMEOUT_S = 30.0  # a worker's graceful shutdown (open requests finish), then SIGKILL
WATCH_EVERY_S = 0.5
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def balanced_by_kernel() -> bool:
    """Only Linux spreads connections over the sockets of a SO_REUSEPORT group."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def claim_address(host: str, port: int) -> socket.socket:
    """Hold (host, port) for this supervisor, or OSError: a name in Linux's abstract socket
    namespace that the kernel frees when the process ends (another `serve --workers` on the
    same port would otherwise join the SO_REUSEPORT group and share its connections), then a
    trial bind (a program outside the group holds the port)."""
    claim = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        claim.bind(f"\0pullplan-serve-{host}-{port}")
        listening_socket(host, port, listen=False).close()
    except OSError:
        claim.close()
        raise
    return claim


def listening_socket(host: str, port: int, *, listen: bool = True) -> socket.socket:
    """A listening socket of its own on (host, port), in the SO_REUSEPORT group of that address.
    OSError when the address is taken by a program outside the group, or cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def _worker(host: str, port: int, log_config: dict, supervisor: int) -> None:  # a spawned process
    import uvicorn

    _end_with(supervisor)

    config = uvicorn.Config(APP_FACTORY, factory=True, log_config=log_config, access_log=False)
    uvicorn.Server(config).run(sockets=[listening_socket(host, port)])


def _end_with(supervisor: int) -> None:
    """Have the kernel send this worker SIGTERM when its supervisor ends, even by SIGKILL, so
    that no worker is left serving on its own (Linux's PR_SET_PDEATHSIG)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != supervisor:  # it ended before the call
        sys.exit(0)


class Supervisor:
    def __init__(self, count: int, host: str, port: int, log_config: dict) -> None:
        self.count, self.host, self.port, self.log_config = count, host, port, log_config
        self.context = multiprocessing.get_context("spawn")
        self.stopping = threading.Event()
        self.workers: list[tuple[BaseProcess, float]] = []  # (process, started at)

    def run(self) -> int:
        """Serve until SIGINT, SIGTERM or SIGHUP (0), or until a worker cannot start (1)."""
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, lambda *_: self.stopping.set())
        self.workers = [self._start() for _ in range(self.count)]
        failed = False
        while not self.stopping.wait(WATCH_EVERY_S):
            for n, (process, started) in enumerate(self.workers):
                if process.is_alive():
                    continue
                if time.monotonic() - started < STARTUP_GRACE_S:
                    LOGGER.error("A server process could not start (exit code %s).", process.exitcode)
                    failed = True
                    self.stopping.set()
                    break
                LOGGER.warning(
                    "Server process %s ended (exit code %s); starting another.", process.pid, process.exitcode
                )
                self.workers[n] = self._start()
        self._stop_all()
        return 1 if failed else 0

    def _start(self) -> tuple[BaseProcess, float]:
        process = self.context.Process(
            target=_worker,
            args=(self.host, self.port, self.log_config, os.getpid()),
            name="pullplan-worker",
        )
        process.start()
        return process, time.monotonic()

    def _stop_all(self) -> None:
        for process, _ in self.workers:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the open requests
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process, _ in self.workers:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
