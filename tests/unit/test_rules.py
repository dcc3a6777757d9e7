"""Trigger rules in the domain: checking a rule, matching it to an event, filling its texts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pullplan.domain.rules import (
    ActionKind,
    Event,
    EventKind,
    RuleInvalid,
    describe,
    fill,
    match,
    parse_rule,
    rule_data,
)

DEAL = Event(
    EventKind.WEBHOOK_RECEIVED,
    "webhook:1:abc",
    {"source": "CRM"},
    payload={"deal": {"name": "Northwind", "stage": "Proposal"}, "amount": "48000", "regions": ["EMEA"]},
    source="CRM",
)
MOVED = Event(
    EventKind.ITEM_MOVED,
    "item.moved:transition:7",
    {
        "title": "Spring webinar",
        "board": "Marketing",
        "stage": "In progress",
        "type": "Webinar",
        "class": "fixed_date",
        "value": None,
        "owner": "emma",
        "tags": ["launch", "Q2"],
    },
    item_id=7,
)


def rule(**overrides) -> dict:
    return {
        "name": "Tell the team",
        "event": "item.moved",
        "actions": [{"kind": "notify", "message": "{title} is now in {stage}"}],
        **overrides,
    }


def test_a_rule_fires_when_its_event_comes_and_every_condition_holds():
    spec = parse_rule(
        rule(
            conditions=[
                {"field": "board", "op": "equals", "value": "marketing"},  # texts ignore case
                {"field": "stage", "op": "in", "value": ["In progress", "Review"]},
                {"field": "tags", "op": "contains", "value": "q2"},
            ]
        )
    )

    planned = match(spec, MOVED)

    assert [p.message for p in planned] == ["Spring webinar is now in In progress"]
    assert match(spec, Event(EventKind.ITEM_BLOCKED, "k", MOVED.facts, item_id=7)) == ()


@pytest.mark.parametrize(
    "condition",
    [
        {"field": "board", "op": "equals", "value": "Sales"},
        {"field": "tags", "op": "contains", "value": "q3"},
        {"field": "value", "op": ">=", "value": 1},  # no value: a comparison does not hold
        {"field": "owner", "op": "in", "value": ["liam", "noah"]},
    ],
)
def test_one_condition_that_does_not_hold_stops_the_rule(condition):
    assert match(parse_rule(rule(conditions=[condition])), MOVED) == ()


def test_payload_fields_numbers_and_templates_of_a_webhook():
    spec = parse_rule(
        {
            "name": "Deal reached proposal",
            "event": "webhook.received",
            "source": "crm",
            "conditions": [
                {"field": "payload.deal.stage", "op": "equals", "value": "proposal"},
                {"field": "payload.amount", "op": ">=", "value": 10000},  # "48000" reads as a number
                {"field": "payload.regions", "op": "contains", "value": "emea"},
            ],
            "actions": [
                {
                    "kind": "create_item",
                    "board": "Marketing",
                    "title": "Proposal support: {payload.deal.name}",
                },
                {"kind": "notify", "message": "{payload.deal.name} ({payload.missing}) reached proposal"},
            ],
        }
    )

    planned = match(spec, DEAL)

    assert [p.action.kind for p in planned] == [ActionKind.CREATE_ITEM, ActionKind.NOTIFY]
    assert planned[0].title == "Proposal support: Northwind"
    assert planned[1].message == "Northwind () reached proposal"  # a missing field fills in nothing
    assert match(spec, Event(EventKind.WEBHOOK_RECEIVED, "k", {}, payload=DEAL.payload, source="ERP")) == ()


def test_due_soon_fires_within_its_days_only():
    spec = parse_rule(rule(event="item.due_soon", days=3))

    def event(days_left):
        return Event(EventKind.DUE_SOON, f"k{days_left}", MOVED.facts, item_id=7, days_left=days_left)

    assert [bool(match(spec, event(n))) for n in (-1, 0, 3, 4)] == [True, True, True, False]


@pytest.mark.parametrize(
    "data, field",
    [
        ("not a rule", "rule"),
        (rule(name=""), "name"),
        (rule(name="x" * 121), "name"),
        (rule(name="tab\x00"), "name"),
        (rule(event="item.sold"), "event"),
        (rule(actions=[]), "actions"),
        (rule(event="item.due_soon"), "days"),
        (rule(days=3), "days"),
        (rule(source="CRM"), "source"),
        (rule(conditions=[{"field": "colour", "op": "equals", "value": "red"}]), "conditions.0.field"),
        (rule(conditions=[{"field": "board", "op": "like", "value": "M%"}]), "conditions.0.op"),
        (rule(conditions=[{"field": "value", "op": ">=", "value": "a lot"}]), "conditions.0.value"),
        (rule(conditions=[{"field": "stage", "op": "in", "value": "Doing"}]), "conditions.0.value"),
        (rule(conditions=[{"field": "class", "op": "equals", "value": "urgent"}]), "conditions.0.value"),
        (rule(conditions=[{"field": "board", "value": {"a": 1}}]), "conditions.0.value"),
        (rule(actions=[{"kind": "notify"}]), "actions.0.message"),
        (rule(actions=[{"kind": "launch"}]), "actions.0.kind"),
        (rule(actions=[{"kind": "create_item", "board": "M"}]), "actions.0.title"),
        (rule(actions=[{"kind": "move_item", "stage": "Doing", "board": "M"}]), "actions.0.board"),
        (
            rule(actions=[{"kind": "create_item", "board": "M", "title": "t", "due_in_days": -1}]),
            "actions.0.due_in_days",
        ),
        (rule(event="webhook.received", actions=[{"kind": "promote_expedite"}]), "actions.0.kind"),
        (rule(extra=1), "extra"),
    ],
)
def test_a_bad_rule_names_the_field_at_fault(data, field):
    with pytest.raises(RuleInvalid) as refused:
        parse_rule(data)
    assert refused.value.field == field


def test_a_rule_in_words():
    spec = parse_rule(
        rule(
            event="item.due_soon",
            days=5,
            conditions=[{"field": "class", "op": "equals", "value": "fixed_date"}],
            actions=[
                {"kind": "promote_expedite"},
                {"kind": "notify", "message": "{title}", "target": "Chat"},
            ],
        )
    )

    assert describe(spec) == (
        "When an item is due within 5 days if class equals fixed_date, then promote the item to expedite; "
        "notify \u201c{title}\u201d and send it to Chat."
    )


texts = st.text(
    alphabet=st.characters(max_codepoint=0x2FFF, blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40
).filter(lambda t: t.strip() and t == t.strip())


@given(
    name=texts,
    message=texts,
    field=st.sampled_from(["board", "stage", "owner", "title", "payload.deal.stage"]),
    op=st.sampled_from(["equals", "contains"]),
    value=texts,
)
def test_a_rule_survives_a_round_trip_through_its_data(name, message, field, op, value):
    spec = parse_rule(
        {
            "name": name,
            "event": "item.created",
            "conditions": [{"field": field, "op": op, "value": value}],
            "actions": [{"kind": "notify", "message": message}],
        }
    )

    assert parse_rule(rule_data(spec)) == spec


@given(st.dictionaries(st.sampled_from(["title", "board", "stage"]), texts))
def test_filling_a_template_never_leaves_a_known_placeholder(facts):
    event = Event(EventKind.ITEM_CREATED, "k", facts)

    filled = fill("{title}|{board}|{stage}", event)

    assert filled == "|".join(facts.get(k, "") for k in ("title", "board", "stage")).strip()


@pytest.mark.parametrize(
    "amount, value",
    [("48000", "48000.00"), ("48,000.5", "48000.50"), ("a lot", None), ("-5", None), ("", None)],
)
def test_a_value_template_reads_as_an_amount_or_not_at_all(amount, value):
    from decimal import Decimal

    spec = parse_rule(
        {
            "name": "Deal",
            "event": "webhook.received",
            "actions": [
                {"kind": "create_item", "board": "Marketing", "title": "t", "value": "{payload.amount}"},
            ],
        }
    )
    event = Event(EventKind.WEBHOOK_RECEIVED, "k", {}, payload={"amount": amount})

    assert match(spec, event)[0].value == (Decimal(value) if value else None)
