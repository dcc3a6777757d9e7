"""The cumulative flow diagram never goes down, whatever the log says (hypothesis)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from flow_example import STAGES
from hypothesis import given, settings
from hypothesis import strategies as st

from pullplan.analytics import FlowLog, cumulative_flow, wip

STAGE_IDS = [sid for sid, _, _ in STAGES]
NON_DISCARDED = [sid for sid, kind, _ in STAGES if kind != "discarded"]
T0 = dt.datetime(2024, 1, 1)


@st.composite
def rows(draw, forward_only: bool = False):
    out = []
    for item in range(1, draw(st.integers(1, 12)) + 1):
        t = T0 + dt.timedelta(hours=draw(st.integers(0, 24 * 20)))
        if forward_only:
            path = sorted(draw(st.lists(st.sampled_from(NON_DISCARDED), min_size=1, max_size=6, unique=True)))
        else:
            path = draw(st.lists(st.sampled_from(STAGE_IDS), min_size=1, max_size=9))
        for k, stage in enumerate(path):
            out.append((item, t, "created" if k == 0 else "moved", stage))
            t += dt.timedelta(hours=draw(st.integers(0, 72)))
    return out


@settings(max_examples=200, deadline=None)
@given(rows(), st.integers(-5, 10), st.integers(0, 30))
def test_no_line_ever_goes_down(transitions, start_offset, length):
    log = FlowLog.from_rows(transitions, STAGES)
    start = T0.date() + dt.timedelta(days=start_offset)
    cfd = cumulative_flow(log, start=start, end=start + dt.timedelta(days=length))
    a = cfd.arrivals
    assert (np.diff(a, axis=0) >= 0).all()  # never down over time
    assert (np.diff(a, axis=1) <= 0).all()  # a later stage's line is never above an earlier one's
    arrived = log.facts.arrived_day <= start.toordinal() - dt.date(1970, 1, 1).toordinal() + length
    assert a[-1, 0] == arrived.sum()


@settings(max_examples=100, deadline=None)
@given(rows(forward_only=True))
def test_when_items_only_move_forward_the_bands_are_the_wip_of_each_stage(transitions):
    log = FlowLog.from_rows(transitions, STAGES)
    cfd = cumulative_flow(log)
    bands = -np.diff(cfd.arrivals, axis=1, append=0)
    assert cfd.stage_ids.tolist() == log.stage_ids.tolist()  # no discarded stage out of place here
    assert bands.tolist() == wip(log).by_stage.tolist()
