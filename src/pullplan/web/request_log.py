"""Logs: one line per request (method, path, status, time taken, process), as text or as JSON
lines (PULLPLAN_LOG_FORMAT=json) for a log collector."""

from __future__ import annotations

import logging
import os
import time

LOGGER = logging.getLogger("pullplan.request")

_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


def log_config(log_format: str, level: str = "INFO") -> dict:
    """A logging.config.dictConfig for the server: pullplan's and uvicorn's loggers on stderr.
    uvicorn's own access log is off; RequestLogMiddleware writes a richer line instead."""
    if log_format == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": _JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        }
    else:
        formatter = {"format": _TEXT}
    handler = {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"}
    quiet = {"handlers": ["default"], "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "loggers": {
            "pullplan": quiet,
            "uvicorn": quiet,
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


class RequestLogMiddleware:
    """Pure ASGI: logs each HTTP request once it has been answered (or failed)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500  # unless a response starts

        async def sending(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            ms = (time.perf_counter() - started) * 1000
            client = scope.get("client")
            LOGGER.info(
                "%s %s %d %.1f ms",
                scope["method"],
                scope["path"],
                status,
                ms,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(ms, 1),
                    "client": client[0] if client else None,
                    "pid": os.getpid(),
                },
            )
