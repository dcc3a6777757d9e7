"""Paging a done or discarded stage: GET /stages/{id}/items by offset and by keyset
(`after_id`, the last item of the page before), with the stage's total (SQLite and
PostgreSQL)."""

from __future__ import annotations

import pytest

API = "/api/v1"


@pytest.fixture
def api_url(database_url: str) -> str:
    return database_url


def page(team, **params) -> dict:
    response = team.client.get(f"{API}/stages/{team.stages['Done']}/items", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def ids(answer: dict) -> list[int]:
    return [item["id"] for item in answer["items"]]


def test_keyset_pages_follow_each_other_and_do_not_shift_when_items_finish_meanwhile(team):
    done = [team.create_item(f"Campaign {n}", stage="Done")["id"] for n in range(5)]  # oldest first
    newest_first = list(reversed(done))

    first = page(team, limit=2)
    assert (first["total"], ids(first)) == (5, newest_first[:2])

    late = team.create_item("Finished meanwhile", stage="Done")["id"]
    second = page(team, limit=2, after_id=ids(first)[-1])
    third = page(team, limit=2, after_id=ids(second)[-1])

    assert ids(second) == newest_first[2:4]  # by offset (2) it would repeat newest_first[1]
    assert ids(third) == newest_first[4:]
    assert second["total"] == 6 and late not in ids(second) + ids(third)
    assert page(team, limit=2, offset=2)["items"][0]["id"] == newest_first[1]


def test_after_an_item_that_left_the_stage_is_422_naming_after_id(team, api_error):
    item = team.create_item("Webinar", stage="Done")["id"]
    assert team.move(item, "Doing").status_code == 200

    response = team.client.get(f"{API}/stages/{team.stages['Done']}/items", params={"after_id": item})

    assert response.status_code == 422
    assert api_error(response)["field"] == "after_id"
