"""The Last Planner pages of a workspace: pull plans, the lookahead with its constraint log, the
weekly plan with daily check-ins, week close, and the metrics with their trend, Pareto and
learning cycles. Members act through the API (planner.js); viewers read."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import plotly
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import pass_context

from pullplan.domain import planner as rules
from pullplan.domain.permissions import Role, at_least
from pullplan.services import planner as service
from pullplan.services import planner_weeks as weeks_service
from pullplan.services.accounts import Principal
from pullplan.web.api.deps import DB, PathId
from pullplan.web.auth import allow
from pullplan.web.sync_work import SyncRoute
from pullplan.web.ui.render import render, templates

router = APIRouter(route_class=SyncRoute, include_in_schema=False)
PLOTLY_URL = f"/assets/plotly.min.js?v={plotly.__version__}"

Viewer = Annotated[Principal, allow(Role.VIEWER, on="workspace")]
Week = Annotated[dt.date | None, Query(description="Any day of the week")]

SECTIONS = [
    ("week", "Weekly plan", ""),
    ("close", "Week close", "/close"),
    ("lookahead", "Lookahead & constraints", "/lookahead"),
    ("pull-plans", "Pull plans", "/pull-plans"),
    ("metrics", "Metrics", "/metrics"),
]


def _context(db, workspace_id: int, principal: Principal, section: str, **extra) -> dict:
    name, people = service.workspace_people(db, workspace_id)
    role = principal.role_in(workspace_id)
    return {
        "workspace_id": workspace_id,
        "workspace_name": name,
        "people": people,
        "section": section,
        "sections": SECTIONS,
        "can_plan": at_least(role, Role.MEMBER),
        "can_manage": at_least(role, Role.MANAGER),
        "categories": [(c.value, label) for c, label in rules.CATEGORY_LABELS.items()],
        "check_in_labels": {s.value: label for s, label in rules.CHECK_IN_LABELS.items()},
        **extra,
    }


def signature(plan) -> str:
    """The promises and their latest check-ins, as planner.js compares them to see a change."""
    return ",".join(f"{p.id}:{p.status or ''}" for p in plan.promises)


def _pct(ratio) -> str:
    """A metric as a page shows it: a percentage, or a dash when it is absent."""
    return "—" if ratio is None or ratio.percent is None else f"{ratio.percent:.0f}%"


templates.env.filters["pct"] = _pct


@router.get("/workspaces/{workspace_id}/planner", response_class=HTMLResponse)
def weekly_plan_page(request: Request, workspace_id: PathId, db: DB, principal: Viewer, week: Week = None):
    plan = weeks_service.weekly_plan(db, workspace_id, week)
    return render(
        request,
        "planner_week.html",
        _context(
            db,
            workspace_id,
            principal,
            "week",
            plan=plan,
            previous_week=plan.week - dt.timedelta(weeks=1),
            next_week=plan.week + dt.timedelta(weeks=1),
            this_week=rules.week_of(plan.today),
            signature=signature(plan),
        ),
    )


@router.get("/workspaces/{workspace_id}/planner/close", response_class=HTMLResponse)
def week_close_page(request: Request, workspace_id: PathId, db: DB, principal: Viewer, week: Week = None):
    plan = weeks_service.weekly_plan(db, workspace_id, week)
    return render(
        request,
        "planner_close.html",
        _context(
            db,
            workspace_id,
            principal,
            "close",
            plan=plan,
            previous_week=plan.week - dt.timedelta(weeks=1),
            next_week=plan.week + dt.timedelta(weeks=1),
        ),
    )


@router.get("/workspaces/{workspace_id}/planner/lookahead", response_class=HTMLResponse)
def lookahead_page(request: Request, workspace_id: PathId, db: DB, principal: Viewer):
    view = service.lookahead(db, workspace_id)
    return render(
        request,
        "planner_lookahead.html",
        _context(
            db,
            workspace_id,
            principal,
            "lookahead",
            lookahead=view,
            constraints=service.list_constraints(db, workspace_id),
            settings=service.get_settings(db, workspace_id),
            category_labels={c.value: label for c, label in rules.CATEGORY_LABELS.items()},
        ),
    )


@router.get("/workspaces/{workspace_id}/planner/pull-plans", response_class=HTMLResponse)
def pull_plans_page(request: Request, workspace_id: PathId, db: DB, principal: Viewer):
    return render(
        request,
        "planner_pull_plans.html",
        _context(
            db,
            workspace_id,
            principal,
            "pull-plans",
            milestones=service.list_milestones(db, workspace_id),
            today=service.today_in(db, workspace_id),
        ),
    )


@router.get("/workspaces/{workspace_id}/planner/metrics", response_class=HTMLResponse)
def metrics_page(request: Request, workspace_id: PathId, db: DB, principal: Viewer):
    metrics = weeks_service.planner_metrics(db, workspace_id, weeks=12)
    settings = service.get_settings(db, workspace_id)

    def series(trend) -> dict:
        return {
            name: [getattr(m, name).percent if getattr(m, name) else None for m in trend]
            for name in ("ppc", "ta", "tmr", "pcr")
        }

    chart = {
        "weeks": [w.isoformat() for w in metrics.weeks],
        "trend": series(metrics.trend),
        "pareto": [
            {"label": p.label, "count": p.count, "cumulative": round(100 * p.cumulative, 1)}
            for p in metrics.pareto
        ],
    }
    return render(
        request,
        "planner_metrics.html",
        _context(
            db,
            workspace_id,
            principal,
            "metrics",
            metrics=metrics,
            chart=chart,
            settings=settings,
            cycles=weeks_service.list_learning_cycles(db, workspace_id),
            constraints=service.list_constraints(db, workspace_id),
            plotly_url=PLOTLY_URL,
            reasons_text="\n".join(
                f"{r.code} | {r.label}" + (" | 5-why" if r.needs_five_why else "") for r in settings.reasons
            ),
        ),
    )


@pass_context
def planner_href(context) -> str | None:
    """The planner of the workspace the page shows (or of the reader's first one)."""
    workspace_id = context.get("workspace_id")
    view = context.get("view")
    if workspace_id is None and view is not None:
        workspace_id = getattr(view, "workspace_id", None)
    principal = context.get("principal")
    if workspace_id is None and principal is not None and principal.roles:
        workspace_id = min(principal.roles)
    return f"/workspaces/{workspace_id}/planner" if workspace_id is not None else None


templates.env.globals.update(planner_href=planner_href)
