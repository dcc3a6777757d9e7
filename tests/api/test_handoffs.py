"""Handoffs through the API: a Sales deal asks Marketing for a case study; the promise cycle
step by step, who may take each step (403 not your step, 409 not possible now), the linked
item on the performer's board, the requesting item waiting and blocked until acceptance."""

from __future__ import annotations

import datetime as dt

import pytest

API = "/api/v1"
LATER = (dt.date.today() + dt.timedelta(days=14)).isoformat()
LATEST = (dt.date.today() + dt.timedelta(days=21)).isoformat()
SALES_STAGES = [
    {"name": "Leads", "kind": "option"},
    {"name": "Proposal", "kind": "committed"},
    {"name": "Won", "kind": "done"},
]


@pytest.fixture
def people(team, in_process, sign_in):
    """alice (manager), bob (member) and carol (viewer) of the team, each signed in."""
    clients = {}
    for who in ("alice", "bob", "carol", "dave"):
        clients[who] = in_process()
        sign_in(clients[who], who)
    return clients


@pytest.fixture
def sales(team):
    """A Sales board in the team's workspace and a deal on it."""
    board = team.client.post(
        f"{API}/workspaces/{team.workspace_id}/boards",
        json={"name": "Sales", "stages": SALES_STAGES},
    ).json()
    deal = team.client.post(f"{API}/boards/{board['id']}/items", json={"title": "Acme — 40 seats"})
    assert deal.status_code == 201, deal.text
    return {"board": board, "deal": deal.json()["item"]}


def ask(people, team, sales, *, who="bob", performer="alice", **extra):
    body = {
        "performer_board_id": team.board_id,
        "title": "Case study: Acme",
        "conditions": "Two pages, approved by the customer, with a quote.",
        "due_date": LATER,
    }
    if performer:
        body["performer_id"] = team.users[performer]
    body.update(extra)
    return people[who].post(f"{API}/items/{sales['deal']['id']}/handoffs", json=body)


def step(people, who, handoff_id, name, **body):
    return people[who].post(f"{API}/handoffs/{handoff_id}/{name}", json=body or None)


def test_a_deal_asks_marketing_for_a_case_study_and_a_linked_item_appears_on_the_marketing_board(
    team, people, sales
):
    response = ask(people, team, sales)

    assert response.status_code == 201, response.text
    handoff = response.json()
    assert handoff["status"] == "requested"
    assert (handoff["requester_name"], handoff["performer_name"]) == ("Bob Brown", "Alice Adams")
    assert handoff["requesting_item_id"] == sales["deal"]["id"]
    assert handoff["requesting_board_name"] == "Sales" and handoff["performer_board_name"] == "Campaigns"
    assert handoff["waiting"] is True and handoff["blocks_item"] is False
    assert handoff["next_steps"] == ["cancel"]  # bob's, who asked
    linked = team.item(handoff["linked_item_id"])
    assert linked["title"] == "Case study: Acme" and linked["board_id"] == team.board_id
    assert linked["stage_id"] == team.stages["Ideas"]  # the first option stage
    assert (linked["owner_id"], linked["due_date"]) == (team.users["alice"], LATER)
    assert "Two pages" in linked["description"]
    [requested] = handoff["steps"]
    assert (requested["step"], requested["actor_name"], requested["to_status"]) == (
        "request",
        "Bob Brown",
        "requested",
    )
    assert people["alice"].get(f"{API}/handoffs/{handoff['id']}").json()["next_steps"] == [
        "promise",
        "counter",
        "decline",
    ]


def test_the_whole_cycle_and_the_deal_waits_blocked_until_bob_accepts(team, people, sales):
    handoff = ask(people, team, sales, block=True).json()
    deal_id = sales["deal"]["id"]
    deal = team.item(deal_id)
    assert deal["blocked"] and deal["blocked_reason"] == "waiting for handoff: Case study: Acme"

    for who, name, body, status in [
        ("alice", "promise", {"note": "Emma writes it."}, "promised"),
        ("alice", "perform", {}, "performing"),
        ("alice", "declare-complete", {"note": "In the shared folder."}, "declared_complete"),
        ("bob", "reject", {"note": "The quote is missing."}, "performing"),
        ("alice", "declare-complete", {}, "declared_complete"),
    ]:
        response = step(people, who, handoff["id"], name, **body)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
        assert team.item(deal_id)["blocked"]

    accepted = step(people, "bob", handoff["id"], "accept", note="Thank you.")

    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["status"] == "accepted" and body["waiting"] is False and body["closed_at"]
    assert body["blocks_item"] is False and body["next_steps"] == []
    assert not team.item(deal_id)["blocked"]
    assert [s["step"] for s in body["steps"]] == [
        "request",
        "promise",
        "perform",
        "declare_complete",
        "reject",
        "declare_complete",
        "accept",
    ]
    assert body["steps"][4]["note"] == "The quote is missing."
    kinds = [t["kind"] for t in team.transitions(deal_id)]
    assert kinds[-2:] == ["blocked", "unblocked"]


def test_only_the_requester_accepts(team, people, sales, api_error):
    handoff = ask(people, team, sales).json()
    step(people, "alice", handoff["id"], "promise")
    step(people, "alice", handoff["id"], "declare-complete")

    by_performer = step(people, "alice", handoff["id"], "accept")

    assert by_performer.status_code == 403
    error = api_error(by_performer)
    assert error["code"] == "not_your_step"
    assert error["message"] == "Only the requester (Bob Brown) may accept this handoff."
    assert team.client.get(f"{API}/handoffs/{handoff['id']}").json()["status"] == "declared_complete"


def test_only_the_performer_promises(team, people, sales, api_error):
    handoff = ask(people, team, sales).json()

    by_requester = step(people, "bob", handoff["id"], "promise")

    assert by_requester.status_code == 403
    assert api_error(by_requester)["message"] == (
        "You made this request: only the performer (Alice Adams) may promise it."
    )


def test_a_declined_request_cannot_be_completed(team, people, sales, api_error):
    handoff = ask(people, team, sales, block=True).json()
    declined = step(people, "alice", handoff["id"], "decline", note="No designer is free this month.")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert not team.item(sales["deal"]["id"])["blocked"]  # the wait is over

    complete = step(people, "alice", handoff["id"], "declare-complete")
    accept = step(people, "bob", handoff["id"], "accept")

    assert complete.status_code == 409 and accept.status_code == 409
    error = api_error(complete)
    assert error["code"] == "step_not_allowed"
    assert "declined" in error["message"] and "cannot be completed" in error["message"]


def test_a_viewer_reads_but_takes_no_step_and_an_outsider_sees_nothing(team, people, sales, api_error):
    handoff = ask(people, team, sales, performer=None).json()

    assert people["carol"].get(f"{API}/handoffs/{handoff['id']}").status_code == 200
    assert step(people, "carol", handoff["id"], "promise").status_code == 403
    assert people["dave"].get(f"{API}/handoffs/{handoff['id']}").status_code == 404
    assert api_error(step(people, "dave", handoff["id"], "promise"))["code"] == "not_found"


def test_a_request_to_the_team_is_answered_by_whoever_promises(team, people, sales):
    handoff = ask(people, team, sales, performer=None).json()
    assert handoff["performer_id"] is None

    promised = step(people, "alice", handoff["id"], "promise").json()

    assert (promised["performer_name"], promised["status"]) == ("Alice Adams", "promised")


def test_a_counter_offer_is_accepted_by_the_requester_with_its_terms(team, people, sales, api_error):
    handoff = ask(people, team, sales).json()
    silent = step(people, "alice", handoff["id"], "counter", note="Can we talk about the date?")
    assert silent.status_code == 409 and "another date" in api_error(silent)["message"]

    countered = step(people, "alice", handoff["id"], "counter", due_date=LATEST, conditions="One page.")
    assert countered.json()["status"] == "countered"
    assert (countered.json()["counter_due_date"], countered.json()["due_date"]) == (LATEST, LATER)

    accepted = step(people, "bob", handoff["id"], "accept-counter").json()

    assert accepted["status"] == "promised"
    assert (accepted["due_date"], accepted["conditions"]) == (LATEST, "One page.")
    assert accepted["steps"][1]["due_date"] == LATEST


def test_lists_mine_as_requester_or_performer_by_status_and_per_item(team, people, sales):
    first = ask(people, team, sales).json()
    second = ask(people, team, sales, who="alice", performer="bob").json()
    step(people, "alice", first["id"], "decline", note="Not this quarter.")
    url = f"{API}/workspaces/{team.workspace_id}/handoffs"

    def ids(who, **params):
        response = people[who].get(url, params=params)
        assert response.status_code == 200, response.text
        return [h["id"] for h in response.json()]

    assert ids("bob") == [second["id"], first["id"]]
    assert ids("bob", mine="requester") == [first["id"]]
    assert ids("bob", mine="performer") == [second["id"]]
    assert ids("bob", status="open") == [second["id"]]
    assert ids("bob", status="declined") == [first["id"]]
    assert ids("carol", status="closed") == [first["id"]]
    per_item = people["carol"].get(f"{API}/items/{sales['deal']['id']}/handoffs").json()
    assert [h["id"] for h in per_item] == [second["id"], first["id"]]
    linked = people["carol"].get(f"{API}/items/{first['linked_item_id']}/handoffs").json()
    assert [h["id"] for h in linked] == [first["id"]]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"performer_board_id": 999_999}, "performer_board_id"),
        ({"performer_id": 999_999}, "performer_id"),
        ({"due_date": "2020-01-01"}, "due_date"),
        ({"due_date": "soon"}, "due_date"),
        ({"title": "  "}, "title"),
        ({"conditions": ""}, "conditions"),
        ({"stage_id": 999_999}, "stage_id"),
    ],
)
def test_a_bad_request_names_the_field_and_writes_nothing(
    team, people, sales, snapshot, api_error, change, field
):
    before = snapshot()

    response = ask(people, team, sales, **change)

    assert response.status_code == 422, response.text
    assert api_error(response)["field"] == field
    assert snapshot() == before


def test_one_cannot_ask_oneself_or_a_viewer(team, people, sales, api_error):
    assert api_error(ask(people, team, sales, performer="bob"))["message"] == (
        "performer_id: you cannot request a handoff from yourself."
    )
    assert "viewer" in api_error(ask(people, team, sales, performer="carol"))["message"]


def test_a_board_of_another_workspace_cannot_be_asked(team, people, sales, outsiders, api_error):
    response = ask(people, team, sales, performer_board_id=outsiders.board_id)

    assert response.status_code == 422
    assert api_error(response)["field"] == "performer_board_id"


def test_a_refused_linked_item_refuses_the_whole_request(team, people, sales, snapshot, api_error):
    team.set_stage("Doing", wip_limit=0)
    before = snapshot()

    response = ask(people, team, sales, stage_id=team.stages["Doing"], block=True)

    assert response.status_code == 409
    assert api_error(response)["code"] == "pull_refused"
    assert snapshot() == before  # no handoff, no linked item, no blocker


def section(page: str, heading: str) -> str:
    start = page.index(f">{heading} <")
    end = page.find("<section", start)
    return page[start : end if end != -1 else len(page)]


def test_the_handoffs_page_shows_requests_i_made_and_requests_to_me_with_their_steps(team, people, sales):
    handoff = ask(people, team, sales).json()
    page = f"/workspaces/{team.workspace_id}/handoffs"

    bobs = people["bob"].get(page)
    alices = people["alice"].get(page)
    carols = people["carol"].get(page)

    assert bobs.status_code == alices.status_code == carols.status_code == 200
    assert "Case study: Acme" in section(bobs.text, "Requests I made")
    assert "Case study: Acme" not in section(bobs.text, "Requests to me")
    assert 'data-step="cancel"' in bobs.text and 'data-step="promise"' not in bobs.text
    to_alice = section(alices.text, "Requests to me")
    assert "Case study: Acme" in to_alice and 'data-step="promise"' in to_alice
    assert 'data-step="counter"' in to_alice and 'data-step="decline"' in to_alice
    assert "data-step=" not in carols.text  # a viewer reads only
    assert f'href="{page}"' in alices.text  # the nav link
    assert "Request a handoff" in bobs.text and "Request a handoff" not in carols.text
    history = people["bob"].get(f"{API}/handoffs/{handoff['id']}").json()["steps"]
    assert len(history) == 1 and "History (1)" in bobs.text


def test_the_requesting_card_is_marked_waiting_on_its_board_until_accepted(team, people, sales):
    handoff = ask(people, team, sales).json()
    board = f"/boards/{sales['board']['id']}"
    assert people["bob"].get(board).text.count("waiting for handoff") == 1

    for who, name in [("alice", "promise"), ("alice", "declare-complete"), ("bob", "accept")]:
        assert step(people, who, handoff["id"], name).status_code == 200

    assert "waiting for handoff" not in people["bob"].get(board).text


def test_the_handoffs_page_of_an_unknown_or_foreign_workspace_is_an_error_page(team, people, outsiders):
    unknown = people["bob"].get("/workspaces/999999/handoffs")
    foreign = people["bob"].get(f"/workspaces/{outsiders.workspace_id}/handoffs")
    malformed = people["bob"].get("/workspaces/abc/handoffs")

    for response, status in ((unknown, 404), (foreign, 404), (malformed, 422)):
        assert response.status_code == status
        assert response.headers["content-type"].startswith("text/html")
    assert "Workspace 999999 does not exist." in unknown.text
    assert "Northwind Sales" not in foreign.text
    assert "workspace_id" in malformed.text
