"""Trigger rules: `when <event> [if <conditions>] then <actions>` (DESIGN §4), pure.

`parse_rule` checks a rule given as plain data and names the field at fault; `match`
decides, from a rule and an event, the actions to take, with their texts filled in from
the event's facts. Nothing here reads a clock or a database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum


class EventKind(StrEnum):
    ITEM_CREATED = "item.created"
    ITEM_MOVED = "item.moved"
    ITEM_BLOCKED = "item.blocked"
    ITEM_UNBLOCKED = "item.unblocked"
    LRM_DUE = "lrm.due"  # an option's LRM status became `due`: commit now
    LRM_LATE = "lrm.late"  # it became `late`: past its commit-by date
    DUE_SOON = "item.due_soon"  # due within N days (the rule's `days`)
    WIP_BREACHED = "wip.breached"  # a pull went over a WIP limit (warned or overridden)
    WEBHOOK_RECEIVED = "webhook.received"  # a signed request from an inbound webhook source


EVENT_LABELS = {
    EventKind.ITEM_CREATED: "an item is created",
    EventKind.ITEM_MOVED: "an item is moved",
    EventKind.ITEM_BLOCKED: "an item is blocked",
    EventKind.ITEM_UNBLOCKED: "an item is unblocked",
    EventKind.LRM_DUE: "an item's LRM status becomes due",
    EventKind.LRM_LATE: "an item's LRM status becomes late",
    EventKind.DUE_SOON: "an item is due within N days",
    EventKind.WIP_BREACHED: "a WIP limit is breached",
    EventKind.WEBHOOK_RECEIVED: "an inbound webhook is received",
}
# Events about one item: their actions may move, promote or block it.
ITEM_EVENTS = set(EventKind) - {EventKind.WEBHOOK_RECEIVED}
TIME_EVENTS = {EventKind.LRM_DUE, EventKind.LRM_LATE, EventKind.DUE_SOON}


class Operator(StrEnum):
    EQUALS = "equals"
    IN = "in"
    AT_LEAST = ">="
    AT_MOST = "<="
    CONTAINS = "contains"


class ActionKind(StrEnum):
    CREATE_ITEM = "create_item"  # from a template, on a board and stage
    MOVE_ITEM = "move_item"  # the event's item, to a stage of its board
    PROMOTE_EXPEDITE = "promote_expedite"
    ADD_BLOCKER = "add_blocker"
    NOTIFY = "notify"  # an in-app notification, and an outbound webhook when a target is named


# The facts a condition may test; `payload.<path>` tests a field of a webhook's body.
FIELDS = ("board", "stage", "type", "class", "value", "owner", "tags", "title")
CLASSES = ("expedite", "fixed_date", "standard", "intangible")
NAME_MAX = 120
TEXT_MAX = 500
_PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[A-Za-z0-9_-]+)*)\}")


class RuleInvalid(ValueError):
    """A rule that cannot be kept: `field` names where (e.g. `actions.0.stage`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Condition:
    field: str  # one of FIELDS, or payload.<path>
    op: Operator
    value: object


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    board: str | None = None  # create_item: the board's name
    stage: str | None = None  # create_item, move_item: the stage's name
    title: str | None = None  # create_item: a template, e.g. "Proposal support: {payload.deal}"
    type: str | None = None  # create_item: the work type's name
    class_of_service: str | None = None  # create_item
    due_in_days: int | None = None  # create_item: due this many days after the event
    description: str | None = None  # create_item: a template
    value: str | None = None  # create_item: a template that reads as an amount, e.g. "{payload.amount}"
    external_ref: str | None = None  # create_item: a template, e.g. "{payload.id}"
    reason: str | None = None  # add_blocker (a template)
    message: str | None = None  # notify (a template)
    target: str | None = None  # notify: the outbound webhook target's name


@dataclass(frozen=True)
class RuleSpec:
    """What a rule says, checked."""

    name: str
    event: EventKind
    conditions: tuple[Condition, ...] = ()
    actions: tuple[Action, ...] = ()
    days: int | None = None  # item.due_soon: within this many days
    source: str | None = None  # webhook.received: only from this source (its name); None: any


@dataclass(frozen=True)
class Event:
    """Something that happened in a workspace. `key` names it uniquely: a rule fires at most
    once per (rule, key), however many workers see it."""

    kind: EventKind
    key: str
    facts: Mapping[str, object] = field(default_factory=dict)  # board, stage, type, class, ...
    payload: Mapping[str, object] = field(default_factory=dict)  # a webhook's body
    item_id: int | None = None
    days_left: int | None = None  # item.due_soon
    source: str | None = None  # webhook.received: the source's name


@dataclass(frozen=True)
class PlannedAction:
    """An action with its texts filled in from the event."""

    action: Action
    title: str | None = None
    reason: str | None = None
    message: str | None = None
    description: str | None = None
    value: Decimal | None = None  # None also when the template does not read as an amount
    external_ref: str | None = None


# --- matching ---------------------------------------------------------------------------------


def match(rule: RuleSpec, event: Event) -> tuple[PlannedAction, ...]:
    """The actions `rule` takes on `event`: none unless the event is the rule's and every
    condition holds."""
    if event.kind != rule.event:
        return ()
    if rule.event == EventKind.DUE_SOON and (
        event.days_left is None or rule.days is None or event.days_left > rule.days
    ):
        return ()
    if rule.source is not None and (event.source or "").casefold() != rule.source.casefold():
        return ()
    if not all(holds(c, event) for c in rule.conditions):
        return ()
    return tuple(
        PlannedAction(
            action=a,
            title=fill(a.title, event) if a.title else None,
            reason=fill(a.reason, event) if a.reason else None,
            message=fill(a.message, event) if a.message else None,
            description=fill(a.description, event) if a.description else None,
            value=_amount(fill(a.value, event)) if a.value else None,
            external_ref=fill(a.external_ref, event) or None if a.external_ref else None,
        )
        for a in rule.actions
    )


def holds(condition: Condition, event: Event) -> bool:
    found, actual = lookup(event, condition.field)
    if not found or actual is None:
        return False
    op, expected = condition.op, condition.value
    if op == Operator.EQUALS:
        return _same(actual, expected)
    if op == Operator.IN:
        return any(_same(actual, x) for x in expected)
    if op == Operator.CONTAINS:
        if isinstance(actual, list | tuple):
            return any(_same(x, expected) for x in actual)
        return str(expected).casefold() in str(actual).casefold()
    a, b = _number(actual), _number(expected)
    if a is None or b is None:
        return False
    return a >= b if op == Operator.AT_LEAST else a <= b


def lookup(event: Event, name: str) -> tuple[bool, object]:
    """(found, value) of a fact or of `payload.<a>.<b>` in the event."""
    if name.startswith("payload."):
        value: object = event.payload
        for part in name.split(".")[1:]:
            if isinstance(value, Mapping) and part in value:
                value = value[part]
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                return False, None
        return True, value
    if name in event.facts:
        return True, event.facts[name]
    return False, None


def fill(template: str, event: Event) -> str:
    """The template with each {fact} or {payload.path} replaced by its value ("" if absent)."""

    def value(m: re.Match) -> str:
        found, v = lookup(event, m.group(1))
        if not found or v is None:
            return ""
        if isinstance(v, list | tuple):
            return ", ".join(str(x) for x in v)
        return str(v)

    return _PLACEHOLDER.sub(value, template).strip()


def _same(a: object, b: object) -> bool:
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None and not isinstance(a, bool) and not isinstance(b, bool):
        return na == nb
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    return a == b


def _amount(text: str) -> Decimal | None:
    """A filled-in value template as money: 48000, 48000.5 or "48,000"; else None."""
    amount = _number(text.replace(",", "").strip())
    if amount is None or not amount.is_finite() or not 0 <= amount < Decimal("1e12"):
        return None
    return amount.quantize(Decimal("0.01"))


def _number(x: object) -> Decimal | None:
    if isinstance(x, bool) or x is None:
        return None
    try:
        return Decimal(str(x))
    except (InvalidOperation, ValueError):
        return None


# --- checking a rule given as data ------------------------------------------------------------


def parse_rule(data: object) -> RuleSpec:
    """A rule from plain data (JSON), or RuleInvalid naming the field at fault:

    {"name": ..., "event": "item.moved", "days": 3, "source": "CRM",
     "conditions": [{"field": "board", "op": "equals", "value": "Marketing"}],
     "actions": [{"kind": "notify", "message": "{title} is due"}]}
    """
    if not isinstance(data, Mapping):
        raise RuleInvalid("rule", "must be an object with name, event, conditions and actions.")
    unknown = set(data) - {"name", "event", "conditions", "actions", "days", "source"}
    if unknown:
        raise RuleInvalid(sorted(unknown)[0], "is not a part of a rule.")
    name = _text(data.get("name"), "name", NAME_MAX)
    raw_event = data.get("event")
    try:
        event = EventKind(raw_event)
    except ValueError:
        raise RuleInvalid("event", f"must be one of {', '.join(e.value for e in EventKind)}.") from None
    days = data.get("days")
    if event == EventKind.DUE_SOON:
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 365:
            raise RuleInvalid("days", "a rule on item.due_soon needs days, a whole number from 0 to 365.")
    elif days is not None:
        raise RuleInvalid("days", "is only for item.due_soon rules.")
    source = data.get("source")
    if source is not None:
        if event != EventKind.WEBHOOK_RECEIVED:
            raise RuleInvalid("source", "is only for webhook.received rules.")
        source = _text(source, "source", NAME_MAX)
    conditions = data.get("conditions") or []
    actions = data.get("actions")
    if not isinstance(conditions, list):
        raise RuleInvalid("conditions", "must be a list.")
    if not isinstance(actions, list) or not actions:
        raise RuleInvalid("actions", "a rule needs at least one action.")
    if len(conditions) > 20 or len(actions) > 10:
        raise RuleInvalid(
            "actions" if len(actions) > 10 else "conditions", "too many (20 conditions, 10 actions)."
        )
    return RuleSpec(
        name=name,
        event=event,
        conditions=tuple(_condition(c, f"conditions.{i}") for i, c in enumerate(conditions)),
        actions=tuple(_action(a, f"actions.{i}", event) for i, a in enumerate(actions)),
        days=days if event == EventKind.DUE_SOON else None,
        source=source,
    )


def rule_data(spec: RuleSpec) -> dict:
    """The plain data of a rule: parse_rule(rule_data(spec)) == spec."""
    out: dict = {
        "name": spec.name,
        "event": spec.event.value,
        "conditions": [{"field": c.field, "op": c.op.value, "value": c.value} for c in spec.conditions],
        "actions": [
            {"kind": a.kind.value} | {k: getattr(a, k) for k in _ACTION_FIELDS if getattr(a, k) is not None}
            for a in spec.actions
        ],
    }
    if spec.days is not None:
        out["days"] = spec.days
    if spec.source is not None:
        out["source"] = spec.source
    return out


def describe(spec: RuleSpec) -> str:
    """The rule in words, as the rules page and `pullplan rules list` show it."""
    when = EVENT_LABELS[spec.event].replace("N days", f"{spec.days} days")
    if spec.source:
        when += f" from {spec.source}"
    conds = [f"{c.field} {c.op.value} {_show(c.value)}" for c in spec.conditions]
    acts = []
    for a in spec.actions:
        if a.kind == ActionKind.CREATE_ITEM:
            acts.append(f"create \u201c{a.title}\u201d on {a.board} in {a.stage or 'its first option stage'}")
        elif a.kind == ActionKind.MOVE_ITEM:
            acts.append(f"move the item to {a.stage}")
        elif a.kind == ActionKind.PROMOTE_EXPEDITE:
            acts.append("promote the item to expedite")
        elif a.kind == ActionKind.ADD_BLOCKER:
            acts.append(f"block the item: {a.reason}")
        else:
            acts.append(
                f"notify \u201c{a.message}\u201d" + (f" and send it to {a.target}" if a.target else "")
            )
    text = f"When {when}"
    if conds:
        text += " if " + " and ".join(conds)
    return text + ", then " + "; ".join(acts) + "."


_ACTION_FIELDS = (
    "board",
    "stage",
    "title",
    "type",
    "class_of_service",
    "due_in_days",
    "description",
    "value",
    "external_ref",
    "reason",
    "message",
    "target",
)
_ACTION_NEEDS = {
    ActionKind.CREATE_ITEM: ("board", "title"),
    ActionKind.MOVE_ITEM: ("stage",),
    ActionKind.PROMOTE_EXPEDITE: (),
    ActionKind.ADD_BLOCKER: ("reason",),
    ActionKind.NOTIFY: ("message",),
}
_ACTION_MAY = {
    ActionKind.CREATE_ITEM: {
        "board",
        "stage",
        "title",
        "type",
        "class_of_service",
        "due_in_days",
        "description",
        "value",
        "external_ref",
    },
    ActionKind.MOVE_ITEM: {"stage"},
    ActionKind.PROMOTE_EXPEDITE: set(),
    ActionKind.ADD_BLOCKER: {"reason"},
    ActionKind.NOTIFY: {"message", "target"},
}


def _condition(data: object, where: str) -> Condition:
    if not isinstance(data, Mapping):
        raise RuleInvalid(where, "must be an object with field, op and value.")
    unknown = set(data) - {"field", "op", "value"}
    if unknown:
        raise RuleInvalid(f"{where}.{sorted(unknown)[0]}", "is not a part of a condition.")
    name = data.get("field")
    if not isinstance(name, str) or not (
        name in FIELDS or re.fullmatch(r"payload(\.[A-Za-z0-9_-]{1,60}){1,8}", name)
    ):
        raise RuleInvalid(f"{where}.field", f"must be one of {', '.join(FIELDS)}, or payload.<field>.")
    try:
        op = Operator(data.get("op", "equals"))
    except ValueError:
        raise RuleInvalid(f"{where}.op", f"must be one of {', '.join(o.value for o in Operator)}.") from None
    value = data.get("value")
    if op == Operator.IN:
        if not isinstance(value, list) or not value or not all(_scalar(x) for x in value):
            raise RuleInvalid(f"{where}.value", "`in` needs a list of texts or numbers.")
    elif not _scalar(value):
        raise RuleInvalid(f"{where}.value", "must be a text, a number or true/false.")
    if op in (Operator.AT_LEAST, Operator.AT_MOST) and _number(value) is None:
        raise RuleInvalid(f"{where}.value", f"`{op.value}` needs a number.")
    if name == "class" and op == Operator.EQUALS and value not in CLASSES:
        raise RuleInvalid(f"{where}.value", f"a class of service is one of {', '.join(CLASSES)}.")
    return Condition(name, op, value)


def _action(data: object, where: str, event: EventKind) -> Action:
    if not isinstance(data, Mapping):
        raise RuleInvalid(where, "must be an object with a kind.")
    try:
        kind = ActionKind(data.get("kind"))
    except ValueError:
        raise RuleInvalid(
            f"{where}.kind", f"must be one of {', '.join(k.value for k in ActionKind)}."
        ) from None
    unknown = set(data) - _ACTION_MAY[kind] - {"kind"}
    if unknown:
        raise RuleInvalid(f"{where}.{sorted(unknown)[0]}", f"is not a part of a {kind.value} action.")
    if kind in (ActionKind.MOVE_ITEM, ActionKind.PROMOTE_EXPEDITE, ActionKind.ADD_BLOCKER) and (
        event not in ITEM_EVENTS
    ):
        raise RuleInvalid(f"{where}.kind", f"{kind.value} acts on an item; {event.value} has none.")
    values: dict = {}
    for key in _ACTION_MAY[kind]:
        raw = data.get(key)
        if raw is None:
            if key in _ACTION_NEEDS[kind]:
                raise RuleInvalid(f"{where}.{key}", f"a {kind.value} action needs it.")
            continue
        if key == "due_in_days":
            if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= 3650:
                raise RuleInvalid(f"{where}.{key}", "must be a whole number of days from 0 to 3650.")
            values[key] = raw
        elif key == "class_of_service":
            if raw not in CLASSES:
                raise RuleInvalid(f"{where}.{key}", f"must be one of {', '.join(CLASSES)}.")
            values[key] = raw
        else:
            limit = TEXT_MAX if key in ("title", "reason", "message", "description") else NAME_MAX
            values[key] = _text(raw, f"{where}.{key}", limit)
    return Action(kind=kind, **values)


def _text(value: object, where: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleInvalid(where, "must be a text that is not empty.")
    value = value.strip()
    if len(value) > limit:
        raise RuleInvalid(where, f"must be at most {limit} characters.")
    if any(ord(ch) < 32 and ch not in "\t" for ch in value) or "\x7f" in value:
        raise RuleInvalid(where, "must not hold control characters.")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise RuleInvalid(where, "must be valid text (no lone surrogates).")
    return value


def _scalar(x: object) -> bool:
    if isinstance(x, str):
        try:
            _text(x, "value", TEXT_MAX)
        except RuleInvalid:
            return False
        return True
    if isinstance(x, float):
        return x == x and x not in (float("inf"), float("-inf"))
    return isinstance(x, bool | int) and (isinstance(x, bool) or abs(x) < 10**15)


def _show(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(x) for x in value) + "]"
    return str(value)
