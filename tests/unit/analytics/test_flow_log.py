"""Building a FlowLog: from rows or columns, in any order, in the workspace's time zone; and
what it derives per item agrees with pullplan.domain.history."""

from __future__ import annotations

import datetime as dt
import random
from types import SimpleNamespace

import numpy as np
import pytest
from flow_example import DAY0, DOING, DONE, IDEAS, ITEMS, REVIEW, ROWS, STAGES, at
from hypothesis import given, settings
from hypothesis import strategies as st

from pullplan.analytics import FlowLog, cycle_times, flow_metrics
from pullplan.analytics.flowlog import NEVER
from pullplan.domain.board import Stage, StageKind
from pullplan.domain.history import blocked_time, commit_date, done_date
from pullplan.domain.items import Transition, TransitionKind

KINDS = {sid: StageKind(kind) for sid, kind, _ in STAGES}


def test_rows_may_be_objects_like_transition_rows_and_stages_domain_stages(log):
    rows = [
        SimpleNamespace(
            item_id=r[0],
            at=r[1].replace(tzinfo=dt.UTC),
            kind=TransitionKind(r[2]),
            to_stage_id=r[3],
            from_stage_id=r[4] if len(r) > 4 else None,
            reason=r[5] if len(r) > 5 else None,
            details=r[6] if len(r) > 6 else {},
        )
        for r in ROWS
    ]
    stages = [Stage(sid, f"S{sid}", StageKind(kind), pos) for sid, kind, pos in STAGES]
    items = [SimpleNamespace(id=i, work_type_id=w, class_of_service=c, lane_id=ln) for i, w, c, ln in ITEMS]
    other = FlowLog.from_rows(rows, stages, items=items)
    assert _same(other, log)
    assert other.breaches == log.breaches
    assert (
        other.select(class_of_service="standard").tolist() == log.select(class_of_service="standard").tolist()
    )


def test_from_arrays_equals_from_rows(log):
    other = FlowLog.from_arrays(
        item_ids=[r[0] for r in ROWS],
        at=np.array([r[1] for r in ROWS], dtype="datetime64[s]"),
        kinds=[r[2] for r in ROWS],
        to_stage_ids=[r[3] for r in ROWS],
        stages=STAGES,
    )
    assert _same(other, log)


def test_row_order_does_not_matter(log):
    rows = list(ROWS)
    random.Random(4).shuffle(rows)
    shuffled = FlowLog.from_rows(rows, STAGES)
    assert _same(shuffled, log, exact=False)
    assert (
        flow_metrics(shuffled).cumulative_flow.arrivals.tolist()
        == flow_metrics(log).cumulative_flow.arrivals.tolist()
    )


def test_days_are_calendar_days_in_the_workspace_time_zone():
    rows = [(1, at(0, 2), "created", DOING), (1, at(2, 23, 30), "moved", DONE, DOING)]
    utc = FlowLog.from_rows(rows, STAGES)
    new_york = FlowLog.from_rows(rows, STAGES, tz=dt.timezone(dt.timedelta(hours=-5)))
    tokyo = FlowLog.from_rows(rows, STAGES, tz=dt.timezone(dt.timedelta(hours=9)))
    assert cycle_times(utc).days.tolist() == [3]
    assert cycle_times(new_york).days.tolist() == [4]  # committed the evening before, in New York
    assert cycle_times(tokyo).days.tolist() == [4]  # done the next morning, in Tokyo
    assert (new_york.day - DAY0).tolist() == [-1, 2]


def test_an_unknown_stage_is_named():
    with pytest.raises(ValueError, match="^to_stage_id: stage 99"):
        FlowLog.from_rows([(1, at(0), "created", 99)], STAGES)


def test_an_unknown_kind_is_named():
    with pytest.raises(ValueError, match="^kind: 'teleported'"):
        FlowLog.from_rows([(1, at(0), "teleported", IDEAS)], STAGES)


def test_columns_of_different_lengths_are_named():
    with pytest.raises(ValueError, match="^at:"):
        FlowLog.from_arrays(item_ids=[1, 2], at=[0], kinds=[0, 0], to_stage_ids=[1, 1], stages=STAGES)


def test_an_item_mask_of_the_wrong_size_is_named(log):
    with pytest.raises(ValueError, match="^items:"):
        flow_metrics(log, items=np.ones(2, dtype=bool))


def _same(a: FlowLog, b: FlowLog, exact: bool = True) -> bool:
    """Same items, entries and facts (`exact`: entries in the same order, which rows at the
    same instant need not be)."""
    fa, fb = a.facts, b.facts

    def entries(x: FlowLog):
        e = list(zip(x.item.tolist(), x.at.tolist(), x.day.tolist(), x.kind.tolist(), strict=True))
        return e if exact else sorted(e)

    return (
        a.item_ids.tolist() == b.item_ids.tolist()
        and entries(a) == entries(b)
        and all(getattr(fa, f).tolist() == getattr(fb, f).tolist() for f in fa.__dataclass_fields__)
    )


# ----------------------------------------------------------------- against the domain

STAGE_IDS = [sid for sid, _, _ in STAGES]


@st.composite
def logs(draw):
    """Random logs: items moving anywhere (backwards, to done, discarded and back), blocks."""
    transitions = []
    for item in range(1, draw(st.integers(1, 6)) + 1):
        t = dt.datetime(2024, 1, 1) + dt.timedelta(hours=draw(st.integers(0, 200)))
        transitions.append(
            Transition(item, t, TransitionKind.CREATED, to_stage_id=draw(st.sampled_from(STAGE_IDS)))
        )
        for _ in range(draw(st.integers(0, 8))):
            t += dt.timedelta(hours=draw(st.integers(0, 40)))
            kind = draw(
                st.sampled_from(
                    [TransitionKind.MOVED] * 3
                    + [TransitionKind.BLOCKED, TransitionKind.UNBLOCKED, TransitionKind.EDITED]
                )
            )
            to = draw(st.sampled_from(STAGE_IDS)) if kind == TransitionKind.MOVED else None
            transitions.append(Transition(item, t, kind, to_stage_id=to))
    return transitions


@settings(max_examples=150, deadline=None)
@given(logs())
def test_commit_and_done_dates_agree_with_the_domain_history(transitions):
    flow = FlowLog.from_rows(transitions, STAGES)
    f = flow.facts
    for i, item in enumerate(flow.item_ids.tolist()):
        mine = [t for t in transitions if t.item_id == item]
        commit, done = commit_date(mine, KINDS), done_date(mine, KINDS)
        expect_commit = NEVER if commit is None else (commit.date() - dt.date(1970, 1, 1)).days
        expect_done = NEVER if done is None else (done.date() - dt.date(1970, 1, 1)).days
        assert f.commit_day[i] == expect_commit
        assert f.done_day[i] == expect_done


@settings(max_examples=150, deadline=None)
@given(logs())
def test_blocked_intervals_agree_with_the_domain_history(transitions):
    flow = FlowLog.from_rows(transitions, STAGES)
    now = dt.datetime(2025, 1, 1)
    end_s = int((now - dt.datetime(1970, 1, 1)).total_seconds())
    it, start, end = flow.blocked_intervals
    total = np.bincount(it, weights=np.minimum(end, end_s) - start, minlength=flow.n_items)
    for i, item in enumerate(flow.item_ids.tolist()):
        mine = [t for t in transitions if t.item_id == item]
        assert total[i] == blocked_time(mine, now).total_seconds()


def test_cfd_order_puts_discarded_stages_last():
    stages = [(1, "option", 1), (9, "discarded", 2), (2, "committed", 3), (3, "done", 4)]
    flow = FlowLog.from_rows([(1, at(0), "created", 1)], stages)
    assert flow.stage_ids[np.argsort(flow.cfd_rank)].tolist() == [1, 2, 3, 9]
    assert REVIEW not in flow.stage_ids.tolist()
