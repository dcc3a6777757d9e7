"""Flow metrics and forecasts of a board, read from the real database."""

from __future__ import annotations

import datetime as dt

import pytest

from pullplan.services import flow
from pullplan.services.boards import create_board, create_workspace
from pullplan.services.errors import InvalidInput
from pullplan.services.items import create_item, move_item

DAY = dt.timedelta(days=1)


@pytest.fixture
def board(db):
    """One item a day finished for the 20 days before today, each after 3 days of work."""
    ws = create_workspace(db, name="Flow")
    b = create_board(
        db,
        workspace_id=ws.id,
        name="Content",
        stages=[
            {"name": "Ideas", "kind": "option"},
            {"name": "Doing", "kind": "committed"},
            {"name": "Done", "kind": "done"},
        ],
    )
    ideas, doing, done = (s.id for s in b.stages)
    today = dt.datetime.now(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    for day in range(20, 0, -1):
        finished = today - day * DAY
        item = create_item(db, actor_id=None, board_id=b.id, title=f"Post {day}", now=finished - 5 * DAY).item
        move_item(db, actor_id=None, item_id=item.id, to_stage_id=doing, now=finished - 2 * DAY)
        move_item(db, actor_id=None, item_id=item.id, to_stage_id=done, now=finished)
    return b


def test_metrics_on_a_steady_board(db, board):
    _, m = flow.board_metrics(db, board_id=board.id)
    assert m.throughput.total == 20
    assert set(m.cycle_times.days.tolist()) == {3}  # two days of work, +1
    assert m.cycle_times.percentiles == {50: 3, 70: 3, 85: 3, 95: 3}
    assert list(m.cumulative_flow.arrivals[-1]) == sorted(m.cumulative_flow.arrivals[-1], reverse=True)


def test_forecasts_from_a_constant_throughput_are_exact(db, board):
    f = flow.forecast_how_many(db, board_id=board.id, days=10, window_days=18)
    assert [p.value for p in f.percentiles] == [10, 10, 10, 10]  # one a day, every day
    w = flow.forecast_when(db, board_id=board.id, items=9, window_days=18)
    assert [p.value for p in w.percentiles] == [9, 9, 9, 9]
    assert "chance of done within 9 days" in w.percentiles[0].reading


def test_same_seed_same_monte_carlo_forecast(db, board):
    a = flow.forecast_when(db, board_id=board.id, items=15, method="monte_carlo", seed=3, window_days=30)
    b = flow.forecast_when(db, board_id=board.id, items=15, method="monte_carlo", seed=3, window_days=30)
    assert a.cdf.tolist() == b.cdf.tolist()


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda db, b: flow.forecast_how_many(db, board_id=b, days=None), "days"),
        (lambda db, b: flow.forecast_how_many(db, board_id=b, days=5, window_days=0), "window_days"),
        (lambda db, b: flow.forecast_how_many(db, board_id=b, by=dt.date(2000, 1, 1)), "by"),
        (lambda db, b: flow.forecast_when(db, board_id=b, items=0), "items"),
        (lambda db, b: flow.forecast_when(db, board_id=b, items=3, method="guess"), "method"),
        (
            lambda db, b: flow.board_metrics(db, board_id=b, filters=flow.filters("Nope", None, None)),
            "work_type",
        ),
        (
            lambda db, b: flow.board_metrics(
                db, board_id=b, start=dt.date(2030, 1, 2), end=dt.date(2030, 1, 1)
            ),
            "start",
        ),
    ],
)
def test_bad_questions_name_the_field(db, board, call, field):
    with pytest.raises(InvalidInput) as e:
        call(db, board.id)
    assert e.value.field == field


def test_no_history_to_forecast_from(db):
    ws = create_workspace(db, name="Empty")
    b = create_board(
        db,
        workspace_id=ws.id,
        name="New",
        stages=[{"name": "Doing", "kind": "committed"}, {"name": "Done", "kind": "done"}],
    )
    with pytest.raises(InvalidInput, match="no item was finished"):
        flow.forecast_how_many(db, board_id=b.id, days=10)
