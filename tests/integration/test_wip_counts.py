"""The WIP counted in SQL (`load_wip_counts`, what a pull reads) decides every pull exactly as
the item-by-item WIP (`load_wip`) does, on the demo boards with their limits, lanes,
allocations, owners and blockers (SQLite file and PostgreSQL), whether blocked items count
against the limits (the demo's setting) or not."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from pullplan.demo import create_demo
from pullplan.domain.board import StageKind
from pullplan.domain.pull_policy import decide_pull
from pullplan.storage.database import Database
from pullplan.storage.repositories import load_board, load_items, load_wip, load_wip_counts
from pullplan.storage.tables import BoardRow, ItemRow


@pytest.mark.parametrize("blocked_count", [True, False], ids=["blocked-count", "blocked-do-not-count"])
def test_counted_wip_decides_every_pull_like_the_item_by_item_wip(db: Database, blocked_count: bool):
    create_demo(db, today=date(2026, 11, 2))
    with db.write() as session:
        session.execute(update(BoardRow).values(blocked_counts_against_wip=blocked_count))
    compared = refusals = blocked_entries = 0
    with db.read() as session:
        for board_id in session.scalars(select(BoardRow.id).order_by(BoardRow.id)):
            board = load_board(session, board_id)
            wip = load_wip(session, board)
            targets = [s for s in board.stages if s.kind in (StageKind.OPTION, StageKind.COMMITTED)]
            items = load_items(session, [ItemRow.board_id == board_id, ItemRow.archived_at.is_(None)])
            for item in items:
                if board.stage(item.stage_id).kind not in (StageKind.OPTION, StageKind.COMMITTED):
                    continue
                counted = load_wip_counts(session, board, excluding=item.id)
                blocked_entries += sum(e.blocked for e in counted)
                assert sum(e.count for e in counted) == sum(1 for e in wip if e.item_id != item.id)
                for stage in targets:
                    by_item = decide_pull(board, item, stage.id, wip)
                    by_count = decide_pull(board, item, stage.id, counted)
                    assert by_count == by_item, (board.name, item.title, stage.name)
                    compared += 1
                    refusals += not by_item.allowed
    assert compared > 300
    assert refusals > 0  # the demo's limits are reached somewhere, so the counts matter
    # Blocked items are told apart only where they do not count (where they count, the
    # blocked state changes no decision and is not looked up).
    assert (blocked_entries > 0) is not blocked_count
