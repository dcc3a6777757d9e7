"""create_app(settings): the FastAPI application, its database, API and pages."""

from __future__ import annotations

import gc
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from pullplan import __version__
from pullplan.services import scheduler
from pullplan.services.accounts import ensure_admin
from pullplan.settings import Settings
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.web import health, sync_work
from pullplan.web.api import accounts, boards, errors, flow, items, lrm, workspaces
from pullplan.web.api import aggregates as aggregate_api
from pullplan.web.api import handoffs as handoff_api
from pullplan.web.api import planner as planner_api
from pullplan.web.api import rules as rule_api
from pullplan.web.api import webhooks as webhook_api
from pullplan.web.request_log import RequestLogMiddleware
from pullplan.web.security import SecurityMiddleware
from pullplan.web.ui import (
    account_pages,
    analytics_pages,
    docs,
    handoff_pages,
    lrm_pages,
    pages,
    planner_pages,
    rule_pages,
)

STATIC = Path(__file__).parent / "ui" / "static"
API_PREFIX = "/api/v1"


def prepare_database(settings: Settings) -> Database:
    """Open the database, upgrade its schema, create the instance admin on a fresh install
    (printing its password once) and the demo workspace if the database is empty."""
    db = Database(settings.resolved_database_url, pool_size=settings.pool_size)
    upgrade(db)
    password = ensure_admin(db)
    if password:
        print(
            "\n  A fresh pullplan: the instance administrator is 'admin' with the password\n"
            f"      {password}\n"
            "  (shown once; change it with `pullplan user passwd admin`).\n",
            file=sys.stderr,
            flush=True,
        )
    if settings.demo:
        from pullplan.demo import create_demo_if_empty

        create_demo_if_empty(db)
    return db


def create_app(settings: Settings | None = None, *, db: Database | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = app.state.db is None
        if owned:
            app.state.db = (
                prepare_database(settings)
                if settings.prepare
                else Database(settings.resolved_database_url, pool_size=settings.pool_size)
            )
        gc.freeze()  # start-up objects live for good: keep them out of every collection
        # Routes' blocking work runs on this event loop's worker threads or, with one thread,
        # on the loop's own thread (web/sync_work.py).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        sync_work.run_on_event_loop(settings.threads == 1)
        worker = scheduler.background(app.state.db, settings)  # None with PULLPLAN_SCHEDULER off
        yield
        if worker is not None:
            worker.stop()
        if owned:
            app.state.db.dispose()

    app = FastAPI(
        title="pullplan",
        version=__version__,
        summary="Lean pull planning for sales and marketing teams.",
        lifespan=lifespan,
        docs_url=None,  # served from the installed Swagger UI package, not a CDN
        redoc_url=None,
    )
    app.state.db = db
    app.state.settings = settings
    # Each router is included in the app itself: a request is matched against every route of
    # each level of inclusion, so one level instead of two takes half the routing time.
    api = (accounts, workspaces, boards, items, flow, lrm)
    api += (handoff_api, rule_api, webhook_api, aggregate_api, planner_api)
    for module in api:
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(account_pages.router)
    app.include_router(pages.router)
    app.include_router(analytics_pages.router)
    app.include_router(handoff_pages.router)
    app.include_router(lrm_pages.router)
    app.include_router(rule_pages.router)
    app.include_router(planner_pages.router)
    app.include_router(docs.router)
    app.include_router(health.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    docs.mount_assets(app)
    errors.install(app)
    app.add_middleware(SecurityMiddleware)
    app.add_middleware(RequestLogMiddleware)
    return app
