"""Webhook sources (inbound) and targets (outbound) of a workspace, receiving a signed
request, and the delivery log."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pullplan.domain.rules import Event, EventKind
from pullplan.integrations.webhooks import new_secret, verify
from pullplan.services import validation as v
from pullplan.services.accounts import record
from pullplan.services.clock import utcnow
from pullplan.services.errors import Conflict, InvalidInput, NotFound
from pullplan.services.rules import fire
from pullplan.storage.database import Database
from pullplan.storage.rule_tables import (
    DeliveryRow,
    InboundRequestRow,
    OutboxRow,
    WebhookSourceRow,
    WebhookTargetRow,
)
from pullplan.storage.tables import WorkspaceRow

NAME_MAX = 120
URL_MAX = 500


@dataclass(frozen=True)
class Received:
    request_id: int
    source: str
    fired: list[dict]


# --- sources and targets ----------------------------------------------------------------------


def list_sources(db: Database, *, workspace_id: int) -> list[WebhookSourceRow]:
    with db.read() as session:
        return list(
            session.scalars(
                select(WebhookSourceRow)
                .where(WebhookSourceRow.workspace_id == workspace_id)
                .order_by(WebhookSourceRow.id)
            )
        )


def create_source(
    db: Database, *, actor_id: int | None, workspace_id: int, name: str, now: dt.datetime | None = None
) -> WebhookSourceRow:
    """A new source with a new secret (the row holds it: show it once)."""
    name = v.text("name", name, max_len=NAME_MAX)
    now = now or utcnow()
    with db.write() as session:
        _workspace(session, workspace_id)
        _free(session, WebhookSourceRow, workspace_id, name, "webhook source")
        row = WebhookSourceRow(workspace_id=workspace_id, name=name, secret=new_secret(), created_at=now)
        session.add(row)
        session.flush()
        record(
            session, actor_id, workspace_id, "webhook_source.create", f"source {row.id}", {"name": name}, now
        )
        return row


def delete_source(
    db: Database, *, actor_id: int | None, source_id: int, now: dt.datetime | None = None
) -> None:
    now = now or utcnow()
    with db.write() as session:
        row = session.get(WebhookSourceRow, source_id)
        if row is None:
            raise NotFound("Webhook source", source_id)
        record(session, actor_id, row.workspace_id, "webhook_source.delete", f"source {row.id}", {}, now)
        session.execute(delete(WebhookSourceRow).where(WebhookSourceRow.id == source_id))


def list_targets(db: Database, *, workspace_id: int) -> list[WebhookTargetRow]:
    with db.read() as session:
        return list(
            session.scalars(
                select(WebhookTargetRow)
                .where(WebhookTargetRow.workspace_id == workspace_id)
                .order_by(WebhookTargetRow.id)
            )
        )


def create_target(
    db: Database,
    *,
    actor_id: int | None,
    workspace_id: int,
    name: str,
    url: str,
    now: dt.datetime | None = None,
) -> WebhookTargetRow:
    """A receiver of outbound webhooks; requests to it are signed with its new secret."""
    name = v.text("name", name, max_len=NAME_MAX)
    url = v.text("url", url, max_len=URL_MAX)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput("url", "must be an http:// or https:// address.")
    now = now or utcnow()
    with db.write() as session:
        _workspace(session, workspace_id)
        _free(session, WebhookTargetRow, workspace_id, name, "webhook target")
        row = WebhookTargetRow(
            workspace_id=workspace_id, name=name, url=url, secret=new_secret(), created_at=now
        )
        session.add(row)
        session.flush()
        record(
            session, actor_id, workspace_id, "webhook_target.create", f"target {row.id}", {"url": url}, now
        )
        return row


def delete_target(
    db: Database, *, actor_id: int | None, target_id: int, now: dt.datetime | None = None
) -> None:
    now = now or utcnow()
    with db.write() as session:
        row = session.get(WebhookTargetRow, target_id)
        if row is None:
            raise NotFound("Webhook target", target_id)
        record(session, actor_id, row.workspace_id, "webhook_target.delete", f"target {row.id}", {}, now)
        session.execute(delete(WebhookTargetRow).where(WebhookTargetRow.id == target_id))


def _workspace(session: Session, workspace_id: int) -> None:
    if session.get(WorkspaceRow, workspace_id) is None:
        raise NotFound("Workspace", workspace_id)


def _free(session: Session, table, workspace_id: int, name: str, noun: str) -> None:
    taken = session.scalars(select(table.name).where(table.workspace_id == workspace_id)).all()
    if any(t.casefold() == name.casefold() for t in taken):
        raise Conflict("name_taken", f"The workspace already has a {noun} named {name!r}.")


# --- receiving --------------------------------------------------------------------------------


def source_secret(db: Database, source_id: int) -> tuple[str, str]:
    """(name, secret) of a source, for `pullplan webhook test`."""
    with db.read() as session:
        row = session.get(WebhookSourceRow, source_id)
        if row is None:
            raise NotFound("Webhook source", source_id)
        return row.name, row.secret


def receive(
    db: Database, *, source_id: int, headers, body: bytes, now: dt.datetime | None = None
) -> Received:
    """Accept a signed request from a source and fire its workspace's webhook rules, all in
    one transaction. Refused (and nothing written): an unknown source (NotFound), a missing,
    wrong or stale signature (integrations.webhooks.SignatureRefused), a body that is not a JSON object
    (InvalidInput), a request already accepted (Conflict `replayed`)."""
    now = now or utcnow()
    with db.read() as session:
        source = session.get(WebhookSourceRow, source_id)
        if source is None:
            raise NotFound("Webhook source", source_id)
        secret, name, workspace_id = source.secret, source.name, source.workspace_id
    verified = verify(secret, headers, body, now)
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise InvalidInput("body", f"is not JSON ({type(e).__name__}).") from None
    if not isinstance(payload, dict):
        raise InvalidInput("body", "must be a JSON object.")
    with db.write() as session:
        seen = session.scalar(
            select(InboundRequestRow.id).where(
                InboundRequestRow.source_id == source_id, InboundRequestRow.signature == verified.signature
            )
        )
        if seen is not None:
            raise Conflict(
                "replayed", f"This request was already received (as request {seen}); it is not replayed."
            )
        row = InboundRequestRow(
            source_id=source_id,
            signature=verified.signature,
            sent_at=verified.sent_at,
            received_at=now,
            payload=payload,
            results=[],
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()  # the unique (source, signature) refuses a concurrent twin
        except IntegrityError:
            raise Conflict("replayed", "This request was already received; it is not replayed.") from None
        session.get(WebhookSourceRow, source_id).last_received_at = now
        event = Event(
            EventKind.WEBHOOK_RECEIVED,
            f"webhook:{source_id}:{verified.signature}",
            {"source": name},
            payload=payload,
            source=name,
        )
        fired = fire(session, workspace_id=workspace_id, event=event, now=now)
        row.results = fired
        return Received(row.id, name, fired)


# --- the delivery log -------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    outbox: OutboxRow
    target: str
    attempts: list[DeliveryRow]


def deliveries(db: Database, *, workspace_id: int, limit: int = 100) -> list[Delivery]:
    """The workspace's outbound webhooks, newest first, each with its attempts."""
    with db.read() as session:
        rows = session.execute(
            select(OutboxRow, WebhookTargetRow.name)
            .join(WebhookTargetRow, WebhookTargetRow.id == OutboxRow.target_id)
            .where(OutboxRow.workspace_id == workspace_id)
            .order_by(OutboxRow.id.desc())
            .limit(limit)
        ).all()
        ids = [r.id for r, _ in rows]
        attempts: dict[int, list[DeliveryRow]] = {}
        if ids:
            for d in session.scalars(
                select(DeliveryRow).where(DeliveryRow.outbox_id.in_(ids)).order_by(DeliveryRow.id)
            ):
                attempts.setdefault(d.outbox_id, []).append(d)
        return [Delivery(r, name, attempts.get(r.id, [])) for r, name in rows]
