"""The promise cycle in a real browser: bob asks for a case study for his deal on the
handoffs page, alice promises it and declares it complete in her own browser, bob accepts it,
and the deal's card stops waiting (and is unblocked) on its board."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import STAGES, SmallBoard

expect = pytest.importorskip(
    "playwright.sync_api", reason="the Python package playwright is not installed (pip install -e '.[test]')"
).expect

TITLE = "Case study: Northwind"


def handoff(page, title: str = TITLE):
    return page.get_by_role("listitem", name=f"Handoff: {title}")


def test_bob_asks_alice_promises_and_completes_bob_accepts_and_the_deal_stops_waiting(
    page, browser, live_server, sign_in, api, demo_workspace_id, browser_log, screenshot
):
    deals = SmallBoard(api, demo_workspace_id, STAGES)
    content = SmallBoard(api, demo_workspace_id, STAGES)
    deal = deals.add("Northwind — 30 seats")
    content_name = api.get(f"/boards/{content.id}").raise_for_status().json()["name"]
    due = (dt.date.today() + dt.timedelta(days=14)).isoformat()
    handoffs = f"/workspaces/{demo_workspace_id}/handoffs"

    # bob asks, from the handoffs page, with his deal chosen.
    sign_in(page, "bob")
    page.goto(f"{handoffs}?item={deal}")
    form = page.locator("form.handoff-request-form")
    expect(form.get_by_label("For the item")).to_have_value(str(deal))
    form.get_by_label("From the board").select_option(label=content_name)
    form.get_by_label("Performer").select_option(label="Alice Martin")
    form.get_by_label("What is handed over").fill(TITLE)
    form.get_by_label("Conditions of satisfaction").fill("Two pages with a quote from their CFO.")
    form.get_by_label("By").fill(due)
    form.get_by_label("Block the item until the handoff is accepted").check()
    form.get_by_role("button", name="Request").click()

    mine = page.locator("section", has=page.get_by_role("heading", name="Requests I made"))
    expect(handoff(mine).locator(".handoff-status")).to_have_text("requested")
    expect(handoff(mine)).to_contain_text("waiting")
    page.goto(deals.path)
    card = page.locator(f'li.card[data-item-id="{deal}"]')
    expect(card.locator(".handoff-wait")).to_have_text("waiting for handoff")
    expect(card.locator(".blocker")).to_have_text(f"Blocked: waiting for handoff: {TITLE}")

    # alice, in her own browser, promises and declares it complete.
    context = browser.new_context(base_url=live_server.base_url, viewport={"width": 1280, "height": 800})
    alice = context.new_page()
    browser_log.watch(alice)
    try:
        sign_in(alice, "alice")
        alice.goto(handoffs)
        to_me = alice.locator("section", has=alice.get_by_role("heading", name="Requests to me"))
        expect(handoff(to_me)).to_contain_text("Bob Nguyen")
        handoff(to_me).get_by_label("Note").fill("Emma interviews their CFO on Tuesday.")
        handoff(to_me).get_by_role("button", name="Promise").click()
        expect(handoff(to_me).locator(".handoff-status")).to_have_text("promised")
        handoff(to_me).get_by_role("button", name="Declare complete").click()
        expect(handoff(to_me).locator(".handoff-status")).to_have_text("declared complete")
        # Only the requester accepts: alice is not offered the step.
        expect(handoff(to_me).get_by_role("button", name="Accept")).to_have_count(0)
    finally:
        context.close()

    # bob sees it is done and accepts it.
    page.goto(handoffs)
    mine = page.locator("section", has=page.get_by_role("heading", name="Requests I made"))
    expect(handoff(mine).locator(".handoff-status")).to_have_text("declared complete")
    handoff(mine).get_by_role("button", name="Accept").click()
    expect(handoff(mine).locator(".handoff-status")).to_have_text("accepted")
    handoff(mine).get_by_text("History (4)").click()
    history = handoff(mine).locator(".handoff-history li")
    expect(history).to_have_count(4)
    expect(history.nth(1)).to_contain_text("Alice Martin: promise")
    expect(history.nth(1)).to_contain_text("Emma interviews their CFO on Tuesday.")
    expect(history.nth(3)).to_contain_text("Bob Nguyen: accept")
    screenshot(page, "handoffs")

    page.goto(deals.path)
    card = page.locator(f'li.card[data-item-id="{deal}"]')
    expect(card).to_be_visible()
    expect(card.locator(".handoff-wait")).to_have_count(0)
    expect(card.locator(".blocker")).to_have_count(0)
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_the_handoffs_page_reads_on_a_narrow_screen(
    page, sign_in, demo_workspace_id, browser_log, screenshot
):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "alice")

    page.goto(f"/workspaces/{demo_workspace_id}/handoffs")

    expect(page.get_by_role("heading", name="Handoffs", exact=True)).to_be_visible()
    expect(page.locator(".handoff").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width} px wide"
    screenshot(page, "handoffs-narrow")
    assert browser_log.problems() == []
