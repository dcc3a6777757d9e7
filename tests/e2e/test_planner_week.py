"""One week of the Last Planner in a real browser, on the demo's product launch webinar: remove a
constraint in the lookahead, promise the task that became ready, check in on it, close the week
with one miss and its reason, and see PPC and the Pareto of reasons for variance change."""

from __future__ import annotations

import datetime as dt

import pytest

expect = pytest.importorskip(
    "playwright.sync_api", reason="the Python package playwright is not installed (pip install -e '.[test]')"
).expect

TASK = "Slides and demo script"
MISSED = "Target account list for invitations"


def test_a_week_from_constraint_to_ppc(page, sign_in, demo_workspace_id, browser_log, screenshot):
    planner = f"/workspaces/{demo_workspace_id}/planner"
    today = dt.datetime.now(dt.UTC).date()
    monday = (today - dt.timedelta(days=today.weekday())).isoformat()
    sign_in(page, "alice")

    # The header links to the planner; the lookahead shows the task is not ready.
    page.goto("/")
    page.get_by_role("banner").get_by_role("link", name="Planner", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Weekly plan")
    page.get_by_role("link", name="Lookahead & constraints").click()
    task = page.get_by_role("article", name=TASK)
    expect(task.locator(".tag.not-ready")).to_be_visible()

    # Make ready: remove the constraint.
    task.get_by_role("button", name="Remove").click()
    expect(page.get_by_role("article", name=TASK).locator(".tag.ready")).to_be_visible()

    # Promise it for this week: the week has started, so it is added later.
    page.goto(planner)
    candidate = page.locator("tr[data-task]", has_text=TASK)
    expect(candidate.locator(".tag.ready")).to_be_visible()
    candidate.get_by_role("button", name="Promise").click()
    promise = page.locator("table.promises tr", has_text=TASK)
    expect(promise.locator(".added-later")).to_be_visible()

    # The daily check-in: at risk shows at the top of the plan at once.
    promise.get_by_label(f"Status of {TASK}").select_option("at_risk")
    promise.get_by_label(f"Note on {TASK}").fill("The screens arrive on Thursday.")
    promise.get_by_role("button", name="Check in").click()
    expect(page.locator("#at-risk")).to_contain_text("The screens arrive on Thursday.")

    # Before the close: no PPC for this week, and the Pareto's count of late approvals.
    page.goto(f"{planner}/metrics")
    expect(page.locator(f"tr[data-week='{monday}'] .ppc")).to_have_text("—")
    approvals = page.locator("tr[data-reason='approval_late'] .count")
    before = int(approvals.inner_text()) if approvals.count() else 0

    # Close the week: every promise done but one, missed for a late approval.
    page.goto(f"{planner}/close")
    outcomes = page.locator("fieldset.outcome")
    expect(outcomes).to_have_count(7)
    for outcome in outcomes.all():
        if MISSED in outcome.locator("legend").inner_text():
            outcome.get_by_label("Not done", exact=True).check()
            outcome.get_by_label(f"Reason for {MISSED}").select_option("approval_late")
        else:
            outcome.get_by_label("Done", exact=True).check()
    page.get_by_role("button", name="Close the week").click()
    # Six promises were made before Monday and five kept; the added-later one is left out.
    expect(page.locator(".closed-summary .ppc")).to_have_text("83%")

    page.get_by_role("link", name="Metrics").first.click()
    expect(page.locator(f"tr[data-week='{monday}'] .ppc")).to_have_text("83%")
    expect(page.locator("tr[data-reason='approval_late'] .count")).to_have_text(str(before + 1))
    assert screenshot(page, "planner-metrics").stat().st_size > 0
    assert browser_log.problems() == []


def test_an_at_risk_check_in_shows_on_a_teammates_open_plan(
    page, sign_in, demo_workspace_id, api, browser_log
):
    today = dt.datetime.now(dt.UTC).date()
    next_week = (today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=1)).isoformat()
    ws = demo_workspace_id
    lookahead = api.get(f"/workspaces/{ws}/lookahead").raise_for_status().json()
    task = next(t for t in lookahead["tasks"] if t["task"]["title"] == "Invitation emails in three waves")
    promise = (
        api.post(f"/workspaces/{ws}/promises", json={"week": next_week, "plan_task_id": task["task"]["id"]})
        .raise_for_status()
        .json()["promise"]
    )

    sign_in(page, "bob")
    page.goto(f"/workspaces/{ws}/planner?week={next_week}")
    expect(page.locator("table.promises")).to_contain_text("Invitation emails in three waves")
    expect(page.locator("#at-risk")).to_have_count(0)

    note = "The email tool is down until Tuesday."
    api.post(
        f"/promises/{promise['id']}/check-ins", json={"status": "at_risk", "note": note}
    ).raise_for_status()

    expect(page.locator("#at-risk")).to_contain_text(note)  # without reloading by hand
    assert browser_log.problems() == []
