"""Outbound webhooks: written with the change, delivered to a real receiver once, in order,
signed, retried with exponential backoff, and logged."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from pullplan.integrations import outbox
from pullplan.integrations.webhooks import DELIVERY_HEADER, verify
from pullplan.services import rules, webhooks
from pullplan.services.boards import create_board, create_workspace
from pullplan.services.items import create_item, move_item
from pullplan.storage.rule_tables import DeliveryRow, OutboxRow


class Receiver:
    """A tiny HTTP server on 127.0.0.1 that answers 500 to its first `failures` requests."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[dict, bytes]] = []  # (headers, body) of every request
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = 500 if len(receiver.received) <= receiver.failures else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/pullplan"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = Receiver(failures=2)
    yield made
    made.close()


def test_a_delivery_that_fails_twice_is_retried_with_backoff_and_delivered_once_in_order(db, receiver):
    t0 = dt.datetime.now(dt.UTC).replace(microsecond=0)
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
    ideas, doing, _ = (s.id for s in board.stages)
    target = webhooks.create_target(
        db, actor_id=None, workspace_id=ws.id, name="Slack relay", url=receiver.url
    )
    rules.create_rule(
        db,
        actor_id=None,
        workspace_id=ws.id,
        data={
            "name": "Tell the channel",
            "event": "item.moved",
            "conditions": [{"field": "stage", "op": "equals", "value": "Doing"}],
            "actions": [
                {"kind": "notify", "message": "{title} was pulled into {stage}", "target": "Slack relay"}
            ],
        },
    )
    first = create_item(db, actor_id=None, board_id=board.id, title="Spring webinar", now=t0).item
    second = create_item(db, actor_id=None, board_id=board.id, title="Case study", now=t0).item
    move_item(db, actor_id=None, item_id=first.id, to_stage_id=doing, now=t0)
    move_item(db, actor_id=None, item_id=second.id, to_stage_id=doing, now=t0)
    with db.read() as session:  # written by the moves themselves, in their transactions
        queued = session.scalars(select(OutboxRow).order_by(OutboxRow.id)).all()
    assert [row.payload["message"] for row in queued] == [
        "Spring webinar was pulled into Doing",
        "Case study was pulled into Doing",
    ]

    def deliver(seconds: int) -> list[tuple[int, bool]]:
        return [(a.outbox_id, a.ok) for a in outbox.deliver_due(db, now=t0 + dt.timedelta(seconds=seconds))]

    a, b = (row.id for row in queued)
    assert deliver(0) == [(a, False)]  # the second waits behind the first
    assert deliver(9) == []  # backoff: 10 s after the first failure
    assert deliver(10) == [(a, False)]
    assert deliver(29) == []  # then 20 s
    assert deliver(30) == [(a, True), (b, True)]
    assert deliver(3600) == []  # delivered once: nothing more to send

    bodies = [json.loads(body)["message"] for _, body in receiver.received]
    assert bodies == ["Spring webinar was pulled into Doing"] * 3 + ["Case study was pulled into Doing"]
    assert [h[DELIVERY_HEADER] for h, _ in receiver.received] == [str(a)] * 3 + [str(b)]
    for (headers, body), seconds in zip(receiver.received, (0, 10, 30, 30), strict=True):
        verified = verify(target.secret, headers, body, t0 + dt.timedelta(seconds=seconds))
        assert verified.sent_at == t0 + dt.timedelta(seconds=seconds)
    with db.read() as session:
        log = session.execute(
            select(
                DeliveryRow.outbox_id, DeliveryRow.attempt, DeliveryRow.at, DeliveryRow.status_code
            ).order_by(DeliveryRow.id)
        ).all()
        rows = {r.id: r for r in session.scalars(select(OutboxRow))}
    assert [(o, n, at - t0, status) for o, n, at, status in log] == [
        (a, 1, dt.timedelta(0), 500),
        (a, 2, dt.timedelta(seconds=10), 500),
        (a, 3, dt.timedelta(seconds=30), 200),
        (b, 1, dt.timedelta(seconds=30), 200),
    ]
    assert rows[a].attempts == 3 and rows[a].delivered_at == t0 + dt.timedelta(seconds=30)
    assert rows[a].last_error is None and rows[b].attempts == 1
    listed = webhooks.deliveries(db, workspace_id=ws.id)
    assert [(d.outbox.id, [x.status_code for x in d.attempts]) for d in listed] == [
        (b, [200]),
        (a, [500, 500, 200]),
    ]


def test_backoff_doubles_up_to_an_hour():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4, 10, 20)] == [10, 20, 40, 80, 3600, 3600]


def test_an_unreachable_receiver_is_logged_and_retried(db):
    t0 = dt.datetime.now(dt.UTC).replace(microsecond=0)
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
    webhooks.create_target(
        db, actor_id=None, workspace_id=ws.id, name="Gone", url="http://127.0.0.1:9/nothing"
    )
    rules.create_rule(
        db,
        actor_id=None,
        workspace_id=ws.id,
        data={
            "name": "Announce",
            "event": "item.created",
            "actions": [{"kind": "notify", "message": "{title}", "target": "Gone"}],
        },
    )
    create_item(db, actor_id=None, board_id=board.id, title="Roadshow", now=t0)

    attempts = outbox.deliver_due(db, now=t0)

    assert [(a.ok, a.status_code) for a in attempts] == [(False, None)]
    assert "ConnectError" in attempts[0].error
    with db.read() as session:
        row = session.scalars(select(OutboxRow)).one()
    assert row.next_attempt_at == t0 + dt.timedelta(seconds=10) and row.delivered_at is None


def test_two_workers_deliver_each_row_once(db, database_url):
    """Two workers, each with its own connections, pass over the outbox at once: the lease on
    each row lets one of them send it."""
    import threading

    from pullplan.storage.database import Database

    receiver = Receiver(failures=0)
    try:
        t0 = dt.datetime.now(dt.UTC).replace(microsecond=0)
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
        webhooks.create_target(db, actor_id=None, workspace_id=ws.id, name="Relay", url=receiver.url)
        rules.create_rule(
            db,
            actor_id=None,
            workspace_id=ws.id,
            data={
                "name": "Announce",
                "event": "item.created",
                "actions": [{"kind": "notify", "message": "{title}", "target": "Relay"}],
            },
        )
        for n in range(12):
            create_item(db, actor_id=None, board_id=board.id, title=f"Mailing {n}", now=t0)
        workers = [Database(database_url) for _ in range(2)]
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def run(worker_db):
            try:
                barrier.wait()
                for _ in range(3):
                    outbox.deliver_due(worker_db, now=t0)
            except BaseException as e:  # noqa: BLE001 - reported by the test
                errors.append(e)

        threads = [threading.Thread(target=run, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        for w in workers:
            w.dispose()
    finally:
        receiver.close()

    assert errors == []
    sent = [json.loads(body)["message"] for _, body in receiver.received]
    assert sorted(sent) == sorted(f"Mailing {n}" for n in range(12))  # each once
    assert sent == [f"Mailing {n}" for n in range(12)]  # and in order
