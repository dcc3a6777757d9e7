"""Benchmark of trigger rules: a scheduler tick on the demo workspace, the cost rules add to
an item write, and signed inbound webhooks. Not a test: it prints figures.

    python bench/rules_bench.py [--ticks 10] [--moves 200] [--hooks 200]

On a temporary SQLite file with the demo workspace (its four rules and a CRM source):

* a tick: the first (which fires the LRM rules on every due and late option) and the
  steady state (every event already fired), p50 of `--ticks`;
* an item move (between two option stages of a new board, back and forth) with no rules
  on `item.moved`, and with 20 of them (none matching, then one matching that notifies): p50 and p95 per move;
* `receive` of a signed CRM request that creates a proposal-support item, p50 and p95.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from pullplan.demo import create_demo
from pullplan.integrations.webhooks import signed_headers
from pullplan.services import items, rules, webhooks
from pullplan.services.boards import create_board
from pullplan.services.scheduler import tick
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.storage.rule_tables import WebhookSourceRow


def ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=10)
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--hooks", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        upgrade(db)
        workspace_id = create_demo(db)
        now = dt.datetime.now(dt.UTC)

        first = time.perf_counter()
        report = tick(db, now=now)
        first = time.perf_counter() - first
        steady = [timed(lambda: tick(db, now=now)) for _ in range(args.ticks)]
        print(f"tick, first: {first * 1000:.0f} ms ({len(report.fired)} firings on {report.events} events)")
        print(f"tick, steady state: {ms(steady)}")

        board = create_board(
            db,
            workspace_id=workspace_id,
            name="Bench",
            stages=[
                {"name": "Ideas", "kind": "option"},
                {"name": "Next", "kind": "option"},
                {"name": "Doing", "kind": "committed"},
                {"name": "Done", "kind": "done"},
            ],
        )
        item = items.create_item(db, actor_id=None, board_id=board.id, title="Bench item").item
        a, b = board.stages[0].id, board.stages[1].id

        def moves(n: int) -> list[float]:
            out = []
            for k in range(n):
                target = b if k % 2 == 0 else a
                out.append(
                    timed(lambda t=target: items.move_item(db, actor_id=None, item_id=item.id, to_stage_id=t))
                )
            return out

        print(f"move, no rules on item.moved: {ms(moves(args.moves))}")
        for n in range(20):
            rules.create_rule(
                db,
                actor_id=None,
                workspace_id=workspace_id,
                data={
                    "name": f"Bench {n}",
                    "event": "item.moved",
                    "conditions": [{"field": "board", "op": "equals", "value": "Sales"}],
                    "actions": [{"kind": "notify", "message": "{title}"}],
                },
            )
        print(f"move, 20 rules, none matching: {ms(moves(args.moves))}")
        rules.create_rule(
            db,
            actor_id=None,
            workspace_id=workspace_id,
            data={
                "name": "Bench match",
                "event": "item.moved",
                "actions": [{"kind": "notify", "message": "{title}"}],
            },
        )
        print(f"move, 21 rules, one matching (a notification each): {ms(moves(args.moves))}")

        with db.read() as session:
            source = session.scalars(
                select(WebhookSourceRow).where(WebhookSourceRow.workspace_id == workspace_id)
            ).one()
        hooks = []
        for n in range(args.hooks):
            body = json.dumps({"deal": f"Bench deal {n}", "stage": "proposal"}).encode()
            headers = signed_headers(source.secret, body, dt.datetime.now(dt.UTC))
            hooks.append(
                timed(lambda h=headers, b=body: webhooks.receive(db, source_id=source.id, headers=h, body=b))
            )
        print(f"inbound webhook creating an item: {ms(hooks)}")
        db.dispose()


if __name__ == "__main__":
    main()
