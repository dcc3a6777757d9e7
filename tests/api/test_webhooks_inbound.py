"""Inbound webhooks: a signed CRM event creates an item through a rule; a bad, missing,
stale or replayed signature and a malformed body are refused and write nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pullplan.integrations.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, signed_headers

API = "/api/v1"


@pytest.fixture
def api_url(database_url: str) -> str:
    """On a SQLite file and on PostgreSQL."""
    return database_url


@pytest.fixture
def crm(team):
    """A CRM source of the team's workspace, and a rule: when the CRM says a deal reached
    `proposal`, create a proposal-support item on the board."""
    client = team.client
    source = client.post(f"{API}/workspaces/{team.workspace_id}/webhook-sources", json={"name": "CRM"})
    assert source.status_code == 201, source.text
    rule = client.post(
        f"{API}/workspaces/{team.workspace_id}/rules",
        json={
            "name": "Deal reached proposal",
            "event": "webhook.received",
            "source": "CRM",
            "conditions": [
                {"field": "payload.stage", "op": "equals", "value": "proposal"},
                {"field": "payload.amount", "op": ">=", "value": 10000},
            ],
            "actions": [
                {
                    "kind": "create_item",
                    "board": "Campaigns",
                    "stage": "Ideas",
                    "title": "Proposal support: {payload.deal}",
                    "type": "Deal",
                    "due_in_days": 14,
                    "value": "{payload.amount}",
                    "external_ref": "CRM {payload.id}",
                    "description": "Owner in the CRM: {payload.owner.email}",
                },
                {"kind": "notify", "message": "{payload.deal} reached proposal"},
            ],
        },
    )
    assert rule.status_code == 201, rule.text
    return source.json()


def post(client, source, payload, *, now=None, secret=None, headers=None, raw=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    sent = signed_headers(secret or source["secret"], body, now or dt.datetime.now(dt.UTC))
    if headers is not None:
        sent = headers
    return client.post(source["hook_path"], content=body, headers=sent)


def titles(team) -> list[str]:
    return [c["title"] for s in team.view()["stages"] for c in s["items"]]


DEAL = {
    "deal": "Northwind renewal",
    "stage": "proposal",
    "amount": 48000,
    "id": "D-1042",
    "owner": {"email": "hugo@example.com"},
}


def test_a_signed_event_creates_the_item_through_the_rule(team, crm, in_process):
    anonymous = in_process()  # no session, no token, no CSRF token: the signature is enough

    response = post(anonymous, crm, DEAL)

    assert response.status_code == 202, response.text
    fired = response.json()["fired"]
    assert [f["rule"] for f in fired] == ["Deal reached proposal"]
    created = fired[0]["results"][0]
    assert created["ok"] and created["action"] == "create_item"
    item = team.item(created["item_id"])
    assert item["title"] == "Proposal support: Northwind renewal"
    assert item["external_ref"] == "CRM D-1042"  # payload fields mapped to item fields
    assert item["value"] == "48000.00"
    assert item["description"] == "Owner in the CRM: hugo@example.com"
    assert item["due_date"] == (dt.date.today() + dt.timedelta(days=14)).isoformat()
    notes = team.client.get(f"{API}/workspaces/{team.workspace_id}/notifications").json()
    assert [n["message"] for n in notes] == ["Northwind renewal reached proposal"]


def test_an_event_the_conditions_do_not_match_creates_nothing(team, crm, in_process):
    response = post(in_process(), crm, {**DEAL, "stage": "qualified"})

    assert response.status_code == 202
    assert response.json()["fired"] == []
    assert not any(t.startswith("Proposal support") for t in titles(team))


def test_a_bad_signature_is_refused(team, crm, in_process, snapshot, api_error):
    before = snapshot()

    wrong_secret = post(in_process(), crm, DEAL, secret="whsec_not-the-secret")
    body = json.dumps(DEAL).encode()
    stamp = str(int(dt.datetime.now(dt.UTC).timestamp()))
    tampered = in_process().post(
        crm["hook_path"],
        content=json.dumps({**DEAL, "amount": 99}).encode(),
        headers={
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: "sha256=" + sign(crm["secret"], int(stamp), body),
        },
    )
    missing = in_process().post(crm["hook_path"], content=body, headers={"content-type": "application/json"})

    for response, code in (
        (wrong_secret, "bad_signature"),
        (tampered, "bad_signature"),
        (missing, "missing_signature"),
    ):
        assert response.status_code == 401, response.text
        assert api_error(response)["code"] == code
    assert snapshot() == before


def test_a_stale_request_is_refused(team, crm, in_process, snapshot, api_error):
    before = snapshot()
    now = dt.datetime.now(dt.UTC)

    old = post(in_process(), crm, DEAL, now=now - dt.timedelta(minutes=5, seconds=30))
    future = post(in_process(), crm, DEAL, now=now + dt.timedelta(minutes=6))

    for response in (old, future):
        assert response.status_code == 401, response.text
        error = api_error(response)
        assert error["code"] == "stale_request" and "300 seconds" in error["message"]
    assert snapshot() == before


def test_a_replayed_request_is_refused(team, crm, in_process, snapshot, api_error):
    body = json.dumps(DEAL).encode()
    headers = signed_headers(crm["secret"], body, dt.datetime.now(dt.UTC))
    first = in_process().post(crm["hook_path"], content=body, headers=headers)
    assert first.status_code == 202
    before = snapshot()

    again = in_process().post(crm["hook_path"], content=body, headers=headers)

    assert again.status_code == 409
    assert api_error(again)["code"] == "replayed"
    assert snapshot() == before
    assert titles(team).count("Proposal support: Northwind renewal") == 1


@pytest.mark.parametrize(
    "raw",
    [b"{'deal': 'x'", b"\xff\xfe", b"[1, 2]", b'"proposal"', b""],
    ids=["not JSON", "not UTF-8", "a list", "a string", "empty"],
)
def test_a_malformed_body_is_refused(team, crm, in_process, snapshot, api_error, raw):
    before = snapshot()

    response = post(in_process(), crm, None, raw=raw)

    assert response.status_code == 422, response.text
    assert api_error(response)["field"] == "body"
    assert snapshot() == before


def test_an_unknown_source_is_not_found(team, crm, in_process, api_error):
    response = post(in_process(), {**crm, "hook_path": f"{API}/hooks/999999"}, DEAL)

    assert response.status_code == 404
    assert api_error(response)["code"] == "not_found"


def test_the_secret_is_shown_once(team, crm):
    listed = team.client.get(f"{API}/workspaces/{team.workspace_id}/webhook-sources").json()

    assert crm["secret"].startswith("whsec_")
    assert [s["name"] for s in listed] == ["CRM"]
    assert "secret" not in listed[0] and crm["secret"] not in json.dumps(listed)
