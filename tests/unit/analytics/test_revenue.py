"""The revenue forecast: win rates and times learned from history, and the Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest

from pullplan.analytics import FlowLog
from pullplan.analytics.revenue import (
    OpenDeal,
    RevenueModel,
    StageModel,
    forecast_revenue,
    learn_model,
    open_deals,
    poisson_binomial,
)

# A small sales board: Leads (option) | Proposal (committed) -> Won (done), Lost (discarded).
LEADS, PROPOSAL, WON, LOST = 1, 2, 3, 4
STAGES = [(LEADS, "option", 0), (PROPOSAL, "committed", 1), (WON, "done", 2), (LOST, "discarded", 3)]
TODAY = 100


def sales_log() -> tuple[FlowLog, np.ndarray]:
    """Six deals, each a path of (day, stage):

    1: Leads d10 -> Proposal d12 -> Won d20    (won; 10 days from Leads, 8 from Proposal)
    2: Leads d30 -> Proposal d31 -> Won d35    (won; 5 and 4)
    3: Leads d40 -> Lost d41                   (lost in Leads)
    4: Leads d50 -> Proposal d52 -> Lost d60   (lost in Proposal)
    5: Proposal d95 (created there)            (open, in Proposal)
    6: Leads d98                               (open, in Leads)
    7: no value: Leads d10 -> Won d11          (not a deal)
    """
    paths = {
        1: [(10, LEADS), (12, PROPOSAL), (20, WON)],
        2: [(30, LEADS), (31, PROPOSAL), (35, WON)],
        3: [(40, LEADS), (41, LOST)],
        4: [(50, LEADS), (52, PROPOSAL), (60, LOST)],
        5: [(95, PROPOSAL)],
        6: [(98, LEADS)],
        7: [(10, LEADS), (11, WON)],
    }
    items, days, kinds, stages = [], [], [], []
    for item, path in paths.items():
        for n, (day, stage) in enumerate(path):
            items.append(item)
            days.append(day)
            kinds.append("created" if n == 0 else "moved")
            stages.append(stage)
    log = FlowLog.from_arrays(
        item_ids=items,
        at=np.asarray(days) * 86_400 + 43_200,
        kinds=kinds,
        to_stage_ids=stages,
        stages=STAGES,
        days=days,
    )
    values = np.array([1000.0, 3000.0, 500.0, 2000.0, 4000.0, 1500.0, np.nan])
    return log, values


def test_win_rates_and_times_are_learned_from_the_stay_in_each_stage():
    log, values = sales_log()
    model = learn_model(log, values, today=TODAY, window_days=100, min_samples=1)

    leads, proposal = model.stages[LEADS], model.stages[PROPOSAL]
    # Leads: reached by 1, 2, 3, 4 (open 5 reached Proposal, 6 is in Leads: not decided).
    assert (leads.won, leads.lost) == (2, 2)
    assert sorted(leads.days_to_close.tolist()) == [5, 10]
    # Proposal: reached by 1, 2, 4.
    assert (proposal.won, proposal.lost) == (2, 1)
    assert sorted(proposal.days_to_close.tolist()) == [4, 8]
    # The stay in Proposal, by value (deal 5, still there, counts as open on days 0..4):
    # day 4: 10000 there (1, 2, 4, 5), 3000 move on (won): 0.3; day 8: 3000 there (1, 4),
    # 1000 won, 2000 lost. Won in the end: 0.3 + 0.7 x 1/3.
    assert proposal.next_stage_id is None  # moving on is being won
    assert proposal.win_probability == pytest.approx(0.3 + 0.7 / 3)
    # The stay in Leads: day 0: 12000 there, 4000 move on (5, created in Proposal); day 1:
    # 8000 there (1, 2, 3, 4, 6), 3000 move on, 500 lost; day 2: 3000 (1, 4), all move on.
    assert leads.next_stage_id == PROPOSAL
    moves_on = 1 / 3 + (2 / 3) * (3 / 8) + (2 / 3) * (9 / 16)
    assert moves_on == pytest.approx(23 / 24)
    assert leads.win_probability == pytest.approx(23 / 24 * (0.3 + 0.7 / 3))
    assert set(model.stages) == {LEADS, PROPOSAL}  # only open stages
    assert model.first_stage_id == LEADS
    # Six deals arrived in the 90 days of history (from day 10) before day 100.
    assert model.weekly_rate == pytest.approx(6 * 7 / 90)
    assert sorted(model.values.tolist()) == [500, 1000, 1500, 2000, 3000, 4000]


def test_a_stage_with_too_few_deals_uses_the_pooled_figures():
    log, values = sales_log()
    model = learn_model(log, values, today=TODAY, min_samples=4)
    assert not model.stages[LEADS].pooled
    proposal = model.stages[PROPOSAL]
    assert proposal.pooled
    # Pooled, from arrival: with 4 as the least number of decisions to learn a chance from,
    # one constant daily chance from day 1 on, so the share won is the value won among the
    # value decided: 1000 + 3000 of 1000 + 3000 + 500 + 2000.
    assert proposal.win_probability == pytest.approx(4000 / 6500)
    assert sorted(proposal.days_to_close.tolist()) == [5, 10]  # arrival to done


def test_open_deals_are_the_valued_items_in_option_and_committed_stages():
    log, values = sales_log()
    # With their age in the stage: 5 reached Proposal on day 95, 6 Leads on day 98.
    assert open_deals(log, values, today=TODAY) == [
        OpenDeal(5, PROPOSAL, 4000.0, 5),
        OpenDeal(6, LEADS, 1500.0, 2),
    ]
    # By default, ages count to the log's last day.
    assert [d.age_days for d in open_deals(log, values)] == [3, 0]


def test_contributions_and_the_weighted_pipeline_by_hand():
    log, values = sales_log()
    model = learn_model(log, values, today=TODAY, window_days=100, min_samples=1)
    model = RevenueModel(model.stages, model.first_stage_id, 0.0, model.values)  # no new deals
    deals = open_deals(log, values, today=TODAY)
    # Horizon 6 days (day 0..5, stay days 5..10 in Proposal for deal 5): of the 0.7 still
    # there on day 5, a third is won on day 8 (no one else was decided on days 5..7).
    # Deal 6, on its day 2 in Leads, moves on today for sure (all did on day 2), then
    # is won on its day 4 in Proposal with 0.3.
    f = forecast_revenue(model, deals, 6, target=4000, trials=20_000, seed=1)
    p_proposal, p_leads = 0.3 + 0.7 / 3, 23 / 24 * (0.3 + 0.7 / 3)
    assert f.weighted_pipeline == pytest.approx(4000 * p_proposal + 1500 * p_leads)
    by_item = {d.item_id: d for d in f.deals}
    assert by_item[5].p_won_by == pytest.approx(1 / 3)
    assert by_item[5].expected == pytest.approx(4000 / 3)
    assert by_item[5].age_days == 5
    assert by_item[6].p_won_by == pytest.approx(0.3)
    assert by_item[6].expected == pytest.approx(1500 * 0.3)
    assert [d.item_id for d in f.deals] == [5, 6]  # the largest contribution first
    assert f.expected_new == 0
    assert f.expected_open_by_date == pytest.approx(4000 / 3 + 450)
    # P(>= 4000) = P(deal 5 won in time) = 1/3.
    assert f.target_probability == pytest.approx(1 / 3, abs=0.015)
    assert f.mean == pytest.approx(4000 / 3 + 450, rel=0.03)
    assert "weighted pipeline" in f.comparison


def test_new_deals_add_their_expected_revenue():
    only = StageModel(LEADS, 1.0, 10, 0, np.array([0]))
    model = RevenueModel({LEADS: only}, LEADS, weekly_rate=7.0, values=np.array([100.0]))
    # One new deal a day, always won the day it arrives: 10 days -> Poisson(10) x 100.
    f = forecast_revenue(model, [], 10, trials=40_000, seed=5)
    assert f.expected_new == pytest.approx(1000.0)
    assert f.mean == pytest.approx(1000.0, rel=0.01)
    assert f.weighted_pipeline == 0
    assert f.at(50) == 1000.0  # the Poisson(10) median
    assert np.all(f.totals % 100 == 0)


def test_same_seed_same_result_and_a_different_seed_differs():
    log, values = sales_log()
    model = learn_model(log, values, today=TODAY, window_days=100, min_samples=1)
    deals = open_deals(log, values)
    a = forecast_revenue(model, deals, 30, target=3000, trials=2000, seed=42)
    b = forecast_revenue(model, deals, 30, target=3000, trials=2000, seed=42)
    c = forecast_revenue(model, deals, 30, target=3000, trials=2000, seed=43)
    assert np.array_equal(a.totals, b.totals)
    assert a.percentiles == b.percentiles and a.target_probability == b.target_probability
    assert not np.array_equal(a.totals, c.totals)


def test_percentiles_read_at_least_and_are_ordered():
    log, values = sales_log()
    model = learn_model(log, values, today=TODAY, window_days=100, min_samples=1)
    f = forecast_revenue(model, open_deals(log, values), 30, trials=5000, seed=3)
    values_by_p = [p.value for p in f.percentiles]
    assert values_by_p == sorted(values_by_p, reverse=True)
    for p in f.percentiles:
        assert f.probability_at_least(p.value) >= p.percent / 100
        assert p.reading.startswith(f"{p.percent}% chance of at least")


def test_bad_input_is_refused():
    log, values = sales_log()
    model = learn_model(log, values, today=TODAY)
    with pytest.raises(ValueError, match="horizon_days"):
        forecast_revenue(model, [], 0)
    with pytest.raises(ValueError, match="values"):
        learn_model(log, values[:3], today=TODAY)
    with pytest.raises(ValueError, match="deals"):
        forecast_revenue(model, [OpenDeal(9, WON, 10.0)], 5)


def test_poisson_binomial_by_hand():
    assert poisson_binomial([0.5, 0.5]) == pytest.approx([0.25, 0.5, 0.25])
    assert poisson_binomial([0.2, 0.5, 1.0]) == pytest.approx([0, 0.4, 0.5, 0.1])


def test_fixed_close_dates_agree_with_the_exact_poisson_binomial_distribution():
    """No new deals and every deal closing (if won) on a fixed day inside the horizon: the
    won revenue of equal-valued deals is value x a Poisson-binomial number of wins."""
    rng = np.random.default_rng(2024)
    stage_ids = [10, 11, 12, 13]
    probs = {10: 0.15, 11: 0.35, 12: 0.6, 13: 0.85}
    stages = {
        s: StageModel(s, probs[s], 1, 1, np.array([3 + i])) for i, s in enumerate(stage_ids)
    }  # close 3..6 days from today
    model = RevenueModel(stages, 10, weekly_rate=0.0, values=np.array([]))
    value = 25_000.0
    deals = [OpenDeal(i, int(rng.choice(stage_ids)), value) for i in range(30)]
    trials = 200_000
    f = forecast_revenue(model, deals, 14, target=8 * value, trials=trials, seed=11)

    pmf = poisson_binomial([probs[d.stage_id] for d in deals])
    at_least = np.cumsum(pmf[::-1])[::-1]  # P(wins >= k)
    # P(target): within 4 standard errors of the exact value.
    exact = float(at_least[8])
    se = np.sqrt(exact * (1 - exact) / trials)
    assert abs(f.target_probability - exact) < 4 * se + 1e-12
    # The whole distribution: every P(wins >= k).
    wins = np.rint(f.totals / value).astype(int)
    assert np.all(wins * value == f.totals)
    simulated = np.array([np.mean(wins >= k) for k in range(pmf.size)])
    se_all = np.sqrt(at_least * (1 - at_least) / trials)
    assert np.all(np.abs(simulated - at_least) < 4 * se_all + 1e-9)
    # The "at least" percentiles: the largest k with P(wins >= k) >= p, times the value,
    # give or take one deal where P(wins >= k) is within sampling error of p.
    for p in f.percentiles:
        k = int(np.flatnonzero(at_least >= p.percent / 100 - 1e-12).max())
        near = abs(at_least[k + 1] - p.percent / 100) < 4 * se_all[k + 1] if k + 1 < pmf.size else False
        assert p.value == k * value or (near and p.value == (k + 1) * value)
    # And the mean is the sum of the probabilities.
    assert f.mean == pytest.approx(value * sum(probs[d.stage_id] for d in deals), rel=0.005)
    assert f.expected_open_by_date == pytest.approx(value * sum(probs[d.stage_id] for d in deals))
