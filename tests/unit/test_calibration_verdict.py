"""The forecast page's reading of a back-test in words."""

from __future__ import annotations

from pullplan.analytics.backtest import Calibration
from pullplan.web.ui.analytics_pages import _verdict


def cals(*hits: int, n: int = 20) -> tuple[Calibration, ...]:
    return tuple(Calibration(p, n, h) for p, h in zip((50, 70, 85, 95), hits, strict=True))


def test_hit_rates_close_to_the_promise_are_calibrated():
    # 55%, 70%, 80%, 95% came true: the gaps +5, 0, -5, 0 average 0.
    assert _verdict("how many", cals(11, 14, 16, 19)) == (
        "how many: came true about as often as promised (within 0 percentage points on average)."
    )


def test_a_forecast_that_comes_true_less_often_is_optimistic():
    # 20%, 30%, 65%, 85%: gaps -30, -40, -20, -10 average -25.
    assert _verdict("revenue", cals(4, 6, 13, 17)) == (
        "revenue: came true less often than promised (by 25 percentage points on average): "
        "read it as optimistic."
    )


def test_a_forecast_that_comes_true_more_often_is_cautious():
    # 90%, 95%, 100%, 100%: gaps +40, +25, +15, +5 average +21.25.
    assert _verdict("when", cals(18, 19, 20, 20)) == (
        "when: came true more often than promised (by 21 percentage points on average): it is cautious."
    )


def test_few_dates_are_not_judged():
    assert _verdict("revenue", cals(1, 2, 3, 3, n=3)) == "revenue: too few past dates (3) to judge."
    assert _verdict("revenue", ()) == "revenue: too few past dates (0) to judge."
