"""Benchmark of the promise cycle's use cases on the demo workspace. Not a test: it prints
figures.

On a new database with the demo workspace (a temporary SQLite file, or with --postgres URL
a database created on that server and dropped afterwards) it measures, in process:

* request: `request_handoff` from a Sales deal to the Marketing board with a named performer
  and a blocker on the deal (the handoff, its linked item, the blocker and the first step,
  one transaction);
* step: `take_step` promise, then accept after a declared completion (which also ends the
  deal's blocker);
* list: `list_handoffs` of the workspace (all of them, with names and histories);
* waiting: `waiting_item_ids` of the Sales board, the one query the board page adds.

    python bench/handoff_bench.py [--handoffs 200] [--postgres postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from pullplan.demo import create_demo
from pullplan.services import handoffs
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.storage.tables import BlockerRow, BoardRow, ItemRow, UserRow


def figures(name: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[max(0, int(0.95 * len(ordered)) - 1)]
    p50 = statistics.median(ordered)
    return f"{name:<28} n={len(seconds):<5} p50 {p50 * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms"


def timed(seconds: list[float], call, *args, **kwargs):
    start = time.perf_counter()
    result = call(*args, **kwargs)
    seconds.append(time.perf_counter() - start)
    return result


def run(db: Database, count: int) -> None:
    upgrade(db)
    workspace = create_demo(db)
    with db.read() as session:
        boards = dict(
            session.execute(
                select(BoardRow.name, BoardRow.id).where(BoardRow.workspace_id == workspace)
            ).all()
        )
        users = dict(session.execute(select(UserRow.username, UserRow.id)).all())
        deals = session.scalars(
            select(ItemRow.id)
            .where(
                ItemRow.board_id == boards["Sales"],
                ItemRow.archived_at.is_(None),
                ~select(BlockerRow.id)
                .where(BlockerRow.item_id == ItemRow.id, BlockerRow.ended_at.is_(None))
                .exists(),
            )
            .order_by(ItemRow.id.desc())
            .limit(count)
        ).all()
    due = date.today() + timedelta(days=14)
    asked, promised, accepted, listed, waiting = [], [], [], [], []
    for deal in deals:
        view = timed(
            asked,
            handoffs.request_handoff,
            db,
            actor_id=users["hugo"],
            requesting_item_id=deal,
            performer_board_id=boards["Marketing"],
            title="Case study",
            conditions="Two pages with a quote.",
            due_date=due,
            performer_id=users["emma"],
            block=True,
        )
        timed(promised, handoffs.take_step, db, actor_id=users["emma"], handoff_id=view.id, step="promise")
        handoffs.take_step(db, actor_id=users["emma"], handoff_id=view.id, step="declare_complete")
        timed(accepted, handoffs.take_step, db, actor_id=users["hugo"], handoff_id=view.id, step="accept")
    for _ in range(20):
        timed(listed, handoffs.list_handoffs, db, workspace_id=workspace, limit=1000)
        timed(waiting, handoffs.waiting_item_ids, db, boards["Sales"])
    total = len(handoffs.list_handoffs(db, workspace_id=workspace, limit=10_000))
    print(figures("request (blocking the deal)", asked))
    print(figures("step: promise", promised))
    print(figures("step: accept (unblocks)", accepted))
    print(figures(f"list all {total} with history", listed))
    print(figures("waiting items of a board", waiting))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handoffs", type=int, default=200)
    parser.add_argument("--postgres", help="a PostgreSQL server URL: also run there")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite file", flush=True)
        db = Database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        try:
            run(db, args.handoffs)
        finally:
            db.dispose()
    if args.postgres:
        name = f"pullplan_bench_{uuid.uuid4().hex[:12]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            print("PostgreSQL")
            db = Database(make_url(args.postgres).set(database=name).render_as_string(hide_password=False))
            try:
                run(db, args.handoffs)
            finally:
                db.dispose()
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
