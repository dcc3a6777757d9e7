"""Done and discarded stages on the board page in a real browser: the page shows their latest
cards and the total, and "Show more" reads the next page from the server."""

from __future__ import annotations

import pytest
from conftest import SmallBoard
from test_board_pull import card, open_board, stage

expect = pytest.importorskip(
    "playwright.sync_api", reason="the Python package playwright is not installed (pip install -e '.[test]')"
).expect

PAGE = 25  # the board page's first page of a done or discarded stage


def test_a_done_stage_shows_its_latest_page_and_show_more_reads_the_rest(
    page, sign_in, api, demo_workspace_id, browser_log
):
    board = SmallBoard(
        api,
        demo_workspace_id,
        [
            {"name": "Ideas", "kind": "option"},
            {"name": "Doing", "kind": "committed"},
            {"name": "Done", "kind": "done"},
        ],
    )
    finished = [board.add(f"Campaign {n}", stage="Done") for n in range(1, 32)]  # oldest first
    open_board(page, sign_in, board)
    done = stage(page, "Done")
    more = done.get_by_role("button", name="Show more")

    expect(done.locator(".count")).to_have_text("31")
    expect(done.locator("li.card")).to_have_count(PAGE)
    expect(done.locator(".stage-more .more")).to_have_text(f"{PAGE} of 31, latest first")
    expect(done.locator("li.card").first).to_have_attribute("data-item-id", str(finished[-1]))
    expect(card(page, finished[0])).to_have_count(0)

    more.click()

    expect(done.locator("li.card")).to_have_count(31)
    expect(done.locator(".stage-more .more")).to_have_text("31 of 31, latest first")
    expect(more).to_be_hidden()
    shown = done.locator("li.card").evaluate_all("cards => cards.map(c => Number(c.dataset.itemId))")
    assert shown == list(reversed(finished))  # newest first, each once

    # An older card read this way is a card like the others: its details open.
    card(page, finished[0]).locator(".title").click()
    expect(page.get_by_role("dialog").get_by_role("heading", name="Campaign 1")).to_be_visible()
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_show_more_follows_what_others_finished_meanwhile(page, sign_in, api, demo_workspace_id, browser_log):
    board = SmallBoard(
        api,
        demo_workspace_id,
        [
            {"name": "Ideas", "kind": "option"},
            {"name": "Doing", "kind": "committed"},
            {"name": "Done", "kind": "done"},
        ],
    )
    finished = [board.add(f"Deal {n}", stage="Done") for n in range(1, 28)]
    item = board.add("Late deal")
    open_board(page, sign_in, board)
    done = stage(page, "Done")
    expect(done.locator(".stage-more .more")).to_have_text(f"{PAGE} of 27, latest first")

    # Someone else finishes an item: it arrives at the top and the total follows.
    api.post(f"/items/{item}/move", json={"to_stage_id": board.stage["Done"]}).raise_for_status()
    expect(done.locator("li.card").first).to_have_attribute("data-item-id", str(item))
    expect(done.locator(".stage-more .more")).to_have_text(f"{PAGE + 1} of 28, latest first")

    done.get_by_role("button", name="Show more").click()

    expect(done.locator("li.card")).to_have_count(28)
    shown = done.locator("li.card").evaluate_all("cards => cards.map(c => Number(c.dataset.itemId))")
    assert shown == [item, *reversed(finished)]
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_show_more_still_reads_the_rest_when_the_last_card_shown_left_the_stage(
    page, sign_in, api, demo_workspace_id, browser_log
):
    board = SmallBoard(
        api,
        demo_workspace_id,
        [
            {"name": "Ideas", "kind": "option"},
            {"name": "Doing", "kind": "committed"},
            {"name": "Done", "kind": "done"},
        ],
    )
    finished = [board.add(f"Offer {n}", stage="Done") for n in range(1, 30)]  # oldest first
    open_board(page, sign_in, board)
    done = stage(page, "Done")
    oldest_shown = finished[-PAGE]
    expect(done.locator("li.card").last).to_have_attribute("data-item-id", str(oldest_shown))

    # Someone reopens the oldest card shown: it leaves Done (here too, by the live update).
    api.post(f"/items/{oldest_shown}/move", json={"to_stage_id": board.stage["Doing"]}).raise_for_status()
    expect(stage(page, "Doing").locator(f'li.card[data-item-id="{oldest_shown}"]')).to_be_visible()

    done.get_by_role("button", name="Show more").click()

    expect(done.locator("li.card")).to_have_count(28)
    shown = done.locator("li.card").evaluate_all("cards => cards.map(c => Number(c.dataset.itemId))")
    assert shown == [i for i in reversed(finished) if i != oldest_shown]
    expect(done.get_by_role("button", name="Show more")).to_be_hidden()
    assert browser_log.bad_responses == [f"422 GET /api/v1/stages/{board.stage['Done']}/items"]
    assert browser_log.problems() == []
