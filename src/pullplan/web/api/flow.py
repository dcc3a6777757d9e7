"""Flow metrics and forecasts of a board."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from pullplan.analytics import PERCENTILE_METHOD
from pullplan.analytics.workdays import unit
from pullplan.domain.board import ClassOfService
from pullplan.domain.permissions import Role
from pullplan.services import flow, revenue
from pullplan.services.accounts import Principal
from pullplan.web.api.deps import DB, PathId
from pullplan.web.api.errors import RESPONSES
from pullplan.web.auth import allow
from pullplan.web.sync_work import SyncRoute

router = APIRouter(route_class=SyncRoute, tags=["flow"], responses=RESPONSES)

ViewerOnBoard = Annotated[Principal, allow(Role.VIEWER, on="board")]
FilterName = Annotated[str | None, Query(max_length=60)]
Window = Annotated[int, Query(ge=1, le=flow.MAX_WINDOW_DAYS, description="Days of history to sample.")]
Method = Annotated[Literal["exact", "monte_carlo"], Query(description="exact (default) or monte_carlo")]
Trials = Annotated[int, Query(ge=100, le=1_000_000)]
Seed = Annotated[int | None, Query(ge=0, le=2**32 - 1)]
WorkingDays = Annotated[
    bool,
    Query(description="Count cycle times and ages in working days (Monday to Friday), not calendar days."),
]


class Percentiles(BaseModel):
    p50: int | None
    p70: int | None
    p85: int | None
    p95: int | None


def _pcts(values: dict) -> Percentiles:
    return Percentiles(**{f"p{p}": (None if x is None else int(x)) for p, x in values.items()})


class StageSeries(BaseModel):
    stage_id: int
    stage: str
    values: list[int]


class LittlesLawRead(BaseModel):
    statement: str
    average_wip: float
    average_throughput: float = Field(description="items per day")
    average_cycle_time: float | None
    implied_cycle_time: float | None = Field(description="average WIP / average throughput")
    assumptions: list[dict]
    holds: bool


class MetricsRead(BaseModel):
    board_id: int
    start: dt.date
    end: dt.date
    percentile_method: str
    day_unit: str = Field(description="what cycle times and ages count: 'days' or 'working days'")
    wip_per_day: list[int] = Field(description="committed items in progress at the end of each day")
    wip_by_stage: list[StageSeries]
    throughput_per_day: list[int]
    throughput_per_week: list[int]
    week_starts: list[dt.date]
    cycle_times: list[dict] = Field(description="items done in the window: id, commit and done dates, days")
    cycle_time_percentiles: Percentiles
    aging_wip: list[dict] = Field(description="items in progress: id, stage, age in days")
    aging_stage_percentiles: dict[str, Percentiles]
    cumulative_flow: list[StageSeries]
    flow_efficiency: float | None
    breaches: int
    breaches_by_code: dict[str, int]
    littles_law: LittlesLawRead


class ForecastPercentileRead(BaseModel):
    percent: int
    value: int | None
    date: dt.date | None
    reading: str


class HowManyRead(BaseModel):
    question: str
    reading: str = Field(description="How to read the percentiles: a chance of AT LEAST that many items.")
    days: int
    start: dt.date
    method: str
    trials: int | None
    seed: int | None
    percentiles: list[ForecastPercentileRead]
    distribution: list[list[float]] = Field(description="[items, probability of exactly that many]")


class WhenRead(BaseModel):
    question: str
    reading: str = Field(description="How to read the percentiles: a chance of being done BY that date.")
    items: int
    start: dt.date
    method: str
    trials: int | None
    seed: int | None
    percentiles: list[ForecastPercentileRead]
    target: dt.date | None
    target_probability: float | None
    cdf: list[float] = Field(description="P(done within d days) for d = 1, 2, ...")


def _dates(days) -> list[dt.date]:
    return [d.item() for d in days.astype("datetime64[D]")]


@router.get("/boards/{board_id}/metrics", response_model=MetricsRead)
def metrics(
    board_id: PathId,
    db: DB,
    _: ViewerOnBoard,
    start: dt.date | None = None,
    end: dt.date | None = None,
    work_type: FilterName = None,
    class_of_service: ClassOfService | None = None,
    lane: FilterName = None,
    working_days: WorkingDays = False,
):
    """WIP, throughput, cycle time, aging WIP, cumulative flow, flow efficiency, WIP-limit
    breaches and Little's law as a check. Percentiles use the nearest-rank method (numpy
    'inverted_cdf'): each is a value that actually happened. Cycle time and work item age
    count both ends (+1), in calendar days or, with `working_days`, in working days."""
    chosen = flow.filters(work_type, class_of_service.value if class_of_service else None, lane)
    cal = flow.calendar(working_days)
    board, m = flow.board_metrics(db, board_id=board_id, start=start, end=end, filters=chosen, calendar=cal)
    names = board.stage_names
    days = _dates(m.wip.days)
    ct = m.cycle_times
    ll = m.littles_law
    return MetricsRead(
        board_id=board_id,
        start=days[0],
        end=days[-1],
        percentile_method=PERCENTILE_METHOD,
        day_unit=unit(cal),
        wip_per_day=m.wip.committed.tolist(),
        wip_by_stage=[
            StageSeries(stage_id=int(s), stage=names[int(s)], values=m.wip.by_stage[:, i].tolist())
            for i, s in enumerate(m.wip.stage_ids)
        ],
        throughput_per_day=m.throughput.per_day.tolist(),
        throughput_per_week=m.throughput.per_week.tolist(),
        week_starts=_dates(m.throughput.week_starts),
        cycle_times=[
            {"item_id": int(i), "committed": c, "done": d, "days": int(n)}
            for i, c, d, n in zip(
                ct.item_ids, _dates(ct.commit_days), _dates(ct.done_days), ct.days, strict=True
            )
        ],
        cycle_time_percentiles=_pcts(ct.percentiles),
        aging_wip=[
            {"item_id": int(i), "stage_id": int(s), "stage": names[int(s)], "age_days": int(a)}
            for i, s, a in zip(m.aging.ages.item_ids, m.aging.ages.stage_ids, m.aging.ages.ages, strict=True)
        ],
        aging_stage_percentiles={names[int(s)]: _pcts(p) for s, p in m.aging.stage_percentiles.items()},
        cumulative_flow=[
            StageSeries(
                stage_id=int(s), stage=names[int(s)], values=m.cumulative_flow.arrivals[:, i].tolist()
            )
            for i, s in enumerate(m.cumulative_flow.stage_ids)
        ],
        flow_efficiency=m.flow_efficiency.overall,
        breaches=len(m.breaches.breaches),
        breaches_by_code={str(k): int(x) for k, x in m.breaches.by_code.items()},
        littles_law=LittlesLawRead(
            statement=ll.statement,
            average_wip=ll.average_wip,
            average_throughput=ll.average_throughput,
            average_cycle_time=ll.average_cycle_time,
            implied_cycle_time=ll.implied_cycle_time,
            assumptions=[
                {"statement": a.statement, "holds": a.holds, "detail": a.detail} for a in ll.assumptions
            ],
            holds=ll.holds,
        ),
    )


def _percentile_rows(forecast) -> list[ForecastPercentileRead]:
    return [ForecastPercentileRead(**p.__dict__) for p in forecast.percentiles]


@router.get("/boards/{board_id}/forecast/how-many", response_model=HowManyRead)
def forecast_how_many(
    board_id: PathId,
    db: DB,
    _: ViewerOnBoard,
    days: Annotated[int | None, Query(ge=1, le=flow.MAX_WINDOW_DAYS)] = None,
    by: dt.date | None = None,
    window_days: Window = flow.DEFAULT_WINDOW_DAYS,
    method: Method = "exact",
    trials: Trials = 10_000,
    seed: Seed = None,
    work_type: FilterName = None,
    class_of_service: ClassOfService | None = None,
    lane: FilterName = None,
):
    """How many items will be done from today through a date (or in N days), sampling the
    daily throughput of the last `window_days` days. Read each percentile as "P% chance of
    AT LEAST that many items"."""
    chosen = flow.filters(work_type, class_of_service.value if class_of_service else None, lane)
    f = flow.forecast_how_many(
        db,
        board_id=board_id,
        days=days,
        by=by,
        window_days=window_days,
        method=method,
        trials=trials,
        seed=seed,
        filters=chosen,
    )
    return HowManyRead(
        question=f"How many items will be done in {f.days} days?",
        reading="P% chance of at least K items",
        days=f.days,
        start=f.start,
        method=f.method,
        trials=f.trials,
        seed=f.seed,
        percentiles=_percentile_rows(f),
        distribution=[[int(k), float(p)] for k, p in zip(f.items, f.probabilities, strict=True) if p > 1e-9],
    )


@router.get("/boards/{board_id}/forecast/when", response_model=WhenRead)
def forecast_when(
    board_id: PathId,
    db: DB,
    _: ViewerOnBoard,
    items: Annotated[int, Query(ge=1, le=100_000)],
    target: dt.date | None = None,
    window_days: Window = flow.DEFAULT_WINDOW_DAYS,
    method: Method = "exact",
    trials: Trials = 10_000,
    seed: Seed = None,
    work_type: FilterName = None,
    class_of_service: ClassOfService | None = None,
    lane: FilterName = None,
):
    """When will N more items be done, counting from today. Read each percentile as "P%
    chance of done BY that date"; `target` adds the probability of being done by it."""
    chosen = flow.filters(work_type, class_of_service.value if class_of_service else None, lane)
    f = flow.forecast_when(
        db,
        board_id=board_id,
        items=items,
        target=target,
        window_days=window_days,
        method=method,
        trials=trials,
        seed=seed,
        filters=chosen,
    )
    return WhenRead(
        question=f"When will {f.items} items be done?",
        reading="P% chance of done by the date",
        items=f.items,
        start=f.start,
        method=f.method,
        trials=f.trials,
        seed=f.seed,
        percentiles=_percentile_rows(f),
        target=target,
        target_probability=f.target_probability,
        cdf=[round(float(x), 6) for x in f.cdf],
    )


class RevenuePercentileRead(BaseModel):
    percent: int
    value: float
    reading: str


class DealContributionRead(BaseModel):
    item_id: int
    title: str
    stage_id: int
    stage: str
    value: float
    win_probability: float = Field(description="its stage's, learned from history")
    p_won_by: float = Field(description="P(won by the date)")
    expected: float = Field(description="P(won by the date) x value: how much it moves the result")


class StageWinRead(BaseModel):
    stage_id: int
    stage: str
    win_probability: float
    won: int
    lost: int
    pooled: bool


class RevenueRead(BaseModel):
    question: str
    reading: str = Field(
        description="How to read the percentiles: a chance of AT LEAST that much won by the date."
    )
    start: dt.date
    by: dt.date
    target: float | None
    target_probability: float | None = Field(description="P(won revenue >= target by the date)")
    trials: int
    seed: int
    percentiles: list[RevenuePercentileRead]
    mean: float
    weighted_pipeline: float
    expected_open_by_date: float
    expected_new: float
    comparison: str
    new_deals_per_week: float
    stages: list[StageWinRead]
    deals: list[DealContributionRead] = Field(
        description="open deals, the largest expected contribution first"
    )
    notes: list[str]


class CalibrationRead(BaseModel):
    percent: int
    forecasts: int
    hits: int
    hit_rate: float | None


class BacktestRead(BaseModel):
    question: str
    reading: str
    days: int
    items: int
    window_days: int
    step: int
    forecast_dates: int
    skipped: int
    how_many: list[CalibrationRead]
    when: list[CalibrationRead]


def _money(x: float) -> float:
    return round(float(x), 2)


@router.get("/boards/{board_id}/forecast/revenue", response_model=RevenueRead)
def forecast_revenue(
    board_id: PathId,
    db: DB,
    _: ViewerOnBoard,
    target: Annotated[float | None, Query(ge=0, le=revenue.MAX_TARGET, allow_inf_nan=False)] = None,
    by: dt.date | None = None,
    trials: Trials = 10_000,
    seed: Seed = None,
    window_days: Window = flow.DEFAULT_WINDOW_DAYS,
):
    """Will we make our numbers: P(won revenue >= target by the date, default the end of the
    quarter) from the open deals (win probability per stage and time to close learned from
    history) and new deals arriving at the historical rate. Read each percentile as "P%
    chance of AT LEAST that much won by the date"."""
    r = revenue.revenue_forecast(
        db, board_id=board_id, target=target, by=by, trials=trials, seed=seed, window_days=window_days
    )
    f, names = r.forecast, r.board.stage_names
    return RevenueRead(
        question=f"How much will be won by {r.by}?",
        reading=f.reading,
        start=r.today,
        by=r.by,
        target=target,
        target_probability=f.target_probability,
        trials=f.trials,
        seed=f.seed,
        percentiles=[
            RevenuePercentileRead(percent=p.percent, value=_money(p.value), reading=p.reading)
            for p in f.percentiles
        ],
        mean=_money(f.mean),
        weighted_pipeline=_money(f.weighted_pipeline),
        expected_open_by_date=_money(f.expected_open_by_date),
        expected_new=_money(f.expected_new),
        comparison=f.comparison,
        new_deals_per_week=round(r.model.weekly_rate, 3),
        stages=[
            StageWinRead(
                stage_id=s.stage_id,
                stage=names[s.stage_id],
                win_probability=s.win_probability,
                won=s.won,
                lost=s.lost,
                pooled=s.pooled,
            )
            for s in r.model.stages.values()
        ],
        deals=[
            DealContributionRead(
                item_id=d.item_id,
                title=r.titles.get(d.item_id, ""),
                stage_id=d.stage_id,
                stage=names[d.stage_id],
                value=_money(d.value),
                win_probability=d.win_probability,
                p_won_by=d.p_won_by,
                expected=_money(d.expected),
            )
            for d in f.deals
        ],
        notes=list(r.model.notes),
    )


@router.get("/boards/{board_id}/forecast/backtest", response_model=BacktestRead)
def forecast_backtest(
    board_id: PathId,
    db: DB,
    _: ViewerOnBoard,
    days: Annotated[int, Query(ge=1, le=revenue.MAX_BACKTEST_DAYS, description="how-many horizon")] = 14,
    items: Annotated[int, Query(ge=1, le=10_000, description="when: how many items")] = 5,
    window_days: Window = flow.DEFAULT_WINDOW_DAYS,
    step: Annotated[int, Query(ge=1, le=revenue.MAX_BACKTEST_DAYS, description="days between dates")] = 7,
    work_type: FilterName = None,
    class_of_service: ClassOfService | None = None,
    lane: FilterName = None,
):
    """Replay the board's history: at past dates, forecast from the history before them and
    check what happened. A P% forecast should come true about P% of the time."""
    chosen = flow.filters(work_type, class_of_service.value if class_of_service else None, lane)
    _, b = revenue.backtest_forecasts(
        db,
        board_id=board_id,
        days=days,
        items=items,
        window_days=window_days,
        step=step,
        filters=chosen,
    )

    def rows(cals) -> list[CalibrationRead]:
        return [
            CalibrationRead(percent=c.percent, forecasts=c.forecasts, hits=c.hits, hit_rate=c.hit_rate)
            for c in cals
        ]

    return BacktestRead(
        question=f"How often did the forecasts come true (how many in {b.days} days; when {b.items} items)?",
        reading="how_many: came true when at least K items were done; when: when done within D days",
        days=b.days,
        items=b.items,
        window_days=b.window_days,
        step=b.step,
        forecast_dates=int(b.dates.size),
        skipped=b.skipped,
        how_many=rows(b.how_many),
        when=rows(b.when),
    )


class RevenueBacktestDateRead(BaseModel):
    date: dt.date
    actual: float = Field(description="revenue won in the horizon from this date")
    at_least: dict[str, float] = Field(description="per percentile (p50...): the forecast 'at least X'")
    mean: float
    weighted_pipeline: float


class RevenueBacktestRead(BaseModel):
    question: str
    reading: str
    horizon_days: int
    window_days: int
    step: int
    trials: int
    forecast_dates: int
    skipped: int
    calibration: list[CalibrationRead]
    dates: list[RevenueBacktestDateRead]


@router.get("/boards/{board_id}/forecast/revenue-backtest", response_model=RevenueBacktestRead)
def forecast_revenue_backtest(
    board_id: PathId,
    db: DB,
    _: ViewerOnBoard,
    horizon_days: Annotated[int, Query(ge=1, le=revenue.MAX_BACKTEST_DAYS, description="days forecast")] = 30,
    window_days: Window = flow.DEFAULT_WINDOW_DAYS,
    step: Annotated[int, Query(ge=1, le=revenue.MAX_BACKTEST_DAYS, description="days between dates")] = 7,
    trials: Annotated[int, Query(ge=100, le=revenue.MAX_BACKTEST_TRIALS)] = 2_000,
    seed: Annotated[int, Query(ge=0, le=2**32 - 1)] = 0,
):
    """Replay a sales board's history: at past dates, forecast the revenue won in the next
    `horizon_days` days from what was known then, and check what was won. A "P% chance of
    at least X" should come true about P% of the time."""
    _, r = revenue.backtest_revenue(
        db,
        board_id=board_id,
        horizon_days=horizon_days,
        window_days=window_days,
        step=step,
        trials=trials,
        seed=seed,
    )
    days = _dates(r.dates)
    return RevenueBacktestRead(
        question=f"How often did the revenue forecast come true ({r.horizon_days} days ahead)?",
        reading="came true when at least the forecast amount was won in the horizon",
        horizon_days=r.horizon_days,
        window_days=r.window_days,
        step=r.step,
        trials=r.trials,
        forecast_dates=len(days),
        skipped=r.skipped,
        calibration=[
            CalibrationRead(percent=c.percent, forecasts=c.forecasts, hits=c.hits, hit_rate=c.hit_rate)
            for c in r.calibration
        ],
        dates=[
            RevenueBacktestDateRead(
                date=day,
                actual=_money(r.actual[i]),
                at_least={f"p{p}": _money(v[i]) for p, v in r.forecast.items()},
                mean=_money(r.mean[i]),
                weighted_pipeline=_money(r.weighted_pipeline[i]),
            )
            for i, day in enumerate(days)
        ],
    )
