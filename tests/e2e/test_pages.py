"""The server-rendered pages in a real browser: signing in and out, markup in cards shown
as text, and screenshots of the demo boards (test-artifacts/screenshots/)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from pullplan.demo import DEMO_PASSWORD

expect = pytest.importorskip(
    "playwright.sync_api", reason="the Python package playwright is not installed (pip install -e '.[test]')"
).expect

SCRIPT_TITLE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">'
MARKUP_DESCRIPTION = (
    '<iframe src="javascript:window.__pwned=3"></iframe><b onmouseover="window.__pwned=4">x</b>'
)
MARKUP_REASON = '<img src=x onerror="window.__pwned=5"> waiting on <a href="javascript:alert(1)">legal</a>'


def login_url(next_path: str) -> str:
    return f"/login?next={quote(next_path, safe='')}"


# --- signing in and out -----------------------------------------------------------------------


def test_an_anonymous_visit_to_a_board_lands_on_sign_in_and_returns_after_it(
    page, sign_in, demo_boards, browser_log
):
    board = f"/boards/{demo_boards['Marketing']}"
    page.goto(board)
    expect(page).to_have_url(re.compile(re.escape(login_url(board)) + "$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    sign_in(page, "carol", DEMO_PASSWORD)

    expect(page).to_have_url(re.compile(re.escape(board) + "$"))
    expect(page.get_by_role("list", name="Stages of Marketing")).to_be_visible()
    expect(page.locator("header.top")).to_contain_text("Carol")
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_a_wrong_password_shows_the_error_and_keeps_the_username(page, sign_in, browser_log):
    page.goto("/login")
    sign_in(page, "carol", "not-her-password")

    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"\w"))
    expect(page.get_by_label("Username", exact=True)).to_have_value("carol")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert browser_log.bad_responses == ["401 POST /login"]
    assert browser_log.problems() == []


def test_signing_out_ends_the_session(page, sign_in, demo_boards):
    board = f"/boards/{demo_boards['Sales']}"
    page.goto(board)
    sign_in(page, "bob", DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(re.escape(board) + "$"))

    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto(board)
    expect(page).to_have_url(re.compile(re.escape(login_url(board)) + "$"))


# --- markup in cards --------------------------------------------------------------------------


def test_markup_in_a_card_is_shown_as_text_and_never_runs(page, sign_in, api, demo_boards, browser_log):
    board_id = demo_boards["Marketing"]
    created = api.post(
        f"/boards/{board_id}/items", json={"title": SCRIPT_TITLE, "description": MARKUP_DESCRIPTION}
    )
    assert created.status_code == 201, created.text
    item_id = created.json()["item"]["id"]
    blocked = api.post(f"/items/{item_id}/block", json={"reason": MARKUP_REASON})
    assert blocked.status_code == 200, blocked.text

    page.goto(f"/boards/{board_id}")
    sign_in(page, "alice", DEMO_PASSWORD)
    card = page.locator(f'li.card[data-item-id="{item_id}"]')
    expect(card).to_be_visible()

    expect(card.locator(".title")).to_have_text(SCRIPT_TITLE)
    expect(card.locator(".blocker")).to_have_text(f"Blocked: {MARKUP_REASON}")
    # No element was made from the markup (this does not rely on the Content-Security-Policy).
    expect(card.locator("script, img, iframe, a, b")).to_have_count(0)
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert browser_log.problems() == [], "a dialog opened, or a script ran and failed"


# --- screenshots ------------------------------------------------------------------------------


def test_screenshot_of_the_sign_in_page(page, screenshot):
    page.goto("/login")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert screenshot(page, "sign-in").stat().st_size > 0


@pytest.mark.parametrize("board", ["Marketing", "Sales"])
def test_screenshot_of_a_demo_board(page, sign_in, screenshot, demo_boards, board, browser_log):
    page.goto(f"/boards/{demo_boards[board]}")
    sign_in(page, "alice", DEMO_PASSWORD)
    expect(page.get_by_role("list", name=f"Stages of {board}")).to_be_visible()
    expect(page.locator("li.card").first).to_be_visible()
    assert screenshot(page, f"board-{board.lower()}").stat().st_size > 0
    assert browser_log.problems() == [] and browser_log.bad_responses == []


@pytest.mark.parametrize("board", ["Marketing", "Sales"])
def test_the_demo_board_shows_last_responsible_moment_badges(page, sign_in, demo_boards, board, api):
    """Options that must be committed now (due) or are past their commit-by date (late) say so
    on their card, with the commit-by date and why; the API lists the same items."""
    page.goto(f"/boards/{demo_boards[board]}")
    sign_in(page, "bob", DEMO_PASSWORD)
    listed = api.get(f"/boards/{demo_boards[board]}/commit-by").json()
    late_or_due = [row for row in listed if row["status"] in ("late", "due")]
    assert late_or_due, "the demo should have options past or at their last responsible moment"
    for row in late_or_due:
        badge = page.locator(f'li.card[data-item-id="{row["item_id"]}"] .lrm')
        expect(badge).to_have_text(f"{row['status']} · commit by {row['commit_by']}")
        assert badge.get_attribute("title") == row["why"]


def test_cards_older_than_the_boards_85th_percentile_are_marked(page, sign_in, demo_boards):
    page.goto(f"/boards/{demo_boards['Sales']}")
    sign_in(page, "carol", DEMO_PASSWORD)
    marked = page.locator(".age.aging")
    expect(marked.first).to_be_visible()
    title = marked.first.get_attribute("title")
    limit = int(title.split("(")[1].split()[0])
    for text in marked.all_inner_texts():
        assert int(text.rstrip("d ▲")) > limit
    unmarked_committed = page.locator(".stage.kind-committed .age:not(.aging)").all_inner_texts()
    assert all(int(t.rstrip("d ▲")) <= limit for t in unmarked_committed)
