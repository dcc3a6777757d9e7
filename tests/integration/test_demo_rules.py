"""The demo's rules: a scheduler tick announces the Marketing options due for commitment and
those past their LRM; the CRM source's signed "deal reached proposal" asks Marketing for
proposal support."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from pullplan.demo import create_demo
from pullplan.domain.lrm import LrmStatus
from pullplan.integrations.webhooks import signed_headers
from pullplan.services import lrm, webhooks
from pullplan.services.scheduler import tick
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.storage.rule_tables import NotificationRow, RuleRow, WebhookSourceRow
from pullplan.storage.tables import BoardRow, ItemRow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}")
    upgrade(db)
    workspace_id = create_demo(db)
    yield db, workspace_id
    db.dispose()


def test_the_demo_has_its_rules_and_a_crm_source(demo):
    db, workspace_id = demo
    with db.read() as session:
        names = session.scalars(select(RuleRow.name).where(RuleRow.workspace_id == workspace_id)).all()
        sources = session.scalars(
            select(WebhookSourceRow.name).where(WebhookSourceRow.workspace_id == workspace_id)
        )
        assert list(sources) == ["CRM"]
    assert "Commit now (Marketing)" in names and "Deal reached proposal" in names


def test_a_tick_announces_the_marketing_options_due_for_commitment_once(demo):
    db, workspace_id = demo
    with db.read() as session:
        marketing = session.scalar(
            select(BoardRow.id).where(BoardRow.workspace_id == workspace_id, BoardRow.name == "Marketing")
        )
    due = {
        r.item.title
        for r in lrm.board_lrm(db, board_id=marketing)
        if r.status == LrmStatus.DUE and r.commit_by
    }
    assert due, "the demo's Marketing board has options due for commitment today"

    now = dt.datetime.now(dt.UTC)
    first = tick(db, now=now)
    again = tick(db, now=now)

    with db.read() as session:
        messages = session.scalars(
            select(NotificationRow.message).where(NotificationRow.workspace_id == workspace_id)
        ).all()
    announced = {m.split(": commit by")[0] for m in messages if ": commit by" in m}
    assert announced == due
    assert first.fired and again.fired == []


def test_the_crm_says_a_deal_reached_proposal(demo):
    db, workspace_id = demo
    with db.read() as session:
        source = session.scalars(
            select(WebhookSourceRow).where(WebhookSourceRow.workspace_id == workspace_id)
        ).one()
    body = json.dumps({"deal": "Globex expansion", "stage": "proposal", "amount": 120000}).encode()
    now = dt.datetime.now(dt.UTC)

    received = webhooks.receive(
        db, source_id=source.id, headers=signed_headers(source.secret, body, now), body=body
    )

    assert [f["rule"] for f in received.fired] == ["Deal reached proposal"]
    with db.read() as session:
        item = session.get(ItemRow, received.fired[0]["results"][0]["item_id"])
        board = session.get(BoardRow, item.board_id)
    assert (board.name, item.title) == ("Marketing", "Proposal support: Globex expansion")
