"""The commit-by page in a real browser, on the demo: the demo board shows LRM badges, and the
workspace's commit-by page lists its due and late options by commit-by date with why, the
aggregates and their children, the commitment timing of each board, and the settings form
for managers (read-only for the others)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from pullplan.demo import DEMO_PASSWORD


def test_the_demo_board_shows_lrm_badges_and_links_to_the_commit_by_page(
    page, sign_in, demo_boards, demo_workspace_id, api, browser_log
):
    board = demo_boards["Marketing"]
    page.goto(f"/boards/{board}")
    sign_in(page, "bob", DEMO_PASSWORD)
    listed = api.get(f"/boards/{board}/commit-by").json()
    late = next(r for r in listed if r["status"] == "late")
    expect(page.locator(f'li.card[data-item-id="{late["item_id"]}"] .lrm')).to_have_text(
        f"late · commit by {late['commit_by']}"
    )

    page.get_by_role("link", name="Commit-by dates").click()

    expect(page).to_have_url(re.compile(rf"/workspaces/{demo_workspace_id}/commit-by\?board_id={board}$"))
    expect(page.get_by_role("heading", name="Commit-by dates")).to_be_visible()
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_the_commit_by_page_lists_due_and_late_options_by_date_with_why(
    page, sign_in, demo_workspace_id, api, screenshot, browser_log
):
    page.goto(f"/workspaces/{demo_workspace_id}/commit-by")
    sign_in(page, "carol", DEMO_PASSWORD)
    listed = api.get(f"/workspaces/{demo_workspace_id}/commit-by").json()
    options = sorted((r for r in listed if r["commit_by"]), key=lambda r: (r["commit_by"], r["item_id"]))
    due = [r for r in options if r["status"] == "due"]
    late = [r for r in options if r["status"] == "late"]
    assert due and late, "the demo has options at and past their last responsible moment"

    rows = page.locator("section[aria-labelledby=options-heading] tbody tr")
    expect(rows).to_have_count(len(options))
    assert [int(x) for x in rows.evaluate_all("rs => rs.map(r => r.dataset.itemId)")] == [
        r["item_id"] for r in options
    ]
    for r in due[:3] + late[:3]:
        row = page.locator(f'section[aria-labelledby=options-heading] tr[data-item-id="{r["item_id"]}"]')
        expect(row.locator(".lrm")).to_have_text(r["status"])
        expect(row.locator("td.date").first).to_have_text(r["commit_by"])
        expect(row.locator("td.why")).to_have_text(r["why"])
    aggregate = next(r for r in options if r["forecast_children"])
    expect(page.locator(f'tr[data-item-id="{aggregate["item_id"]}"] .aggregate')).to_contain_text(
        f"aggregate of {aggregate['forecast_children']} children"
    )
    split = next(r for r in listed if r["children_total"])
    expect(page.locator(f'tr[data-item-id="{split["item_id"]}"] .aggregate')).to_have_text(
        f"children: {split['children_done']} of {split['children_total']} done"
    )
    timing = page.locator("table.timing tbody tr")  # a row per board (other tests add boards)
    for board in ("Marketing", "Sales"):
        row = timing.filter(has=page.locator("td:first-child", has_text=re.compile(rf"^{board}$")))
        expect(row).to_have_count(1)
        expect(row.locator("td.num").nth(1)).to_have_text(re.compile(r"^[+-]?\d+(\.\d+)? d$"))  # the median
    expect(page.get_by_role("button", name="Save settings")).to_have_count(0)  # a viewer reads them
    expect(page.locator(".settings-list")).to_contain_text("p = 95, buffer 7 days")
    assert screenshot(page, "commit-by").stat().st_size > 0
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the tables scroll sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert screenshot(page, "commit-by-narrow").stat().st_size > 0
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_a_manager_changes_the_buffer_and_the_dates_move(page, sign_in, demo_workspace_id, api, screenshot):
    before = {r["item_id"]: r for r in api.get(f"/workspaces/{demo_workspace_id}/commit-by").json()}
    page.goto(f"/workspaces/{demo_workspace_id}/commit-by")
    sign_in(page, "alice", DEMO_PASSWORD)
    try:
        page.locator("details.template-forms summary").click()
        campaign = page.locator("form.template-form").filter(has_text="Save Campaign template")
        expect(campaign.locator("textarea")).to_have_value(
            re.compile(r"^Brief and audience \| Campaign \|  \| -28\n")
        )
        page.locator(".lrm-settings").scroll_into_view_if_needed()
        assert screenshot(page, "commit-by-manager").stat().st_size > 0
        page.get_by_label("Standard", exact=True).last.fill("14")  # the standard class's buffer
        page.get_by_role("button", name="Save settings").click()

        expect(page.get_by_role("status")).to_have_text("The LRM settings are saved.")
        after = api.get(f"/workspaces/{demo_workspace_id}/commit-by").json()
        moved = [
            r
            for r in after
            if r["class_of_service"] == "standard" and r["commit_by"] and r["item_id"] in before
        ]
        assert moved and all(r["buffer_days"] == 14 for r in moved)
        for r in moved:
            was = before[r["item_id"]]["commit_by"]
            assert r["commit_by"] <= was  # seven more days of buffer: never later
    finally:
        api.patch(f"/workspaces/{demo_workspace_id}/lrm-settings", json={"class_buffers": {"standard": None}})


def test_an_aggregate_card_shows_its_childrens_progress(page, sign_in, demo_boards, api, browser_log):
    board = demo_boards["Marketing"]
    view = api.get(f"/boards/{board}/view").json()
    parents = {card["parent_id"] for stage in view["stages"] for card in stage["items"]} - {None}
    assert parents, "the demo has a campaign split into children"
    parent = min(parents)
    aggregate = api.get(f"/items/{parent}/aggregate").json()
    page.goto(f"/boards/{board}")
    sign_in(page, "carol", DEMO_PASSWORD)
    expect(page.locator(f'li.card[data-item-id="{parent}"] .aggregate-progress')).to_have_text(
        f"{aggregate['progress']['done']} of {aggregate['progress']['total']} done"
    )
    assert page.locator(".aggregate-progress").count() == len(parents)
    assert browser_log.problems() == [] and browser_log.bad_responses == []
