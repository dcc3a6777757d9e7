"""The planner pages as a reader sees them: each renders what the team planned, escapes what
people typed, and answers an unknown or malformed workspace with an error page, never a 500."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest

API = "/api/v1"
PAGES = ["", "/close", "/lookahead", "/pull-plans", "/metrics"]


def monday(weeks: int = 0) -> str:
    today = dt.date.today()
    return (today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=weeks)).isoformat()


@pytest.fixture
def planned(client, team) -> dict:
    ws = team.workspace_id
    milestone = client.post(
        f"{API}/workspaces/{ws}/milestones",
        json={"name": "<script>alert(1)</script> webinar", "date": monday(3), "conditions": "100 sign-ups"},
    ).json()
    task = client.post(
        f"{API}/milestones/{milestone['id']}/tasks",
        json={"title": "Speaker & slides", "duration_days": 3, "team": "Marketing", "customer": "Events"},
    ).json()
    client.post(
        f"{API}/workspaces/{ws}/constraints",
        json={
            "plan_task_id": task["id"],
            "category": "approval",
            "description": "Legal <b>reads</b> it",
            "need_by": monday(1),
        },
    )
    other = client.post(
        f"{API}/milestones/{milestone['id']}/tasks", json={"title": "Invitations", "duration_days": 1}
    ).json()
    promise = client.post(
        f"{API}/workspaces/{ws}/promises", json={"week": monday(), "plan_task_id": other["id"]}
    ).json()
    client.post(
        f"{API}/promises/{promise['promise']['id']}/check-ins",
        json={"status": "at_risk", "note": "List late"},
    )
    return {"milestone": milestone, "task": task, "promise": promise["promise"]}


def test_a_viewer_reads_every_planner_page(client, team, planned, sign_in):
    sign_in(client, "carol")
    base = f"/workspaces/{team.workspace_id}/planner"
    pages = {path: client.get(base + path) for path in PAGES}

    for path, page in pages.items():
        assert page.status_code == 200, (path, page.text[:300])
        assert "<script>alert(1)" not in page.text
    week = pages[""].text
    assert 'id="at-risk"' in week and "List late" in week and "added later" in week
    assert "Check in" not in week  # a viewer has no check-in form
    assert "Legal &lt;b&gt;reads&lt;/b&gt; it" in pages["/lookahead"].text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; webinar" in pages["/pull-plans"].text
    assert "Speaker &amp; slides" in pages["/pull-plans"].text
    assert "PPC" in pages["/metrics"].text
    assert "The week is open; members close it." in pages["/close"].text


def test_a_member_gets_the_forms(client, team, planned, sign_in):
    sign_in(client, "bob")
    base = f"/workspaces/{team.workspace_id}/planner"
    assert "Check in" in client.get(base).text
    assert "Close the week" in client.get(base + "/close").text
    assert "Log a constraint" in client.get(base + "/lookahead").text
    assert "Reasons for variance (managers)" not in client.get(base + "/metrics").text


def test_a_member_marks_a_handoff_handed_over(client, team, planned, sign_in):
    sign_in(client, "bob")
    page = client.get(f"/workspaces/{team.workspace_id}/planner/pull-plans").text
    assert f'data-api="/api/v1/plan-tasks/{planned["task"]["id"]}"' in page
    changed = client.patch(
        f"{API}/plan-tasks/{planned['task']['id']}", json={"done_on": dt.date.today().isoformat()}
    )
    assert changed.status_code == 200 and changed.json()["earliest_start"] is None
    assert "done " in client.get(f"/workspaces/{team.workspace_id}/planner/pull-plans").text


def test_the_home_page_and_the_header_link_to_the_planner(client, team):
    planner = f'href="/workspaces/{team.workspace_id}/planner"'
    assert planner in client.get("/").text
    assert planner in client.get(f"/workspaces/{team.workspace_id}/planner/metrics").text


@pytest.mark.parametrize("path", PAGES)
def test_planner_pages_never_answer_500(client, team, path):
    for bad in ("999999", "0", "abc", "\u0661", "x" * 300):
        page = client.get(f"/workspaces/{quote(bad, safe='')}/planner{path}")
        assert 400 <= page.status_code < 500, (bad, page.status_code)
        assert page.headers["content-type"].startswith("text/html")
    for week in ("", "abc", "1999-12-31", "2100-01-01", "\x00"):
        page = client.get(f"/workspaces/{team.workspace_id}/planner{path}", params={"week": week})
        assert page.status_code in (200, 422), (week, page.status_code, page.text[:300])
