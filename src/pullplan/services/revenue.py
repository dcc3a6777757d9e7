"""Will we make our numbers (the revenue forecast), and back-tests of the throughput forecasts.

The numbers come from pullplan.analytics.revenue and pullplan.analytics.backtest (pure
numpy); this module reads the board's log and its deals' values and checks the input.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from pullplan import analytics
from pullplan.analytics.backtest import BacktestResult, backtest
from pullplan.analytics.revenue import (
    RevenueForecast,
    RevenueModel,
    forecast_revenue,
    learn_model,
    open_deals,
)
from pullplan.analytics.revenue_backtest import RevenueBacktestResult, revenue_backtest
from pullplan.services.errors import InvalidInput
from pullplan.services.flow import DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS, BoardLog, Filters, read_log
from pullplan.storage.database import Database
from pullplan.storage.tables import ItemRow

MAX_TARGET = 10**12
MIN_TRIALS, MAX_TRIALS = 100, 1_000_000
MAX_BACKTEST_DAYS = 365


@dataclass(frozen=True)
class RevenueResult:
    board: BoardLog
    today: dt.date
    by: dt.date
    model: RevenueModel
    forecast: RevenueForecast
    titles: dict[int, str]  # item id -> title, of the open deals

    @property
    def open_deals(self) -> int:
        return len(self.forecast.deals)


def end_of_quarter(day: dt.date) -> dt.date:
    month = 3 * ((day.month - 1) // 3) + 3
    first_next = dt.date(day.year + (month == 12), 1 if month == 12 else month + 1, 1)
    return first_next - dt.timedelta(days=1)


def _values(db: Database, board: BoardLog) -> tuple[np.ndarray, dict[int, str]]:
    """The items' values aligned with the log's items (NaN: not a deal), and their titles."""
    with db.read() as session:
        rows = session.execute(
            select(ItemRow.id, ItemRow.title, ItemRow.value).where(
                ItemRow.board_id == board.board_id, ItemRow.value.is_not(None)
            )
        ).all()
    ids = board.log.item_ids
    values = np.full(ids.size, np.nan)
    if rows and ids.size:
        got = np.array([r.id for r in rows], dtype=np.int64)
        pos = np.minimum(np.searchsorted(ids, got), ids.size - 1)
        found = ids[pos] == got
        values[pos[found]] = np.array([float(r.value) for r in rows])[found]
    return values, {r.id: r.title for r in rows}


def revenue_forecast(
    db: Database,
    *,
    board_id: int,
    target: float | None = None,
    by: dt.date | None = None,
    trials: int = 10_000,
    seed: int | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    board: BoardLog | None = None,
) -> RevenueResult:
    """P(won revenue >= target by the date), and how much is won by then, from the board's
    open deals and new deals arriving at the historical rate. `by` defaults to the end of the
    current quarter."""
    if target is not None and (not math.isfinite(target) or not 0 <= target <= MAX_TARGET):
        raise InvalidInput("target", f"must be an amount from 0 to {MAX_TARGET}.")
    if not MIN_TRIALS <= trials <= MAX_TRIALS:
        raise InvalidInput("trials", f"must be from {MIN_TRIALS} to {MAX_TRIALS}.")
    if seed is not None and not 0 <= seed < 2**32:
        raise InvalidInput("seed", "must be from 0 to 4294967295.")
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise InvalidInput("window_days", f"must be from 1 to {MAX_WINDOW_DAYS}.")
    board = board or read_log(db, board_id)
    today = board.today
    by = by or end_of_quarter(today)
    if by < today:
        raise InvalidInput("by", f"{by} is in the past.")
    horizon = (by - today).days + 1
    if horizon > MAX_WINDOW_DAYS:
        raise InvalidInput("by", f"is {horizon} days away; at most {MAX_WINDOW_DAYS}.")
    values, titles = _values(db, board)
    day = analytics.to_day(today)
    model = learn_model(board.log, values, today=day, window_days=window_days)
    deals = open_deals(board.log, values, today=day)
    forecast = forecast_revenue(
        model, deals, horizon, target=target, trials=trials, seed=seed, by_label=by.isoformat()
    )
    return RevenueResult(
        board=board,
        today=today,
        by=by,
        model=model,
        forecast=forecast,
        titles={d.item_id: titles.get(d.item_id, "") for d in deals},
    )


def backtest_forecasts(
    db: Database,
    *,
    board_id: int,
    days: int = 14,
    items: int = 5,
    window_days: int = DEFAULT_WINDOW_DAYS,
    step: int = 7,
    filters: Filters = Filters(),
    board: BoardLog | None = None,
) -> tuple[BoardLog, BacktestResult]:
    """Replay the board's history up to yesterday: how often did each P% forecast come true?"""
    if not 1 <= days <= MAX_BACKTEST_DAYS:
        raise InvalidInput("days", f"must be from 1 to {MAX_BACKTEST_DAYS}.")
    if not 1 <= items <= 10_000:
        raise InvalidInput("items", "must be from 1 to 10000.")
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise InvalidInput("window_days", f"must be from 1 to {MAX_WINDOW_DAYS}.")
    if not 1 <= step <= MAX_BACKTEST_DAYS:
        raise InvalidInput("step", f"must be from 1 to {MAX_BACKTEST_DAYS}.")
    board = board or read_log(db, board_id)
    yesterday = board.today - dt.timedelta(days=1)
    result = backtest(
        board.log,
        days=days,
        items=items,
        window_days=window_days,
        step=step,
        end=yesterday,
        mask=board.items(filters),
    )
    return board, result


MAX_BACKTEST_TRIALS = 20_000


def backtest_revenue(
    db: Database,
    *,
    board_id: int,
    horizon_days: int = 30,
    window_days: int = DEFAULT_WINDOW_DAYS,
    step: int = 7,
    trials: int = 2_000,
    seed: int = 0,
    board: BoardLog | None = None,
) -> tuple[BoardLog, RevenueBacktestResult]:
    """Replay the sales board's history up to yesterday: at past dates, forecast the revenue
    won in the next `horizon_days` days from what was known then, and check what was won.
    How often did each "P% chance of at least X" come true?"""
    if not 1 <= horizon_days <= MAX_BACKTEST_DAYS:
        raise InvalidInput("horizon_days", f"must be from 1 to {MAX_BACKTEST_DAYS}.")
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise InvalidInput("window_days", f"must be from 1 to {MAX_WINDOW_DAYS}.")
    if not 1 <= step <= MAX_BACKTEST_DAYS:
        raise InvalidInput("step", f"must be from 1 to {MAX_BACKTEST_DAYS}.")
    if not MIN_TRIALS <= trials <= MAX_BACKTEST_TRIALS:
        raise InvalidInput("trials", f"must be from {MIN_TRIALS} to {MAX_BACKTEST_TRIALS}.")
    if not 0 <= seed < 2**32:
        raise InvalidInput("seed", "must be from 0 to 4294967295.")
    board = board or read_log(db, board_id)
    values, _ = _values(db, board)
    result = revenue_backtest(
        board.log,
        values,
        horizon_days=horizon_days,
        window_days=window_days,
        step=step,
        end=board.today - dt.timedelta(days=1),
        trials=trials,
        seed=seed,
    )
    return board, result
