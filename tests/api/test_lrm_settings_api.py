"""The workspace's LRM settings through the API: everyone reads them, managers change them,
every commit-by date follows; a bad value is refused naming the field, and nothing changes."""

from __future__ import annotations

import datetime as dt

import pytest

API = "/api/v1"


def _option(team, days: int, cos: str = "standard") -> int:
    due = (dt.date.today() + dt.timedelta(days=days)).isoformat()
    return team.create_item("Webinar", stage="Next", due_date=due, class_of_service=cos)["id"]


def test_the_defaults_follow_the_design(team):
    settings = team.client.get(f"{API}/workspaces/{team.workspace_id}/lrm-settings").json()

    assert settings["classes"] == {
        "fixed_date": {"percentile": 95, "buffer_days": 7},
        "standard": {"percentile": 85, "buffer_days": 7},
    }
    assert (settings["cadence_days"], settings["lookahead_days"]) == (7, 42)
    assert (settings["use_working_days"], settings["time_zone"]) == (False, "UTC")


def test_a_managers_change_moves_the_commit_by_dates(team, history):
    history(team)  # six Campaigns of 3 days (+1 convention: committed two days before done)
    item = _option(team, 30)
    before = next(
        r for r in team.client.get(f"{API}/boards/{team.board_id}/commit-by").json() if r["item_id"] == item
    )

    changed = team.client.patch(
        f"{API}/workspaces/{team.workspace_id}/lrm-settings",
        json={"class_buffers": {"standard": 2}, "class_percentiles": {"standard": 50}},
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["classes"]["standard"] == {"percentile": 50, "buffer_days": 2}
    after = next(
        r for r in team.client.get(f"{API}/boards/{team.board_id}/commit-by").json() if r["item_id"] == item
    )
    assert (before["buffer_days"], after["buffer_days"]) == (7, 2)
    assert (before["lead_time_percentile"], after["lead_time_percentile"]) == (85, 50)
    due = dt.date.fromisoformat(after["due_date"])
    assert after["commit_by"] == (due - dt.timedelta(days=3 + 2)).isoformat()  # LT_50 = 3 days
    audit = team.client.get(f"{API}/workspaces/{team.workspace_id}/audit").json()
    assert any(e["action"] == "lrm.settings" for e in audit)


def test_working_days_count_cycle_times_and_dates(team, history):
    history(team, days=8)
    team.client.patch(
        f"{API}/workspaces/{team.workspace_id}/lrm-settings",
        json={"use_working_days": True, "working_days": [1, 2, 3, 4, 5, 6, 7]},
    )
    every_day = team.client.get(f"{API}/boards/{team.board_id}/commit-by").json()
    team.client.patch(
        f"{API}/workspaces/{team.workspace_id}/lrm-settings", json={"working_days": [1, 2, 3, 4, 5]}
    )
    item = _option(team, 40)

    row = next(
        r for r in team.client.get(f"{API}/boards/{team.board_id}/commit-by").json() if r["item_id"] == item
    )

    assert all(r["lead_time_days"] == 3 for r in every_day)  # every day worked: as calendar days
    assert dt.date.fromisoformat(row["commit_by"]).isoweekday() <= 5  # a working day
    assert row["lead_time_days"] <= 3  # a weekend inside a cycle counts no days


@pytest.mark.parametrize(
    "body, field",
    [
        ({"default_percentile": 0}, "default_percentile"),
        ({"class_percentiles": {"intangible": 80}}, "class_percentiles.intangible"),
        ({"class_buffers": {"standard": -1}}, "class_buffers.standard"),
        ({"lookahead_days": 3}, "lookahead_days"),
        ({"working_days": [0]}, "working_days.0"),
        ({"holidays": ["Christmas"]}, "holidays.0"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"cadence_days": None}, "cadence_days"),
        ({"buffer": 3}, "buffer"),
    ],
)
def test_a_bad_setting_names_its_field_and_changes_nothing(team, snapshot, api_error, body, field):
    before = snapshot()

    response = team.client.patch(f"{API}/workspaces/{team.workspace_id}/lrm-settings", json=body)

    assert response.status_code == 422
    assert api_error(response)["field"] == field
    assert snapshot() == before


def test_only_managers_change_them(team, in_process, sign_in):
    bob = in_process()
    sign_in(bob, "bob")

    assert bob.get(f"{API}/workspaces/{team.workspace_id}/lrm-settings").status_code == 200
    assert (
        bob.patch(f"{API}/workspaces/{team.workspace_id}/lrm-settings", json={"cadence_days": 14}).status_code
        == 403
    )


def test_the_service_level_expectations_follow_the_settings(team, history):
    history(team, days=20)  # 20 Campaigns of 3 days: their own SLE

    before = team.client.get(f"{API}/boards/{team.board_id}/service-levels").json()
    team.client.patch(
        f"{API}/workspaces/{team.workspace_id}/lrm-settings",
        json={"default_percentile": 70, "class_percentiles": {"standard": 95}},
    )
    after = team.client.get(f"{API}/boards/{team.board_id}/service-levels").json()

    assert [s["sentence"] for s in before] == [
        "85% of the board's items finish within 3 days (20 finished)",
        "85% of standard Campaign items finish within 3 days (20 finished)",
    ]
    assert [(s["percentile"], s["class_of_service"]) for s in after] == [(70, None), (95, "standard")]
    page = team.client.get(f"/workspaces/{team.workspace_id}/commit-by").text
    assert "95% of standard Campaign items finish within 3 days (20 finished)" in page
