"""Bad input to the planner is answered 4xx naming the field and the problem, and changes
nothing: every table is compared before and after (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest

API = "/api/v1"


@pytest.fixture
def api_url(database_url: str) -> str:
    return database_url


def monday(weeks: int = 0) -> str:
    today = dt.date.today()
    return (today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=weeks)).isoformat()


@pytest.fixture
def plan(client, team) -> dict:
    ws = team.workspace_id
    milestone = client.post(
        f"{API}/workspaces/{ws}/milestones", json={"name": "Webinar", "date": monday(4)}
    ).json()
    first = client.post(
        f"{API}/milestones/{milestone['id']}/tasks", json={"title": "Topic", "duration_days": 1}
    ).json()
    second = client.post(
        f"{API}/milestones/{milestone['id']}/tasks",
        json={"title": "Slides", "duration_days": 2, "predecessor_ids": [first["id"]]},
    ).json()
    promise = client.post(
        f"{API}/workspaces/{ws}/promises", json={"week": monday(), "plan_task_id": first["id"]}
    ).json()
    return {
        "ws": ws,
        "milestone": milestone["id"],
        "first": first["id"],
        "second": second["id"],
        "promise": promise,
    }


CASES = [
    (
        "a loop of predecessors",
        "PATCH",
        "/plan-tasks/{first}",
        {"predecessor_ids": ["{second}"]},
        422,
        "predecessor_ids",
        "loop",
    ),
    (
        "a task as its own predecessor",
        "PATCH",
        "/plan-tasks/{first}",
        {"predecessor_ids": ["{first}"]},
        422,
        "predecessor_ids",
        "after itself",
    ),
    (
        "a milestone in the year 9999",
        "POST",
        "/workspaces/{ws}/milestones",
        {"name": "Later", "date": "9999-12-31"},
        422,
        "date",
        "from 2000-01-01",
    ),
    (
        "a constraint on two tasks",
        "POST",
        "/workspaces/{ws}/constraints",
        {
            "plan_task_id": "{first}",
            "item_id": 1,
            "category": "people",
            "description": "x",
            "need_by": "2026-01-05",
        },
        422,
        "plan_task_id",
        "exactly one",
    ),
    (
        "a constraint on another workspace's task",
        "POST",
        "/workspaces/{ws}/constraints",
        {"plan_task_id": 999999, "category": "people", "description": "x", "need_by": "2026-01-05"},
        422,
        "plan_task_id",
        "not in this workspace",
    ),
    (
        "an unknown category",
        "POST",
        "/workspaces/{ws}/constraints",
        {"plan_task_id": "{first}", "category": "weather", "description": "x", "need_by": "2026-01-05"},
        422,
        "category",
        "",
    ),
    (
        "the same task promised twice",
        "POST",
        "/workspaces/{ws}/promises",
        {"week": "MONDAY", "plan_task_id": "{first}"},
        409,
        None,
        "already promised",
    ),
    (
        "a promise into a past week",
        "POST",
        "/workspaces/{ws}/promises",
        {"week": "2020-01-06", "plan_task_id": "{second}"},
        409,
        None,
        "is over",
    ),
    (
        "a close without the week's promise",
        "POST",
        "/workspaces/{ws}/week-close",
        {"week": "MONDAY", "outcomes": []},
        422,
        "outcomes",
        "was done",
    ),
    (
        "a close naming another week's promise",
        "POST",
        "/workspaces/{ws}/week-close",
        {"week": "2026-01-05", "outcomes": [{"promise_id": "{promise}", "done": True}]},
        422,
        "outcomes.0.promise_id",
        "is not of the week",
    ),
    (
        "a kept promise with a reason",
        "POST",
        "/workspaces/{ws}/week-close",
        {
            "week": "MONDAY",
            "outcomes": [{"promise_id": "{promise}", "done": True, "reason": "approval_late"}],
        },
        422,
        "outcomes.0.reason",
        "no reason",
    ),
    (
        "a week not started",
        "POST",
        "/workspaces/{ws}/week-close",
        {"week": "2099-01-05", "outcomes": []},
        409,
        None,
        "has not started",
    ),
    (
        "a reason that is not of the taxonomy",
        "POST",
        "/workspaces/{ws}/learning-cycles",
        {"kind": "pdca", "title": "x", "reason": "weather"},
        422,
        "reason",
        "not a reason",
    ),
    (
        "a taxonomy with one code twice",
        "PUT",
        "/workspaces/{ws}/planner/settings",
        {"reasons": [{"code": "late", "label": "Late"}, {"code": "late", "label": "Later"}]},
        422,
        "reasons",
        "its own code",
    ),
]


def _fill(value, ids):
    if isinstance(value, dict):
        return {k: _fill(x, ids) for k, x in value.items()}
    if isinstance(value, list):
        return [_fill(x, ids) for x in value]
    if isinstance(value, str):
        if value == "MONDAY":
            return monday()
        if value.startswith("{") and value.endswith("}"):
            return ids[value[1:-1]]
    return value


@pytest.mark.parametrize(
    "method, path, body, status, field, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_planner_input_is_refused_and_changes_nothing(
    client, plan, snapshot, api_error, method, path, body, status, field, words
):
    ids = {
        "ws": plan["ws"],
        "first": plan["first"],
        "second": plan["second"],
        "promise": plan["promise"]["promise"]["id"],
    }
    before = snapshot()

    response = client.request(method, API + path.format(**ids), json=_fill(body, ids))

    assert response.status_code == status, response.text
    error = api_error(response)
    if field:
        assert error["field"] == field
    assert words in error["message"]
    assert snapshot() == before
