"""Trigger rules through the API: managing them, and rules firing on item changes in the
same transaction as the change."""

from __future__ import annotations

import pytest

API = "/api/v1"


@pytest.fixture
def api_url(database_url: str) -> str:
    """On a SQLite file and on PostgreSQL."""
    return database_url


def add_rule(team, **data) -> dict:
    response = team.client.post(f"{API}/workspaces/{team.workspace_id}/rules", json=data)
    assert response.status_code == 201, response.text
    return response.json()


def notes(team) -> list[str]:
    return [
        n["message"] for n in team.client.get(f"{API}/workspaces/{team.workspace_id}/notifications").json()
    ]


def test_a_rule_is_added_read_changed_switched_off_and_deleted(team):
    made = add_rule(
        team,
        name="Pulled",
        event="item.moved",
        conditions=[{"field": "stage", "op": "equals", "value": "Doing"}],
        actions=[{"kind": "notify", "message": "{title} was pulled"}],
    )
    assert (
        made["description"]
        == "When an item is moved if stage equals Doing, then notify \u201c{title} was pulled\u201d."
    )
    rule = f"{API}/rules/{made['id']}"

    changed = team.client.patch(
        rule, json={"conditions": [{"field": "stage", "op": "in", "value": ["Doing", "Review"]}]}
    )
    assert changed.status_code == 200
    assert changed.json()["conditions"] == [{"field": "stage", "op": "in", "value": ["Doing", "Review"]}]
    assert changed.json()["actions"] == made["actions"]  # the rest stays

    assert team.client.patch(rule, json={"enabled": False}).json()["enabled"] is False
    item = team.create_item("Spring webinar", stage="Next")
    assert team.move(item["id"], "Doing").status_code == 200
    assert notes(team) == []  # off: it fires on nothing

    assert team.client.delete(rule).json() == {"id": made["id"], "deleted": True}
    assert team.client.get(rule).status_code == 404


def test_a_bad_rule_is_refused_naming_the_field_and_nothing_is_saved(team, snapshot, api_error):
    before = snapshot()
    cases = [
        ({"name": "X", "event": "item.moved", "actions": [{"kind": "notify"}]}, "actions.0.message"),
        ({"name": "X", "event": "item.due_soon", "actions": [{"kind": "notify", "message": "m"}]}, "days"),
        (
            {
                "name": "X",
                "event": "item.moved",
                "conditions": [{"field": "colour", "value": "red"}],
                "actions": [{"kind": "notify", "message": "m"}],
            },
            "conditions.0.field",
        ),
        ({"name": "X", "event": "item.sold", "actions": [{"kind": "notify", "message": "m"}]}, "event"),
        (
            {"name": "X", "event": "webhook.received", "actions": [{"kind": "promote_expedite"}]},
            "actions.0.kind",
        ),
    ]
    for body, field in cases:
        response = team.client.post(f"{API}/workspaces/{team.workspace_id}/rules", json=body)
        assert response.status_code == 422, (body, response.text)
        assert api_error(response)["field"] == field
    assert snapshot() == before

    add_rule(team, name="Pulled", event="item.moved", actions=[{"kind": "notify", "message": "m"}])
    again = team.client.post(
        f"{API}/workspaces/{team.workspace_id}/rules",
        json={"name": "pulled", "event": "item.created", "actions": [{"kind": "notify", "message": "m"}]},
    )
    assert again.status_code == 409 and api_error(again)["code"] == "name_taken"


def test_item_changes_fire_rules_in_their_transaction(team):
    add_rule(
        team,
        name="Strategic deals go first",
        event="item.created",
        conditions=[
            {"field": "tags", "op": "contains", "value": "strategic"},
            {"field": "value", "op": ">=", "value": 50000},
        ],
        actions=[
            {"kind": "promote_expedite"},
            {"kind": "notify", "message": "{title} ({value}) is expedited"},
        ],
    )
    add_rule(
        team,
        name="Blocked",
        event="item.blocked",
        actions=[{"kind": "notify", "message": "{title} is blocked"}],
    )
    add_rule(
        team,
        name="Unblocked",
        event="item.unblocked",
        actions=[{"kind": "notify", "message": "{title} is free"}],
    )

    big = team.create_item("Globex renewal", stage="Next", tags=["strategic"], value="75000")
    small = team.create_item("Initech upsell", stage="Next", tags=["strategic"], value="5000")
    team.client.post(f"{API}/items/{small['id']}/block", json={"reason": "Waiting for legal"})
    team.client.post(f"{API}/items/{small['id']}/unblock")

    assert big["class_of_service"] == "expedite"  # the answer to the create already shows it
    assert big["lane_id"] == team.lanes["Expedite"]
    assert team.item(small["id"])["class_of_service"] == "standard"
    assert notes(team) == [
        "Initech upsell is free",
        "Initech upsell is blocked",
        "Globex renewal (75000) is expedited",
    ]
    edited = [t for t in team.transitions(big["id"]) if t["kind"] == "edited"]
    assert edited[0]["reason"] == "rule: Strategic deals go first"


def test_a_pull_over_a_wip_limit_is_a_wip_breach(team):
    team.set_stage("Doing", wip_limit=1, wip_mode="warn")
    add_rule(
        team,
        name="Over the limit",
        event="wip.breached",
        actions=[{"kind": "notify", "message": "{title} took {stage} over its limit"}],
    )
    first, second = (team.create_item(t, stage="Next") for t in ("Webinar", "Case study"))

    assert team.move(first["id"], "Doing").status_code == 200
    assert notes(team) == []
    assert team.move(second["id"], "Doing").status_code == 200

    assert notes(team) == ["Case study took Doing over its limit"]


def test_a_refused_pull_fires_nothing_and_a_refused_action_leaves_the_change_standing(team):
    team.set_stage("Review", wip_limit=0, wip_mode="block")
    rule = add_rule(
        team,
        name="Straight to review",
        event="item.moved",
        conditions=[{"field": "stage", "op": "equals", "value": "Doing"}],
        actions=[{"kind": "move_item", "stage": "Review"}, {"kind": "notify", "message": "{title} moved"}],
    )
    add_rule(
        team, name="Any move", event="item.moved", actions=[{"kind": "notify", "message": "moved: {title}"}]
    )
    item = team.create_item("Webinar", stage="Next")

    refused = team.move(item["id"], "Review")
    assert refused.status_code == 409
    assert notes(team) == []  # the refused pull wrote nothing, so nothing fired

    assert team.move(item["id"], "Doing").status_code == 200
    assert team.item(item["id"])["stage_id"] == team.stages["Doing"]  # the move stands
    firings = team.client.get(f"{API}/rules/{rule['id']}/firings").json()
    results = firings[0]["results"]
    assert [r["ok"] for r in results] == [False, True]
    assert results[0]["detail"].startswith(f"Review refused #{item['id']}: ")
    assert sorted(notes(team)) == ["Webinar moved", "moved: Webinar"]


def test_rules_do_not_set_off_rules(team):
    add_rule(
        team,
        name="Follow up every new item",
        event="item.created",
        actions=[
            {"kind": "create_item", "board": "Campaigns", "stage": "Ideas", "title": "Follow up: {title}"}
        ],
    )

    team.create_item("Webinar", stage="Next")

    titles = sorted(c["title"] for s in team.view()["stages"] for c in s["items"])
    assert titles == ["Follow up: Webinar", "Webinar"]


def test_notifications_are_read_one_by_one_or_all_at_once(team, in_process, sign_in):
    add_rule(
        team,
        name="Blocked",
        event="item.blocked",
        actions=[{"kind": "notify", "message": "{title} is blocked"}],
    )
    for title in ("Webinar", "Case study", "Trade show"):
        item = team.create_item(title, stage="Next")
        team.client.post(f"{API}/items/{item['id']}/block", json={"reason": "Waiting for legal"})
    carol = in_process()
    sign_in(carol, "carol")  # a viewer reads them and marks them read
    listed = f"{API}/workspaces/{team.workspace_id}/notifications"

    newest = carol.get(listed).json()
    assert [n["message"] for n in newest] == [
        "Trade show is blocked",
        "Case study is blocked",
        "Webinar is blocked",
    ]
    assert newest[0]["rule"] == "Blocked" and newest[0]["read_at"] is None
    assert carol.post(f"{API}/notifications/{newest[0]['id']}/read").json()["read_at"] is not None
    assert [n["message"] for n in carol.get(listed, params={"unread": True}).json()] == [
        "Case study is blocked",
        "Webinar is blocked",
    ]
    assert carol.post(f"{listed}/read").json() == {"marked": 2}
    assert carol.get(listed, params={"unread": True}).json() == []


def test_the_delivery_log_shows_each_attempt(team, api_db):
    from pullplan.integrations import outbox

    target = team.client.post(
        f"{API}/workspaces/{team.workspace_id}/webhook-targets",
        json={"name": "Chat", "url": "http://127.0.0.1:9/hook"},
    )
    assert target.status_code == 201 and target.json()["secret"].startswith("whsec_")
    add_rule(
        team,
        name="Pulled",
        event="item.moved",
        actions=[{"kind": "notify", "message": "{title} pulled into {stage}", "target": "Chat"}],
    )
    item = team.create_item("Webinar", stage="Next")
    team.move(item["id"], "Doing")

    outbox.deliver_due(api_db)  # nothing listens on port 9
    log = team.client.get(f"{API}/workspaces/{team.workspace_id}/deliveries").json()

    assert [(d["target"], d["event"], d["attempts"], d["delivered_at"]) for d in log] == [
        ("Chat", "item.moved", 1, None)
    ]
    assert log[0]["payload"]["message"] == "Webinar pulled into Doing"
    assert log[0]["payload"]["facts"]["board"] == "Campaigns"
    assert log[0]["log"][0]["status_code"] is None and "ConnectError" in log[0]["log"][0]["error"]
    assert "secret" not in team.client.get(f"{API}/workspaces/{team.workspace_id}/webhook-targets").json()[0]
