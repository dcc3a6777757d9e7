"""The revenue forecast and the back-test on the demo's Sales board, from the real database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from pullplan.demo import create_demo
from pullplan.services import revenue
from pullplan.services.errors import InvalidInput
from pullplan.storage.tables import BoardRow


@pytest.fixture
def sales(db) -> int:
    create_demo(db)
    with db.read() as session:
        return session.scalar(select(BoardRow.id).where(BoardRow.name == "Sales"))


def test_the_chance_of_making_the_number_falls_as_the_number_rises(db, sales):
    chances = []
    for target in (0, 100_000, 300_000, 500_000, 1_000_000, 10_000_000):
        r = revenue.revenue_forecast(db, board_id=sales, target=target, trials=4000, seed=7)
        assert 0 <= r.forecast.target_probability <= 1
        chances.append(r.forecast.target_probability)
    assert chances == sorted(chances, reverse=True)
    assert chances[0] == 1.0 and chances[-1] == 0.0


def test_the_forecast_of_the_demo_sales_board(db, sales):
    r = revenue.revenue_forecast(db, board_id=sales, target=400_000, seed=7)
    f = r.forecast
    assert r.by == revenue.end_of_quarter(r.today) and r.by >= r.today
    assert f.trials == 10_000 and f.seed == 7
    values = [p.value for p in f.percentiles]
    assert [p.percent for p in f.percentiles] == [50, 70, 85, 95]
    assert values == sorted(values, reverse=True) and values[-1] >= 0
    # Win rates grow towards the close, and each is learned from enough deals.
    rates = [s.win_probability for s in r.model.stages.values()]
    assert rates == sorted(rates) and all(0 < p < 1 for p in rates)
    assert r.open_deals > 0 and r.model.weekly_rate > 0
    # The contributions and the new deals explain the mean, and the weighted pipeline
    # counts deals that will not close by the date.
    assert f.expected_open_by_date + f.expected_new == pytest.approx(f.mean, rel=0.03)
    assert f.expected_open_by_date <= f.weighted_pipeline
    assert "weighted pipeline" in f.comparison
    contributions = [d.expected for d in f.deals]
    assert contributions == sorted(contributions, reverse=True)
    # The same seed gives the same answer.
    again = revenue.revenue_forecast(db, board_id=sales, target=400_000, seed=7).forecast
    assert again.percentiles == f.percentiles and again.target_probability == f.target_probability


def test_bad_input_names_the_field(db, sales):
    today = revenue.revenue_forecast(db, board_id=sales, trials=100, seed=1).today
    for kwargs, field in (
        ({"target": -1.0}, "target"),
        ({"target": float("nan")}, "target"),
        ({"by": today - dt.timedelta(days=1)}, "by"),
        ({"trials": 5}, "trials"),
    ):
        with pytest.raises(InvalidInput) as e:
            revenue.revenue_forecast(db, board_id=sales, **kwargs)
        assert e.value.field == field
    with pytest.raises(InvalidInput) as e:
        revenue.backtest_forecasts(db, board_id=sales, days=0)
    assert e.value.field == "days"


def test_the_back_test_of_the_demo_sales_board(db, sales):
    _, b = revenue.backtest_forecasts(db, board_id=sales, days=14, items=5)
    n = b.dates.size
    assert n > 10
    for c in b.how_many:
        assert c.forecasts == n and 0 <= c.hits <= n
    assert [c.percent for c in b.how_many] == [50, 70, 85, 95]
    for c in b.when:
        assert 0 <= c.hits <= c.forecasts <= n
    rates = [c.hit_rate for c in b.how_many]
    assert rates == sorted(rates)
    assert rates[-1] >= 0.7  # a 95% forecast seldom fails
