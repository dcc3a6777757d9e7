"""Aggregates: the split rules (pure) and the Monte Carlo lead time of an aggregate's children,
on hand-computed examples."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pullplan.analytics.aggregate_forecast import aggregate_lead_time
from pullplan.domain.aggregates import (
    MAX_OFFSET_DAYS,
    TemplateChild,
    TemplateProblem,
    parent_becomes_done,
    plan_children,
    progress,
    splits_on_move,
)
from pullplan.domain.board import Board, ClassOfService, Stage, StageKind

D = dt.date
K = StageKind
BOARD = Board(
    id=1,
    name="Marketing",
    stages=(
        Stage(1, "Ideas", K.OPTION, 0),
        Stage(2, "Requested", K.OPTION, 1),
        Stage(3, "Doing", K.COMMITTED, 2),
        Stage(4, "Done", K.DONE, 3),
        Stage(5, "Discarded", K.DISCARDED, 4),
    ),
)


def _plan(template, due=D(2026, 12, 31), cos=ClassOfService.FIXED_DATE):
    return plan_children(
        BOARD,
        parent_title="Spring launch",
        parent_work_type_id=7,
        parent_class=cos,
        parent_due=due,
        parent_owner_id=3,
        template=template,
    )


def test_a_parent_splits_only_when_it_crosses_the_commitment_point():
    assert splits_on_move(BOARD, 2, 3)  # Requested -> Doing
    assert splits_on_move(BOARD, 1, 3)
    assert not splits_on_move(BOARD, 1, 2)  # still an option
    assert not splits_on_move(BOARD, 3, 3)
    assert not splits_on_move(BOARD, 2, 4)  # straight to done: nothing left to split
    assert not splits_on_move(BOARD, 3, 2)  # back upstream


def test_children_inherit_class_and_owner_and_are_due_by_their_offsets():
    plans = _plan(
        [
            TemplateChild("Brief", work_type_id=9, offset_days=-14),
            TemplateChild("Landing page", stage_name="requested", offset_days=-7),
            TemplateChild("Launch"),
        ]
    )
    assert [p.title for p in plans] == [
        "Spring launch: Brief",
        "Spring launch: Landing page",
        "Spring launch: Launch",
    ]
    assert [p.due_date for p in plans] == [D(2026, 12, 17), D(2026, 12, 24), D(2026, 12, 31)]
    assert [p.stage_id for p in plans] == [1, 2, 1]  # named stage, else the first option stage
    assert [p.work_type_id for p in plans] == [9, 7, 7]
    assert {(p.class_of_service, p.owner_id) for p in plans} == {(ClassOfService.FIXED_DATE, 3)}


def test_a_parent_without_a_due_date_has_standard_children_without_one():
    plans = _plan([TemplateChild("Brief", offset_days=-14)], due=None)
    assert plans[0].due_date is None and plans[0].class_of_service == ClassOfService.STANDARD


@pytest.mark.parametrize(
    "child, words",
    [
        (TemplateChild("Brief", stage_name="Backlog"), "has no stage 'Backlog'"),
        (TemplateChild("Brief", stage_name="Done"), "cannot start in the done stage"),
    ],
)
def test_a_template_that_does_not_fit_the_board_says_why(child, words):
    with pytest.raises(TemplateProblem, match=words):
        _plan([child])
    with pytest.raises(TemplateProblem, match="no children"):
        _plan([])


def test_progress_counts_done_children_and_lets_discarded_ones_go():
    p = progress([K.DONE, K.COMMITTED, K.DISCARDED, K.OPTION])
    assert (p.done, p.total, p.discarded, p.label) == (1, 3, 1, "1 of 3 done")
    assert not p.complete
    done = progress([K.DONE, K.DISCARDED, K.DONE])
    assert done.complete and done.label == "2 of 2 done"
    assert parent_becomes_done(K.COMMITTED, done)
    assert not parent_becomes_done(K.DONE, done)  # already done: nothing to do
    assert not parent_becomes_done(K.COMMITTED, progress([K.DISCARDED]))  # nothing left to finish


# --- the Monte Carlo lead time of an aggregate ------------------------------------------------


def test_one_child_with_one_cycle_time_is_that_cycle_time():
    assert aggregate_lead_time([[9]], [0], 85).days == 9


def test_the_lead_time_is_the_slowest_child_with_its_offset():
    # Children of constant 10, 4 and 3 days, due 0, 14 and 20 days before the parent: the
    # parent needs max(10 - 0, 4 + 14, 3 + 20) = 23 days before its due date.
    assert aggregate_lead_time([[10], [4], [3]], [0, -14, -20], 50).days == 23


def test_the_percentile_of_the_maximum_of_two_children():
    # Each child takes 1 or 3 days (half each): max is 1 with probability 1/4, else 3. So
    # the 20th percentile is 1 day and the 30th and 85th are 3 days.
    samples = [[1, 3], [1, 3]]
    assert aggregate_lead_time(samples, [0, 0], 20, trials=20_000).days == 1
    assert aggregate_lead_time(samples, [0, 0], 30, trials=20_000).days == 3
    assert aggregate_lead_time(samples, [0, 0], 85, trials=20_000).days == 3


def test_more_children_need_more_time():
    history = list(range(1, 21))
    one = aggregate_lead_time([history], [0], 83).days
    five = aggregate_lead_time([history] * 5, [0] * 5, 83).days
    assert one == 17  # the single item's LT_83: the smallest x with x / 20 >= 0.83
    assert five == 20  # (x / 20) ** 5 >= 0.83 needs x / 20 >= 0.963: 20 days


def test_the_forecast_is_seeded_and_reproducible():
    rng = np.random.default_rng(3)
    samples = [rng.integers(1, 40, size=30).tolist() for _ in range(4)]
    first = aggregate_lead_time(samples, [0, -3, -7, 0], 85, seed=11)
    assert aggregate_lead_time(samples, [0, -3, -7, 0], 85, seed=11) == first


@pytest.mark.parametrize(
    "samples, offsets",
    [([], []), ([[1]], [0, 0]), ([[1], []], [0, 0])],
)
def test_bad_forecast_input_is_refused(samples, offsets):
    with pytest.raises(ValueError):
        aggregate_lead_time(samples, offsets, 85)


@given(
    st.lists(st.lists(st.integers(1, 60), min_size=1, max_size=8), min_size=1, max_size=5),
    st.integers(1, 100),
)
def test_the_aggregate_never_needs_less_than_any_childs_own_percentile(samples, p):
    whole = aggregate_lead_time(samples, [0] * len(samples), p, trials=2_000, seed=1).days
    assert whole <= max(max(s) for s in samples)
    assert whole >= min(min(s) for s in samples)


@given(st.lists(st.sampled_from(list(K)), max_size=12))
def test_progress_invariants(kinds):
    p = progress(kinds)
    assert 0 <= p.done <= p.total == len(kinds) - kinds.count(K.DISCARDED)
    assert p.complete == (p.total > 0 and all(k in (K.DONE, K.DISCARDED) for k in kinds))
    assert parent_becomes_done(K.COMMITTED, p) == p.complete


@given(
    st.lists(st.integers(-MAX_OFFSET_DAYS, MAX_OFFSET_DAYS), min_size=1, max_size=8),
    st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 1, 1)),
)
def test_each_child_is_due_its_offset_from_the_parent(offsets, due):
    plans = _plan([TemplateChild(f"Child {n}", offset_days=o) for n, o in enumerate(offsets)], due=due)
    assert [p.due_date - due for p in plans] == [dt.timedelta(days=o) for o in offsets]
    assert all(p.stage_id == 1 and p.title.startswith("Spring launch: ") for p in plans)
