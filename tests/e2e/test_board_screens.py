"""The demo boards at 1280x800 and on a narrow phone screen (390 px wide), in a real browser:
the page itself never scrolls sideways (the board's columns do), the header wraps inside the
screen, lane names never cover a stage; screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import pytest

from pullplan.demo import DEMO_PASSWORD

expect = pytest.importorskip(
    "playwright.sync_api", reason="the Python package playwright is not installed (pip install -e '.[test]')"
).expect

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("name", ["Marketing", "Sales"])
def test_a_demo_board_is_readable_on_a_desktop_and_a_phone(
    page, sign_in, screenshot, demo_boards, name, size, browser_log
):
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"/boards/{demo_boards[name]}")
    sign_in(page, "alice", DEMO_PASSWORD)
    board = page.get_by_role("list", name=f"Stages of {name}")
    expect(board).to_be_visible()
    expect(page.locator("li.card").first).to_be_visible()
    shot = screenshot(page, f"board-{name.lower()}-{width}x{height}")
    assert shot.stat().st_size > 0

    # The page fits the screen's width; the board scrolls sideways inside it.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert board.evaluate("b => b.scrollWidth > b.clientWidth")
    sign_out = page.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_in_viewport()
    assert sign_out.bounding_box()["x"] + sign_out.bounding_box()["width"] <= width

    # Lane names stay in view at the left, beside (never over) the first stage's name.
    lanes = page.locator(".lane-heads")
    first_stage = page.locator("section.stage h2").first
    expect(first_stage).to_be_in_viewport()
    assert lanes.bounding_box()["x"] + lanes.bounding_box()["width"] <= first_stage.bounding_box()["x"]

    # The last stage is reached by scrolling the board, and its name is then on screen.
    last_stage = page.locator("section.stage h2").last
    board.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
    expect(last_stage).to_be_in_viewport()
    assert last_stage.bounding_box()["x"] + last_stage.bounding_box()["width"] <= width
    expect(page.locator(".lane-head").first).to_be_in_viewport()  # still beside the cards
    screenshot(page, f"board-{name.lower()}-{width}x{height}-scrolled")
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_card_details_fit_a_phone_screen(page, sign_in, screenshot, demo_boards, browser_log):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/boards/{demo_boards['Marketing']}")
    sign_in(page, "bob", DEMO_PASSWORD)
    page.locator("section.stage.kind-committed li.card .title").first.click()
    panel = page.get_by_role("dialog")
    expect(panel.locator(".history li").first).to_be_visible()
    expect(panel.get_by_label("Owner")).to_be_visible()
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert panel.evaluate("d => d.scrollWidth <= d.clientWidth")
    assert screenshot(page, "card-details-390x844").stat().st_size > 0
    assert browser_log.problems() == [] and browser_log.bad_responses == []
