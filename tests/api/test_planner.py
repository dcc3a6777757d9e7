"""The Last Planner through the API, as a team uses it in a week: a pull plan for a webinar, a
constraint removed, promises (an unready one refused), a check-in at risk, the week closed
with a miss, and the metrics; and bad input answered with the field it is about."""

from __future__ import annotations

import datetime as dt

API = "/api/v1"


def monday(weeks: int = 0) -> str:
    today = dt.date.today()
    return (today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=weeks)).isoformat()


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def test_a_week_of_the_last_planner(client, team, sign_in, api_error):
    ws = team.workspace_id
    sign_in(client, "bob")
    milestone = ok(
        client.post(
            f"{API}/workspaces/{ws}/milestones",
            json={"name": "Product launch webinar", "date": monday(4), "conditions": "150 registrations."},
        ),
        201,
    )
    speaker = ok(
        client.post(
            f"{API}/milestones/{milestone['id']}/tasks",
            json={
                "title": "Speaker confirmed",
                "duration_days": 2,
                "team": "Marketing",
                "customer": "Events",
            },
        ),
        201,
    )
    slides = ok(
        client.post(
            f"{API}/milestones/{milestone['id']}/tasks",
            json={
                "title": "Slides",
                "duration_days": 3,
                "predecessor_ids": [speaker["id"]],
                "team": "Marketing",
            },
        ),
        201,
    )
    plan = ok(client.get(f"{API}/milestones/{milestone['id']}"))
    assert plan["fits"] and plan["slack_days"] > 0
    assert [t["title"] for t in plan["tasks"]] == ["Speaker confirmed", "Slides"]

    constraint = ok(
        client.post(
            f"{API}/workspaces/{ws}/constraints",
            json={
                "plan_task_id": speaker["id"],
                "category": "people",
                "description": "The speaker has not said yes.",
                "owner_id": team.users["bob"],
                "need_by": monday(1),
            },
        ),
        201,
    )
    refused = client.post(
        f"{API}/workspaces/{ws}/promises", json={"week": monday(), "plan_task_id": speaker["id"]}
    )
    assert refused.status_code == 409 and api_error(refused)["code"] == "not_ready"

    lookahead = ok(client.get(f"{API}/workspaces/{ws}/lookahead"))
    assert {t["task"]["title"]: t["ready"] for t in lookahead["tasks"]} == {
        "Speaker confirmed": False,
        "Slides": True,
    }

    ok(client.patch(f"{API}/constraints/{constraint['id']}", json={"status": "removed"}))
    made = ok(
        client.post(
            f"{API}/workspaces/{ws}/promises", json={"week": monday(), "plan_task_id": speaker["id"]}
        ),
        201,
    )
    other = ok(
        client.post(
            f"{API}/workspaces/{ws}/promises",
            json={"week": monday(), "plan_task_id": slides["id"], "override_reason": "Draft from last year."},
        ),
        201,
    )
    assert made["promise"]["added_later"] is True  # promised once its week had started
    assert other["promise"]["ready"] is True  # no open constraint: the reason was not needed

    ok(
        client.post(
            f"{API}/promises/{made['promise']['id']}/check-ins",
            json={"status": "at_risk", "note": "No reply."},
        ),
        201,
    )
    week = ok(client.get(f"{API}/workspaces/{ws}/weekly-plan", params={"week": monday()}))
    assert week["at_risk"] == [made["promise"]["id"]] and week["ppc"] is None

    missing_reason = client.post(
        f"{API}/workspaces/{ws}/week-close",
        json={
            "week": monday(),
            "outcomes": [
                {"promise_id": made["promise"]["id"], "done": False},
                {"promise_id": other["promise"]["id"], "done": True},
            ],
        },
    )
    assert api_error(missing_reason)["field"] == "outcomes.0.reason"
    closed = ok(
        client.post(
            f"{API}/workspaces/{ws}/week-close",
            json={
                "week": monday(),
                "outcomes": [
                    {"promise_id": made["promise"]["id"], "done": False, "reason": "people_not_available"},
                    {"promise_id": other["promise"]["id"], "done": True},
                ],
            },
        )
    )
    assert closed["closed"] and closed["ppc"] is None  # both were added after Monday

    metrics = ok(client.get(f"{API}/workspaces/{ws}/planner/metrics", params={"weeks": 4}))
    assert len(metrics["trend"]) == 4 and metrics["trend"][0]["ppc"] is None
    assert [(p["reason"], p["count"]) for p in metrics["pareto"]] == [("people_not_available", 1)]


def test_only_a_manager_changes_the_reasons_for_variance(client, team, sign_in, api_error):
    ws = team.workspace_id
    sign_in(client, "bob")
    refused = client.put(f"{API}/workspaces/{ws}/planner/settings", json={"lookahead_weeks": 4})
    assert refused.status_code == 403 and api_error(refused)["code"] == "forbidden"
    sign_in(client, "alice")
    settings = ok(
        client.put(
            f"{API}/workspaces/{ws}/planner/settings",
            json={"lookahead_weeks": 4, "reasons": [{"code": "late_brief", "label": "The brief came late"}]},
        )
    )
    assert settings["lookahead_weeks"] == 4 and [r["code"] for r in settings["reasons"]] == ["late_brief"]
    bad = client.put(
        f"{API}/workspaces/{ws}/planner/settings", json={"reasons": [{"code": "Late Brief", "label": "x"}]}
    )
    assert api_error(bad)["field"] == "reasons"
    assert len(ok(client.get(f"{API}/workspaces/{ws}/lookahead"))["weeks"]) == 4


def test_a_constraint_names_exactly_one_task(client, team, api_error):
    body = {"category": "approval", "description": "Legal", "need_by": monday(1)}
    neither = client.post(f"{API}/workspaces/{team.workspace_id}/constraints", json=body)
    assert api_error(neither)["field"] == "plan_task_id"
    item = team.create_item("Price sheet", stage="Next")
    made = ok(
        client.post(
            f"{API}/workspaces/{team.workspace_id}/constraints", json={**body, "item_id": item["id"]}
        ),
        201,
    )
    assert made["task"] == {
        "kind": "item",
        "id": item["id"],
        "title": "Price sheet",
        "performer_id": None,
        "team": "Campaigns",
        "key": f"item:{item['id']}",
    }
    assert team.item(item["id"])["ready"] is False
