"""The revenue forecast is calibrated on back-tests of steady pipelines where some deals stall."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pullplan.analytics import FlowLog
from pullplan.analytics import revenue_backtest as backtest_module
from pullplan.analytics.revenue_backtest import revenue_backtest

LEADS, QUALIFIED, PROPOSAL, WON, LOST = 1, 2, 3, 4, 5
STAGES = [
    (LEADS, "option", 0),
    (QUALIFIED, "committed", 1),
    (PROPOSAL, "committed", 2),
    (WON, "done", 3),
    (LOST, "discarded", 4),
]
NEXT = {LEADS: QUALIFIED, QUALIFIED: PROPOSAL, PROPOSAL: WON}
# Median days in the stage (lognormal, sigma) and the chance to be lost at the end of it.
STAY = {LEADS: (8, 0.8, 0.5), QUALIFIED: (12, 0.6, 0.3), PROPOSAL: (10, 0.6, 0.3)}
# A third of the proposals stall: about 90 days, then mostly lost.
STALLED = (0.35, 90, 0.3, 0.85)


def steady_pipeline(seed: int, days: int = 720, per_day: float = 1.5) -> tuple[FlowLog, np.ndarray]:
    """Deals arriving 1.5 a day for `days` days, each going Leads -> Qualified -> Proposal ->
    Won unless lost at the end of a stay; the log stops on the last day."""
    rng = np.random.default_rng(seed)
    n = rng.poisson(per_day * days)
    arrive = np.sort(rng.integers(0, days, n))
    values = rng.lognormal(np.log(20_000), 0.7, n).round(-2)
    rows: list[tuple[int, int, str, int]] = []  # item, day, kind, stage entered
    for i in range(n):
        t = int(arrive[i])
        rows.append((i + 1, t, "created", LEADS))
        for stage in (LEADS, QUALIFIED, PROPOSAL):
            median, sigma, lose = STAY[stage]
            if stage == PROPOSAL and rng.random() < STALLED[0]:
                median, sigma, lose = STALLED[1:]
            t += int(rng.lognormal(np.log(median), sigma))
            outcome = LOST if rng.random() < lose else NEXT[stage]
            if t >= days:
                break
            rows.append((i + 1, t, "moved", outcome))
            if outcome in (WON, LOST):
                break
    items, at_day, kinds, to = zip(*rows, strict=True)
    log = FlowLog.from_arrays(
        item_ids=items,
        at=np.asarray(at_day) * 86_400 + 43_200,
        kinds=kinds,
        to_stage_ids=to,
        stages=STAGES,
        days=at_day,
    )
    return log, values[log.item_ids - 1]


def pooled_hit_rates(seeds=range(4)) -> tuple[int, dict[int, float]]:
    """Back-test four pipelines (30 days ahead, every 7 days after 90 days of history) and
    pool their dates: how many, and how often each "P% chance of at least X" came true."""
    dates, hits = 0, {}
    for seed in seeds:
        log, values = steady_pipeline(seed)
        r = revenue_backtest(log, values, horizon_days=30, step=7, min_history=90, trials=2000, seed=seed)
        dates += r.dates.size
        for c in r.calibration:
            hits[c.percent] = hits.get(c.percent, 0) + c.hits
    return dates, {p: h / dates for p, h in hits.items()}


def test_the_back_test_of_steady_pipelines_is_calibrated():
    dates, rates = pooled_hit_rates()
    assert dates == 344  # 4 pipelines x 86 dates
    # Each "P% chance" came true within 20 percentage points of P% of the time.
    for percent, rate in rates.items():
        assert rate == pytest.approx(percent / 100, abs=0.20), (percent, rate)


def test_taking_every_open_deal_as_just_arrived_is_far_too_optimistic(monkeypatch):
    """The same back-test with the deals' ages dropped (the stalled proposals forecast as
    if they had just arrived) fails it: its forecasts came true far less often."""
    real = backtest_module.open_deals

    def ageless(*args, **kwargs):
        return [dataclasses.replace(d, age_days=0) for d in real(*args, **kwargs)]

    monkeypatch.setattr(backtest_module, "open_deals", ageless)
    _, rates = pooled_hit_rates()
    assert rates[50] < 0.30 and rates[85] < 0.65
