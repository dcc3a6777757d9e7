"""The demo's trigger rules: Marketing hears when an option reaches its last responsible
moment, anyone when one is past it, and a CRM source whose "deal reached proposal" event
asks Marketing for proposal support."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pullplan.domain.rules import parse_rule, rule_data
from pullplan.integrations.webhooks import new_secret
from pullplan.storage.rule_tables import RuleRow, WebhookSourceRow
from pullplan.storage.tables import BoardRow

RULES = [
    {
        "name": "Commit now (Marketing)",
        "event": "lrm.due",
        "conditions": [{"field": "board", "op": "equals", "value": "Marketing"}],
        "actions": [
            {"kind": "notify", "message": "{title}: commit by {commit_by}, its last responsible moment"}
        ],
    },
    {
        "name": "Past its last responsible moment",
        "event": "lrm.late",
        "actions": [
            {
                "kind": "notify",
                "message": "{title} ({board}) is past its commit-by date {commit_by}: "
                "renegotiate the date or scope, or expedite",
            }
        ],
    },
    {
        "name": "Deal reached proposal",
        "event": "webhook.received",
        "source": "CRM",
        "conditions": [{"field": "payload.stage", "op": "equals", "value": "proposal"}],
        "actions": [
            {
                "kind": "create_item",
                "board": "Marketing",
                "stage": "Ideas",
                "title": "Proposal support: {payload.deal}",
                "type": "Content",
                "due_in_days": 10,
            },
            {"kind": "notify", "message": "{payload.deal} reached proposal: Marketing is asked for support"},
        ],
    },
    {
        "name": "A big deal is blocked",
        "event": "item.blocked",
        "conditions": [
            {"field": "board", "op": "equals", "value": "Sales"},
            {"field": "value", "op": ">=", "value": 50000},
        ],
        "actions": [{"kind": "notify", "message": "Blocked: {title}, worth {value}"}],
    },
]


def add(session: Session, workspace_id: int, now: datetime) -> None:
    """Write the rules and the CRM source (its secret is new each time: see it with the API)."""
    boards = set(session.scalars(select(BoardRow.name).where(BoardRow.workspace_id == workspace_id)))
    if not {"Marketing", "Sales"} <= boards:
        return
    for data in RULES:
        spec = parse_rule(data)
        session.add(
            RuleRow(
                workspace_id=workspace_id,
                name=spec.name,
                event=spec.event.value,
                spec=rule_data(spec),
                enabled=True,
                created_at=now,
                updated_at=now,
            )
        )
    session.add(WebhookSourceRow(workspace_id=workspace_id, name="CRM", secret=new_secret(), created_at=now))
