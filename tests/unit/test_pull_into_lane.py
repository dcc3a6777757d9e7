"""decide_pull with `to_lane_id`: a pull into a lane of a stage counts against that lane."""

from __future__ import annotations

from test_pull_policy import DOING, EXPEDITE_LANE, READY, REVIEW, STANDARD_LANE, codes, item, make_board, wip

from pullplan.domain.board import Lane
from pullplan.domain.pull_policy import PullOutcome, decide_pull

LANES = (Lane(STANDARD_LANE, "Standard", 1, wip_limit=1), Lane(EXPEDITE_LANE, "Urgent", 2, wip_limit=1))


def test_a_pull_into_a_full_lane_is_refused_and_says_so():
    board = make_board(lanes=LANES)
    counts = wip(DOING, 1, lane_id=EXPEDITE_LANE)
    moving = item(READY, lane_id=STANDARD_LANE)

    assert decide_pull(board, moving, DOING, counts).allowed  # its own lane has room
    decision = decide_pull(board, moving, DOING, counts, to_lane_id=EXPEDITE_LANE)

    assert decision.outcome == PullOutcome.REFUSED
    assert codes(decision) == ["lane_wip"]
    assert "Urgent lane has 1 of 1" in decision.reasons[0]


def test_a_move_between_committed_stages_checks_the_new_lane_but_not_the_old():
    board = make_board(lanes=LANES)
    moving = item(DOING, lane_id=STANDARD_LANE)
    counts = wip(REVIEW, 1, lane_id=EXPEDITE_LANE) + wip(DOING, 1, lane_id=STANDARD_LANE)

    assert decide_pull(board, moving, REVIEW, counts).allowed  # a committed-to-committed move
    assert codes(decide_pull(board, moving, REVIEW, counts, to_lane_id=EXPEDITE_LANE)) == ["lane_wip"]
    assert decide_pull(board, moving, REVIEW, counts, to_lane_id=None).allowed  # no lane: no lane limit


def test_the_same_lane_is_no_lane_change():
    board = make_board(lanes=LANES)
    moving = item(DOING, lane_id=STANDARD_LANE)
    counts = wip(DOING, 1, lane_id=STANDARD_LANE)
    assert decide_pull(board, moving, REVIEW, counts, to_lane_id=STANDARD_LANE).allowed
