"""Pulling an item into a stage through the API: what the pull policy allows, warns about,
asks a reason for, or refuses, and what each answer leaves behind (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

API = "/api/v1"


@pytest.fixture
def api_url(database_url: str) -> str:
    return database_url


def codes(findings: list[dict]) -> set[str]:
    return {f["code"] for f in findings}


def test_an_allowed_pull_moves_the_item(team):
    item = team.create_item("Spring launch email", stage="Next")

    response = team.move(item["id"], "Doing")

    assert response.status_code == 200
    result = response.json()
    assert (result["outcome"], result["override"], result["findings"]) == ("allowed", False, [])
    assert result["item"]["stage_id"] == team.stages["Doing"]
    assert result["item"]["committed_at"] is not None
    assert team.item(item["id"]) == result["item"]
    last = team.transitions(item["id"])[-1]
    assert (last["kind"], last["from_stage_id"], last["to_stage_id"]) == (
        "moved",
        team.stages["Next"],
        team.stages["Doing"],
    )


def test_a_pull_over_a_warn_limit_moves_the_item_and_says_so(team):
    team.set_stage("Doing", wip_limit=1, wip_mode="warn")
    team.create_item("Trade show booth", stage="Doing")
    item = team.create_item("Spring launch email", stage="Next")

    response = team.move(item["id"], "Doing")

    assert response.status_code == 200
    result = response.json()
    assert result["outcome"] == "warn"
    assert result["override"] is False
    [finding] = result["findings"]
    assert (finding["code"], finding["severity"]) == ("stage_wip", "warn")
    assert "Doing has 1 of 1 items" in finding["message"]
    assert result["item"]["stage_id"] == team.stages["Doing"]
    doing = next(s for s in team.view()["stages"] if s["stage"]["name"] == "Doing")
    assert (doing["count"], doing["over_limit"]) == (2, True)


def test_a_pull_over_a_reason_limit_without_a_reason_is_409_and_changes_nothing(team, snapshot, api_error):
    team.set_stage("Doing", wip_limit=1, wip_mode="reason")
    team.create_item("Trade show booth", stage="Doing")
    item = team.create_item("Spring launch email", stage="Next")
    before = snapshot()

    response = team.move(item["id"], "Doing")

    assert response.status_code == 409
    error = api_error(response)
    assert error["code"] == "needs_reason"
    [reason] = error["reasons"]
    assert (reason["code"], reason["severity"]) == ("stage_wip", "reason")
    assert reason["message"] in error["message"]
    assert snapshot() == before
    assert team.item(item["id"])["stage_id"] == team.stages["Next"]


def test_a_reason_lets_the_pull_over_a_reason_limit_and_is_recorded_as_an_override(team):
    team.set_stage("Doing", wip_limit=1, wip_mode="reason")
    team.create_item("Trade show booth", stage="Doing")
    item = team.create_item("Spring launch email", stage="Next")

    response = team.move(item["id"], "Doing", reason="The launch date moved up a week.")

    assert response.status_code == 200
    result = response.json()
    assert (result["outcome"], result["override"]) == ("warn", True)
    assert codes(result["findings"]) == {"stage_wip"}
    assert result["item"]["stage_id"] == team.stages["Doing"]
    moved, override = team.transitions(item["id"])[-2:]
    assert (moved["kind"], moved["reason"]) == ("moved", "The launch date moved up a week.")
    assert override["kind"] == "override"
    assert override["reason"] == "The launch date moved up a week."
    assert (override["from_stage_id"], override["to_stage_id"]) == (team.stages["Next"], team.stages["Doing"])
    assert override["details"]["override"] is True
    assert [f["code"] for f in override["details"]["findings"]] == ["stage_wip"]


def test_a_refused_pull_is_409_with_every_reason_and_changes_nothing(team, snapshot, api_error):
    team.set_stage("Review", requires_owner=True, requires_due_date=True)
    item = team.create_item("Spring launch email", stage="Doing")
    team.client.post(f"{API}/items/{item['id']}/block", json={"reason": "Waiting for legal"})
    before = snapshot()

    response = team.move(item["id"], "Review")

    assert response.status_code == 409
    error = api_error(response)
    assert error["code"] == "pull_refused"
    assert codes(error["reasons"]) == {"blocked", "requires_owner", "requires_due_date"}
    assert {r["severity"] for r in error["reasons"]} == {"refuse"}
    for reason in error["reasons"]:
        assert reason["message"] in error["message"]
    assert "Waiting for legal" in error["message"]
    assert snapshot() == before


def test_every_full_limit_is_a_reason(team, api_error):
    bob = team.users["bob"]
    campaign = team.work_types["Campaign"]
    team.set_stage("Doing", wip_limit=1, wip_mode="block")
    team.set_board(person_wip_limit=1, person_wip_mode="block")
    response = team.client.patch(f"{API}/lanes/{team.lanes['Standard']}", json={"wip_limit": 1})
    assert response.status_code == 200
    response = team.client.post(
        f"{API}/boards/{team.board_id}/allocations", json={"work_type_id": campaign, "limit_count": 1}
    )
    assert response.status_code == 201
    team.create_item("Trade show booth", stage="Doing", owner_id=bob, work_type_id=campaign)
    item = team.create_item("Spring launch email", stage="Next", owner_id=bob, work_type_id=campaign)

    response = team.move(item["id"], "Doing")

    assert response.status_code == 409
    error = api_error(response)
    assert error["code"] == "pull_refused"
    assert codes(error["reasons"]) == {"stage_wip", "lane_wip", "person_wip", "capacity_allocation"}
    assert "Bob Brown" in error["message"]
    assert team.count("Doing") == 1


def test_an_expedite_item_may_exceed_the_stage_limit_with_a_warning(team):
    team.set_stage("Doing", wip_limit=1, wip_mode="block")
    team.create_item("Trade show booth", stage="Doing")
    urgent = team.create_item("Fix the pricing page", stage="Next", class_of_service="expedite")

    response = team.move(urgent["id"], "Doing")

    assert response.status_code == 200
    result = response.json()
    assert result["outcome"] == "warn"
    assert codes(result["findings"]) == {"stage_wip_expedite"}
    assert result["item"]["lane_id"] == team.lanes["Expedite"]


def test_a_second_expedite_item_in_progress_is_refused(team, api_error):
    team.create_item("Fix the pricing page", stage="Doing", class_of_service="expedite")
    urgent = team.create_item("Recall the wrong newsletter", stage="Next", class_of_service="expedite")

    response = team.move(urgent["id"], "Doing")

    assert response.status_code == 409
    error = api_error(response)
    assert codes(error["reasons"]) == {"expedite_limit"}
    assert "allows 1 expedite item" in error["message"]


def test_pulling_an_item_into_its_own_stage_is_refused(team, api_error):
    item = team.create_item("Spring launch email", stage="Next")

    response = team.move(item["id"], "Next")

    assert response.status_code == 409
    assert codes(api_error(response)["reasons"]) == {"same_stage"}


def test_done_is_recorded_when_the_item_reaches_done_and_cleared_when_it_goes_back(team):
    item = team.create_item("Spring launch email", stage="Review")

    done = team.move(item["id"], "Done").json()["item"]
    back = team.move(item["id"], "Review").json()["item"]

    assert done["done_at"] is not None
    assert back["done_at"] is None
    assert back["committed_at"] == done["committed_at"]


def test_a_stage_of_another_board_is_422_naming_to_stage_id(team, outsiders, api_error):
    item = team.create_item("Spring launch email", stage="Next")

    response = team.client.post(
        f"{API}/items/{item['id']}/move", json={"to_stage_id": outsiders.stages["Doing"]}
    )

    assert response.status_code == 422
    assert api_error(response)["field"] == "to_stage_id"
    assert team.item(item["id"])["stage_id"] == team.stages["Next"]


def test_moving_an_unknown_item_is_404(team, api_error):
    response = team.client.post(f"{API}/items/4242/move", json={"to_stage_id": team.stages["Doing"]})

    assert response.status_code == 404
    assert api_error(response)["message"] == "Item 4242 does not exist."


def test_a_blank_reason_is_422_naming_the_reason(team, api_error):
    item = team.create_item("Spring launch email", stage="Next")

    response = team.move(item["id"], "Doing", reason="   ")

    assert response.status_code == 422
    assert api_error(response)["field"] == "reason"
    assert team.item(item["id"])["stage_id"] == team.stages["Next"]
