"""A board's configuration (stages, lanes, capacity allocation), the board as read, pull
next and the board's transition log, through the API."""

from __future__ import annotations

import pytest

API = "/api/v1"


def stage_names(board: dict) -> list[str]:
    return [s["name"] for s in board["stages"]]


def test_a_board_reads_back_as_it_was_created(team):
    assert team.client.get(f"{API}/boards/{team.board_id}").json() == team.board


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("GET", "/boards/4242", None),
        ("PATCH", "/boards/4242", {"name": "Leads"}),
        ("GET", "/boards/4242/view", None),
        ("POST", "/boards/4242/stages", {"name": "Proofing"}),
        ("POST", "/boards/4242/lanes", {"name": "Rush"}),
        ("POST", "/boards/4242/allocations", {"class_of_service": "intangible", "limit_count": 1}),
        ("GET", "/boards/4242/pull-next?stage_id=1", None),
        ("GET", "/boards/4242/transitions", None),
        ("POST", "/boards/4242/items", {"title": "Spring launch email"}),
    ],
)
def test_an_unknown_board_is_404(client, api_error, method, path, body):
    response = client.request(method, API + path, json=body)

    assert response.status_code == 404
    assert api_error(response)["message"] == "Board 4242 does not exist."


def test_a_board_is_changed_field_by_field(team):
    board = team.set_board(
        name="Campaigns 2026",
        description="Everything we ship this year.",
        expedite_limit=None,
        blocked_counts_against_wip=False,
        person_wip_limit=3,
        person_wip_mode="reason",
    )

    assert board["name"] == "Campaigns 2026"
    assert board["expedite_limit"] is None  # no limit
    assert board["blocked_counts_against_wip"] is False
    assert (board["person_wip_limit"], board["person_wip_mode"]) == (3, "reason")
    assert board["stages"] == team.board["stages"]
    assert team.client.get(f"{API}/boards/{team.board_id}").json() == board
    summary = team.client.get(f"{API}/workspaces/{team.workspace_id}/boards").json()[0]
    assert summary["description"] == "Everything we ship this year."


def test_renaming_a_board_to_a_taken_name_is_a_conflict(team, api_error):
    response = team.client.post(
        f"{API}/workspaces/{team.workspace_id}/boards",
        json={"name": "Leads", "stages": [{"name": "Working"}, {"name": "Won", "kind": "done"}]},
    )
    assert response.status_code == 201

    response = team.client.patch(f"{API}/boards/{team.board_id}", json={"name": "Leads"})

    assert response.status_code == 409
    assert api_error(response)["code"] == "duplicate"
    assert team.client.get(f"{API}/boards/{team.board_id}").json()["name"] == "Campaigns"


def test_the_view_shows_each_stage_with_its_count_and_limit(team):
    for title in ("Trade show booth", "Spring launch email", "Partner webinar"):
        team.create_item(title, stage="Doing")
    team.create_item("Podcast idea", stage="Ideas")

    view = team.view()

    assert (view["workspace_id"], view["workspace_name"]) == (team.workspace_id, "Acme Marketing")
    assert view["board"] == team.board
    stages = {s["stage"]["name"]: s for s in view["stages"]}
    assert list(stages) == stage_names(team.board)
    doing = stages["Doing"]
    assert (doing["count"], doing["at_limit"], doing["over_limit"]) == (3, True, False)
    assert [i["title"] for i in doing["items"]] == [
        "Trade show booth",
        "Spring launch email",
        "Partner webinar",
    ]
    assert [i["title"] for i in stages["Ideas"]["items"]] == ["Podcast idea"]
    assert stages["Ideas"]["at_limit"] is False  # no limit


def test_done_items_are_paged_newest_first(team):
    for title in ("First", "Second", "Third"):
        team.create_item(title, stage="Done")
    done_id = team.stages["Done"]

    view = team.client.get(f"{API}/boards/{team.board_id}/view", params={"finished_page": 2}).json()
    page = team.client.get(f"{API}/stages/{done_id}/items", params={"limit": 2, "offset": 2}).json()

    done = next(s for s in view["stages"] if s["stage"]["id"] == done_id)
    assert done["count"] == 3
    assert [i["title"] for i in done["items"]] == ["Third", "Second"]
    assert (page["total"], page["offset"]) == (3, 2)
    assert [i["title"] for i in page["items"]] == ["First"]


def test_the_items_of_an_unknown_stage_are_404(client, api_error):
    response = client.get(f"{API}/stages/4242/items")

    assert response.status_code == 404
    assert api_error(response)["message"] == "Stage 4242 does not exist."


def test_a_stage_is_added_where_it_belongs_and_the_others_move_along(team):
    response = team.client.post(
        f"{API}/boards/{team.board_id}/stages",
        json={"name": "Proofing", "kind": "committed", "position": 4, "wip_limit": 2, "requires_owner": True},
    )

    assert response.status_code == 201
    board = response.json()
    assert stage_names(board) == ["Ideas", "Next", "Doing", "Review", "Proofing", "Done", "Discarded"]
    assert [s["position"] for s in board["stages"]] == list(range(7))
    proofing = board["stages"][4]
    assert (proofing["wip_limit"], proofing["requires_owner"], proofing["wip_mode"]) == (2, True, "block")
    assert board["committed_capacity"] == 7


def test_a_stage_without_a_position_is_added_last(team):
    response = team.client.post(
        f"{API}/boards/{team.board_id}/stages", json={"name": "Lost", "kind": "discarded"}
    )

    assert response.status_code == 201
    assert stage_names(response.json())[-1] == "Lost"


def test_an_option_stage_after_the_commitment_point_is_refused(team, api_error):
    response = team.client.post(
        f"{API}/boards/{team.board_id}/stages", json={"name": "Maybe", "kind": "option", "position": 3}
    )

    assert response.status_code == 422
    assert api_error(response)["field"] == "stages"
    assert team.client.get(f"{API}/boards/{team.board_id}").json() == team.board


def test_a_stage_is_changed_field_by_field(team):
    board = team.set_stage(
        "Doing", name="Writing", wip_limit=5, wip_mode="warn", requires_ready=True, policy="Brief agreed."
    )

    writing = next(s for s in board["stages"] if s["id"] == team.stages["Doing"])
    assert (writing["name"], writing["wip_limit"], writing["wip_mode"]) == ("Writing", 5, "warn")
    assert (writing["requires_ready"], writing["policy"]) == (True, "Brief agreed.")
    assert board["committed_capacity"] == 7


def test_a_stage_without_a_limit_leaves_the_board_without_a_committed_capacity(team):
    board = team.set_stage("Doing", wip_limit=None)

    assert next(s for s in board["stages"] if s["name"] == "Doing")["wip_limit"] is None
    assert board["committed_capacity"] is None


def test_an_unknown_stage_is_404(client, api_error):
    response = client.patch(f"{API}/stages/4242", json={"wip_limit": 1})

    assert response.status_code == 404
    api_error(response)


def test_a_lane_is_added_last_and_changed(team):
    added = team.client.post(
        f"{API}/boards/{team.board_id}/lanes",
        json={"name": "Fixed date", "class_of_service": "fixed_date", "wip_limit": 2},
    )
    lane = added.json()["lanes"][-1]
    changed = team.client.patch(
        f"{API}/lanes/{lane['id']}", json={"wip_mode": "warn", "class_of_service": None}
    )

    assert added.status_code == 201
    assert (lane["name"], lane["position"], lane["wip_mode"]) == ("Fixed date", 2, "block")
    assert changed.status_code == 200
    lane = changed.json()["lanes"][-1]
    assert (lane["class_of_service"], lane["wip_limit"], lane["wip_mode"]) == (None, 2, "warn")


def test_an_unknown_lane_is_404(client, api_error):
    response = client.patch(f"{API}/lanes/4242", json={"wip_limit": 1})

    assert response.status_code == 404
    api_error(response)


def test_capacity_is_allocated_to_a_work_type_or_a_class_and_the_allocation_removed(team, api_error):
    allocations = f"{API}/boards/{team.board_id}/allocations"
    team.client.post(allocations, json={"work_type_id": team.work_types["Campaign"], "limit_count": 2})
    response = team.client.post(
        allocations, json={"class_of_service": "intangible", "limit_percent": 20, "wip_mode": "reason"}
    )

    assert response.status_code == 201
    by_type, by_class = response.json()["allocations"]
    assert (by_type["work_type_name"], by_type["limit_count"], by_type["wip_mode"]) == (
        "Campaign",
        2,
        "block",
    )
    assert (by_class["class_of_service"], by_class["limit_percent"], by_class["wip_mode"]) == (
        "intangible",
        20,
        "reason",
    )

    removed = team.client.delete(f"{API}/allocations/{by_type['id']}")
    again = team.client.delete(f"{API}/allocations/{by_type['id']}")

    assert removed.status_code == 200
    assert [a["id"] for a in removed.json()["allocations"]] == [by_class["id"]]
    assert again.status_code == 404
    assert api_error(again)["message"] == f"Capacity allocation {by_type['id']} does not exist."


def test_pull_next_ranks_expedite_then_fixed_date_then_standard_first_in_first_out(team):
    older = team.create_item("Partner webinar", stage="Next")
    newer = team.create_item("Spring launch email", stage="Next")
    later = team.create_item("Trade fair", stage="Next", class_of_service="fixed_date", due_date="2026-09-01")
    sooner = team.create_item(
        "Tax deadline mailing", stage="Next", class_of_service="fixed_date", due_date="2026-05-01"
    )
    urgent = team.create_item("Fix the pricing page", stage="Next", class_of_service="expedite")
    team.create_item("Podcast idea", stage="Ideas")  # not upstream of Doing

    response = team.client.get(
        f"{API}/boards/{team.board_id}/pull-next", params={"stage_id": team.stages["Doing"]}
    )

    assert response.status_code == 200
    result = response.json()
    assert result["stage_id"] == team.stages["Doing"]
    ranked = [(c["rank"], c["item"]["id"]) for c in result["candidates"]]
    assert ranked == [
        (1, urgent["id"]),
        (2, sooner["id"]),
        (3, later["id"]),
        (4, older["id"]),
        (5, newer["id"]),
    ]
    assert result["candidates"][0]["why"] == "Expedite: pulled first."
    assert result["candidates"][1]["why"] == "Fixed date: due 2026-05-01."
    assert {c["outcome"] for c in result["candidates"]} == {"allowed"}
    assert result["not_pullable"] == []


def test_pull_next_lists_apart_what_could_not_be_pulled_with_its_reasons(team):
    team.set_stage("Doing", requires_owner=True)
    owned = team.create_item("Partner webinar", stage="Next", owner_id=team.users["bob"])
    unowned = team.create_item("Spring launch email", stage="Next")

    result = team.client.get(
        f"{API}/boards/{team.board_id}/pull-next", params={"stage_id": team.stages["Doing"]}
    ).json()

    assert [c["item"]["id"] for c in result["candidates"]] == [owned["id"]]
    [refused] = result["not_pullable"]
    assert (refused["item"]["id"], refused["outcome"], refused["rank"]) == (unowned["id"], "refused", 1)
    assert refused["reasons"] == ["Doing requires an owner: assign someone first."]


def test_pull_next_into_the_first_stage_has_no_candidates(team):
    result = team.client.get(
        f"{API}/boards/{team.board_id}/pull-next", params={"stage_id": team.stages["Ideas"]}
    ).json()

    assert (result["candidates"], result["not_pullable"]) == ([], [])


def test_the_transition_log_is_read_oldest_first_a_page_at_a_time(team):
    first = team.create_item("Partner webinar", stage="Next")
    second = team.create_item("Spring launch email", stage="Next")
    team.move(first["id"], "Doing")
    log = f"{API}/boards/{team.board_id}/transitions"

    everything = team.client.get(log).json()
    page = team.client.get(log, params={"after_id": everything[0]["id"], "limit": 1}).json()

    assert [(t["kind"], t["item_id"]) for t in everything] == [
        ("created", first["id"]),
        ("created", second["id"]),
        ("moved", first["id"]),
    ]
    assert [t["id"] for t in everything] == sorted(t["id"] for t in everything)
    assert page == everything[1:2]
    assert team.client.get(log, params={"after_id": everything[-1]["id"]}).json() == []


def test_the_transition_log_pages_past_ten_million(team):
    """Transition ids are shared by every board: `after_id` takes any 32-bit id."""
    response = team.client.get(f"{API}/boards/{team.board_id}/transitions", params={"after_id": 10_000_001})

    assert response.status_code == 200
    assert response.json() == []
