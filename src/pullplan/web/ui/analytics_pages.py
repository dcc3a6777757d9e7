"""The flow and forecast pages of a board: flow metrics and forecasts with interactive charts.

The numbers come from services.flow and services.revenue; each chart's data goes into the
page as JSON in a ``data-chart`` attribute, drawn by static/charts.js with plotly's own
JavaScript, served here from the installed plotly package (never copied, never a CDN).
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Annotated

import numpy as np
import plotly
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse

from pullplan.analytics.percentiles import PERCENTILES
from pullplan.analytics.revenue import OpenDeal, forecast_revenue
from pullplan.analytics.workdays import unit
from pullplan.domain.board import CLASS_LABELS, ClassOfService
from pullplan.domain.permissions import Role
from pullplan.services import boards as board_service
from pullplan.services import flow, revenue
from pullplan.services.accounts import Principal
from pullplan.services.errors import InvalidInput
from pullplan.web.api.deps import DB, PathId
from pullplan.web.auth import allow
from pullplan.web.sync_work import SyncRoute
from pullplan.web.ui.render import render

router = APIRouter(route_class=SyncRoute, include_in_schema=False)

ViewerOnBoard = Annotated[Principal, allow(Role.VIEWER, on="board")]
FilterName = Annotated[str | None, Query(max_length=60)]

PLOTLY_JS = resources.files("plotly") / "package_data" / "plotly.min.js"
PLOTLY_URL = f"/assets/plotly.min.js?v={plotly.__version__}"
YEAR = 365 * 24 * 3600
MAX_FAN_POINTS = 12
FAN_TRIALS = 2_000
BACKTEST_TRIALS = 1_000  # per replayed date: plenty to place its percentiles


@router.get("/assets/plotly.min.js")
def plotly_js():
    """plotly's JavaScript from the installed package; its URL carries the version, so it is
    cached for a year."""
    return FileResponse(
        str(PLOTLY_JS),
        media_type="text/javascript",
        headers={"Cache-Control": f"public, max-age={YEAR}, immutable"},
    )


# --------------------------------------------------------------------------- helpers


def _iso(days) -> list[str]:
    return [str(d) for d in np.asarray(days).astype("datetime64[D]")]


def _blank(value: str | None) -> str | None:
    """An empty form field is no filter."""
    return value or None


def _filters(work_type, class_of_service, lane) -> flow.Filters:
    return flow.filters(_blank(work_type), _blank(class_of_service), _blank(lane))


def _choices(board: flow.BoardLog) -> dict:
    """The work types and lanes the board uses, and the classes of service, for the filters."""
    levels = {
        name: sorted(level for level in board.log.attributes[name][1] if level is not None)
        for name in ("work_type", "lane")
    }
    return {
        "work_types": levels["work_type"],
        "lanes": levels["lane"],
        "classes": [(c.value, CLASS_LABELS[c]) for c in ClassOfService],
    }


def _context(request: Request, db, board: flow.BoardLog, tab: str) -> dict:
    workspace = board_service.get_workspace(db, request.state.workspace_id)
    return {"board": board, "workspace_name": workspace.name, "tab": tab, "plotly_url": PLOTLY_URL}


def _percent(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


# --------------------------------------------------------------------------- flow page


@router.get("/boards/{board_id}/flow", response_class=HTMLResponse)
def flow_page(
    request: Request,
    board_id: PathId,
    db: DB,
    _: ViewerOnBoard,
    start: dt.date | None = None,
    end: dt.date | None = None,
    work_type: FilterName = None,
    class_of_service: FilterName = None,
    lane: FilterName = None,
    working_days: bool = False,
):
    chosen = _filters(work_type, class_of_service, lane)
    cal = flow.calendar(working_days)
    board, m = flow.board_metrics(db, board_id=board_id, start=start, end=end, filters=chosen, calendar=cal)
    names = board.stage_names
    day_unit = unit(cal)
    days = _iso(m.wip.days)
    ct, aging, ll = m.cycle_times, m.aging, m.littles_law

    cfd = {
        "kind": "cfd",
        "title": "Cumulative flow",
        "days": days,
        "stages": [
            {"name": names[int(s)], "values": m.cumulative_flow.arrivals[:, i].tolist()}
            for i, s in enumerate(m.cumulative_flow.stage_ids)
        ],
    }
    scatter = {
        "kind": "scatter",
        "title": "Cycle time",
        "unit": day_unit,
        "points": [
            {"x": d, "y": int(n), "item": int(i), "committed": c}
            for i, c, d, n in zip(ct.item_ids, _iso(ct.commit_days), _iso(ct.done_days), ct.days, strict=True)
        ],
        "percentiles": {str(p): v for p, v in ct.percentiles.items()},
        "start": days[0],
        "end": days[-1],
    }
    tp = m.throughput
    run = {
        "kind": "throughput",
        "title": "Throughput per week",
        "weeks": _iso(tp.week_starts),
        "values": tp.per_week.tolist(),
        "days_in_week": tp.days_in_week.tolist(),
        "median": float(np.median(tp.per_week[tp.days_in_week == 7]))
        if (tp.days_in_week == 7).any()
        else None,
    }
    committed = [int(s) for s in aging.stage_ids]
    ages = aging.ages
    age_chart = {
        "kind": "aging",
        "title": "Aging work in progress",
        "unit": day_unit,
        "as_of": str(ages.as_of),
        "stages": [names[s] for s in committed],
        "lines": {names[s]: {str(p): v for p, v in aging.stage_percentiles[s].items()} for s in committed},
        "items": [
            {"stage": names[int(s)], "age": int(a), "item": int(i)}
            for i, s, a in zip(ages.item_ids, ages.stage_ids, ages.ages, strict=True)
            if int(s) in aging.stage_percentiles
        ],
    }
    breaches = m.breaches
    recent = sorted(breaches.breaches, key=lambda b: b.at, reverse=True)[:15]
    return render(
        request,
        "flow.html",
        {
            **_context(request, db, board, "flow"),
            "m": m,
            "start": days[0],
            "end": days[-1],
            "filters": chosen,
            "working_days": working_days,
            "day_unit": day_unit,
            "choices": _choices(board),
            "charts": [cfd, scatter, run, age_chart],
            "wip_now": int(m.wip.committed[-1]) if m.wip.committed.size else 0,
            "flow_efficiency": _percent(m.flow_efficiency.overall),
            "percentiles": ct.percentiles,
            "ll": ll,
            "breaches": breaches,
            "recent_breaches": recent,
            "stage_name": lambda sid: names.get(sid, "—") if sid is not None else "—",
            "stage_names": names,
        },
    )


# --------------------------------------------------------------------------- forecast page


def _how_many_chart(f) -> dict:
    return {
        "kind": "how_many",
        "title": f"How many items in {f.days} days",
        "items": [int(k) for k, p in zip(f.items, f.probabilities, strict=True) if p > 1e-6],
        "probabilities": [round(float(p), 6) for p in f.probabilities if p > 1e-6],
        "percentiles": [
            {"percent": p.percent, "value": p.value, "reading": p.reading} for p in f.percentiles
        ],
    }


def _when_chart(f, start: dt.date) -> dict:
    cdf = np.asarray(f.cdf, dtype=float)
    pmf = np.diff(np.r_[0.0, cdf])
    keep = pmf > 1e-6
    dates = [(start + dt.timedelta(days=int(d) - 1)).isoformat() for d in np.asarray(f.days)[keep]]
    return {
        "kind": "when",
        "title": f"When will {f.items} items be done",
        "dates": dates,
        "probabilities": [round(float(p), 6) for p in pmf[keep]],
        "percentiles": [
            {"percent": p.percent, "date": p.date.isoformat() if p.date else None, "reading": p.reading}
            for p in f.percentiles
        ],
    }


MIN_VERDICT_DATES = 8
CALIBRATED_WITHIN = 0.10


def _verdict(name: str, cals) -> str:
    """How a back-tested forecast did, in words: the average gap between how often its P%
    forecasts came true and P."""
    gaps = [c.hit_rate - c.percent / 100 for c in cals if c.hit_rate is not None]
    dates = max((c.forecasts for c in cals), default=0)
    if not gaps or dates < MIN_VERDICT_DATES:
        return f"{name}: too few past dates ({dates}) to judge."
    gap = sum(gaps) / len(gaps)
    points = f"{abs(gap) * 100:.0f} percentage points on average"
    if gap < -CALIBRATED_WITHIN:
        return f"{name}: came true less often than promised (by {points}): read it as optimistic."
    if gap > CALIBRATED_WITHIN:
        return f"{name}: came true more often than promised (by {points}): it is cautious."
    return f"{name}: came true about as often as promised (within {points})."


def _calibration_chart(series: list[tuple[str, tuple]]) -> dict:
    return {
        "kind": "calibration",
        "title": "Calibration: forecast vs what happened",
        "series": [
            {
                "name": name,
                "points": [
                    {"percent": c.percent, "hit_rate": c.hit_rate, "hits": c.hits, "forecasts": c.forecasts}
                    for c in cals
                    if c.hit_rate is not None
                ],
            }
            for name, cals in series
        ],
    }


def _revenue_fan(result: revenue.RevenueResult, target: float | None) -> dict:
    """Won revenue percentiles ("at least", read from the top) over the days to the date:
    the forecast to each of up to MAX_FAN_POINTS checkpoints (the same seed each time, at most
    FAN_TRIALS trials), the last one the forecast itself."""
    f = result.forecast
    horizon = f.horizon_days
    step = max(1, -(-horizon // MAX_FAN_POINTS))
    checkpoints = sorted({*range(step, horizon, step), horizon})
    deals = [OpenDeal(d.item_id, d.stage_id, d.value, d.age_days) for d in f.deals]
    lines: dict[int, list[float]] = {p: [] for p in PERCENTILES}
    chance = []
    trials = min(f.trials, FAN_TRIALS)
    for h in checkpoints:
        point = (
            f
            if h == horizon
            else forecast_revenue(result.model, deals, h, target=target, trials=trials, seed=f.seed)
        )
        for p in point.percentiles:
            lines[p.percent].append(round(p.value, 2))
        chance.append(point.target_probability)
    dates = [(result.today + dt.timedelta(days=h - 1)).isoformat() for h in checkpoints]
    return {
        "kind": "revenue",
        "title": f"Won revenue by {result.by.isoformat()}",
        "dates": dates,
        "lines": {str(p): v for p, v in lines.items()},
        "target": target,
        "target_chance": chance,
        "weighted_pipeline": round(f.weighted_pipeline, 2),
    }


def _try(errors: dict, name: str, call):
    """A forecast, or its refusal kept as the message shown in its section."""
    try:
        return call()
    except InvalidInput as e:
        errors[name] = str(e)
        return None


@router.get("/boards/{board_id}/forecast", response_class=HTMLResponse)
def forecast_page(
    request: Request,
    board_id: PathId,
    db: DB,
    _: ViewerOnBoard,
    by: dt.date | None = None,
    items: Annotated[int, Query(ge=1, le=100_000)] = 10,
    window_days: Annotated[int, Query(ge=1, le=flow.MAX_WINDOW_DAYS)] = flow.DEFAULT_WINDOW_DAYS,
    work_type: FilterName = None,
    class_of_service: FilterName = None,
    lane: FilterName = None,
    target: Annotated[float | None, Query(ge=0, le=revenue.MAX_TARGET, allow_inf_nan=False)] = None,
    revenue_by: dt.date | None = None,
):
    chosen = _filters(work_type, class_of_service, lane)
    board = flow.read_log(db, board_id)
    board.items(chosen)  # an unknown work type or lane is refused before anything runs
    today = board.today
    by = by or today + dt.timedelta(days=13)
    errors: dict[str, str] = {}
    common = {"board_id": board_id, "window_days": window_days, "filters": chosen, "board": board}
    how_many = _try(errors, "how_many", lambda: flow.forecast_how_many(db, by=by, **common))
    when = _try(errors, "when", lambda: flow.forecast_when(db, items=items, **common))
    charts = {}
    if how_many is not None:
        charts["how_many"] = _how_many_chart(how_many)
    if when is not None:
        charts["when"] = _when_chart(when, today)
    _, items_backtest = revenue.backtest_forecasts(
        db, board_id=board_id, window_days=window_days, filters=chosen, board=board
    )
    series = [
        (f"how many in {items_backtest.days} days", items_backtest.how_many),
        (f"when {items_backtest.items} items", items_backtest.when),
    ]

    result = _try(
        errors,
        "revenue",
        lambda: revenue.revenue_forecast(
            db, board_id=board_id, target=target, by=revenue_by, seed=1, board=board
        ),
    )
    sales = result is not None and (result.open_deals > 0 or result.model.values.size > 0)
    revenue_backtest = None
    if sales:
        charts["revenue"] = _revenue_fan(result, target)
        _, revenue_backtest = revenue.backtest_revenue(
            db, board_id=board_id, window_days=window_days, trials=BACKTEST_TRIALS, board=board
        )
        if revenue_backtest.dates.size:
            series.append(
                (f"revenue, {revenue_backtest.horizon_days} days ahead", revenue_backtest.calibration)
            )
    elif "revenue" in errors and (target is not None or revenue_by is not None):
        sales = True  # the revenue form was used: show its message
    else:
        errors.pop("revenue", None)
    charts["calibration"] = _calibration_chart(series)
    verdicts = [_verdict(name, cals) for name, cals in series]
    revenue_verdict = verdicts[2] if len(series) > 2 else None
    return render(
        request,
        "forecast.html",
        {
            **_context(request, db, board, "forecast"),
            "today": today,
            "by": by,
            "items": items,
            "window_days": window_days,
            "filters": chosen,
            "choices": _choices(board),
            "how_many": how_many,
            "when": when,
            "charts": charts,
            "errors": errors,
            "items_backtest": items_backtest,
            "verdicts": verdicts,
            "revenue_verdict": revenue_verdict,
            "sales": sales,
            "revenue": result if sales else None,
            "target": target,
            "revenue_by": result.by if result is not None else revenue_by,
            "revenue_backtest": revenue_backtest,
            "titles": result.titles if result is not None else {},
        },
    )
