"""rank_pull_next: what to pull next into a stage, in order, and what cannot be pulled and why."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pullplan.domain.board import (
    Board,
    CapacityAllocation,
    ClassOfService,
    Stage,
    StageKind,
    WipMode,
)
from pullplan.domain.items import WipEntry, WorkItem
from pullplan.domain.pull_next import rank_pull_next

EXPEDITE = ClassOfService.EXPEDITE
FIXED_DATE = ClassOfService.FIXED_DATE
STANDARD = ClassOfService.STANDARD
INTANGIBLE = ClassOfService.INTANGIBLE

READY, DOING, DONE = 1, 2, 3
DAY0 = datetime(2024, 3, 1, 9)


def make_board(
    *, allocations=(), doing_limit: int | None = 4, doing_mode: WipMode = WipMode.BLOCK, **fields
) -> Board:
    stages = (
        Stage(READY, "Ready", StageKind.OPTION, 1),
        Stage(DOING, "Doing", StageKind.COMMITTED, 2, wip_limit=doing_limit, wip_mode=doing_mode),
        Stage(DONE, "Done", StageKind.DONE, 3),
    )
    return Board(1, "Sales", stages, allocations=tuple(allocations), **fields)


def item(id: int, cos: ClassOfService = STANDARD, *, days: int = 0, **fields) -> WorkItem:
    """An item waiting in Ready, created `days` days after DAY0."""
    return WorkItem(
        id=id,
        board_id=1,
        stage_id=READY,
        title=f"Item {id}",
        class_of_service=cos,
        created_at=DAY0 + timedelta(days=days),
        **fields,
    )


def ids(candidates) -> list[int]:
    return [c.item.id for c in candidates]


RESERVE_INTANGIBLE = CapacityAllocation(1, class_of_service=INTANGIBLE, limit_count=1)


def test_expedite_first_then_fixed_date_then_standard_then_intangible():
    candidates = [
        item(1, INTANGIBLE, days=0),
        item(2, STANDARD, days=1),
        item(3, FIXED_DATE, days=2, due_date=date(2024, 5, 1)),
        item(4, EXPEDITE, days=3),
    ]
    pullable, refused = rank_pull_next(make_board(), DOING, candidates, [])
    assert ids(pullable) == [4, 3, 2, 1]
    assert [c.rank for c in pullable] == [1, 2, 3, 4]
    assert refused == []
    assert pullable[0].why.startswith("Expedite")
    assert "2024-05-01" in pullable[1].why


def test_fixed_date_items_by_commit_by_date():
    candidates = [
        item(1, FIXED_DATE, due_date=date(2024, 5, 1)),
        item(2, FIXED_DATE, due_date=date(2024, 6, 1)),
    ]
    # Item 2 is due later but takes longer: it must be committed first.
    commit_by = {1: date(2024, 4, 20), 2: date(2024, 4, 10)}
    pullable, _ = rank_pull_next(make_board(), DOING, candidates, [], commit_by=commit_by)
    assert ids(pullable) == [2, 1]
    assert "commit by 2024-04-10" in pullable[0].why


def test_fixed_date_items_without_commit_by_use_the_due_date():
    candidates = [
        item(1, FIXED_DATE, days=0, due_date=date(2024, 6, 1)),
        item(2, FIXED_DATE, days=1, due_date=date(2024, 5, 1)),
        item(3, FIXED_DATE, days=2, due_date=date(2024, 5, 20)),
    ]
    commit_by = {3: date(2024, 4, 1)}
    pullable, _ = rank_pull_next(make_board(), DOING, candidates, [], commit_by=commit_by)
    assert ids(pullable) == [3, 2, 1]
    assert "due 2024-05-01" in pullable[1].why


def test_fixed_date_items_on_the_same_date_go_first_in_first_out():
    candidates = [
        item(1, FIXED_DATE, days=2, due_date=date(2024, 5, 1)),
        item(2, FIXED_DATE, days=1, due_date=date(2024, 5, 1)),
    ]
    pullable, _ = rank_pull_next(make_board(), DOING, candidates, [])
    assert ids(pullable) == [2, 1]


def test_standard_items_first_in_first_out():
    candidates = [item(1, days=5), item(2, days=1), item(3, days=3)]
    pullable, _ = rank_pull_next(make_board(), DOING, candidates, [])
    assert ids(pullable) == [2, 3, 1]
    assert "2024-03-02" in pullable[0].why


def test_intangible_goes_before_standard_while_its_reserved_capacity_is_free():
    candidates = [item(1, STANDARD, days=0), item(2, INTANGIBLE, days=5)]
    board = make_board(allocations=[RESERVE_INTANGIBLE])
    pullable, _ = rank_pull_next(board, DOING, candidates, [])
    assert ids(pullable) == [2, 1]
    assert "reserved" in pullable[0].why


def test_intangible_goes_last_when_its_reserved_capacity_is_used():
    candidates = [item(1, STANDARD, days=5), item(2, INTANGIBLE, days=0)]
    board = make_board(allocations=[RESERVE_INTANGIBLE])
    wip = [WipEntry(50, DOING, class_of_service=INTANGIBLE)]
    pullable, refused = rank_pull_next(board, DOING, candidates, wip)
    assert ids(pullable) == [1]
    # The allocation (a cap as well as a reservation) refuses the intangible item.
    assert ids(refused) == [2]


def test_intangible_goes_last_without_a_reservation():
    candidates = [item(1, INTANGIBLE, days=0), item(2, STANDARD, days=5)]
    pullable, _ = rank_pull_next(make_board(), DOING, candidates, [])
    assert ids(pullable) == [2, 1]
    assert "when capacity allows" in pullable[1].why


def test_reserved_capacity_in_option_stages_is_not_used():
    candidates = [item(1, STANDARD, days=0), item(2, INTANGIBLE, days=5)]
    board = make_board(allocations=[RESERVE_INTANGIBLE])
    wip = [WipEntry(50, READY, class_of_service=INTANGIBLE)]
    pullable, _ = rank_pull_next(board, DOING, candidates, wip)
    assert ids(pullable) == [2, 1]


def test_a_blocked_intangible_item_does_not_use_the_reservation_where_blocked_items_do_not_count():
    candidates = [item(1, STANDARD, days=0), item(2, INTANGIBLE, days=5)]
    board = make_board(allocations=[RESERVE_INTANGIBLE], blocked_counts_against_wip=False)
    wip = [WipEntry(50, DOING, class_of_service=INTANGIBLE, blocked=True)]
    pullable, refused = rank_pull_next(board, DOING, candidates, wip)
    # The pull policy lets the intangible item in; the ranking must agree it has room.
    assert refused == []
    assert ids(pullable) == [2, 1]


def test_refused_candidates_are_listed_apart_with_their_reasons():
    candidates = [
        item(1, EXPEDITE, days=0, blocked=True, blocked_reason="waiting for the client"),
        item(2, FIXED_DATE, days=1),  # no due date: cannot be committed
        item(3, STANDARD, days=2),
        item(4, STANDARD, days=3),
    ]
    pullable, refused = rank_pull_next(make_board(), DOING, candidates, [])
    assert ids(pullable) == [3, 4]
    assert [c.rank for c in pullable] == [1, 2]
    assert ids(refused) == [1, 2]
    assert [c.rank for c in refused] == [1, 2]
    assert "waiting for the client" in refused[0].decision.reasons[0]
    assert "due date" in refused[1].decision.reasons[0]


def test_candidates_over_a_warn_limit_are_still_pullable_with_the_warning():
    board = make_board(doing_limit=1, doing_mode=WipMode.WARN)
    wip = [WipEntry(50, DOING)]
    pullable, refused = rank_pull_next(board, DOING, [item(1)], wip)
    assert ids(pullable) == [1] and refused == []
    assert pullable[0].decision.outcome == "warn"
    assert "Doing" in pullable[0].decision.reasons[0]


def test_a_full_block_mode_stage_refuses_everything_but_expedite():
    board = make_board(doing_limit=1)
    wip = [WipEntry(50, DOING)]
    candidates = [item(1, STANDARD), item(2, EXPEDITE, days=1)]
    pullable, refused = rank_pull_next(board, DOING, candidates, wip)
    assert ids(pullable) == [2]
    assert ids(refused) == [1]
    assert "Doing has 1 of 1" in refused[0].decision.reasons[0]


def test_no_candidates():
    assert rank_pull_next(make_board(), DOING, [], []) == ([], [])
