"""Benchmark of commit-by dates with aggregates. Not a test: it prints figures.

It creates the demo workspace in a temporary SQLite file and measures, in-process, p50 and
p95 of: `board_lrm` on each demo board (the board page and the commit-by page read it; its
aggregates' LT_p is a Monte Carlo forecast of their children), `workspace_lrm` (the
commit-by page's list), and one `aggregate_lead_time` of five children at 10,000 trials.

    python bench/commit_by_bench.py [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from pullplan.analytics.aggregate_forecast import aggregate_lead_time
from pullplan.demo import create_demo
from pullplan.services import lrm
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.storage.tables import BoardRow


def _times(fn, runs: int) -> tuple[float, float]:
    fn()  # warm-up
    ms = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - start) * 1000)
    ms.sort()
    return statistics.median(ms), ms[max(0, round(0.95 * len(ms)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        upgrade(db)
        workspace_id = create_demo(db)
        with db.read() as session:
            boards = session.execute(
                select(BoardRow.id, BoardRow.name).where(BoardRow.workspace_id == workspace_id)
            ).all()
        for board_id, name in boards:
            rows = lrm.board_lrm(db, board_id=board_id)
            aggregates = sum(1 for r in rows if r.forecast_children)
            p50, p95 = _times(lambda b=board_id: lrm.board_lrm(db, board_id=b), runs)
            label = f"board_lrm {name}: {len(rows)} rows, {aggregates} aggregates"
            print(f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        p50, p95 = _times(lambda: lrm.workspace_lrm(db, workspace_id=workspace_id), runs)
        print(f"workspace_lrm (the commit-by page's list): p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        db.dispose()
    history = list(range(1, 61))
    p50, p95 = _times(lambda: aggregate_lead_time([history] * 5, [0, -3, -7, -10, -28], 85), runs)
    print(f"aggregate_lead_time, 5 children, 10,000 trials: p50 {p50:.2f} ms, p95 {p95:.2f} ms")


if __name__ == "__main__":
    main()
