"""Items through the API: create, read, edit, block, unblock, discard, archive, history."""

from __future__ import annotations

API = "/api/v1"


def kinds(transitions: list[dict]) -> list[str]:
    return [t["kind"] for t in transitions]


def test_a_new_item_waits_in_the_first_option_stage_in_its_class_lane(team):
    response = team.client.post(
        f"{API}/boards/{team.board_id}/items", json={"title": "  Spring launch email "}
    )

    assert response.status_code == 201
    result = response.json()
    assert (result["outcome"], result["override"], result["findings"]) == ("allowed", False, [])
    item = result["item"]
    assert item["title"] == "Spring launch email"
    assert (item["stage_id"], item["lane_id"]) == (team.stages["Ideas"], team.lanes["Standard"])
    assert item["class_of_service"] == "standard"
    assert (item["committed_at"], item["done_at"], item["archived_at"]) == (None, None, None)
    assert (item["blocked"], item["ready"], item["tags"]) == (False, False, [])
    assert team.item(item["id"]) == item
    [created] = team.transitions(item["id"])
    assert (created["kind"], created["to_stage_id"]) == ("created", team.stages["Ideas"])


def test_an_item_is_created_with_every_field(team):
    parent = team.create_item("Spring campaign")

    item = team.create_item(
        "Webinar follow-up",
        stage="Next",
        description="Mail everyone who registered.",
        class_of_service="fixed_date",
        due_date="2026-03-31",
        work_type_id=team.work_types["Campaign"],
        owner_id=team.users["bob"],
        value="1500",
        size=3,
        tags=["webinar", "q1", "webinar"],
        external_ref="CRM-42",
        parent_id=parent["id"],
    )

    assert item["stage_id"] == team.stages["Next"]
    assert item["lane_id"] is None  # the board has no fixed-date lane
    assert (item["work_type_id"], item["work_type_name"]) == (team.work_types["Campaign"], "Campaign")
    assert (item["owner_id"], item["owner_name"]) == (team.users["bob"], "Bob Brown")
    assert (item["due_date"], item["value"], item["size"]) == ("2026-03-31", "1500.00", 3)
    assert item["tags"] == ["webinar", "q1"]
    assert (item["external_ref"], item["parent_id"]) == ("CRM-42", parent["id"])
    assert item["description"] == "Mail everyone who registered."


def test_an_expedite_item_goes_into_the_expedite_lane(team):
    assert (
        team.create_item("Fix the pricing page", class_of_service="expedite")["lane_id"]
        == team.lanes["Expedite"]
    )


def test_an_item_created_in_a_committed_stage_is_committed(team):
    item = team.create_item("Trade show booth", stage="Doing")

    assert item["stage_id"] == team.stages["Doing"]
    assert item["committed_at"] is not None


def test_an_item_created_over_a_limit_is_refused_with_the_reason(team, api_error):
    team.set_stage("Ideas", wip_limit=1)
    team.create_item("Podcast idea")

    response = team.client.post(f"{API}/boards/{team.board_id}/items", json={"title": "Another podcast idea"})

    assert response.status_code == 409
    assert [r["code"] for r in api_error(response)["reasons"]] == ["stage_wip"]
    assert team.count("Ideas") == 1


def test_an_unknown_item_is_404(client, api_error):
    for method, path in (("GET", ""), ("PATCH", ""), ("GET", "/transitions"), ("POST", "/archive")):
        response = client.request(method, f"{API}/items/4242{path}", json={} if method == "PATCH" else None)
        assert response.status_code == 404, path
        assert api_error(response)["message"] == "Item 4242 does not exist."


def test_an_edit_changes_only_what_it_names_and_is_logged(team):
    item = team.create_item("Spring launch email", tags=["email"], size=2)

    response = team.client.patch(
        f"{API}/items/{item['id']}",
        json={
            "title": "Spring launch email, second send",
            "tags": None,
            "ready": True,
            "owner_id": team.users["alice"],
        },
    )

    assert response.status_code == 200
    edited = response.json()["item"]
    assert edited["title"] == "Spring launch email, second send"
    assert (edited["tags"], edited["ready"], edited["size"]) == ([], True, 2)
    assert edited["owner_name"] == "Alice Adams"
    last = team.transitions(item["id"])[-1]
    assert last["kind"] == "edited"
    assert set(last["details"]["changes"]) == {"title", "tags", "ready", "owner_id"}
    assert last["details"]["changes"]["title"] == ["Spring launch email", "Spring launch email, second send"]


def test_an_item_follows_its_class_into_the_class_lane(team):
    item = team.create_item("Spring launch email")

    edited = team.client.patch(f"{API}/items/{item['id']}", json={"class_of_service": "expedite"}).json()[
        "item"
    ]

    assert (edited["class_of_service"], edited["lane_id"]) == ("expedite", team.lanes["Expedite"])


def test_an_edit_that_changes_nothing_logs_nothing(team):
    item = team.create_item("Spring launch email")

    response = team.client.patch(f"{API}/items/{item['id']}", json={"title": "Spring launch email"})

    assert response.status_code == 200
    assert kinds(team.transitions(item["id"])) == ["created"]


def test_an_item_cannot_become_its_grandparents_parent(team, api_error):
    grandparent = team.create_item("Spring campaign")
    parent = team.create_item("Launch emails", parent_id=grandparent["id"])
    child = team.create_item("First send", parent_id=parent["id"])

    response = team.client.patch(f"{API}/items/{grandparent['id']}", json={"parent_id": child["id"]})

    assert response.status_code == 422
    assert api_error(response)["field"] == "parent_id"
    assert team.item(grandparent["id"])["parent_id"] is None


def test_a_blocked_item_shows_why_until_it_is_unblocked(team, api_error):
    item = team.create_item("Spring launch email", stage="Doing")
    block = f"{API}/items/{item['id']}/block"
    unblock = f"{API}/items/{item['id']}/unblock"

    blocked = team.client.post(block, json={"reason": "Waiting for legal", "category": "Legal"})
    twice = team.client.post(block, json={"reason": "Waiting for the printer"})
    unblocked = team.client.post(unblock)  # the body, and its reason, may be left out
    again = team.client.post(unblock, json={"reason": "Legal approved"})

    assert blocked.status_code == 200
    assert (blocked.json()["blocked"], blocked.json()["blocked_reason"]) == (True, "Waiting for legal")
    assert twice.status_code == 409
    assert api_error(twice)["code"] == "already_blocked"
    assert "Waiting for legal" in api_error(twice)["message"]
    assert unblocked.status_code == 200
    assert (unblocked.json()["blocked"], unblocked.json()["blocked_reason"]) == (False, None)
    assert again.status_code == 409
    assert api_error(again)["code"] == "not_blocked"
    log = team.transitions(item["id"])
    assert kinds(log) == ["created", "blocked", "unblocked"]
    assert (log[1]["reason"], log[1]["details"]) == ("Waiting for legal", {"category": "Legal"})
    assert log[2]["details"]["blocked_seconds"] >= 0


def test_a_discarded_item_goes_to_the_discarded_stage(team, api_error):
    item = team.create_item("Spring launch email", stage="Doing")

    response = team.client.post(f"{API}/items/{item['id']}/discard", json={"reason": "The budget was cut."})
    again = team.client.post(f"{API}/items/{item['id']}/discard")

    assert response.status_code == 200
    assert response.json()["item"]["stage_id"] == team.stages["Discarded"]
    assert team.transitions(item["id"])[-1]["reason"] == "The budget was cut."
    assert again.status_code == 409
    assert [r["code"] for r in api_error(again)["reasons"]] == ["same_stage"]


def test_an_item_needs_a_stage_on_a_board_without_an_option_stage(team, api_error):
    board = team.client.post(
        f"{API}/workspaces/{team.workspace_id}/boards",
        json={"name": "Leads", "stages": [{"name": "Working"}, {"name": "Won", "kind": "done"}]},
    ).json()

    response = team.client.post(f"{API}/boards/{board['id']}/items", json={"title": "Acme Corp"})

    assert response.status_code == 422
    assert api_error(response)["field"] == "stage_id"


def test_a_board_without_a_discarded_stage_cannot_discard(team, api_error):
    board = team.client.post(
        f"{API}/workspaces/{team.workspace_id}/boards",
        json={"name": "Leads", "stages": [{"name": "Working"}, {"name": "Won", "kind": "done"}]},
    ).json()
    working = board["stages"][0]["id"]
    item = team.client.post(
        f"{API}/boards/{board['id']}/items", json={"title": "Acme Corp", "stage_id": working}
    ).json()["item"]

    response = team.client.post(f"{API}/items/{item['id']}/discard")

    assert response.status_code == 409
    assert api_error(response)["code"] == "no_discarded_stage"


def test_only_a_finished_item_is_archived_and_then_leaves_the_board(team, api_error):
    item = team.create_item("Spring launch email", stage="Doing")
    archive = f"{API}/items/{item['id']}/archive"

    in_progress = team.client.post(archive)
    team.move(item["id"], "Done")
    archived = team.client.post(archive)
    twice = team.client.post(archive)
    blocked = team.client.post(f"{API}/items/{item['id']}/block", json={"reason": "Too late"})

    assert in_progress.status_code == 409
    assert api_error(in_progress)["code"] == "not_finished"
    assert archived.status_code == 200
    assert archived.json()["archived_at"] is not None
    assert twice.status_code == 409
    assert api_error(twice)["code"] == "archived"
    assert blocked.status_code == 409
    assert api_error(blocked)["code"] == "archived"
    assert team.count("Done") == 0
    assert team.item(item["id"])["archived_at"] == archived.json()["archived_at"]
    assert kinds(team.transitions(item["id"])) == ["created", "moved", "archived"]
