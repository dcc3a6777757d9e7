"""Aggregates through the API: split templates (managers), a parent split when it is pulled
across the commitment point, a split by hand (members), its children's progress, and the
parent done with its last child."""

from __future__ import annotations

API = "/api/v1"


def _template(team, children: list[dict], work_type: str = "Campaign"):
    return team.client.put(
        f"{API}/workspaces/{team.workspace_id}/split-templates",
        json={"work_type_id": team.work_types[work_type], "children": children},
    )


def test_a_campaign_is_split_into_its_template_when_pulled_and_done_with_its_children(team):
    assert (
        _template(
            team,
            [
                {"title": "Brief", "work_type_id": team.work_types["Deal"], "offset_days": -10},
                {"title": "Landing page", "stage_name": "Next", "offset_days": -3},
            ],
        ).status_code
        == 200
    )
    parent = team.create_item(
        "Spring launch", stage="Next", work_type_id=team.work_types["Campaign"], due_date="2030-03-31"
    )["id"]
    assert team.client.get(f"{API}/items/{parent}/aggregate").json()["children"] == []

    assert team.move(parent, "Doing").status_code == 200

    aggregate = team.client.get(f"{API}/items/{parent}/aggregate").json()
    children = aggregate["children"]
    assert [(c["title"], c["due_date"], c["stage_id"]) for c in children] == [
        ("Spring launch: Brief", "2030-03-21", team.stages["Ideas"]),
        ("Spring launch: Landing page", "2030-03-28", team.stages["Next"]),
    ]
    assert {c["parent_id"] for c in children} == {parent}
    assert aggregate["progress"] == {"done": 0, "total": 2, "discarded": 0, "complete": False}
    assert [t["kind"] for t in team.transitions(parent)][-1] == "split"
    for child in children:
        assert team.move(child["id"], "Done").status_code == 200
    assert team.item(parent)["stage_id"] == team.stages["Done"]
    last = team.transitions(parent)[-1]
    assert (last["kind"], last["reason"]) == ("moved", "All its 2 children are done.")
    listed = team.client.get(f"{API}/workspaces/{team.workspace_id}/split-templates").json()
    assert [t["work_type_name"] for t in listed] == ["Campaign"]


def test_a_split_by_hand(team, api_error):
    item = team.create_item("Trade show", stage="Next", due_date="2030-06-01")["id"]

    no_template = team.client.post(f"{API}/items/{item}/split")
    split = team.client.post(
        f"{API}/items/{item}/split", json={"children": [{"title": "Book the stand", "offset_days": -30}]}
    )
    again = team.client.post(f"{API}/items/{item}/split", json={"children": [{"title": "Again"}]})

    assert no_template.status_code == 409 and api_error(no_template)["code"] == "no_template"
    assert split.status_code == 200, split.text
    assert [c["due_date"] for c in split.json()["children"]] == ["2030-05-02"]
    assert again.status_code == 409 and api_error(again)["code"] == "already_split"


def test_a_split_the_board_refuses_refuses_the_pull_and_writes_nothing(team, snapshot, api_error):
    team.set_stage("Review", wip_limit=0)
    _template(team, [{"title": "Proofread", "stage_name": "Review"}])
    parent = team.create_item("Autumn launch", stage="Next", work_type_id=team.work_types["Campaign"])["id"]
    before = snapshot()

    response = team.move(parent, "Doing")

    assert response.status_code == 409 and api_error(response)["code"] == "split_refused"
    assert "Review" in api_error(response)["message"]
    assert snapshot() == before


def test_a_template_names_work_types_of_this_workspace(team, outsiders, snapshot, api_error):
    before = snapshot()

    foreign = _template(team, [{"title": "Brief", "work_type_id": outsiders.work_types["Deal"]}])
    unknown_type = team.client.put(
        f"{API}/workspaces/{team.workspace_id}/split-templates",
        json={"work_type_id": outsiders.work_types["Campaign"], "children": []},
    )

    assert foreign.status_code == 422 and api_error(foreign)["field"] == "children.0.work_type_id"
    assert unknown_type.status_code == 422 and api_error(unknown_type)["field"] == "work_type_id"
    assert snapshot() == before


def test_the_commit_by_view_says_which_items_are_aggregates(team, history):
    history(team)
    _template(team, [{"title": "Brief", "offset_days": -5}, {"title": "Launch"}])
    parent = team.create_item(
        "Spring launch", stage="Next", work_type_id=team.work_types["Campaign"], due_date="2030-03-31"
    )["id"]

    rows = team.client.get(f"{API}/workspaces/{team.workspace_id}/commit-by").json()

    row = next(r for r in rows if r["item_id"] == parent)
    assert row["forecast_children"] == 2
    assert row["lead_time_days"] == 3 + 5  # every Campaign took 3 days; the brief is due 5 days early
    assert row["commit_by"] == "2030-03-16"  # 31 - 8 - 7
