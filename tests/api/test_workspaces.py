"""Workspaces, people, memberships, work types and a workspace's boards, through the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

API = "/api/v1"
PASSWORD = "a long enough password"


def test_a_new_workspace_is_listed_and_read_back(client):
    response = client.post(
        f"{API}/workspaces", json={"name": "  Acme Marketing  ", "time_zone": "Europe/Berlin"}
    )

    assert response.status_code == 201
    workspace = response.json()
    assert workspace["name"] == "Acme Marketing"
    assert workspace["time_zone"] == "Europe/Berlin"
    assert workspace["is_demo"] is False
    assert client.get(f"{API}/workspaces").json() == [workspace]
    assert client.get(f"{API}/workspaces/{workspace['id']}").json() == workspace


def test_a_workspace_is_in_utc_unless_told_otherwise(client):
    assert client.post(f"{API}/workspaces", json={"name": "Acme"}).json()["time_zone"] == "UTC"


def test_a_second_workspace_with_the_same_name_is_refused(client, api_error):
    client.post(f"{API}/workspaces", json={"name": "Acme"})

    response = client.post(f"{API}/workspaces", json={"name": "Acme"})

    assert response.status_code == 409
    assert api_error(response)["code"] == "duplicate"
    assert len(client.get(f"{API}/workspaces").json()) == 1


def test_an_unknown_workspace_is_404_on_every_workspace_route(client, api_error):
    for path in ("", "/members", "/work-types", "/boards"):
        response = client.get(f"{API}/workspaces/4242{path}")
        assert response.status_code == 404, path
        assert api_error(response)["message"] == "Workspace 4242 does not exist."


def test_users_are_listed_by_username(client):
    for username in ("bob", "alice"):
        response = client.post(
            f"{API}/users",
            json={"username": username, "display_name": username.title(), "password": PASSWORD},
        )
        assert response.status_code == 201
        assert set(response.json()) == {"id", "username", "display_name"}  # no email is shown

    assert [u["username"] for u in client.get(f"{API}/users").json()] == ["admin", "alice", "bob"]


def test_a_new_user_signs_in_with_their_password(client, app, sign_in):
    client.post(f"{API}/users", json={"username": "erin", "display_name": "Erin", "password": PASSWORD})

    with TestClient(app) as erin:
        sign_in(erin, "erin", PASSWORD)
        me = erin.get(f"{API}/me").json()

    assert (me["user"]["username"], me["is_admin"], me["via"], me["workspaces"]) == (
        "erin",
        False,
        "session",
        [],
    )


def test_a_taken_username_is_refused(client, api_error):
    client.post(f"{API}/users", json={"username": "alice", "display_name": "Alice", "password": PASSWORD})

    response = client.post(
        f"{API}/users", json={"username": "alice", "display_name": "Another Alice", "password": PASSWORD}
    )

    assert response.status_code == 409
    assert api_error(response)["code"] == "duplicate"


def test_a_username_with_spaces_is_refused_naming_the_field(client, api_error):
    response = client.post(
        f"{API}/users", json={"username": "alice adams", "display_name": "Alice", "password": PASSWORD}
    )

    assert response.status_code == 422
    assert api_error(response)["field"] == "username"
    assert [u["username"] for u in client.get(f"{API}/users").json()] == ["admin"]


def test_members_are_listed_with_their_roles_and_dave_is_not_one(team):
    members = team.client.get(f"{API}/workspaces/{team.workspace_id}/members").json()

    assert [(m["user"]["username"], m["role"]) for m in members] == [
        ("admin", "manager"),  # who created the workspace
        ("alice", "manager"),
        ("bob", "member"),
        ("carol", "viewer"),
    ]


def test_putting_a_member_again_changes_their_role(team):
    response = team.client.put(
        f"{API}/workspaces/{team.workspace_id}/members/{team.users['carol']}", json={"role": "member"}
    )

    assert response.status_code == 200
    roles = {m["user"]["username"]: m["role"] for m in response.json()}
    assert roles == {"admin": "manager", "alice": "manager", "bob": "member", "carol": "member"}


def test_a_member_needs_a_role(team, snapshot, api_error):
    before = snapshot()

    response = team.client.put(f"{API}/workspaces/{team.workspace_id}/members/{team.users['dave']}", json={})

    assert response.status_code == 422
    assert api_error(response)["field"] == "role"
    assert snapshot() == before


def test_an_unknown_role_is_refused_naming_the_field(team, api_error):
    response = team.client.put(
        f"{API}/workspaces/{team.workspace_id}/members/{team.users['dave']}", json={"role": "owner"}
    )

    assert response.status_code == 422
    assert api_error(response)["field"] == "role"


def test_adding_an_unknown_user_is_404(team, api_error):
    response = team.client.put(f"{API}/workspaces/{team.workspace_id}/members/4242", json={"role": "member"})

    assert response.status_code == 404
    assert api_error(response)["message"] == "User 4242 does not exist."


def test_work_types_are_listed_by_name(team):
    response = team.client.post(f"{API}/workspaces/{team.workspace_id}/work-types", json={"name": "Brand"})

    assert response.status_code == 201
    names = [wt["name"] for wt in team.client.get(f"{API}/workspaces/{team.workspace_id}/work-types").json()]
    assert names == ["Brand", "Campaign", "Deal"]


def test_a_duplicate_work_type_is_refused(team, api_error):
    response = team.client.post(f"{API}/workspaces/{team.workspace_id}/work-types", json={"name": "Deal"})

    assert response.status_code == 409
    assert api_error(response)["code"] == "duplicate"


def test_the_same_work_type_name_is_fine_in_another_workspace(team, outsiders):
    assert set(outsiders.work_types) == set(team.work_types)
    assert not set(outsiders.work_types.values()) & set(team.work_types.values())


def test_a_board_is_created_with_its_stages_in_order_and_listed(team):
    board = team.board

    assert [(s["name"], s["kind"], s["position"]) for s in board["stages"]] == [
        ("Ideas", "option", 0),
        ("Next", "option", 1),
        ("Doing", "committed", 2),
        ("Review", "committed", 3),
        ("Done", "done", 4),
        ("Discarded", "discarded", 5),
    ]
    assert [(lane["name"], lane["class_of_service"]) for lane in board["lanes"]] == [
        ("Expedite", "expedite"),
        ("Standard", "standard"),
    ]
    assert board["committed_capacity"] == 5  # Doing 3 + Review 2
    assert board["expedite_limit"] == 1
    assert board["person_wip_mode"] == "warn"
    listed = team.client.get(f"{API}/workspaces/{team.workspace_id}/boards").json()
    assert listed == [
        {"id": team.board_id, "workspace_id": team.workspace_id, "name": "Campaigns", "description": ""}
    ]


def test_a_board_name_is_unique_within_its_workspace(team, outsiders, api_error):
    stages = [{"name": "Doing"}, {"name": "Done", "kind": "done"}]

    response = team.client.post(
        f"{API}/workspaces/{team.workspace_id}/boards", json={"name": "Campaigns", "stages": stages}
    )
    elsewhere = team.client.post(
        f"{API}/workspaces/{outsiders.workspace_id}/boards", json={"name": "Campaigns", "stages": stages}
    )

    assert response.status_code == 409
    assert api_error(response)["code"] == "duplicate"
    assert elsewhere.status_code == 201


def test_a_board_needs_a_committed_and_a_done_stage(team, api_error):
    response = team.client.post(
        f"{API}/workspaces/{team.workspace_id}/boards",
        json={
            "name": "Leads",
            "stages": [{"name": "Ideas", "kind": "option"}, {"name": "Won", "kind": "done"}],
        },
    )

    assert response.status_code == 422
    error = api_error(response)
    assert error["field"] == "stages"
    assert "committed" in error["message"]


def test_a_board_with_stages_out_of_order_is_refused(team, api_error):
    response = team.client.post(
        f"{API}/workspaces/{team.workspace_id}/boards",
        json={"name": "Leads", "stages": [{"name": "Won", "kind": "done"}, {"name": "Working"}]},
    )

    assert response.status_code == 422
    assert api_error(response)["field"] == "stages"
    assert len(team.client.get(f"{API}/workspaces/{team.workspace_id}/boards").json()) == 1


def test_creating_a_board_in_an_unknown_workspace_is_404(client, api_error):
    response = client.post(
        f"{API}/workspaces/4242/boards",
        json={"name": "Leads", "stages": [{"name": "Working"}, {"name": "Won", "kind": "done"}]},
    )

    assert response.status_code == 404
    api_error(response)
