"""Card details on the board page in a real browser: the full item and its history in a side
panel, a member's edits, blocks, refusals in the server's words, "+ Add card" in an option
stage, and a viewer who may read but not change. Each test builds its own small board."""

from __future__ import annotations

import re

import pytest
from conftest import SmallBoard
from test_board_pull import card, open_board, stage

expect = pytest.importorskip(
    "playwright.sync_api", reason="the Python package playwright is not installed (pip install -e '.[test]')"
).expect


def open_details(page, item_id: int):
    card(page, item_id).locator(".title").click()
    panel = page.get_by_role("dialog")
    expect(panel).to_be_visible()
    expect(panel.locator(".history li").first).to_be_visible()
    return panel


def test_clicking_a_title_shows_the_item_and_its_history(
    page, sign_in, small_board, browser_log, api, screenshot
):
    item = small_board.add("Spring webinar")
    api.patch(f"/items/{item}", json={"description": "Invite the top 50 accounts."}).raise_for_status()
    api.post(f"/items/{item}/move", json={"to_stage_id": small_board.stage["Doing"]}).raise_for_status()
    open_board(page, sign_in, small_board)

    panel = open_details(page, item)

    expect(panel.get_by_role("heading", name="Spring webinar")).to_be_visible()
    expect(panel).to_contain_text("Invite the top 50 accounts.")
    expect(panel.locator(".facts")).to_contain_text("Doing")
    history = panel.locator(".history li")
    expect(history).to_have_count(3)
    expect(history.nth(0)).to_contain_text("Moved from Ideas to Doing")
    expect(history.nth(1)).to_contain_text("Edited: description")
    expect(history.nth(2)).to_contain_text("Created in Ideas")
    assert screenshot(page, "card-details").stat().st_size > 0

    panel.get_by_role("button", name="Close details").click()
    expect(panel).to_be_hidden()
    expect(card(page, item)).to_be_focused()

    # The keyboard: "d" on a focused card opens the same panel.
    page.keyboard.press("d")
    expect(page.get_by_role("dialog").get_by_role("heading", name="Spring webinar")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_editing_the_title_changes_the_card_and_the_item(page, sign_in, small_board, browser_log, api):
    item = small_board.add("Price sheet")
    open_board(page, sign_in, small_board)

    panel = open_details(page, item)
    panel.get_by_label("Title").fill("Price sheet 2027")
    panel.get_by_label("Due date").fill("2027-03-01")
    panel.get_by_role("button", name="Save").click()

    expect(card(page, item).locator(".title")).to_have_text("Price sheet 2027")
    expect(card(page, item).locator(".due")).to_have_text("due 2027-03-01")
    expect(panel.get_by_role("heading", name="Price sheet 2027")).to_be_visible()
    edited = panel.locator(".history li").first
    expect(edited).to_contain_text("Edited:")
    expect(edited).to_contain_text("title")
    expect(edited).to_contain_text("due date")
    saved = api.get(f"/items/{item}").raise_for_status().json()
    assert (saved["title"], saved["due_date"]) == ("Price sheet 2027", "2027-03-01")
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_blocking_with_a_reason_and_unblocking(page, sign_in, small_board, browser_log, api):
    item = small_board.add("Trade show booth")
    open_board(page, sign_in, small_board)

    panel = open_details(page, item)
    panel.get_by_label("Blocked because").fill("Waiting on legal")
    panel.get_by_role("button", name="Block", exact=True).click()

    expect(card(page, item).locator(".blocker")).to_have_text("Blocked: Waiting on legal")
    expect(card(page, item)).to_have_class(re.compile(r"\bblocked\b"))
    expect(panel.locator(".history li").first).to_contain_text("Blocked")
    assert api.get(f"/items/{item}").json()["blocked_reason"] == "Waiting on legal"

    panel.get_by_role("button", name="Unblock").click()

    expect(card(page, item).locator(".blocker")).to_have_count(0)
    expect(card(page, item)).not_to_have_class(re.compile(r"\bblocked\b"))
    expect(panel.get_by_role("button", name="Block", exact=True)).to_be_visible()
    assert api.get(f"/items/{item}").json()["blocked"] is False
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_an_empty_title_shows_the_422_and_changes_nothing(page, sign_in, small_board, browser_log, api):
    item = small_board.add("Customer survey")
    open_board(page, sign_in, small_board)

    panel = open_details(page, item)
    panel.get_by_label("Title").fill("")
    panel.get_by_role("button", name="Save").click()

    alert = panel.get_by_role("alert")
    expect(alert).to_contain_text("title")
    expect(panel.get_by_label("Title")).to_have_attribute("aria-invalid", "true")
    expect(card(page, item).locator(".title")).to_have_text("Customer survey")
    expect(panel.get_by_role("heading", name="Customer survey")).to_be_visible()
    assert api.get(f"/items/{item}").json()["title"] == "Customer survey"
    assert browser_log.bad_responses == [f"422 PATCH /api/v1/items/{item}"]
    assert browser_log.problems() == []


def test_archiving_an_open_item_is_refused_in_the_servers_words(page, sign_in, small_board, browser_log, api):
    item = small_board.add("Partner deck")
    open_board(page, sign_in, small_board)

    panel = open_details(page, item)
    panel.get_by_role("button", name="Archive").click()

    expect(panel.get_by_role("alert")).to_contain_text("Only done or discarded items are archived")
    expect(card(page, item)).to_be_visible()
    expect(stage(page, "Ideas").locator(".count")).to_have_text("1")
    assert api.get(f"/items/{item}").json()["archived_at"] is None
    assert browser_log.bad_responses == [f"409 POST /api/v1/items/{item}/archive"]
    assert browser_log.problems() == []


def test_archiving_a_done_item_removes_its_card(page, sign_in, small_board, browser_log, api):
    item = small_board.add("Old newsletter", stage="Done")
    open_board(page, sign_in, small_board)

    panel = open_details(page, item)
    panel.get_by_role("button", name="Archive").click()

    expect(card(page, item)).to_have_count(0)
    expect(stage(page, "Done").locator(".count")).to_have_text("0")
    expect(panel.locator(".facts")).to_contain_text("Archived")
    expect(panel.get_by_role("button", name="Archive")).to_have_count(0)
    assert api.get(f"/items/{item}").json()["archived_at"] is not None
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_discarding_moves_the_card_to_the_discarded_stage(page, sign_in, api, demo_workspace_id, browser_log):
    board = SmallBoard(
        api,
        demo_workspace_id,
        [
            {"name": "Ideas", "kind": "option"},
            {"name": "Doing", "kind": "committed"},
            {"name": "Done", "kind": "done"},
            {"name": "Dropped", "kind": "discarded"},
        ],
    )
    item = board.add("Billboard")
    open_board(page, sign_in, board)

    panel = open_details(page, item)
    panel.get_by_role("button", name="Discard").click()

    expect(stage(page, "Dropped").locator(f'li.card[data-item-id="{item}"]')).to_be_visible()
    expect(stage(page, "Dropped").locator(".count")).to_have_text("1")
    expect(stage(page, "Ideas").locator(".count")).to_have_text("0")
    expect(panel.locator(".history li").first).to_contain_text("to Dropped")
    assert board.stage_of(item) == board.stage["Dropped"]
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_a_card_is_added_in_an_option_stage(page, sign_in, small_board, browser_log, api):
    open_board(page, sign_in, small_board)
    expect(stage(page, "Doing").get_by_role("button", name="+ Add card")).to_have_count(0)

    expect(stage(page, "Ideas").get_by_label("Title")).to_be_hidden()
    stage(page, "Ideas").get_by_role("button", name="+ Add card").click()
    stage(page, "Ideas").get_by_label("Title").fill("Podcast guest spot")
    stage(page, "Ideas").get_by_role("button", name="Add", exact=True).click()

    added = stage(page, "Ideas").locator("li.card", has_text="Podcast guest spot")
    expect(added).to_be_visible()
    expect(stage(page, "Ideas").locator(".count")).to_have_text("1")
    expect(stage(page, "Ideas").get_by_label("Title")).to_have_value("")
    item_id = int(added.get_attribute("data-item-id"))
    created = api.get(f"/items/{item_id}").raise_for_status().json()
    assert (created["title"], created["stage_id"]) == ("Podcast guest spot", small_board.stage["Ideas"])
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_a_viewer_reads_details_and_history_without_edit_controls(page, sign_in, small_board, browser_log):
    item = small_board.add("Press release")
    open_board(page, sign_in, small_board, user="carol")
    expect(page.get_by_role("button", name="+ Add card")).to_have_count(0)

    card(page, item).get_by_role("button", name="Details").click()
    panel = page.get_by_role("dialog")
    expect(panel.get_by_role("heading", name="Press release")).to_be_visible()
    expect(panel.locator(".history li")).to_have_count(1)
    expect(panel.locator(".history li")).to_contain_text("Created in Ideas")
    expect(panel.locator("input, textarea")).to_have_count(0)
    for name in ("Save", "Block", "Unblock", "Discard", "Archive"):
        expect(panel.get_by_role("button", name=name, exact=True)).to_have_count(0)
    assert browser_log.problems() == [] and browser_log.bad_responses == []
