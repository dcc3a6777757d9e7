"""The rules editor and the notification list in a real browser, from the header's links."""

from __future__ import annotations

import re

import pytest

expect = pytest.importorskip(
    "playwright.sync_api", reason="the Python package playwright is not installed (pip install -e '.[test]')"
).expect


def test_a_manager_adds_switches_off_and_deletes_a_rule(page, sign_in, screenshot, browser_log):
    sign_in(page, "alice")
    page.get_by_role("link", name="Rules").click()
    expect(page.get_by_role("heading", name=re.compile("^Rules"))).to_be_visible()
    expect(page.locator(".rule-name", has_text="Commit now (Marketing)")).to_be_visible()  # the demo's

    form = page.locator("form.rule-form")
    form.locator("input[name=name]").fill("Launch blocked")
    form.locator("select[name=event]").select_option("item.blocked")
    form.get_by_label("Condition 1: field").select_option("tags")
    form.get_by_label("Condition 1: operator").select_option("contains")
    form.get_by_label("Condition 1: value").fill("launch")
    form.locator("select[name=action]").select_option("notify")
    form.locator("input[name=message]").fill("{title} is blocked before its launch")
    form.get_by_role("button", name="Add rule").click()

    rule = page.locator(".rule", has_text="Launch blocked")
    expect(rule.locator(".rule-text")).to_have_text(
        "When an item is blocked if tags contains launch, then notify “{title} is blocked before its launch”."
    )
    screenshot(page, "rules")
    rule.get_by_role("button", name="Switch off").click()
    expect(page.locator(".rule", has_text="Launch blocked").locator(".rule-state")).to_have_text("off")
    page.locator(".rule", has_text="Launch blocked").get_by_role(
        "button", name="Delete the rule Launch blocked"
    ).click()
    expect(page.locator(".rule", has_text="Launch blocked")).to_have_count(0)

    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "rules-narrow")
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_a_bad_rule_is_explained_on_the_page(page, sign_in):
    sign_in(page, "alice")
    page.get_by_role("link", name="Rules").click()
    form = page.locator("form.rule-form")
    form.locator("input[name=name]").fill("Nothing to say")
    form.locator("select[name=action]").select_option("notify")
    form.get_by_role("button", name="Add rule").click()

    expect(page.get_by_role("alert")).to_have_text("actions.0.message: a notify action needs it.")
    expect(page.locator("form.rule-form input[name=name]")).to_have_value("Nothing to say")


def test_the_notification_list_shows_what_the_rules_said(page, sign_in, screenshot):
    sign_in(page, "carol")  # a viewer reads them too
    page.get_by_role("link", name="Notifications").click()

    expect(page.get_by_role("heading", name=re.compile("^Notifications"))).to_be_visible()
    # The scheduler's first tick announced the Marketing options due for commitment.
    expect(page.locator(".notification-message", has_text="commit by").first).to_be_visible(timeout=15_000)
    screenshot(page, "notifications")
