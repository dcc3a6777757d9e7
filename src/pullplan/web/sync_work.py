"""Where a request's blocking work (a route's body, a database read for authentication) runs.

By default on the worker threads of the process (`--threads`, 40), so that a quick request
need not wait for a slow one. With `--threads 1` a process works on one request at a time
anyway, and handing the work to a thread and back costs more than it saves: the hand-over,
and the two threads taking turns on Python's GIL while the work runs. The work then runs on
the event loop's own thread (a quarter to a third less server CPU per move, docs/benchmarks.md).

Every route of the app is declared with `SyncRoute`: a plain `def` route becomes an `async
def` that calls `run_sync`, so one switch decides for all of them.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from anyio.lowlevel import RunVar
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

T = TypeVar("T")

# Per event loop, as anyio's thread limiter is: set by the app's lifespan on the loop it serves.
_on_loop: RunVar[bool] = RunVar("pullplan_on_loop", default=False)


def run_on_event_loop(on: bool) -> None:
    """Whether blocking work runs on the current event loop's thread (one request at a time)."""
    _on_loop.set(on)


async def run_sync(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    if _on_loop.get():
        return func(*args, **kwargs)
    return await run_in_threadpool(func, *args, **kwargs)


def as_async(func: Callable[..., Any]) -> Callable[..., Any]:
    """`func` as a coroutine function with the same name, documentation and parameters (their
    annotations resolved, as FastAPI reads them) that runs it through `run_sync`."""

    async def endpoint(*args: Any, **kwargs: Any) -> Any:
        return await run_sync(func, *args, **kwargs)

    hints = typing.get_type_hints(func, include_extras=True)
    signature = inspect.signature(func)
    parameters = [
        p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()
    ]
    endpoint.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters,
        return_annotation=hints.get("return", signature.return_annotation),
    )
    # Not functools.wraps: FastAPI follows __wrapped__ and would run the plain function on a thread.
    for name in ("__name__", "__qualname__", "__doc__", "__module__"):
        setattr(endpoint, name, getattr(func, name))
    return endpoint


class SyncRoute(APIRoute):
    """An API route whose plain `def` endpoint runs through `run_sync`."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = as_async(endpoint)
        super().__init__(path, endpoint, **kwargs)
