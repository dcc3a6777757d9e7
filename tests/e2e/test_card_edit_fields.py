"""Card details in a real browser: a member edits the owner, class of service, value and tags
(the server checks each; a refusal marks its field), and the history names who made each
change. Each test builds its own small board."""

from __future__ import annotations

import pytest
from test_board_pull import card, open_board
from test_card_details import open_details

expect = pytest.importorskip(
    "playwright.sync_api", reason="the Python package playwright is not installed (pip install -e '.[test]')"
).expect


def test_owner_class_value_and_tags_are_edited_and_the_history_says_who(
    page, sign_in, small_board, browser_log, api
):
    item = small_board.add("Pricing webinar")  # created by alice, through her API token
    open_board(page, sign_in, small_board)  # bob

    panel = open_details(page, item)
    panel.get_by_label("Owner").select_option(label="Bob Nguyen")
    panel.get_by_label("Class of service").select_option(label="Intangible")
    panel.get_by_label("Value").fill("12500")
    panel.get_by_label("Tags (comma separated)").fill("webinar, pricing ")
    panel.get_by_role("button", name="Save").click()

    edited = panel.locator(".history li").first
    for field in ("owner", "class of service", "value", "tags"):
        expect(edited.locator(".what")).to_contain_text(field)
    expect(edited.locator(".who")).to_have_text("by Bob Nguyen")
    expect(panel.locator(".history li").last.locator(".who")).to_have_text("by Alice Martin")
    meta = card(page, item).locator(".meta")
    expect(meta.locator(".owner")).to_have_text("Bob Nguyen")
    expect(meta.locator(".cos")).to_have_text("Intangible")
    expect(meta.locator(".value")).to_have_text("value 12,500")
    expect(card(page, item)).to_have_class("card cos-intangible")
    expect(panel.locator(".facts")).to_contain_text("webinar, pricing")
    saved = api.get(f"/items/{item}").raise_for_status().json()
    assert (saved["owner_name"], saved["class_of_service"], saved["tags"]) == (
        "Bob Nguyen",
        "intangible",
        ["webinar", "pricing"],
    )
    assert float(saved["value"]) == 12500

    # Cleared again: no owner, no value.
    panel.get_by_label("Owner").select_option(label="No owner")
    panel.get_by_label("Value").fill("")
    panel.get_by_role("button", name="Save").click()
    expect(panel.locator(".history li").first.locator(".what")).to_have_text("Edited: owner, value")
    expect(card(page, item).locator(".meta .owner")).to_have_count(0)
    expect(card(page, item).locator(".meta .value")).to_have_count(0)
    saved = api.get(f"/items/{item}").raise_for_status().json()
    assert (saved["owner_id"], saved["value"]) == (None, None)
    assert browser_log.problems() == [] and browser_log.bad_responses == []


@pytest.mark.parametrize(
    ("label", "value", "field"),
    [
        ("Value", "-5", "value"),
        ("Value", "a lot", "value"),
        ("Tags (comma separated)", "x" * 41, "tags"),
    ],
)
def test_a_refused_value_marks_its_field_and_changes_nothing(
    page, sign_in, small_board, browser_log, api, label, value, field
):
    item = small_board.add("Analyst briefing")
    open_board(page, sign_in, small_board)

    panel = open_details(page, item)
    panel.get_by_label(label).fill(value)
    panel.get_by_role("button", name="Save").click()

    expect(panel.get_by_role("alert")).to_contain_text(f"Not done: {field}")
    expect(panel.get_by_label(label)).to_have_attribute("aria-invalid", "true")
    expect(panel.get_by_label(label)).to_be_focused()
    saved = api.get(f"/items/{item}").raise_for_status().json()
    assert (saved["value"], saved["tags"]) == (None, [])
    assert browser_log.bad_responses == [f"422 PATCH /api/v1/items/{item}"]
    assert browser_log.problems() == []


def test_a_fixed_date_class_without_a_due_date_marks_the_due_date(
    page, sign_in, small_board, browser_log, api
):
    item = small_board.add("Conference booth")
    open_board(page, sign_in, small_board)

    panel = open_details(page, item)
    panel.get_by_label("Class of service").select_option(label="Fixed date")
    panel.get_by_role("button", name="Save").click()

    expect(panel.get_by_role("alert")).to_contain_text("due_date")
    expect(panel.get_by_label("Due date")).to_have_attribute("aria-invalid", "true")
    assert api.get(f"/items/{item}").json()["class_of_service"] == "standard"

    panel.get_by_label("Due date").fill("2027-04-20")
    panel.get_by_role("button", name="Save").click()
    expect(card(page, item).locator(".meta .cos")).to_have_text("Fixed date")
    expect(panel.get_by_label("Due date")).not_to_have_attribute("aria-invalid", "true")
    assert api.get(f"/items/{item}").json()["class_of_service"] == "fixed_date"
    assert browser_log.bad_responses == [f"422 PATCH /api/v1/items/{item}"]
    assert browser_log.problems() == []


def test_type_size_and_external_reference_are_edited(page, sign_in, api, demo_boards, browser_log):
    board = demo_boards["Sales"]
    created = api.post(f"/boards/{board}/items", json={"title": "Harbor Freight — pilot"})
    assert created.status_code == 201, created.text
    item = created.json()["item"]["id"]
    page.goto(f"/boards/{board}")
    sign_in(page, "bob")
    expect(card(page, item)).to_be_visible()

    panel = open_details(page, item)
    panel.get_by_label("Size").fill("many")
    panel.get_by_role("button", name="Save").click()
    expect(panel.get_by_label("Size")).to_have_attribute("aria-invalid", "true")

    panel.get_by_label("Type").select_option(label="Deal")
    panel.get_by_label("Size").fill("8")
    panel.get_by_label("External reference").fill("CRM-4711")
    panel.get_by_role("button", name="Save").click()

    expect(panel.locator(".history li").first.locator(".what")).to_contain_text("type")
    expect(panel.locator(".facts")).to_contain_text("CRM-4711")
    expect(card(page, item).locator(".meta")).to_contain_text("Deal")
    saved = api.get(f"/items/{item}").raise_for_status().json()
    assert (saved["work_type_name"], saved["size"], saved["external_ref"]) == ("Deal", 8, "CRM-4711")
    assert browser_log.bad_responses == [f"422 PATCH /api/v1/items/{item}"]
    assert browser_log.problems() == []
