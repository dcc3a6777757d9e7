"""Benchmark of the Last Planner on the demo workspace. Not a test: it prints figures.

It creates the demo in a temporary SQLite file (and PostgreSQL with --postgres URL, an admin
URL of a server where it may create and drop a database) and times, after a warm-up, the
reads the planner pages make: the lookahead (the pull plan's schedule and every open item
due in six weeks, with their constraints), this week's plan (its promises, check-ins,
candidates and each performer's throughput), the metrics of twelve weeks by team and person
with the Pareto, and a pull plan; and the demo's planner data itself.

    python bench/planner_bench.py [--runs 20] [--postgres postgresql+psycopg://postgres@127.0.0.1/postgres]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from pullplan import demo_planner
from pullplan.demo import create_demo
from pullplan.services import planner, planner_weeks
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.storage.planner_tables import MilestoneRow


def timed(fn, runs: int) -> tuple[float, float]:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - started))
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def bench(url: str, label: str, runs: int) -> None:
    db = Database(url)
    upgrade(db)
    started = time.perf_counter()
    workspace = create_demo(db)
    demo_s = time.perf_counter() - started
    with db.read() as session:
        milestone = session.scalar(select(MilestoneRow.id).limit(1))
    print(f"\n[{label}] demo created in {demo_s:.2f} s (boards and planner)")
    cases = {
        "lookahead": lambda: planner.lookahead(db, workspace),
        "weekly plan": lambda: planner_weeks.weekly_plan(db, workspace),
        "metrics, 12 weeks": lambda: planner_weeks.planner_metrics(db, workspace, weeks=12),
        "pull plan": lambda: planner.pull_plan(db, milestone),
    }
    for name, fn in cases.items():
        p50, p95 = timed(fn, runs)
        print(f"  {name:<18} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    view = planner.lookahead(db, workspace)
    print(
        f"  lookahead: {len(view.tasks)} tasks in {len(view.weeks)} weeks; "
        f"demo: {demo_planner.WEEKS} closed weeks"
    )
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--postgres", help="an admin URL of a PostgreSQL server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bench(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", "SQLite", args.runs)
    if args.postgres:
        name = f"pullplan_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            bench(
                make_url(args.postgres).set(database=name).render_as_string(hide_password=False),
                "PostgreSQL",
                args.runs,
            )
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
