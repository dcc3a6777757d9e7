"""Trigger rules: managing them per workspace, and firing them on events, once per event.

`fire` runs inside the caller's transaction: the item services call `item_event` in the same
transaction as the change, the scheduler and the inbound webhook open their own. A firing is
claimed by inserting (rule, event key) into rule_firings with ON CONFLICT DO NOTHING, so
however many workers or requests see an event, its rule fires once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pullplan.domain.pull_policy import PullDecision
from pullplan.domain.rules import (
    Event,
    EventKind,
    RuleInvalid,
    RuleSpec,
    describe,
    match,
    parse_rule,
    rule_data,
)
from pullplan.services import flow
from pullplan.services.accounts import record
from pullplan.services.clock import utcnow
from pullplan.services.errors import Conflict, InvalidInput, NotFound
from pullplan.services.rule_actions import perform
from pullplan.storage.database import Database
from pullplan.storage.repositories import load_board, load_item, run
from pullplan.storage.rule_tables import RuleFiringRow, RuleRow
from pullplan.storage.tables import BoardRow, ItemRow, TransitionRow, UserRow, WorkspaceRow

WIP_CODES = {"stage_wip", "stage_wip_expedite", "lane_wip", "person_wip", "allocation"}


@dataclass(frozen=True)
class Rule:
    id: int
    workspace_id: int
    spec: RuleSpec
    enabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def text(self) -> str:
        return describe(self.spec)


# --- managing rules ---------------------------------------------------------------------------


def checked(data: object) -> RuleSpec:
    """A rule from plain data, or InvalidInput naming the field (`rule.<field>`)."""
    try:
        return parse_rule(data)
    except RuleInvalid as e:
        raise InvalidInput(e.field, e.message) from None


def list_rules(db: Database, *, workspace_id: int) -> list[Rule]:
    with db.read() as session:
        rows = session.scalars(
            select(RuleRow).where(RuleRow.workspace_id == workspace_id).order_by(RuleRow.id)
        )
        return [_rule(r) for r in rows]


def get_rule(db: Database, rule_id: int) -> Rule:
    with db.read() as session:
        row = session.get(RuleRow, rule_id)
        if row is None:
            raise NotFound("Rule", rule_id)
        return _rule(row)


def create_rule(
    db: Database,
    *,
    actor_id: int | None,
    workspace_id: int,
    data: object,
    enabled: bool = True,
    now: dt.datetime | None = None,
) -> Rule:
    spec = checked(data)
    now = now or utcnow()
    with db.write() as session:
        if session.get(WorkspaceRow, workspace_id) is None:
            raise NotFound("Workspace", workspace_id)
        _name_free(session, workspace_id, spec.name)
        row = RuleRow(
            workspace_id=workspace_id,
            name=spec.name,
            event=spec.event.value,
            spec=rule_data(spec),
            enabled=enabled,
            created_at=now,
            created_by=actor_id,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        record(session, actor_id, workspace_id, "rule.create", f"rule {row.id}", {"name": spec.name}, now)
        return _rule(row)


def update_rule(
    db: Database,
    *,
    actor_id: int | None,
    rule_id: int,
    data: object | None = None,
    enabled: bool | None = None,
    now: dt.datetime | None = None,
) -> Rule:
    """Replace the rule's definition (`data`) and/or switch it on or off."""
    spec = checked(data) if data is not None else None
    now = now or utcnow()
    with db.write() as session:
        row = session.get(RuleRow, rule_id)
        if row is None:
            raise NotFound("Rule", rule_id)
        if spec is not None:
            if spec.name.casefold() != row.name.casefold():
                _name_free(session, row.workspace_id, spec.name)
            row.name, row.event, row.spec = spec.name, spec.event.value, rule_data(spec)
        if enabled is not None:
            row.enabled = enabled
        row.updated_at = now
        action = "rule.update" if spec is not None else ("rule.enable" if enabled else "rule.disable")
        record(session, actor_id, row.workspace_id, action, f"rule {row.id}", {"name": row.name}, now)
        session.flush()
        return _rule(row)


def delete_rule(db: Database, *, actor_id: int | None, rule_id: int, now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    with db.write() as session:
        row = session.get(RuleRow, rule_id)
        if row is None:
            raise NotFound("Rule", rule_id)
        record(session, actor_id, row.workspace_id, "rule.delete", f"rule {row.id}", {"name": row.name}, now)
        session.execute(delete(RuleRow).where(RuleRow.id == rule_id))


def firings(db: Database, *, rule_id: int, limit: int = 50) -> list[RuleFiringRow]:
    with db.read() as session:
        return list(
            session.scalars(
                select(RuleFiringRow)
                .where(RuleFiringRow.rule_id == rule_id)
                .order_by(RuleFiringRow.id.desc())
                .limit(limit)
            )
        )


def firing_counts(db: Database, *, workspace_id: int) -> dict[int, tuple[int, dt.datetime]]:
    """How many times each rule of the workspace fired, and when it last did."""
    with db.read() as session:
        rows = session.execute(
            select(RuleFiringRow.rule_id, func.count(RuleFiringRow.id), func.max(RuleFiringRow.fired_at))
            .join(RuleRow, RuleRow.id == RuleFiringRow.rule_id)
            .where(RuleRow.workspace_id == workspace_id)
            .group_by(RuleFiringRow.rule_id)
        ).all()
    return {rule_id: (count, _utc(last)) for rule_id, count, last in rows}


def _utc(value) -> dt.datetime:
    """max() of a timestamp column comes back as the database keeps it (naive on SQLite)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _name_free(session: Session, workspace_id: int, name: str) -> None:
    taken = session.scalars(select(RuleRow.name).where(RuleRow.workspace_id == workspace_id)).all()
    if any(t.casefold() == name.casefold() for t in taken):
        raise Conflict("name_taken", f"The workspace already has a rule named {name!r}.")


def _rule(row: RuleRow) -> Rule:
    return Rule(row.id, row.workspace_id, parse_rule(row.spec), row.enabled, row.created_at, row.updated_at)


# --- firing -----------------------------------------------------------------------------------


def enabled_rules(session: Session, workspace_id: int, kinds: set[EventKind]) -> list[tuple[int, RuleSpec]]:
    rows = session.execute(
        select(RuleRow.id, RuleRow.spec).where(
            RuleRow.workspace_id == workspace_id,
            RuleRow.enabled.is_(True),
            RuleRow.event.in_([k.value for k in kinds]),
        )
    ).all()
    return [(rule_id, parse_rule(spec)) for rule_id, spec in rows]


def fire(
    session: Session,
    *,
    workspace_id: int,
    event: Event,
    now: dt.datetime,
    rules: list[tuple[int, RuleSpec]] | None = None,
) -> list[dict]:
    """Fire every enabled rule of the workspace that matches the event, each at most once per
    event key. Returns one entry per rule fired: {"rule_id", "rule", "results"}."""
    if rules is None:
        rules = enabled_rules(session, workspace_id, {event.kind})
    fired = []
    today = _today(session, workspace_id, now)
    for rule_id, spec in rules:
        planned = match(spec, event)
        if not planned:
            continue
        firing_id = claim(session, rule_id, event.key, event.item_id, now)
        if firing_id is None:
            continue  # another worker or request fired it already
        results = [
            perform(
                session,
                workspace_id=workspace_id,
                rule_id=rule_id,
                rule_name=spec.name,
                event=event,
                planned=p,
                now=now,
                today=today,
            )
            for p in planned
        ]
        session.get(RuleFiringRow, firing_id).results = results
        fired.append({"rule_id": rule_id, "rule": spec.name, "results": results})
    return fired


def claim(
    session: Session, rule_id: int, event_key: str, item_id: int | None, now: dt.datetime
) -> int | None:
    """Insert the firing unless (rule, event key) is there already: its id, or None."""
    dialect = session.bind.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(RuleFiringRow)
        .values(rule_id=rule_id, event_key=event_key[:200], item_id=item_id, fired_at=now, results=[])
        .on_conflict_do_nothing(index_elements=["rule_id", "event_key"])
        .returning(RuleFiringRow.id)
    )
    try:
        return session.execute(statement).scalar()
    except IntegrityError:  # a database that does not know ON CONFLICT for this index
        return None


_ITEM_RULES = (
    select(RuleRow.id, RuleRow.spec, BoardRow.workspace_id)
    .join(BoardRow, BoardRow.workspace_id == RuleRow.workspace_id)
    .join(ItemRow, ItemRow.board_id == BoardRow.id)
    .where(
        ItemRow.id == bindparam("item_id"),
        RuleRow.enabled.is_(True),
        RuleRow.event.in_(bindparam("events", expanding=True)),
    )
)


def item_event(
    session: Session,
    kind: EventKind,
    *,
    item_id: int,
    now: dt.datetime,
    decision: PullDecision | None = None,
) -> list[dict]:
    """Fire the rules on an item's change, in the change's own transaction (called by the item
    services after they wrote it). A pull that went over a WIP limit is also `wip.breached`."""
    kinds = {kind}
    if decision is not None and any(f.code in WIP_CODES for f in decision.findings):
        kinds.add(EventKind.WIP_BREACHED)
    # One read on every item write: the enabled rules of the item's workspace on these events.
    found = run(session, _ITEM_RULES, {"item_id": item_id, "events": [k.value for k in kinds]}).all()
    if not found:
        return []
    workspace_id = found[0].workspace_id
    rules = [(rule_id, parse_rule(spec)) for rule_id, spec, _ in found]
    session.flush()
    transition_id = session.scalar(
        select(TransitionRow.id)
        .where(TransitionRow.item_id == item_id)
        .order_by(TransitionRow.id.desc())
        .limit(1)
    )
    facts = item_facts(session, item_id)
    fired = []
    for k in sorted(kinds):
        event = Event(k, f"{k.value}:transition:{transition_id}", facts, item_id=item_id)
        if k == EventKind.WIP_BREACHED:
            facts_wip = {**facts, "limits": [f.message for f in decision.findings if f.code in WIP_CODES]}
            event = Event(k, f"{k.value}:transition:{transition_id}", facts_wip, item_id=item_id)
        fired += fire(session, workspace_id=workspace_id, event=event, now=now, rules=rules)
    return fired


def item_facts(session: Session, item_id: int) -> dict:
    """What conditions and templates may name about an item."""
    item = load_item(session, item_id)
    board = load_board(session, item.board_id)
    stage = board.stage(item.stage_id)
    owner = (
        session.scalar(select(UserRow.username).where(UserRow.id == item.owner_id)) if item.owner_id else None
    )
    return {
        "item_id": item.id,
        "title": item.title,
        "board": board.name,
        "stage": stage.name if stage else None,
        "stage_kind": stage.kind.value if stage else None,
        "type": item.work_type_name,
        "class": item.class_of_service.value,
        "value": _number(item.value),
        "owner": owner,
        "tags": list(item.tags),
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "external_ref": item.external_ref,
    }


def _today(session: Session, workspace_id: int, now: dt.datetime) -> dt.date:
    name = session.scalar(select(WorkspaceRow.time_zone).where(WorkspaceRow.id == workspace_id))
    return now.astimezone(flow.zone(name or "UTC")).date()


def _number(value) -> int | float | None:
    """A money value as JSON shows it: 48000, not 48000.00."""
    if value is None:
        return None
    return int(value) if value == int(value) else float(value)
