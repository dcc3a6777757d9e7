"""Liveness and readiness for a process manager or a load balancer: /healthz and /readyz."""

from __future__ import annotations

import os
from functools import cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from pullplan import __version__
from pullplan.storage.migrate import alembic_config
from pullplan.web.sync_work import SyncRoute, run_sync

router = APIRouter(route_class=SyncRoute, tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict:
    """Answers as long as the process serves requests; says which process answered."""
    return {"status": "ok", "version": __version__, "pid": os.getpid()}


@router.get("/readyz", summary="The process can serve: its database answers at the current schema")
async def readyz(request: Request):
    problem = await run_sync(_database_problem, request.app.state.db)
    if problem:
        return JSONResponse(
            {"error": {"code": "not_ready", "message": problem}, "status": "not ready"}, status_code=503
        )
    return {"status": "ready", "version": __version__, "pid": os.getpid()}


@cache
def _schema_head() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _database_problem(db) -> str | None:
    if db is None:
        return "The database is not open yet."
    head = _schema_head()
    try:
        with db.read_engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as e:
        return f"The database does not answer ({type(e).__name__})."
    if current != head:
        at = current or "nothing"
        return f"The database schema is at {at}, this pullplan needs {head}: run `pullplan db upgrade`."
    return None
