"""The revenue forecast conditions each open deal on how long it has been in its stage."""

from __future__ import annotations

import numpy as np
import pytest

from pullplan.analytics import FlowLog
from pullplan.analytics.revenue import (
    OpenDeal,
    RevenueModel,
    forecast_revenue,
    learn_model,
    open_deals,
)

LEADS, PROPOSAL, WON, LOST = 1, 2, 3, 4
ONE_STAGE = [(LEADS, "option", 0), (WON, "done", 1), (LOST, "discarded", 2)]
TWO_STAGES = [(LEADS, "option", 0), (PROPOSAL, "committed", 1), (WON, "done", 2), (LOST, "discarded", 3)]
TODAY = 100


def board(paths: dict[int, list[tuple[int, int]]], stages, values: dict[int, float] | None = None):
    """A log from each deal's path of (day, stage), and the deals' values (100 each by default)."""
    items, days, kinds, to = [], [], [], []
    for item, path in paths.items():
        for n, (day, stage) in enumerate(path):
            items.append(item)
            days.append(day)
            kinds.append("created" if n == 0 else "moved")
            to.append(stage)
    log = FlowLog.from_arrays(
        item_ids=items,
        at=np.asarray(days) * 86_400 + 43_200,
        kinds=kinds,
        to_stage_ids=to,
        stages=stages,
        days=days,
    )
    values = values or {}
    return log, np.array([values.get(int(i), 100.0) for i in log.item_ids])


# Six decided deals in Leads: won after 2, 2, 3 and 4 days there, lost after 10 and 12.
DECIDED = {
    1: [(10, LEADS), (12, WON)],
    2: [(20, LEADS), (22, WON)],
    3: [(30, LEADS), (33, WON)],
    4: [(40, LEADS), (44, WON)],
    5: [(50, LEADS), (60, LOST)],
    6: [(60, LEADS), (72, LOST)],
}


def one_stage_model(min_samples: int = 1, **extra_paths) -> RevenueModel:
    log, values = board(DECIDED | {int(k): v for k, v in extra_paths.items()}, ONE_STAGE)
    model = learn_model(log, values, today=TODAY, min_samples=min_samples)
    return RevenueModel(model.stages, model.first_stage_id, 0.0, model.values)  # no new deals


def test_a_deal_that_has_just_reached_its_stage_is_forecast_as_before():
    model = one_stage_model()
    leads = model.stages[LEADS]
    # As before: the share won among the decided deals, and the won deals' days to close.
    assert leads.win_probability == pytest.approx(4 / 6)
    assert sorted(leads.days_to_close.tolist()) == [2, 2, 3, 4]
    for days, before in ((1, 0.0), (3, 4 / 6 * 2 / 4), (4, 4 / 6 * 3 / 4), (30, 4 / 6)):
        assert model.chance_won_within(LEADS, 0, days)[0] == pytest.approx(before)


def test_a_deal_older_than_every_won_deal_has_no_chance_to_be_won():
    model = one_stage_model()
    # On its 5th day in Leads: every won deal was won by its 4th day; only losses come later.
    assert model.chance_won_within(LEADS, 5, 30)[0] == 0
    assert model.chance_won_within(LEADS, 40, 90)[0] == 0
    f = forecast_revenue(model, [OpenDeal(7, LEADS, 1000.0, age_days=5)], 30, trials=1000, seed=1)
    assert f.deals[0].p_won_by == 0 and f.deals[0].expected == 0
    assert np.all(f.totals == 0)
    # The weighted pipeline still counts it at its stage's win rate: that is the difference.
    assert f.weighted_pipeline == pytest.approx(1000 * 4 / 6)


def test_a_deal_part_way_through_its_stage_is_forecast_from_the_deals_that_lasted_as_long():
    model = one_stage_model()
    # On its 3rd day: of the 4 deals still open then (won on day 3 and 4, lost on 10 and
    # 12), 2 were won; 1 of them on day 3 itself.
    assert model.chance_won_within(LEADS, 3, 1)[0] == pytest.approx(1 / 4)
    assert model.chance_won_within(LEADS, 3, 30)[0] == pytest.approx(2 / 4)
    # Ages are counted from the day the deal reached its stage.
    log, values = board(DECIDED | {7: [(TODAY - 3, LEADS)]}, ONE_STAGE)
    assert open_deals(log, values, today=TODAY) == [OpenDeal(7, LEADS, 100.0, 3)]


def test_deals_still_open_count_as_open_not_as_left_out():
    # Deal 7 has been in Leads for 6 days without being won: it was open on days 2, 3 and
    # 4 when the others were won. Day 2: 2 of 7 won; day 3: 1 of 5; day 4: 1 of 4.
    model = one_stage_model(**{"7": [(TODAY - 6, LEADS)]})
    expected = 2 / 7 + (5 / 7) * (1 / 5) + (4 / 7) * (1 / 4)
    assert expected == pytest.approx(4 / 7)
    assert model.stages[LEADS].win_probability == pytest.approx(4 / 7)  # not 4 / 6
    assert (model.stages[LEADS].won, model.stages[LEADS].lost) == (4, 2)


def test_with_few_deals_left_the_old_ages_share_one_constant_chance():
    # min_samples=5: from day 2 on fewer than 5 of the 6 decisions are left to learn each
    # day's chance from, so days 2 and later share one chance per day, pooled: 4 won and
    # 2 lost in 27 deal-days open (2 + 2 + 3 + 9 + 11) from day 2 on.
    model = one_stage_model(min_samples=5)
    won, lost = 4 / 27, 2 / 27
    stays = 1 - won - lost
    # A deal on its 40th day, older than every deal seen, gets that chance every day.
    chance = won / (won + lost) * (1 - stays**30)
    assert model.chance_won_within(LEADS, 40, 30)[0] == pytest.approx(chance)
    assert model.chance_won_within(LEADS, 5, 30)[0] == pytest.approx(chance)


def test_a_deal_is_conditioned_on_its_stay_in_its_stage_then_moves_on():
    # Leads: A and B move on after 1 day, C after 5, D is lost after 5. Proposal: A and C
    # are won after 2 days there, B lost after 2.
    paths = {
        1: [(10, LEADS), (11, PROPOSAL), (13, WON)],
        2: [(20, LEADS), (21, PROPOSAL), (23, LOST)],
        3: [(30, LEADS), (35, PROPOSAL), (37, WON)],
        4: [(40, LEADS), (45, LOST)],
    }
    log, values = board(paths, TWO_STAGES)
    model = learn_model(log, values, today=TODAY, min_samples=1)
    assert model.stages[LEADS].next_stage_id == PROPOSAL
    assert model.stages[PROPOSAL].win_probability == pytest.approx(2 / 3)
    # Just reached Leads: moves on with 2/4 + 2/4 x 1/2, then is won with 2/3.
    assert model.stages[LEADS].win_probability == pytest.approx(3 / 4 * 2 / 3)
    # On its 3rd day in Leads, like C and D: moves on 2 days later with 1/2, and is won
    # 2 days after that with 2/3 (day 4 from today): within 5 days, not within 4.
    assert model.chance_won_within(LEADS, 3, 5)[0] == pytest.approx(1 / 3)
    assert model.chance_won_within(LEADS, 3, 4)[0] == 0
    # Just arrived in Leads: won on day 3 (1 + 2) with 2/4 x 2/3, or day 7 with 1/4 x 2/3.
    assert model.chance_won_within(LEADS, 0, 4)[0] == pytest.approx(1 / 3)
    assert model.chance_won_within(LEADS, 0, 8)[0] == pytest.approx(1 / 2)
    # New deals go the same way: one a day for 4 days, each worth 100.
    arriving = RevenueModel(model.stages, LEADS, 7.0, np.array([100.0]))
    f = forecast_revenue(arriving, [], 4, trials=100, seed=2)
    # Arriving on day 0 it has the 4 days (1/3), on days 1..3 fewer than 4 (0).
    assert f.expected_new == pytest.approx(100 / 3)


def test_chances_are_shares_of_value():
    # A big deal lost and a small one won, both after 2 days: 10% of the value was won.
    paths = {1: [(10, LEADS), (12, LOST)], 2: [(20, LEADS), (22, WON)]}
    log, values = board(paths, ONE_STAGE, {1: 9000.0, 2: 1000.0})
    leads = learn_model(log, values, today=TODAY, min_samples=1).stages[LEADS]
    assert (leads.won, leads.lost) == (1, 1)
    assert leads.win_probability == pytest.approx(0.1)
