"""Every flow metric on the hand-worked example of flow_example.py (window d0..d9)."""

from __future__ import annotations

import numpy as np
import pytest
from flow_example import DISCARDED, DOING, DONE, IDEAS, READY, REVIEW, SHIPPED, STAGES, at, day

from pullplan.analytics import (
    FlowLog,
    aging_wip,
    cumulative_flow,
    cycle_times,
    daily_throughput,
    flow_efficiency,
    flow_metrics,
    littles_law,
    throughput,
    wip,
    wip_breaches,
    work_item_age,
)

WINDOW = {"start": day(0), "end": day(9)}
H = 3600


def test_wip_of_the_system_counts_an_item_from_its_commit_date_to_its_done_date(log):
    # 1: d2-d5, 2: d1-d7, 3: d3-, 4: d3-d6 (discarded), 5: d6
    assert wip(log, **WINDOW).committed.tolist() == [0, 1, 2, 4, 4, 4, 4, 2, 1, 1]


def test_wip_per_stage_is_where_items_stand_at_the_end_of_each_day(log):
    w = wip(log, **WINDOW)
    assert w.stage_ids.tolist() == [IDEAS, READY, DOING, REVIEW, DONE, SHIPPED, DISCARDED]
    assert w.by_stage.tolist() == [
        [3, 0, 0, 0, 0, 0, 0],
        [2, 1, 1, 0, 0, 0, 0],  # 2 was created in Ready and pulled into Doing the same day
        [3, 0, 2, 0, 0, 0, 0],
        [1, 0, 4, 0, 0, 0, 0],
        [1, 0, 2, 2, 0, 0, 0],
        [1, 0, 2, 1, 1, 0, 0],
        [1, 0, 1, 1, 2, 0, 1],
        [1, 0, 1, 0, 3, 0, 1],
        [1, 0, 1, 0, 2, 1, 1],
        [1, 0, 1, 0, 2, 1, 1],
    ]
    assert str(w.days[0]) == "2024-03-01" and w.days.size == 10


def test_throughput_per_day_counts_zero_days(log):
    t = throughput(log, **WINDOW)
    assert t.per_day.tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 0, 0]
    assert t.total == 3
    assert daily_throughput(log, **WINDOW).tolist() == t.per_day.tolist()


def test_throughput_per_week_runs_monday_to_sunday(log):
    t = throughput(log, **WINDOW)
    # 2024-03-01 is a Friday: its week has three days of the window.
    assert [str(d) for d in t.week_starts] == ["2024-02-26", "2024-03-04"]
    assert t.per_week.tolist() == [0, 3]
    assert t.days_in_week.tolist() == [3, 7]


def test_cycle_time_is_done_minus_commit_plus_one(log):
    ct = cycle_times(log, **WINDOW)
    assert ct.item_ids.tolist() == [1, 2, 5]
    # 2 committed d1 and finished d7, its later move to Shipped (also done) does not count;
    # 5 was committed and done the same day: 1 day, never 0.
    assert ct.days.tolist() == [4, 7, 1]
    assert ct.percentiles == {50: 4, 70: 7, 85: 7, 95: 7}
    assert [str(d) for d in ct.done_days] == ["2024-03-06", "2024-03-08", "2024-03-07"]


def test_work_item_age_counts_the_commit_day(log):
    ages = work_item_age(log, as_of=day(9))
    assert ages.item_ids.tolist() == [3]
    assert ages.ages.tolist() == [7]  # committed d3: d3..d9
    on_d5 = work_item_age(log, as_of=day(5))
    assert dict(zip(on_d5.item_ids.tolist(), on_d5.ages.tolist(), strict=True)) == {2: 5, 3: 3, 4: 3}
    assert dict(zip(on_d5.item_ids.tolist(), on_d5.stage_ids.tolist(), strict=True)) == {
        2: REVIEW,
        3: DOING,
        4: DOING,
    }


def test_aging_wip_lines_are_the_ages_at_which_finished_items_left_each_stage(log):
    aging = aging_wip(log, start=day(0), as_of=day(9))
    assert aging.stage_ids.tolist() == [DOING, REVIEW]
    # left Doing (first reached Review or later): 1 at age 3, 2 at age 5, 5 at age 1
    assert aging.stage_percentiles[DOING] == {50: 3, 70: 5, 85: 5, 95: 5}
    # left Review (first reached Done): 1 at 4, 2 at 7, 5 at 1
    assert aging.stage_percentiles[REVIEW] == {50: 4, 70: 7, 85: 7, 95: 7}
    assert aging.cycle_time_percentiles == {50: 4, 70: 7, 85: 7, 95: 7}
    assert aging.ages.ages.tolist() == [7]


def test_cumulative_flow_counts_first_arrival_in_a_stage_or_a_later_one(log):
    cfd = cumulative_flow(log, **WINDOW)
    assert cfd.stage_ids.tolist() == [IDEAS, READY, DOING, REVIEW, DONE, SHIPPED, DISCARDED]
    assert cfd.arrivals.tolist() == [
        [3, 0, 0, 0, 0, 0, 0],
        [4, 2, 1, 0, 0, 0, 0],
        [5, 2, 2, 0, 0, 0, 0],
        [5, 4, 4, 0, 0, 0, 0],
        [5, 4, 4, 2, 0, 0, 0],  # 4 reached Review on d4; going back on d5 takes nothing away
        [5, 4, 4, 3, 1, 0, 0],
        [6, 5, 5, 4, 3, 1, 1],  # discarded (last in the flow) passes every line before it
        [6, 5, 5, 4, 4, 1, 1],
        [6, 5, 5, 4, 4, 2, 1],
        [6, 5, 5, 4, 4, 2, 1],
    ]
    bands = -np.diff(cfd.arrivals[-1], append=0)
    # the gap between two lines is the stage's WIP at the end of the day
    assert bands.tolist() == wip(log, **WINDOW).by_stage[-1].tolist()


def test_cumulative_flow_starts_from_what_happened_before_the_window(log):
    cfd = cumulative_flow(log, start=day(6), end=day(9))
    assert cfd.arrivals[0].tolist() == [6, 5, 5, 4, 3, 1, 1]


def test_flow_efficiency_counts_blocked_time_between_commit_and_done(log):
    fe = flow_efficiency(log, **WINDOW)
    assert fe.item_ids.tolist() == [1, 2, 5]
    # 1 was blocked only before it was committed; 2 was blocked 24 h (its second "blocked"
    # changed nothing); 5 took 3 hours.
    assert fe.blocked_seconds.tolist() == [0, 24 * H, 0]
    assert fe.active_seconds.tolist() == [3 * 24 * H, 6 * 24 * H - H - 24 * H, 3 * H]
    assert fe.overall == pytest.approx((72 + 119 + 3) / (72 + 143 + 3))
    assert fe.per_item.tolist() == pytest.approx([1.0, 119 / 143, 1.0])


def test_flow_efficiency_runs_an_open_block_until_done():
    rows = [
        (1, at(0), "created", 3),
        (1, at(1), "blocked", None),
        (1, at(3), "moved", 5, 3),
    ]
    fe = flow_efficiency(FlowLog.from_rows(rows, STAGES))
    assert fe.blocked_seconds.tolist() == [48 * H]
    assert fe.active_seconds.tolist() == [24 * H]


def test_wip_breaches_list_overrides_with_reasons_and_warnings(log):
    b = wip_breaches(log, **WINDOW)
    assert [(x.item_id, x.overridden, x.reason) for x in b.breaches] == [
        (3, True, "Customer escalation"),  # the override row, not also its move
        (4, False, None),
    ]
    assert b.by_code == {"stage_wip": 2}
    assert b.by_stage == {DOING: 2}
    assert b.by_reason == {"Customer escalation": 1}
    assert (b.overridden, b.warned) == (1, 1)
    assert str(b.breaches[0].date) == "2024-03-04"
    assert wip_breaches(log, start=day(4), end=day(9)).breaches == ()


def test_littles_law_is_a_check_with_its_assumptions(log):
    ll = littles_law(log, **WINDOW)
    assert ll.average_wip == pytest.approx(23 / 10)
    assert ll.average_throughput == pytest.approx(3 / 10)
    assert ll.average_cycle_time == pytest.approx(4.0)
    assert ll.implied_cycle_time == pytest.approx(23 / 3)
    held = {a.statement.split(":")[0]: a.holds for a in ll.assumptions}
    assert held["Every committed item finishes"] is False  # 4 was discarded
    assert held["The window holds whole cycle times"] is False  # 3 is still in progress
    assert not ll.holds
    assert "never a forecast" in ll.statement


def test_littles_law_holds_exactly_when_the_window_holds_whole_cycle_times():
    rows = [
        (1, at(1), "created", 3),
        (1, at(3), "moved", 5, 3),  # 3 days
        (2, at(2), "created", 3),
        (2, at(2, 15), "moved", 5, 3),  # 1 day
        (3, at(2), "created", 3),
        (3, at(5), "moved", 5, 3),  # 4 days
    ]
    ll = littles_law(FlowLog.from_rows(rows, STAGES), start=day(0), end=day(6))
    assert ll.average_wip == pytest.approx(8 / 7)
    assert ll.implied_cycle_time == pytest.approx(ll.average_cycle_time) == pytest.approx(8 / 3)
    held = {a.statement.split(":")[0]: a.holds for a in ll.assumptions}
    assert held["The window holds whole cycle times"] and held["Every committed item finishes"]


def test_filters_by_work_type_class_and_lane(log):
    standard = log.select(class_of_service="standard")
    assert log.item_ids[standard].tolist() == [1, 3, 5, 6]
    assert throughput(log, items=standard, **WINDOW).total == 2
    assert cycle_times(log, items=standard, **WINDOW).days.tolist() == [4, 1]
    deals = log.select(work_type="Deal")
    assert cycle_times(log, items=deals, **WINDOW).days.tolist() == [7, 1]
    lane_1 = log.select(lane=1, class_of_service={"standard", "fixed_date"})
    assert wip(log, items=lane_1, **WINDOW).committed.tolist() == [0, 0, 1, 3, 3, 3, 2, 1, 1, 1]
    assert wip_breaches(log, items=log.select(work_type="Content"), **WINDOW).by_code == {"stage_wip": 1}
    assert cycle_times(log, items=[2], **WINDOW).days.tolist() == [7]


def test_an_unknown_attribute_is_named(log):
    with pytest.raises(ValueError, match="^owner:"):
        log.select(owner=3)


def test_date_range_filter(log):
    assert throughput(log, start=day(6), end=day(9)).per_day.tolist() == [1, 1, 0, 0]
    assert cycle_times(log, start=day(6), end=day(9)).item_ids.tolist() == [2, 5]
    with pytest.raises(ValueError, match="^end:"):
        throughput(log, start=day(6), end=day(5))


def test_flow_metrics_computes_every_metric_of_the_window(log):
    m = flow_metrics(log, **WINDOW)
    assert m.throughput.total == 3
    assert m.cycle_times.days.tolist() == [4, 7, 1]
    assert m.aging.ages.ages.tolist() == [7]
    assert m.cumulative_flow.arrivals[-1].tolist() == [6, 5, 5, 4, 4, 2, 1]
    assert m.flow_efficiency.blocked_seconds.sum() == 24 * H
    assert len(m.breaches.breaches) == 2
    assert m.littles_law.average_wip == pytest.approx(2.3)


def test_an_empty_log_gives_empty_metrics():
    empty = FlowLog.from_rows([], STAGES)
    m = flow_metrics(empty, start=day(0), end=day(2))
    assert m.throughput.per_day.tolist() == [0, 0, 0]
    assert m.cycle_times.percentiles[85] is None
    assert m.wip.committed.tolist() == [0, 0, 0]
    assert m.flow_efficiency.overall is None
