"""Outbound webhooks: deliver the outbox, in order per target, with retries and backoff.

Rows are written by the change that causes them, in its transaction (services.rule_actions).
A worker takes the oldest undelivered row of each target: the rows behind it wait, so a
receiver sees events in the order they happened. A row is claimed with a compare-and-swap
on its `next_attempt_at` (a lease), so two workers never send it at once. A failed attempt
(no answer, or a status other than 2xx) is tried again after 10 s, 20 s, 40 s, ... (doubling,
at most an hour), up to MAX_ATTEMPTS; each attempt is logged in webhook_deliveries.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass

import httpx
from sqlalchemy import func, select, update

from pullplan.integrations.webhooks import DELIVERY_HEADER, EVENT_HEADER, signed_headers
from pullplan.services.clock import utcnow
from pullplan.storage.database import Database
from pullplan.storage.rule_tables import DeliveryRow, OutboxRow, WebhookTargetRow

BACKOFF_BASE_SECONDS = 10
BACKOFF_MAX_SECONDS = 3600
MAX_ATTEMPTS = 10
LEASE_SECONDS = 60  # a claimed row is not taken by another worker for this long
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Attempt:
    outbox_id: int
    attempt: int
    ok: bool
    status_code: int | None
    error: str | None


def backoff(attempt: int) -> dt.timedelta:
    """How long to wait after the `attempt`-th failure (1, 2, ...): 10 s, 20 s, 40 s, ..."""
    return dt.timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** (attempt - 1), BACKOFF_MAX_SECONDS))


def body_of(row: OutboxRow) -> bytes:
    return json.dumps(row.payload, sort_keys=True, separators=(",", ":")).encode()


def deliver_due(
    db: Database, *, now: dt.datetime | None = None, client: httpx.Client | None = None
) -> list[Attempt]:
    """One pass: for each target, try its oldest pending row if its time has come (and, when
    that succeeds, the next ones). Returns the attempts made."""
    now = now or utcnow()
    attempts: list[Attempt] = []
    own = client is None
    client = client or httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
    try:
        with db.read() as session:
            heads = session.execute(
                select(OutboxRow.target_id, func.min(OutboxRow.id))
                .where(OutboxRow.delivered_at.is_(None), OutboxRow.failed_at.is_(None))
                .group_by(OutboxRow.target_id)
            ).all()
        for _target_id, head_id in heads:
            outbox_id = head_id
            while outbox_id is not None:
                attempt = _try(db, client, outbox_id, now)
                if attempt is None:
                    break  # not due yet, or another worker has it
                attempts.append(attempt)
                if not attempt.ok:
                    break  # the rows behind it wait: order is kept
                outbox_id = _next_pending(db, attempt.outbox_id)
    finally:
        if own:
            client.close()
    return attempts


def _next_pending(db: Database, after_id: int) -> int | None:
    with db.read() as session:
        target_id = session.scalar(select(OutboxRow.target_id).where(OutboxRow.id == after_id))
        return session.scalar(
            select(func.min(OutboxRow.id)).where(
                OutboxRow.target_id == target_id,
                OutboxRow.id > after_id,
                OutboxRow.delivered_at.is_(None),
                OutboxRow.failed_at.is_(None),
            )
        )


def _try(db: Database, client: httpx.Client, outbox_id: int, now: dt.datetime) -> Attempt | None:
    with db.write() as session:
        row = session.get(OutboxRow, outbox_id)
        if row is None or row.delivered_at is not None or row.failed_at is not None:
            return None
        if row.next_attempt_at > now:
            return None
        # Compare-and-swap: whoever moves next_attempt_at first owns this attempt.
        claimed = session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == outbox_id, OutboxRow.next_attempt_at == row.next_attempt_at)
            .values(next_attempt_at=now + dt.timedelta(seconds=LEASE_SECONDS))
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            return None
        target = session.get(WebhookTargetRow, row.target_id)
        body = body_of(row)
        number = row.attempts + 1
        url, secret, event = target.url, target.secret, row.event
    headers = {**signed_headers(secret, body, now), EVENT_HEADER: event, DELIVERY_HEADER: str(outbox_id)}
    started = time.perf_counter()
    status_code, error = None, None
    try:
        response = client.post(url, content=body, headers=headers)
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"the receiver answered {status_code}"
    except httpx.HTTPError as e:
        error = f"{type(e).__name__}: {e}"[:500] or type(e).__name__
    duration_ms = int((time.perf_counter() - started) * 1000)
    ok = error is None
    with db.write() as session:
        session.add(
            DeliveryRow(
                outbox_id=outbox_id,
                attempt=number,
                at=now,
                status_code=status_code,
                error=error,
                duration_ms=duration_ms,
            )
        )
        values: dict = {"attempts": number, "last_error": error}
        if ok:
            values["delivered_at"] = now
        elif number >= MAX_ATTEMPTS:
            values["failed_at"] = now
        else:
            values["next_attempt_at"] = now + backoff(number)
        session.execute(update(OutboxRow).where(OutboxRow.id == outbox_id).values(**values))
    return Attempt(outbox_id, number, ok, status_code, error)
