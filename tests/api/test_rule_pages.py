"""The rules editor and the notification list, as a manager, a viewer and by form."""

from __future__ import annotations

API = "/api/v1"


def rules_of(team) -> list[dict]:
    return team.client.get(f"{API}/workspaces/{team.workspace_id}/rules").json()


def test_a_manager_adds_switches_off_and_deletes_a_rule_with_the_form(team, in_process, sign_in):
    alice = in_process()
    csrf = sign_in(alice, "alice")
    page = f"/workspaces/{team.workspace_id}/rules"

    added = alice.post(
        page,
        data={
            "csrf_token": csrf,
            "name": "Big deals go first",
            "event": "item.created",
            "condition_0_field": "value",
            "condition_0_op": ">=",
            "condition_0_value": "50000",
            "condition_1_field": "tags",
            "condition_1_op": "contains",
            "condition_1_value": "strategic",
            "action": "promote_expedite",
        },
    )
    assert added.status_code == 303 and added.headers["location"] == page
    listed = alice.get(page)
    assert "Big deals go first" in listed.text
    assert "When an item is created if value &gt;= 50000 and tags contains strategic" in listed.text
    assert "then promote the item to expedite." in listed.text
    rule_id = rules_of(team)[0]["id"]

    assert (
        alice.post(f"/rules/{rule_id}/enabled", data={"csrf_token": csrf, "enabled": "false"}).status_code
        == 303
    )
    assert rules_of(team)[0]["enabled"] is False
    assert "Switch on" in alice.get(page).text

    assert alice.post(f"/rules/{rule_id}/delete", data={"csrf_token": csrf}).status_code == 303
    assert rules_of(team) == []


def test_a_bad_form_says_which_field_and_saves_nothing(team, in_process, sign_in):
    alice = in_process()
    csrf = sign_in(alice, "alice")

    response = alice.post(
        f"/workspaces/{team.workspace_id}/rules",
        data={"csrf_token": csrf, "name": "Soon", "event": "item.due_soon", "days": "", "action": "notify"},
    )

    assert response.status_code == 422
    assert "days: must be a whole number." in response.text
    assert 'value="Soon"' in response.text  # what was typed is kept
    missing = alice.post(
        f"/workspaces/{team.workspace_id}/rules",
        data={"csrf_token": csrf, "name": "Tell", "event": "item.moved", "action": "notify"},
    )
    assert missing.status_code == 422 and "actions.0.message: a notify action needs it." in missing.text
    assert rules_of(team) == []


def test_a_viewer_reads_the_rules_but_gets_no_form(team, in_process, sign_in):
    team.client.post(
        f"{API}/workspaces/{team.workspace_id}/rules",
        json={
            "name": "Ping",
            "event": "item.blocked",
            "actions": [{"kind": "notify", "message": "{title} is blocked"}],
        },
    )
    carol = in_process()
    sign_in(carol, "carol")

    page = carol.get(f"/workspaces/{team.workspace_id}/rules")

    assert page.status_code == 200
    assert "When an item is blocked, then notify “{title} is blocked”." in page.text
    assert "Add rule" not in page.text and "Switch off" not in page.text


def test_the_notification_list_shows_what_rules_said_and_marks_it_read(team, in_process, sign_in):
    team.client.post(
        f"{API}/workspaces/{team.workspace_id}/rules",
        json={
            "name": "Ping",
            "event": "item.blocked",
            "actions": [{"kind": "notify", "message": "{title} is blocked"}],
        },
    )
    item = team.create_item("Spring launch email", stage="Next")
    team.client.post(f"{API}/items/{item['id']}/block", json={"reason": "Waiting for legal"})
    bob = in_process()
    csrf = sign_in(bob, "bob")

    page = bob.get(f"/workspaces/{team.workspace_id}/notifications")
    assert "Spring launch email is blocked" in page.text and 'class="notification unread"' in page.text
    assert "Fired 1 time, last " in bob.get(f"/workspaces/{team.workspace_id}/rules").text
    assert f'href="/workspaces/{team.workspace_id}/notifications"' in page.text  # the nav link

    assert '<span class="unread-count" title="1 unread">1</span>' in page.text  # in the header
    marked = bob.post(f"/workspaces/{team.workspace_id}/notifications/read", data={"csrf_token": csrf})
    assert marked.status_code == 303
    page = bob.get(f"/workspaces/{team.workspace_id}/notifications")
    assert 'class="notification unread"' not in page.text and "Mark all read" not in page.text
    assert "unread-count" not in page.text


def test_a_manager_adds_an_inbound_source_and_sees_its_secret_once(team, in_process, sign_in):
    alice = in_process()
    csrf = sign_in(alice, "alice")
    page = f"/workspaces/{team.workspace_id}/rules"

    added = alice.post(
        f"/workspaces/{team.workspace_id}/webhook-sources", data={"csrf_token": csrf, "source_name": "CRM"}
    )

    assert added.status_code == 200
    source = team.client.get(f"{API}/workspaces/{team.workspace_id}/webhook-sources").json()[0]
    assert f"POST /api/v1/hooks/{source['id']}" in added.text
    secret = added.text.split('<code class="secret">')[1].split("</code>")[0]
    assert secret.startswith("whsec_")
    assert secret not in alice.get(page).text  # shown once
    twice = alice.post(
        f"/workspaces/{team.workspace_id}/webhook-sources", data={"csrf_token": csrf, "source_name": "crm"}
    )
    assert twice.status_code == 409 and "already has a webhook source named" in twice.text

    deleted = alice.post(f"/webhook-sources/{source['id']}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 303
    assert team.client.get(f"{API}/workspaces/{team.workspace_id}/webhook-sources").json() == []
    carol = in_process()
    sign_in(carol, "carol")
    assert "Inbound webhooks" not in carol.get(page).text  # managers only
