"""Commit-by dates and LRM statuses of real items on a real board."""

from __future__ import annotations

import datetime as dt

from pullplan.domain.lrm import LrmStatus
from pullplan.services import lrm
from pullplan.services.boards import create_board, create_workspace
from pullplan.services.items import create_item, move_item

DAY = dt.timedelta(days=1)


def test_commit_by_dates_and_statuses(db):
    ws = create_workspace(db, name="Events")
    board = create_board(
        db,
        workspace_id=ws.id,
        name="Events",
        stages=[
            {"name": "Ideas", "kind": "option"},
            {"name": "Doing", "kind": "committed"},
            {"name": "Done", "kind": "done"},
        ],
    )
    ideas, doing, done = (s.id for s in board.stages)
    now = dt.datetime.now(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    today = now.date()
    # History: 20 finished items, cycle times 1..20 days (+1 convention: 0..19 days apart).
    for n in range(20):
        item = create_item(db, actor_id=None, board_id=board.id, title=f"Past {n}", now=now - 60 * DAY).item
        move_item(db, actor_id=None, item_id=item.id, to_stage_id=doing, now=now - (30 + n) * DAY)
        move_item(db, actor_id=None, item_id=item.id, to_stage_id=done, now=now - 30 * DAY)

    def option(title, due, cos="standard"):
        return create_item(
            db, actor_id=None, board_id=board.id, title=title, due_date=due, class_of_service=cos, now=now
        ).item.id

    # 85th percentile of 1..20 is 17 days; buffer 7 days: commit_by = due - 24 days.
    late = option("Late", today + 20 * DAY)  # commit by 4 days ago
    due = option("Due", today + 27 * DAY)  # in 3 days: before the next replenishment
    approaching = option("Approaching", today + 50 * DAY)  # in 26 days
    far = option("Far", today + 90 * DAY)  # in 66 days: beyond the 42-day lookahead
    expedite = option("Expedite", None, cos="expedite")
    option("No due date", None)
    option("Intangible", today + 10 * DAY, cos="intangible")
    old = create_item(db, actor_id=None, board_id=board.id, title="Old", now=now - 40 * DAY).item.id
    move_item(db, actor_id=None, item_id=old, to_stage_id=doing, now=now - 25 * DAY)  # age 26 > 17

    rows = {r.item.id: r for r in lrm.board_lrm(db, board_id=board.id)}
    assert rows[late].status == LrmStatus.LATE and rows[late].commit_by == today - 4 * DAY
    assert rows[due].status == LrmStatus.DUE and rows[due].commit_by == today + 3 * DAY
    assert rows[approaching].status == LrmStatus.APPROACHING
    assert rows[far].status == LrmStatus.OPTION
    assert rows[expedite].status == LrmStatus.DUE and rows[expedite].why == "expedite: due now"
    assert rows[old].status == LrmStatus.AT_RISK
    assert "17 days (85th percentile cycle time of its type and class, 20 items)" in rows[late].why
    assert set(rows) == {late, due, approaching, far, expedite, old}  # no LRM without a due date
    order = [r.item.id for r in lrm.board_lrm(db, board_id=board.id)]
    assert order.index(late) < order.index(due) < order.index(old) < order.index(approaching)


def test_commitment_timing_says_how_early_or_late_items_were_committed(db):
    ws = create_workspace(db, name="Timing")
    board = create_board(
        db,
        workspace_id=ws.id,
        name="Content",
        stages=[
            {"name": "Ideas", "kind": "option"},
            {"name": "Doing", "kind": "committed"},
            {"name": "Done", "kind": "done"},
        ],
    )
    ideas, doing, done = (s.id for s in board.stages)
    now = dt.datetime.now(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    today = now.date()
    # Twenty finished items of 10 days each (no due date): LT_85 = 10, buffer 7 -> due - 17.
    for n in range(20):
        item = create_item(db, actor_id=None, board_id=board.id, title=f"Past {n}", now=now - 90 * DAY).item
        move_item(db, actor_id=None, item_id=item.id, to_stage_id=doing, now=now - 80 * DAY)
        move_item(db, actor_id=None, item_id=item.id, to_stage_id=done, now=now - 71 * DAY)

    def committed(title, due_in, committed_days_ago):
        item = create_item(
            db,
            actor_id=None,
            board_id=board.id,
            title=title,
            due_date=today + due_in * DAY,
            now=now - 60 * DAY,
        ).item
        move_item(db, actor_id=None, item_id=item.id, to_stage_id=doing, now=now - committed_days_ago * DAY)

    committed("Early", 40, 5)  # commit-by today + 23, committed 5 days ago: 28 days early
    committed("On time", 20, 0)  # commit-by today + 3, committed today: 3 days early
    committed("Late", 10, 0)  # commit-by 7 days ago: 7 days late
    summary = lrm.commitment_timing_summary(db, board_id=board.id)
    assert [(t.title, t.days) for t in summary.items] == [("Early", -28), ("On time", -3), ("Late", 7)]
    assert summary.median_days == -3
    assert summary.too_early_share == 1 / 3 and summary.late_share == 1 / 3
