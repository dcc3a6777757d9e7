"""An item's history names who made each change: GET /items/{id}/transitions answers each
entry's actor_name (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from pullplan.services import items as item_service

API = "/api/v1"


@pytest.fixture
def api_url(database_url: str) -> str:
    return database_url


def test_each_change_names_its_actor_and_a_change_by_no_one_names_none(team, api_db):
    item = team.create_item("Spring launch email", stage="Next")  # by the signed-in administrator
    bob, doing = team.users["bob"], team.stages["Doing"]
    item_service.move_item(api_db, actor_id=bob, item_id=item["id"], to_stage_id=doing)
    item_service.block_item(api_db, actor_id=None, item_id=item["id"], reason="Waiting on legal")

    response = team.client.get(f"{API}/items/{item['id']}/transitions")

    assert response.status_code == 200, response.text
    created, moved, blocked = response.json()
    assert (created["kind"], moved["kind"], blocked["kind"]) == ("created", "moved", "blocked")
    assert created["actor_id"] is not None and created["actor_name"]
    assert (moved["actor_id"], moved["actor_name"]) == (team.users["bob"], "Bob Brown")
    assert (blocked["actor_id"], blocked["actor_name"]) == (None, None)


def test_the_history_of_an_unknown_item_is_404(team, api_error):
    response = team.client.get(f"{API}/items/999999/transitions")
    assert response.status_code == 404
    assert api_error(response)["code"] == "not_found"
