"""Pulling an item into a stage and a lane at once (the board page's drop into a lane cell):
POST /items/{id}/move with `to_lane_id` (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

API = "/api/v1"


@pytest.fixture
def api_url(database_url: str) -> str:
    return database_url


def move(team, item_id: int, stage: str, **body):
    return team.client.post(f"{API}/items/{item_id}/move", json={"to_stage_id": team.stages[stage], **body})


def test_a_pull_with_a_lane_moves_the_item_into_that_stage_and_lane(team):
    item = team.create_item("Spring launch email", stage="Next")
    assert item["lane_id"] == team.lanes["Standard"]

    response = move(team, item["id"], "Doing", to_lane_id=team.lanes["Expedite"])

    assert response.status_code == 200, response.text
    moved = team.item(item["id"])
    assert (moved["stage_id"], moved["lane_id"]) == (team.stages["Doing"], team.lanes["Expedite"])
    last = team.transitions(item["id"])[-1]
    assert last["kind"] == "moved"
    assert last["details"]["lane_id"] == [team.lanes["Standard"], team.lanes["Expedite"]]


def test_a_pull_without_a_lane_keeps_the_items_lane_and_null_takes_it_out(team):
    item = team.create_item("Case study", stage="Next")
    assert move(team, item["id"], "Doing").json()["item"]["lane_id"] == team.lanes["Standard"]

    response = move(team, item["id"], "Review", to_lane_id=None)

    assert response.status_code == 200, response.text
    assert response.json()["item"]["lane_id"] is None


def test_a_pull_into_a_full_lane_is_409_and_changes_nothing(team, api_error):
    response = team.client.patch(f"{API}/lanes/{team.lanes['Expedite']}", json={"wip_limit": 1})
    assert response.status_code == 200, response.text
    first = team.create_item("Hot deal", stage="Next")
    assert move(team, first["id"], "Doing", to_lane_id=team.lanes["Expedite"]).status_code == 200
    item = team.create_item("Another deal", stage="Next")

    response = move(team, item["id"], "Doing", to_lane_id=team.lanes["Expedite"])

    assert response.status_code == 409, response.text
    error = api_error(response)
    assert [r["code"] for r in error["reasons"]] == ["lane_wip"]
    unchanged = team.item(item["id"])
    assert (unchanged["stage_id"], unchanged["lane_id"]) == (team.stages["Next"], team.lanes["Standard"])


def test_a_lane_of_another_board_is_422_naming_to_lane_id(team, api_error):
    item = team.create_item("Webinar", stage="Next")
    response = move(team, item["id"], "Doing", to_lane_id=999_999)
    assert response.status_code == 422, response.text
    error = api_error(response)
    assert error["field"] == "to_lane_id"
    assert team.item(item["id"])["stage_id"] == team.stages["Next"]
