"""The scheduler: time-based rules fire once, at the last responsible moment, as the clock
moves; and once only when two workers tick against the same database."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import select

from pullplan.services import rules
from pullplan.services.boards import create_board, create_workspace
from pullplan.services.items import create_item, move_item
from pullplan.services.scheduler import Worker
from pullplan.storage.database import Database
from pullplan.storage.rule_tables import NotificationRow, RuleFiringRow

DAY = dt.timedelta(days=1)


class MovingClock:
    """A clock a test moves by hand."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


def board_with_history(db: Database, now: dt.datetime):
    """A board whose 20 finished items took 1..20 days: LT85 = 17 days; with the 7-day buffer,
    commit_by = due - 24 days."""
    ws = create_workspace(db, name="Field Marketing")
    board = create_board(
        db,
        workspace_id=ws.id,
        name="Marketing",
        stages=[
            {"name": "Ideas", "kind": "option"},
            {"name": "Doing", "kind": "committed"},
            {"name": "Done", "kind": "done"},
        ],
    )
    ideas, doing, done = (s.id for s in board.stages)
    for n in range(20):
        item = create_item(db, actor_id=None, board_id=board.id, title=f"Past {n}", now=now - 60 * DAY).item
        move_item(db, actor_id=None, item_id=item.id, to_stage_id=doing, now=now - (30 + n) * DAY)
        move_item(db, actor_id=None, item_id=item.id, to_stage_id=done, now=now - 30 * DAY)
    return ws, board


def lrm_rules(db: Database, workspace_id: int) -> tuple[int, int]:
    due = rules.create_rule(
        db,
        actor_id=None,
        workspace_id=workspace_id,
        data={
            "name": "Commit now",
            "event": "lrm.due",
            "conditions": [{"field": "board", "op": "equals", "value": "Marketing"}],
            "actions": [{"kind": "notify", "message": "{title}: commit by {commit_by}"}],
        },
    )
    late = rules.create_rule(
        db,
        actor_id=None,
        workspace_id=workspace_id,
        data={
            "name": "Past its LRM",
            "event": "lrm.late",
            "actions": [{"kind": "notify", "message": "{title} is past its last responsible moment"}],
        },
    )
    return due.id, late.id


def notifications(db: Database) -> list[NotificationRow]:
    with db.read() as session:
        return list(session.scalars(select(NotificationRow).order_by(NotificationRow.id)))


def test_rules_fire_once_at_the_lrm_as_the_clock_moves(db):
    start = dt.datetime.now(dt.UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    ws, board = board_with_history(db, start)
    due_rule, late_rule = lrm_rules(db, ws.id)
    # Due in 40 days: commit by start + 16 days; `due` from start + 10 (6 days left, less than
    # the 7-day cadence), `late` from start + 17.
    launch = create_item(
        db,
        actor_id=None,
        board_id=board.id,
        title="Trade show booth",
        due_date=(start + 40 * DAY).date(),
        now=start,
    ).item
    clock = MovingClock(start)
    worker = Worker(db, clock=clock, deliver=False)

    seen: dict[int, list[str]] = {}
    for day in range(0, 21):
        for _ in range(3):  # several ticks a day, as a loop every minute makes
            worker.run_once()
            clock.advance(dt.timedelta(hours=4))
        seen[day] = [n.message for n in notifications(db)]
        clock.now = start + (day + 1) * DAY

    commit_by = (start + 16 * DAY).date().isoformat()
    assert seen[9] == []
    assert seen[10] == [f"Trade show booth: commit by {commit_by}"]
    assert seen[16] == seen[10]
    assert seen[17] == seen[10] + ["Trade show booth is past its last responsible moment"]
    assert seen[20] == seen[17]
    with db.read() as session:
        fired = session.execute(select(RuleFiringRow.rule_id, RuleFiringRow.item_id)).all()
    assert sorted(fired) == sorted([(due_rule, launch.id), (late_rule, launch.id)])


def test_a_renegotiated_due_date_is_news_but_a_repeated_tick_is_not(db):
    start = dt.datetime.now(dt.UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    ws, board = board_with_history(db, start)
    lrm_rules(db, ws.id)
    item = create_item(
        db, actor_id=None, board_id=board.id, title="Webinar", due_date=(start + 20 * DAY).date(), now=start
    ).item
    worker = Worker(db, clock=lambda: start, deliver=False)

    worker.run_once()
    worker.run_once()
    from pullplan.services.items import edit_item

    edit_item(db, actor_id=None, item_id=item.id, changes={"due_date": (start + 27 * DAY).date()}, now=start)
    worker.run_once()

    messages = [n.message for n in notifications(db)]
    assert messages == [
        "Webinar is past its last responsible moment",  # due in 20 days: commit by 4 days ago
        f"Webinar: commit by {(start + 3 * DAY).date().isoformat()}",  # moved out: due now
    ]


def test_two_workers_fire_a_time_event_once(db, database_url):
    start = dt.datetime.now(dt.UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    ws, board = board_with_history(db, start)
    rules.create_rule(
        db,
        actor_id=None,
        workspace_id=ws.id,
        data={
            "name": "Due this week",
            "event": "item.due_soon",
            "days": 7,
            "actions": [{"kind": "notify", "message": "{title} is due in {days_left} days"}],
        },
    )
    for n in range(10):
        create_item(
            db,
            actor_id=None,
            board_id=board.id,
            title=f"Mailing {n}",
            due_date=(start + 3 * DAY).date(),
            now=start,
        )

    # Two workers, each with its own engine and connections, as two processes would have.
    workers = [Worker(Database(database_url), clock=lambda: start, deliver=False) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(worker: Worker) -> None:
        try:
            barrier.wait()
            for _ in range(3):
                worker.run_once()
        except BaseException as e:  # noqa: BLE001 - reported by the test
            errors.append(e)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for w in workers:
        w.db.dispose()

    assert errors == []
    messages = sorted(n.message for n in notifications(db))
    assert messages == sorted(f"Mailing {n} is due in 3 days" for n in range(10))
