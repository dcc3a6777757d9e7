"""Pulling on the board page in a real browser: drag and drop, the keyboard's "Move to" menu,
a refused pull that says why, a reason-mode pull, warn mode, "Pull next", and a viewer who is
offered none of it. Each test that changes items builds its own small board."""

from __future__ import annotations

import re

import pytest
from conftest import SmallBoard

from pullplan.demo import DEMO_PASSWORD

expect = pytest.importorskip(
    "playwright.sync_api", reason="the Python package playwright is not installed (pip install -e '.[test]')"
).expect


def open_board(page, sign_in, board: SmallBoard, user: str = "bob"):
    page.goto(board.path)
    sign_in(page, user, DEMO_PASSWORD)
    expect(page.get_by_role("list", name=re.compile("^Stages of Pull test"))).to_be_visible()


def stage(page, name: str):
    return page.locator(f'section.stage[data-stage-name="{name}"]')


def card(page, item_id: int):
    return page.locator(f'li.card[data-item-id="{item_id}"]')


def move_status(item_id: int, status: int) -> str:
    return f"{status} POST /api/v1/items/{item_id}/move"


# --- drag and drop ----------------------------------------------------------------------------


def test_dragging_a_card_into_a_stage_with_room_pulls_it(page, sign_in, small_board, browser_log):
    item = small_board.add("Spring webinar")
    open_board(page, sign_in, small_board)

    card(page, item).drag_to(stage(page, "Doing"))

    expect(stage(page, "Doing").locator(f'li.card[data-item-id="{item}"]')).to_be_visible()
    expect(stage(page, "Ideas").locator("li.card")).to_have_count(0)
    expect(stage(page, "Doing").locator(".count")).to_have_text("1 / 1")
    expect(stage(page, "Ideas").locator(".count")).to_have_text("0")
    expect(stage(page, "Doing")).to_have_class(re.compile(r"\bfull\b"))
    assert small_board.stage_of(item) == small_board.stage["Doing"]
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_dragging_into_a_full_block_mode_stage_is_refused_and_says_why(
    page, sign_in, small_board, browser_log, screenshot
):
    small_board.add("Price sheet", stage="Doing")
    item = small_board.add("Trade show booth")
    open_board(page, sign_in, small_board)

    card(page, item).drag_to(stage(page, "Doing"))

    alert = stage(page, "Doing").get_by_role("alert")
    expect(alert).to_contain_text("\u201cTrade show booth\u201d cannot be pulled into Doing")
    expect(alert.locator("li").first).to_have_text(re.compile(r"\w"))
    expect(stage(page, "Ideas").locator(f'li.card[data-item-id="{item}"]')).to_be_visible()
    expect(stage(page, "Doing").locator(".count")).to_have_text("1 / 1")
    expect(stage(page, "Ideas").locator(".count")).to_have_text("1")
    assert small_board.stage_of(item) == small_board.stage["Ideas"]
    assert browser_log.bad_responses == [move_status(item, 409)]
    assert browser_log.problems() == []
    assert screenshot(page, "board-pull-refused").stat().st_size > 0

    alert.get_by_role("button", name="Dismiss").click()
    expect(stage(page, "Doing").locator(".stage-alert")).to_be_empty()


# --- reason mode and warn mode ----------------------------------------------------------------


def test_a_reason_mode_pull_asks_for_a_reason_and_records_the_override(
    page, sign_in, small_board, browser_log, api
):
    small_board.add("Case study", stage="Review")
    item = small_board.add("Launch email")
    open_board(page, sign_in, small_board)
    dialog = page.get_by_role("dialog")

    # Cancelled: nothing moves.
    card(page, item).drag_to(stage(page, "Review"))
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("\u201cLaunch email\u201d into Review")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(stage(page, "Ideas").locator(f'li.card[data-item-id="{item}"]')).to_be_visible()
    assert small_board.stage_of(item) == small_board.stage["Ideas"]

    # With a reason: pulled, over the limit, and the override is in the transition log.
    card(page, item).drag_to(stage(page, "Review"))
    dialog.get_by_label("Reason").fill("The launch date moved up")
    dialog.get_by_role("button", name="Pull with this reason").click()
    moved = stage(page, "Review").locator(f'li.card[data-item-id="{item}"]')
    expect(moved).to_be_visible()
    expect(moved.locator(".pull-warning")).to_contain_text("Pulled with a reason")
    expect(stage(page, "Review").locator(".count")).to_have_text("2 / 1")
    expect(stage(page, "Review")).to_have_class(re.compile(r"\bover\b"))
    assert small_board.stage_of(item) == small_board.stage["Review"]
    history = api.get(f"/items/{item}/transitions").raise_for_status().json()
    assert any(t["kind"] == "override" and t["reason"] == "The launch date moved up" for t in history), (
        history
    )
    assert browser_log.bad_responses == [move_status(item, 409)] * 2
    assert browser_log.problems() == []


def test_a_warn_mode_pull_moves_and_keeps_the_warning_on_the_card(
    page, sign_in, api, demo_workspace_id, browser_log
):
    board = SmallBoard(
        api,
        demo_workspace_id,
        [
            {"name": "Ideas", "kind": "option"},
            {"name": "Doing", "kind": "committed", "wip_limit": 1, "wip_mode": "warn"},
            {"name": "Done", "kind": "done"},
        ],
    )
    board.add("Partner deck", stage="Doing")
    item = board.add("Newsletter")
    open_board(page, sign_in, board)

    card(page, item).drag_to(stage(page, "Doing"))

    moved = stage(page, "Doing").locator(f'li.card[data-item-id="{item}"]')
    expect(moved.locator(".pull-warning")).to_contain_text("Pulled with a warning")
    expect(stage(page, "Doing").locator(".count")).to_have_text("2 / 1")
    assert board.stage_of(item) == board.stage["Doing"]
    assert browser_log.problems() == [] and browser_log.bad_responses == []


# --- keyboard ---------------------------------------------------------------------------------


def test_a_card_is_pulled_with_the_keyboard(page, sign_in, small_board, browser_log):
    item = small_board.add("Customer survey")
    open_board(page, sign_in, small_board)

    card(page, item).focus()
    page.keyboard.press("Enter")
    menu = card(page, item).get_by_role("group", name="Move to")
    expect(menu.get_by_role("button")).to_have_text(["Doing", "Review", "Done", "Cancel"])
    expect(menu.get_by_role("button", name="Doing")).to_be_focused()
    page.keyboard.press("Enter")

    moved = stage(page, "Doing").locator(f'li.card[data-item-id="{item}"]')
    expect(moved).to_be_visible()
    expect(moved).to_be_focused()
    expect(moved.get_by_role("group", name="Move to")).to_have_count(0)
    assert small_board.stage_of(item) == small_board.stage["Doing"]

    # Escape closes the menu and leaves the card where it is.
    page.keyboard.press("Enter")
    expect(moved.get_by_role("group", name="Move to")).to_be_visible()
    page.keyboard.press("Escape")
    expect(moved.get_by_role("group", name="Move to")).to_have_count(0)
    expect(moved).to_be_focused()
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_the_move_button_opens_the_same_menu(page, sign_in, small_board, browser_log):
    item = small_board.add("Social post")
    open_board(page, sign_in, small_board)

    card(page, item).get_by_role("button", name="Move").click()
    card(page, item).get_by_role("group", name="Move to").get_by_role("button", name="Done").click()

    expect(stage(page, "Done").locator(f'li.card[data-item-id="{item}"]')).to_be_visible()
    expect(stage(page, "Done").locator(".count")).to_have_text("1")
    assert small_board.stage_of(item) == small_board.stage["Done"]
    assert browser_log.problems() == [] and browser_log.bad_responses == []


# --- who may pull -----------------------------------------------------------------------------


def test_a_viewer_is_offered_no_move_controls(page, sign_in, small_board, browser_log):
    item = small_board.add("Press release")
    open_board(page, sign_in, small_board, user="carol")

    expect(card(page, item)).to_be_visible()
    expect(page.get_by_role("button", name="Move")).to_have_count(0)
    expect(page.locator('li.card[draggable="true"], li.card[tabindex]')).to_have_count(0)
    expect(page.get_by_role("dialog")).to_have_count(0)

    # She may read what to pull next, but is not offered to pull it.
    stage(page, "Doing").get_by_role("button", name="Pull next").click()
    panel = stage(page, "Doing").get_by_role("region", name="Pull next into Doing")
    expect(panel).to_contain_text("Press release")
    expect(panel.get_by_role("button", name="Pull")).to_have_count(0)
    assert browser_log.problems() == [] and browser_log.bad_responses == []


# --- pull next --------------------------------------------------------------------------------


def test_pull_next_shows_ranked_candidates_and_pulls_the_first(page, sign_in, small_board, browser_log):
    first = small_board.add("Oldest idea")
    second = small_board.add("Newer idea")
    open_board(page, sign_in, small_board)

    button = stage(page, "Doing").get_by_role("button", name="Pull next")
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    panel = stage(page, "Doing").get_by_role("region", name="Pull next into Doing")
    rows = panel.locator("ol.candidates > li")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Oldest idea")
    expect(rows.first.locator(".why")).to_have_text(re.compile(r"\w"))
    expect(rows.nth(1)).to_contain_text("Newer idea")

    rows.first.get_by_role("button", name="Pull", exact=True).click()

    expect(stage(page, "Doing").locator(f'li.card[data-item-id="{first}"]')).to_be_visible()
    expect(stage(page, "Doing").locator(".count")).to_have_text("1 / 1")
    expect(stage(page, "Ideas").locator(f'li.card[data-item-id="{second}"]')).to_be_visible()
    assert small_board.stage_of(first) == small_board.stage["Doing"]
    # The panel is read again: the stage is full now, so nothing is offered to pull.
    expect(panel.locator("ol.candidates > li")).to_have_count(0)
    assert browser_log.problems() == [] and browser_log.bad_responses == []
