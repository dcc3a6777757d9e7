"""decide_pull and decide_change on hand-built boards: every limit, every rule, in words."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from pullplan.domain.board import (
    Board,
    CapacityAllocation,
    ClassOfService,
    Lane,
    Stage,
    StageKind,
    WipMode,
)
from pullplan.domain.items import WipEntry, WorkItem
from pullplan.domain.pull_policy import PullOutcome, Severity, decide_change, decide_pull

EXPEDITE = ClassOfService.EXPEDITE
FIXED_DATE = ClassOfService.FIXED_DATE
STANDARD = ClassOfService.STANDARD
INTANGIBLE = ClassOfService.INTANGIBLE

# Stage ids of the board used throughout: two option stages, two committed, done, discarded.
IDEAS, READY, DOING, REVIEW, DONE, DISCARDED = 1, 2, 3, 4, 5, 6
STANDARD_LANE, EXPEDITE_LANE = 10, 11
ALICE, BOB = 100, 101


def make_board(
    *,
    ready: dict | None = None,
    doing: dict | None = None,
    review: dict | None = None,
    lanes: tuple[Lane, ...] = (),
    **board_fields,
) -> Board:
    """Ideas → Ready (limit 3) → Doing (limit 3) → Review (limit 2) → Done, and Discarded."""
    stages = (
        Stage(IDEAS, "Ideas", StageKind.OPTION, 1),
        Stage(READY, "Ready", StageKind.OPTION, 2, **{"wip_limit": 3, **(ready or {})}),
        Stage(DOING, "Doing", StageKind.COMMITTED, 3, **{"wip_limit": 3, **(doing or {})}),
        Stage(REVIEW, "Review", StageKind.COMMITTED, 4, **{"wip_limit": 2, **(review or {})}),
        Stage(DONE, "Done", StageKind.DONE, 5),
        Stage(DISCARDED, "Discarded", StageKind.DISCARDED, 6),
    )
    return Board(1, "Marketing", stages, lanes=lanes, **board_fields)


def item(stage_id: int = READY, *, id: int = 1, **fields) -> WorkItem:
    fields.setdefault("created_at", datetime(2024, 3, 1, 9))
    return WorkItem(id=id, board_id=1, stage_id=stage_id, title=f"Item {id}", **fields)


_next_id = iter(range(1000, 100_000))


def wip(stage_id: int, n: int = 1, **fields) -> list[WipEntry]:
    """`n` other items in a stage."""
    return [WipEntry(item_id=next(_next_id), stage_id=stage_id, **fields) for _ in range(n)]


def codes(decision) -> list[str]:
    return [f.code for f in decision.findings]


# --- stage WIP in each mode -----------------------------------------------------------------


def test_a_pull_into_a_stage_with_room_is_allowed():
    decision = decide_pull(make_board(), item(READY), DOING, wip(DOING, 2))
    assert decision.outcome == PullOutcome.ALLOWED
    assert decision.allowed
    assert decision.findings == ()


def test_stage_wip_in_warn_mode_warns_and_the_move_is_allowed():
    board = make_board(doing={"wip_mode": WipMode.WARN})
    decision = decide_pull(board, item(READY), DOING, wip(DOING, 3))
    assert decision.outcome == PullOutcome.WARN
    assert decision.allowed
    assert codes(decision) == ["stage_wip"]
    (message,) = decision.reasons
    assert "Doing" in message and "3 of 3" in message and "4" in message


def test_stage_wip_in_reason_mode_needs_a_reason():
    board = make_board(doing={"wip_mode": WipMode.REASON})
    decision = decide_pull(board, item(READY), DOING, wip(DOING, 3))
    assert decision.outcome == PullOutcome.NEEDS_REASON
    assert not decision.allowed
    assert not decision.override
    assert codes(decision) == ["stage_wip"]


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_a_blank_reason_is_no_reason(blank):
    board = make_board(doing={"wip_mode": WipMode.REASON})
    decision = decide_pull(board, item(READY), DOING, wip(DOING, 3), reason=blank)
    assert decision.outcome == PullOutcome.NEEDS_REASON


def test_stage_wip_in_reason_mode_is_an_override_when_a_reason_is_given():
    board = make_board(doing={"wip_mode": WipMode.REASON})
    decision = decide_pull(board, item(READY), DOING, wip(DOING, 3), reason="Launch is Friday")
    assert decision.allowed
    assert decision.override is True
    assert codes(decision) == ["stage_wip"]


def test_stage_wip_in_block_mode_refuses_the_pull():
    decision = decide_pull(make_board(), item(READY), DOING, wip(DOING, 3), reason="please")
    assert decision.outcome == PullOutcome.REFUSED
    assert not decision.allowed
    (message,) = decision.reasons
    assert "Doing" in message and "3 of 3" in message and "would make it 4" in message


def test_stage_wip_applies_to_option_stages_too():
    decision = decide_pull(make_board(), item(IDEAS), READY, wip(READY, 3))
    assert decision.outcome == PullOutcome.REFUSED
    assert "Ready" in decision.reasons[0]


def test_the_item_itself_is_never_counted_twice():
    moving = item(READY, id=7)
    counts = wip(DOING, 2) + [WipEntry.of(moving)]
    assert decide_pull(make_board(), moving, DOING, counts).outcome == PullOutcome.ALLOWED


def test_a_stage_without_a_limit_takes_any_number():
    decision = decide_pull(make_board(), item(READY), IDEAS, wip(IDEAS, 50))
    assert decision.outcome == PullOutcome.ALLOWED


# --- lane WIP -------------------------------------------------------------------------------


def test_lane_wip_counts_committed_items_in_the_lane():
    board = make_board(lanes=(Lane(STANDARD_LANE, "Campaigns", 1, wip_limit=2),))
    counts = wip(DOING, 1, lane_id=STANDARD_LANE) + wip(REVIEW, 1, lane_id=STANDARD_LANE)
    decision = decide_pull(board, item(READY, lane_id=STANDARD_LANE), DOING, counts)
    assert decision.outcome == PullOutcome.REFUSED
    assert codes(decision) == ["lane_wip"]
    (message,) = decision.reasons
    assert "Campaigns" in message and "2 of 2" in message and "3" in message


def test_lane_wip_ignores_option_stages_and_other_lanes():
    board = make_board(
        lanes=(Lane(STANDARD_LANE, "Campaigns", 1, wip_limit=1), Lane(EXPEDITE_LANE, "Urgent", 2))
    )
    counts = wip(READY, 2, lane_id=STANDARD_LANE) + wip(DOING, 2, lane_id=EXPEDITE_LANE)
    decision = decide_pull(board, item(READY, lane_id=STANDARD_LANE), DOING, counts)
    assert decision.outcome == PullOutcome.ALLOWED


def test_lane_wip_mode_is_the_lanes_own():
    lanes = (Lane(STANDARD_LANE, "Campaigns", 1, wip_limit=1, wip_mode=WipMode.REASON),)
    counts = wip(DOING, 1, lane_id=STANDARD_LANE)
    decision = decide_pull(make_board(lanes=lanes), item(READY, lane_id=STANDARD_LANE), DOING, counts)
    assert decision.outcome == PullOutcome.NEEDS_REASON


# --- per-person WIP -------------------------------------------------------------------------


def test_person_wip_names_the_owner():
    board = make_board(person_wip_limit=2, person_wip_mode=WipMode.BLOCK)
    counts = wip(DOING, 1, owner_id=ALICE) + wip(REVIEW, 1, owner_id=ALICE) + wip(DOING, 1, owner_id=BOB)
    decision = decide_pull(board, item(READY, owner_id=ALICE, owner_name="Alice"), DOING, counts)
    assert decision.outcome == PullOutcome.REFUSED
    assert codes(decision) == ["person_wip"]
    (message,) = decision.reasons
    assert "Alice" in message and "2 items" in message and "limit 2" in message


def test_person_wip_warns_by_default():
    board = make_board(person_wip_limit=1)
    counts = wip(DOING, 1, owner_id=ALICE)
    decision = decide_pull(board, item(READY, owner_id=ALICE, owner_name="Alice"), DOING, counts)
    assert decision.outcome == PullOutcome.WARN
    assert "Alice" in decision.reasons[0]


def test_person_wip_does_not_apply_to_unowned_items_or_others_work():
    board = make_board(person_wip_limit=1, person_wip_mode=WipMode.BLOCK)
    counts = wip(DOING, 1, owner_id=ALICE)
    assert decide_pull(board, item(READY), DOING, counts).outcome == PullOutcome.ALLOWED
    bobs = item(READY, owner_id=BOB, owner_name="Bob")
    assert decide_pull(board, bobs, DOING, counts).outcome == PullOutcome.ALLOWED


# --- capacity allocation --------------------------------------------------------------------


def test_capacity_allocation_by_count():
    board = make_board(allocations=(CapacityAllocation(1, class_of_service=INTANGIBLE, limit_count=1),))
    counts = wip(DOING, 1, class_of_service=INTANGIBLE)
    decision = decide_pull(board, item(READY, class_of_service=INTANGIBLE), DOING, counts)
    assert decision.outcome == PullOutcome.REFUSED
    assert codes(decision) == ["capacity_allocation"]
    (message,) = decision.reasons
    assert "Intangible" in message and "1 items" in message and "1 in progress" in message
    # Other classes are not held back by the intangible allocation.
    assert decide_pull(board, item(READY), DOING, counts).outcome == PullOutcome.ALLOWED


def test_capacity_allocation_by_work_type_is_named_after_the_type():
    allocation = CapacityAllocation(1, work_type_id=7, work_type_name="Event", limit_count=1)
    board = make_board(allocations=(allocation,))
    counts = wip(REVIEW, 1, work_type_id=7)
    event = item(READY, work_type_id=7, work_type_name="Event")
    decision = decide_pull(board, event, DOING, counts)
    assert decision.outcome == PullOutcome.REFUSED
    assert "Event" in decision.reasons[0]


def test_capacity_allocation_by_percentage_of_committed_limits_rounds_down():
    # Committed capacity is Doing 3 + Review 2 = 5; 50% of 5 is 2.5, rounded down to 2.
    allocation = CapacityAllocation(1, class_of_service=INTANGIBLE, limit_percent=50)
    board = make_board(allocations=(allocation,))
    assert board.committed_capacity == 5
    one = wip(DOING, 1, class_of_service=INTANGIBLE)
    pulled = item(READY, class_of_service=INTANGIBLE)
    assert decide_pull(board, pulled, DOING, one).outcome == PullOutcome.ALLOWED
    two = one + wip(REVIEW, 1, class_of_service=INTANGIBLE)
    decision = decide_pull(board, pulled, DOING, two)
    assert decision.outcome == PullOutcome.REFUSED
    (message,) = decision.reasons
    assert "50% of committed capacity, 2 items" in message and "2 in progress" in message


def test_capacity_allocation_by_percentage_is_never_below_one_item():
    # 10% of 5 is 0.5: still one item may be pulled.
    allocation = CapacityAllocation(1, class_of_service=INTANGIBLE, limit_percent=10)
    board = make_board(allocations=(allocation,))
    pulled = item(READY, class_of_service=INTANGIBLE)
    assert decide_pull(board, pulled, DOING, []).outcome == PullOutcome.ALLOWED
    counts = wip(DOING, 1, class_of_service=INTANGIBLE)
    assert decide_pull(board, pulled, DOING, counts).outcome == PullOutcome.REFUSED


def test_capacity_allocation_by_percentage_is_not_checked_when_a_committed_stage_is_unlimited():
    allocation = CapacityAllocation(1, class_of_service=INTANGIBLE, limit_percent=10)
    board = make_board(review={"wip_limit": None}, allocations=(allocation,))
    assert board.committed_capacity is None
    counts = wip(DOING, 2, class_of_service=INTANGIBLE)
    pulled = item(READY, class_of_service=INTANGIBLE)
    assert decide_pull(board, pulled, DOING, counts).outcome == PullOutcome.ALLOWED


def test_capacity_allocation_in_warn_mode_warns():
    allocation = CapacityAllocation(1, class_of_service=INTANGIBLE, limit_count=1, wip_mode=WipMode.WARN)
    board = make_board(allocations=(allocation,))
    counts = wip(DOING, 1, class_of_service=INTANGIBLE)
    decision = decide_pull(board, item(READY, class_of_service=INTANGIBLE), DOING, counts)
    assert decision.outcome == PullOutcome.WARN


# --- expedite -------------------------------------------------------------------------------


def test_the_board_expedite_limit_refuses_a_second_expedite_item():
    counts = wip(REVIEW, 1, class_of_service=EXPEDITE)
    decision = decide_pull(make_board(), item(READY, class_of_service=EXPEDITE), DOING, counts)
    assert decision.outcome == PullOutcome.REFUSED
    assert codes(decision) == ["expedite_limit"]
    (message,) = decision.reasons
    assert "1 expedite item" in message and "has 1" in message


def test_the_expedite_limit_is_configurable_per_board():
    counts = wip(REVIEW, 1, class_of_service=EXPEDITE)
    pulled = item(READY, class_of_service=EXPEDITE)
    assert decide_pull(make_board(expedite_limit=2), pulled, DOING, counts).allowed
    assert decide_pull(make_board(expedite_limit=None), pulled, DOING, counts * 5).allowed
    decision = decide_pull(make_board(expedite_limit=2), pulled, DOING, counts * 2)
    assert "2 expedite items" in decision.reasons[0]


def test_expedite_items_in_option_stages_do_not_use_the_expedite_limit():
    counts = wip(READY, 2, class_of_service=EXPEDITE)
    pulled = item(READY, class_of_service=EXPEDITE)
    assert decide_pull(make_board(), pulled, DOING, counts).outcome == PullOutcome.ALLOWED


def test_an_expedite_item_may_exceed_a_block_mode_stage_limit_with_a_warning():
    decision = decide_pull(make_board(), item(READY, class_of_service=EXPEDITE), DOING, wip(DOING, 3))
    assert decision.outcome == PullOutcome.WARN
    assert decision.allowed
    assert codes(decision) == ["stage_wip_expedite"]
    (message,) = decision.reasons
    assert "Doing" in message and "3 of 3" in message and "Expedite" in message


# --- entry rules ----------------------------------------------------------------------------


def test_a_fixed_date_item_needs_a_due_date_to_be_committed():
    no_date = item(READY, class_of_service=FIXED_DATE)
    decision = decide_pull(make_board(), no_date, DOING, [])
    assert decision.outcome == PullOutcome.REFUSED
    assert codes(decision) == ["fixed_date_needs_due_date"]
    assert "due date" in decision.reasons[0]
    # As an option it may wait without one; with a date it is committed.
    assert decide_pull(make_board(), item(IDEAS, class_of_service=FIXED_DATE), READY, []).allowed
    dated = replace(no_date, due_date=date(2024, 6, 1))
    assert decide_pull(make_board(), dated, DOING, []).allowed


def test_a_stage_that_requires_an_owner():
    board = make_board(doing={"requires_owner": True})
    decision = decide_pull(board, item(READY), DOING, [])
    assert decision.outcome == PullOutcome.REFUSED
    assert codes(decision) == ["requires_owner"]
    assert "Doing requires an owner" in decision.reasons[0]
    assert decide_pull(board, item(READY, owner_id=ALICE), DOING, []).allowed


def test_a_stage_that_requires_a_due_date():
    board = make_board(doing={"requires_due_date": True})
    decision = decide_pull(board, item(READY), DOING, [])
    assert codes(decision) == ["requires_due_date"]
    assert "Doing requires a due date" in decision.reasons[0]
    assert decide_pull(board, item(READY, due_date=date(2024, 6, 1)), DOING, []).allowed


def test_a_stage_that_requires_ready():
    board = make_board(doing={"requires_ready": True})
    decision = decide_pull(board, item(READY), DOING, [])
    assert codes(decision) == ["requires_ready"]
    assert "Doing" in decision.reasons[0] and "ready" in decision.reasons[0]
    assert decide_pull(board, item(READY, ready=True), DOING, []).allowed


def test_requires_ready_does_not_stop_an_item_going_back():
    board = make_board(doing={"requires_ready": True})
    assert decide_pull(board, item(REVIEW), DOING, []).allowed


def test_entry_rules_do_not_stop_a_discard():
    board = make_board()
    board = replace(
        board,
        stages=tuple(
            replace(s, requires_owner=True, requires_due_date=True, requires_ready=True)
            if s.id == DISCARDED
            else s
            for s in board.stages
        ),
    )
    assert decide_pull(board, item(DOING), DISCARDED, []).outcome == PullOutcome.ALLOWED


# --- blocked items --------------------------------------------------------------------------


def test_a_blocked_item_cannot_move_forward():
    blocked = item(READY, blocked=True, blocked_reason="waiting for legal")
    decision = decide_pull(make_board(), blocked, DOING, [])
    assert decision.outcome == PullOutcome.REFUSED
    assert codes(decision) == ["blocked"]
    assert "waiting for legal" in decision.reasons[0] and "Unblock" in decision.reasons[0]
    assert decide_pull(make_board(), replace(blocked, stage_id=REVIEW), DONE, []).outcome == "refused"


def test_a_blocked_item_can_move_back_or_be_discarded():
    blocked = item(REVIEW, blocked=True, blocked_reason="waiting for legal")
    assert decide_pull(make_board(), blocked, DOING, []).allowed
    assert decide_pull(make_board(), blocked, IDEAS, []).allowed
    assert decide_pull(make_board(), blocked, DISCARDED, []).allowed


def test_blocked_items_count_against_wip_by_default():
    counts = wip(DOING, 2) + wip(DOING, 1, blocked=True)
    decision = decide_pull(make_board(), item(READY), DOING, counts)
    assert decision.outcome == PullOutcome.REFUSED


def test_blocked_items_are_not_counted_when_the_board_says_so():
    board = make_board(blocked_counts_against_wip=False)
    counts = wip(DOING, 2) + wip(DOING, 1, blocked=True)
    assert decide_pull(board, item(READY), DOING, counts).outcome == PullOutcome.ALLOWED


def test_an_uncounted_blocked_item_moves_back_without_limits():
    board = make_board(blocked_counts_against_wip=False)
    blocked = item(REVIEW, blocked=True)
    assert decide_pull(board, blocked, DOING, wip(DOING, 3)).outcome == PullOutcome.ALLOWED


def test_unblocking_counts_the_item_again_where_blocked_items_are_not_counted():
    board = make_board(blocked_counts_against_wip=False)
    blocked = item(DOING, id=7, blocked=True)
    counts = wip(DOING, 3) + [WipEntry.of(blocked)]
    decision = decide_change(board, blocked, replace(blocked, blocked=False), counts)
    assert decision.outcome == PullOutcome.REFUSED
    assert "Doing" in decision.reasons[0]
    # With room it is allowed, and on a board that counts blocked items nothing changes.
    assert decide_change(board, blocked, replace(blocked, blocked=False), counts[1:]).allowed
    assert decide_change(make_board(), blocked, replace(blocked, blocked=False), counts).allowed


def test_unblocking_in_a_committed_stage_checks_every_committed_limit():
    board = make_board(blocked_counts_against_wip=False, person_wip_limit=1, person_wip_mode=WipMode.BLOCK)
    blocked = item(DOING, blocked=True, owner_id=ALICE, owner_name="Alice")
    decision = decide_change(board, blocked, replace(blocked, blocked=False), wip(REVIEW, 1, owner_id=ALICE))
    assert codes(decision) == ["person_wip"]


# --- moving within committed stages ---------------------------------------------------------


def test_moving_within_committed_stages_only_checks_the_stage_count():
    board = make_board(
        lanes=(Lane(STANDARD_LANE, "Campaigns", 1, wip_limit=1),),
        person_wip_limit=1,
        person_wip_mode=WipMode.BLOCK,
        allocations=(CapacityAllocation(1, class_of_service=EXPEDITE, limit_count=1),),
    )
    moving = item(DOING, id=7, class_of_service=EXPEDITE, lane_id=STANDARD_LANE, owner_id=ALICE)
    # Already over every committed limit except the stage's (an inconsistent snapshot on
    # purpose): moving on within the committed area does not add to any of them.
    counts = [WipEntry.of(moving)] + wip(
        DOING, 2, class_of_service=EXPEDITE, lane_id=STANDARD_LANE, owner_id=ALICE
    )
    assert decide_pull(board, moving, REVIEW, counts).outcome == PullOutcome.ALLOWED
    decision = decide_pull(board, replace(moving, class_of_service=STANDARD), REVIEW, wip(REVIEW, 2))
    assert codes(decision) == ["stage_wip"]


def test_moving_back_across_the_commitment_point_checks_the_option_stage():
    assert decide_pull(make_board(), item(DOING), READY, wip(READY, 3)).outcome == PullOutcome.REFUSED
    assert decide_pull(make_board(), item(DOING), READY, wip(READY, 2)).outcome == PullOutcome.ALLOWED


def test_moving_to_done_is_not_limited():
    assert decide_pull(make_board(), item(REVIEW), DONE, wip(DOING, 10)).outcome == PullOutcome.ALLOWED


# --- refusals that end the question ---------------------------------------------------------


def test_an_archived_item_is_refused():
    archived = item(DONE, archived_at=datetime(2024, 4, 1))
    # Archived says it all: the full stage is not worth mentioning.
    decision = decide_pull(make_board(), archived, DOING, wip(DOING, 3))
    assert decision.outcome == PullOutcome.REFUSED
    assert codes(decision) == ["archived"]
    assert "archived" in decision.reasons[0]


def test_a_move_to_the_same_stage_is_refused():
    decision = decide_pull(make_board(), item(DOING), DOING, wip(DOING, 5))
    assert decision.outcome == PullOutcome.REFUSED
    assert codes(decision) == ["same_stage"]
    assert "already in Doing" in decision.reasons[0]


def test_an_unknown_stage_is_refused():
    decision = decide_pull(make_board(), item(READY), 99, [])
    assert decision.outcome == PullOutcome.REFUSED
    assert codes(decision) == ["unknown_stage"]
    assert "99" in decision.reasons[0] and "Marketing" in decision.reasons[0]


# --- every reason is returned ---------------------------------------------------------------


def test_three_limits_exceeded_at_once_are_all_reported():
    board = make_board(
        lanes=(Lane(STANDARD_LANE, "Campaigns", 1, wip_limit=2),),
        person_wip_limit=2,
        person_wip_mode=WipMode.BLOCK,
    )
    counts = wip(DOING, 3, lane_id=STANDARD_LANE, owner_id=ALICE)
    pulled = item(READY, lane_id=STANDARD_LANE, owner_id=ALICE, owner_name="Alice")
    decision = decide_pull(board, pulled, DOING, counts)
    assert decision.outcome == PullOutcome.REFUSED
    assert sorted(codes(decision)) == ["lane_wip", "person_wip", "stage_wip"]
    text = " ".join(decision.reasons)
    assert "Doing" in text and "Campaigns" in text and "Alice" in text


def test_rules_and_limits_broken_at_once_are_all_reported():
    # Fixing one problem must not reveal the next: a user sees the whole list at once.
    board = make_board(doing={"requires_owner": True, "requires_ready": True})
    decision = decide_pull(board, item(READY), DOING, wip(DOING, 3))
    assert decision.outcome == PullOutcome.REFUSED
    assert sorted(codes(decision)) == ["requires_owner", "requires_ready", "stage_wip"]


def test_a_blocked_item_hears_about_the_full_stage_too():
    blocked = item(READY, blocked=True, blocked_reason="waiting for legal")
    decision = decide_pull(make_board(), blocked, DOING, wip(DOING, 3))
    assert sorted(codes(decision)) == ["blocked", "stage_wip"]


def test_a_change_that_breaks_a_rule_and_a_limit_reports_both():
    board = make_board(doing={"requires_owner": True}, person_wip_limit=1, person_wip_mode=WipMode.BLOCK)
    before = item(DOING, owner_id=ALICE, lane_id=None)
    after = replace(before, owner_id=None, class_of_service=EXPEDITE)
    decision = decide_change(board, before, after, wip(REVIEW, 1, class_of_service=EXPEDITE))
    assert decision.outcome == PullOutcome.REFUSED
    assert sorted(codes(decision)) == ["expedite_limit", "requires_owner"]


def test_a_refusal_outranks_a_reason_and_a_warning():
    board = make_board(
        doing={"wip_mode": WipMode.WARN},
        lanes=(Lane(STANDARD_LANE, "Campaigns", 1, wip_limit=1, wip_mode=WipMode.REASON),),
        person_wip_limit=1,
        person_wip_mode=WipMode.BLOCK,
    )
    counts = wip(DOING, 3, lane_id=STANDARD_LANE, owner_id=ALICE)
    pulled = item(READY, lane_id=STANDARD_LANE, owner_id=ALICE)
    decision = decide_pull(board, pulled, DOING, counts, reason="launch")
    assert decision.outcome == PullOutcome.REFUSED
    assert {f.severity for f in decision.findings} == {Severity.WARN, Severity.REASON, Severity.REFUSE}


def test_a_reason_outranks_a_warning():
    board = make_board(
        doing={"wip_mode": WipMode.WARN},
        lanes=(Lane(STANDARD_LANE, "Campaigns", 1, wip_limit=1, wip_mode=WipMode.REASON),),
    )
    counts = wip(DOING, 3, lane_id=STANDARD_LANE)
    pulled = item(READY, lane_id=STANDARD_LANE)
    assert decide_pull(board, pulled, DOING, counts).outcome == PullOutcome.NEEDS_REASON
    decision = decide_pull(board, pulled, DOING, counts, reason="launch")
    assert decision.outcome == PullOutcome.WARN and decision.override
    assert len(decision.findings) == 2


# --- decide_change: edits in place ----------------------------------------------------------


def test_changing_lane_in_a_committed_stage_checks_the_new_lane():
    lanes = (Lane(STANDARD_LANE, "Campaigns", 1), Lane(EXPEDITE_LANE, "Urgent", 2, wip_limit=1))
    board = make_board(lanes=lanes)
    before = item(DOING, lane_id=STANDARD_LANE)
    after = replace(before, lane_id=EXPEDITE_LANE)
    counts = wip(REVIEW, 1, lane_id=EXPEDITE_LANE)
    decision = decide_change(board, before, after, counts)
    assert codes(decision) == ["lane_wip"] and "Urgent" in decision.reasons[0]


def test_changing_owner_in_a_committed_stage_checks_the_new_owners_limit():
    board = make_board(person_wip_limit=1, person_wip_mode=WipMode.REASON)
    before = item(DOING, owner_id=BOB, owner_name="Bob")
    after = replace(before, owner_id=ALICE, owner_name="Alice")
    counts = wip(REVIEW, 1, owner_id=ALICE)
    decision = decide_change(board, before, after, counts)
    assert decision.outcome == PullOutcome.NEEDS_REASON
    assert "Alice" in decision.reasons[0]
    assert decide_change(board, before, after, counts, reason="Bob is away").override


def test_changing_class_in_a_committed_stage_checks_allocation_and_expedite_limit():
    board = make_board(allocations=(CapacityAllocation(1, class_of_service=EXPEDITE, limit_count=5),))
    before = item(DOING)
    after = replace(before, class_of_service=EXPEDITE)
    decision = decide_change(board, before, after, wip(REVIEW, 1, class_of_service=EXPEDITE))
    assert codes(decision) == ["expedite_limit"]


def test_changing_class_away_from_expedite_must_fit_the_stage_limit():
    # An expedite item may exceed a stage's limit; once it is standard, it may not.
    before = item(DOING, class_of_service=EXPEDITE)
    after = replace(before, class_of_service=STANDARD)
    counts = wip(DOING, 3) + [WipEntry.of(before)]
    decision = decide_change(make_board(), before, after, counts)
    assert decision.outcome == PullOutcome.REFUSED
    assert codes(decision) == ["stage_wip"]
    # The same in an option stage, and allowed where there is room.
    option = item(READY, class_of_service=EXPEDITE)
    standard = replace(option, class_of_service=STANDARD)
    assert not decide_change(make_board(), option, standard, wip(READY, 3)).allowed
    assert decide_change(make_board(), before, after, wip(DOING, 2)).allowed


def test_edits_that_do_not_touch_the_counts_are_allowed_even_over_a_limit():
    before = item(DOING, lane_id=STANDARD_LANE)
    after = replace(before, title="New title", due_date=date(2024, 6, 1))
    board = make_board(lanes=(Lane(STANDARD_LANE, "Campaigns", 1, wip_limit=1),))
    counts = wip(DOING, 5, lane_id=STANDARD_LANE)
    assert decide_change(board, before, after, counts).outcome == PullOutcome.ALLOWED


def test_edits_in_option_stages_do_not_touch_committed_limits():
    board = make_board(person_wip_limit=1, person_wip_mode=WipMode.BLOCK)
    before = item(READY)
    after = replace(before, owner_id=ALICE)
    assert decide_change(board, before, after, wip(DOING, 1, owner_id=ALICE)).allowed


def test_changing_rules_in_place_is_checked():
    board = make_board(doing={"requires_owner": True, "requires_due_date": True})
    before = item(DOING, owner_id=ALICE, due_date=date(2024, 6, 1), class_of_service=FIXED_DATE)
    after = replace(before, owner_id=None, due_date=None)
    decision = decide_change(board, before, after, [])
    assert sorted(codes(decision)) == ["fixed_date_needs_due_date", "requires_due_date", "requires_owner"]


def test_changes_to_done_discarded_or_archived_items_are_not_limited():
    board = make_board(person_wip_limit=1, person_wip_mode=WipMode.BLOCK)
    for before in (item(DONE), item(DISCARDED), item(DOING, archived_at=datetime(2024, 4, 1))):
        after = replace(before, owner_id=ALICE)
        assert decide_change(board, before, after, wip(DOING, 3, owner_id=ALICE)).outcome == "allowed"
