"""What the transition log says about an item: commit date, done date, blocked time."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pullplan.domain.board import StageKind
from pullplan.domain.history import blocked_time, commit_date, current_stage, done_date
from pullplan.domain.items import Transition, TransitionKind, WorkItem, age_days

IDEAS, READY, DOING, REVIEW, DONE, SHIPPED, DISCARDED = 1, 2, 3, 4, 5, 6, 7
KINDS = {
    IDEAS: StageKind.OPTION,
    READY: StageKind.OPTION,
    DOING: StageKind.COMMITTED,
    REVIEW: StageKind.COMMITTED,
    DONE: StageKind.DONE,
    SHIPPED: StageKind.DONE,
    DISCARDED: StageKind.DISCARDED,
}
T0 = datetime(2024, 3, 1, 9)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def created(stage: int, days: float = 0) -> Transition:
    return Transition(1, at(days), TransitionKind.CREATED, to_stage_id=stage)


def moved(src: int, dst: int, days: float) -> Transition:
    return Transition(1, at(days), TransitionKind.MOVED, from_stage_id=src, to_stage_id=dst)


def blocked(days: float) -> Transition:
    return Transition(1, at(days), TransitionKind.BLOCKED, reason="waiting")


def unblocked(days: float) -> Transition:
    return Transition(1, at(days), TransitionKind.UNBLOCKED)


# --- commit date ----------------------------------------------------------------------------


def test_commit_date_is_the_first_entry_into_a_committed_stage():
    log = [created(IDEAS), moved(IDEAS, READY, 2), moved(READY, DOING, 5), moved(DOING, REVIEW, 7)]
    assert commit_date(log, KINDS) == at(5)


def test_commit_date_is_kept_when_the_item_goes_back_and_is_committed_again():
    log = [created(READY), moved(READY, DOING, 3), moved(DOING, READY, 4), moved(READY, DOING, 9)]
    assert commit_date(log, KINDS) == at(3)


def test_commit_date_of_an_item_moved_straight_to_done():
    assert commit_date([created(READY), moved(READY, DONE, 4)], KINDS) == at(4)


def test_an_item_created_in_a_committed_stage_is_committed_when_created():
    assert commit_date([created(DOING, 1)], KINDS) == at(1)


def test_an_option_has_no_commit_date():
    assert commit_date([created(IDEAS), moved(IDEAS, READY, 1)], KINDS) is None
    assert commit_date([created(IDEAS), moved(IDEAS, DISCARDED, 1)], KINDS) is None
    assert commit_date([], KINDS) is None


def test_commit_date_ignores_blocks_and_edits():
    log = [
        created(READY),
        blocked(1),
        Transition(1, at(2), TransitionKind.EDITED, details={"changes": {}}),
        unblocked(3),
        moved(READY, DOING, 4),
    ]
    assert commit_date(log, KINDS) == at(4)


def test_the_log_order_does_not_matter_only_the_times():
    log = [moved(DOING, REVIEW, 7), moved(READY, DOING, 5), created(READY)]
    assert commit_date(log, KINDS) == at(5)


# --- done date ------------------------------------------------------------------------------


def test_done_date_is_the_entry_into_done():
    log = [created(READY), moved(READY, DOING, 2), moved(DOING, DONE, 6)]
    assert done_date(log, KINDS) == at(6)


def test_done_date_is_the_last_entry_into_done_when_the_item_was_reopened():
    log = [
        created(READY),
        moved(READY, DOING, 2),
        moved(DOING, DONE, 6),
        moved(DONE, REVIEW, 8),
        moved(REVIEW, DONE, 10),
    ]
    assert done_date(log, KINDS) == at(10)


def test_moving_between_done_stages_keeps_the_first_day_it_was_done():
    log = [created(DOING), moved(DOING, DONE, 3), moved(DONE, SHIPPED, 5)]
    assert done_date(log, KINDS) == at(3)


def test_no_done_date_when_the_item_was_moved_out_of_done():
    log = [created(READY), moved(READY, DOING, 2), moved(DOING, DONE, 6), moved(DONE, REVIEW, 8)]
    assert done_date(log, KINDS) is None
    assert current_stage(log) == REVIEW


def test_no_done_date_for_unfinished_or_discarded_items():
    assert done_date([created(READY), moved(READY, DOING, 2)], KINDS) is None
    assert done_date([created(READY), moved(READY, DISCARDED, 2)], KINDS) is None
    assert done_date([], KINDS) is None


def test_done_date_ignores_blocks_after_done():
    log = [created(DOING), moved(DOING, DONE, 3), blocked(4)]
    assert done_date(log, KINDS) == at(3)


# --- blocked time ---------------------------------------------------------------------------


def test_blocked_time_sums_every_block():
    log = [created(DOING), blocked(1), unblocked(3), blocked(4), unblocked(4.5)]
    assert blocked_time(log, now=at(30)) == timedelta(days=2.5)


def test_an_open_block_runs_until_now():
    log = [created(DOING), blocked(1), unblocked(2), blocked(5)]
    assert blocked_time(log, now=at(8)) == timedelta(days=4)


def test_never_blocked_is_no_time():
    assert blocked_time([created(DOING), moved(DOING, DONE, 2)], now=at(9)) == timedelta()
    assert blocked_time([], now=at(9)) == timedelta()


def test_a_repeated_block_does_not_restart_the_clock_and_a_stray_unblock_is_ignored():
    log = [unblocked(0.5), blocked(1), blocked(2), unblocked(4)]
    assert blocked_time(log, now=at(9)) == timedelta(days=3)


def test_blocked_time_reads_the_times_not_the_log_order():
    log = [unblocked(3), created(DOING), blocked(1)]
    assert blocked_time(log, now=at(9)) == timedelta(days=2)


# --- age and cycle time ---------------------------------------------------------------------


def _item(**fields) -> WorkItem:
    return WorkItem(id=1, board_id=1, stage_id=DOING, title="Spring campaign", **fields)


def test_age_of_a_committed_item_counts_from_commitment_and_today_is_day_one():
    committed = _item(created_at=at(-10), committed_at=at(0))
    assert age_days(committed, today=T0.date()) == 1
    assert age_days(committed, today=date(2024, 3, 5)) == 5


def test_age_of_an_option_counts_from_arrival():
    assert age_days(_item(created_at=at(-3)), today=T0.date()) == 4


def test_cycle_time_of_a_done_item_stops_on_the_done_date():
    done = _item(created_at=at(-1), committed_at=at(0), done_at=at(6))
    assert age_days(done, today=date(2024, 12, 31)) == 7
    same_day = _item(committed_at=at(0), done_at=at(0.5))
    assert age_days(same_day, today=date(2024, 12, 31)) == 1


def test_an_item_without_dates_has_no_age():
    assert age_days(_item(), today=T0.date()) == 0
