"""Lanes and "ready to pull" on the board page in a real browser: lanes drawn as bands across
the stages with their own count against their limit, a drop into a lane cell that pulls into
that stage and lane, moving a card between lanes, and split stages (doing | ready to pull)
whose ready cards signal the next stage. Each test builds its own board."""

from __future__ import annotations

import re
import uuid

import pytest
from test_board_pull import card, open_board, stage

expect = pytest.importorskip(
    "playwright.sync_api", reason="the Python package playwright is not installed (pip install -e '.[test]')"
).expect

STAGES = [
    {"name": "Ideas", "kind": "option"},
    {"name": "Make ready", "kind": "committed", "split": True},
    {"name": "Doing", "kind": "committed", "wip_limit": 5},
    {"name": "Done", "kind": "done"},
]
LANES = [
    {"name": "Expedite", "class_of_service": "expedite", "wip_limit": 1},
    {"name": "Standard", "class_of_service": "standard"},
]


class LaneBoard:
    """A fresh board with lanes made through the API: its stage and lane ids by name."""

    def __init__(self, api, workspace_id: int, stages=STAGES, lanes=LANES) -> None:
        self.api = api
        created = api.post(
            f"/workspaces/{workspace_id}/boards",
            json={"name": f"Pull test {uuid.uuid4().hex[:8]}", "stages": stages, "lanes": lanes},
        )
        assert created.status_code == 201, created.text
        self.id = created.json()["id"]
        self.stage = {s["name"]: s["id"] for s in created.json()["stages"]}
        self.lane = {lane["name"]: lane["id"] for lane in created.json()["lanes"]}

    def add(self, title: str, stage: str = "Ideas", **fields) -> int:
        created = self.api.post(
            f"/boards/{self.id}/items", json={"title": title, "stage_id": self.stage[stage], **fields}
        )
        assert created.status_code == 201, created.text
        return created.json()["item"]["id"]

    def item(self, item_id: int) -> dict:
        return self.api.get(f"/items/{item_id}").raise_for_status().json()

    @property
    def path(self) -> str:
        return f"/boards/{self.id}"


@pytest.fixture
def lane_board(api, demo_workspace_id) -> LaneBoard:
    return LaneBoard(api, demo_workspace_id)


def cell(page, stage_name: str, lane_id: int | str):
    return stage(page, stage_name).locator(f'.lane-cell[data-lane-id="{lane_id}"]')


def lane_head(page, lane_id: int):
    return page.locator(f'.lane-head[data-lane-id="{lane_id}"]')


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None
    return found


# --- lanes ------------------------------------------------------------------------------------


def test_lanes_are_bands_across_the_stages_with_their_own_count(page, sign_in, lane_board, browser_log):
    urgent = lane_board.add("Hot deal", stage="Doing", class_of_service="expedite", due_date="2027-01-15")
    plain = lane_board.add("Newsletter")
    open_board(page, sign_in, lane_board)
    expedite, standard = lane_board.lane["Expedite"], lane_board.lane["Standard"]

    expect(lane_head(page, expedite)).to_contain_text("Expedite")
    expect(lane_head(page, expedite).locator(".count")).to_have_text("1 / 1")
    expect(lane_head(page, expedite)).to_have_class(re.compile(r"\bfull\b"))
    expect(lane_head(page, standard).locator(".count")).to_have_text("0")
    expect(cell(page, "Doing", expedite).locator(f'li.card[data-item-id="{urgent}"]')).to_be_visible()
    expect(cell(page, "Ideas", standard).locator(f'li.card[data-item-id="{plain}"]')).to_be_visible()
    # One band: a lane's cells line up across the stages, below the lane above.
    tops = {round(box(cell(page, name, standard))["y"]) for name in ("Ideas", "Make ready", "Doing", "Done")}
    assert len(tops) == 1, tops
    assert box(cell(page, "Ideas", expedite))["y"] < box(cell(page, "Ideas", standard))["y"]
    # Nothing is in no lane, so that band is not drawn.
    expect(page.locator(".lane-cell.lane-none").first).to_be_hidden()
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_a_board_without_lanes_draws_no_bands(page, sign_in, small_board, browser_log):
    small_board.add("Webinar")
    open_board(page, sign_in, small_board)
    expect(page.locator("li.card")).to_have_count(1)
    expect(page.locator(".lane-head, .lane-cell")).to_have_count(0)
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_a_drop_into_a_lane_cell_pulls_into_that_stage_and_lane(page, sign_in, lane_board, browser_log):
    item = lane_board.add("Partner webinar")
    open_board(page, sign_in, lane_board)
    expedite = lane_board.lane["Expedite"]

    card(page, item).drag_to(cell(page, "Doing", expedite))

    expect(cell(page, "Doing", expedite).locator(f'li.card[data-item-id="{item}"]')).to_be_visible()
    expect(stage(page, "Doing").locator(".stage-top .count")).to_have_text("1 / 5")
    expect(lane_head(page, expedite).locator(".count")).to_have_text("1 / 1")
    expect(lane_head(page, expedite)).to_have_class(re.compile(r"\bfull\b"))
    saved = lane_board.item(item)
    assert (saved["stage_id"], saved["lane_id"]) == (lane_board.stage["Doing"], expedite)
    # The history says where it went, and who moved it.
    card(page, item).locator(".title").click()
    moved = page.get_by_role("dialog").locator(".history li").first
    expect(moved.locator(".what")).to_have_text("Moved from Ideas to Doing, into the Expedite lane")
    expect(moved.locator(".who")).to_have_text("by Bob Nguyen")
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_a_drop_into_a_full_lane_is_refused_and_says_why(page, sign_in, lane_board, browser_log):
    expedite, standard = lane_board.lane["Expedite"], lane_board.lane["Standard"]
    lane_board.add("Hot deal", stage="Doing", class_of_service="expedite", due_date="2027-01-15")
    item = lane_board.add("Case study")
    open_board(page, sign_in, lane_board)

    card(page, item).drag_to(cell(page, "Doing", expedite))

    alert = stage(page, "Doing").get_by_role("alert")
    expect(alert).to_contain_text("\u201cCase study\u201d cannot be pulled into Doing")
    expect(alert).to_contain_text("Expedite lane has 1 of 1")
    expect(cell(page, "Ideas", standard).locator(f'li.card[data-item-id="{item}"]')).to_be_visible()
    expect(lane_head(page, expedite).locator(".count")).to_have_text("1 / 1")
    saved = lane_board.item(item)
    assert (saved["stage_id"], saved["lane_id"]) == (lane_board.stage["Ideas"], standard)
    assert browser_log.bad_responses == [f"409 POST /api/v1/items/{item}/move"]
    assert browser_log.problems() == []


def test_a_card_moves_between_lanes_of_its_stage_by_drag_and_by_keyboard(
    page, sign_in, lane_board, browser_log
):
    expedite, standard = lane_board.lane["Expedite"], lane_board.lane["Standard"]
    item = lane_board.add("Board meeting deck", stage="Doing")
    open_board(page, sign_in, lane_board)
    expect(lane_head(page, standard).locator(".count")).to_have_text("1")

    card(page, item).drag_to(cell(page, "Doing", expedite))

    expect(cell(page, "Doing", expedite).locator(f'li.card[data-item-id="{item}"]')).to_be_visible()
    expect(lane_head(page, expedite).locator(".count")).to_have_text("1 / 1")
    expect(lane_head(page, standard).locator(".count")).to_have_text("0")
    expect(stage(page, "Doing").locator(".stage-top .count")).to_have_text("1 / 5")
    assert lane_board.item(item)["lane_id"] == expedite

    # The keyboard: the "Move to" menu offers the other lanes.
    card(page, item).focus()
    page.keyboard.press("Enter")
    card(page, item).get_by_role("button", name="Standard lane").click()
    expect(cell(page, "Doing", standard).locator(f'li.card[data-item-id="{item}"]')).to_be_focused()
    assert lane_board.item(item)["lane_id"] == standard
    history = lane_board.api.get(f"/items/{item}/transitions").json()
    assert [t["details"]["changes"]["lane_id"] for t in history if t["kind"] == "edited"] == [
        [standard, expedite],
        [expedite, standard],
    ]
    assert browser_log.problems() == [] and browser_log.bad_responses == []


# --- ready to pull ----------------------------------------------------------------------------


def test_a_split_stage_shows_doing_and_ready_and_a_ready_card_signals_the_next_stage(
    page, sign_in, lane_board, browser_log, screenshot
):
    standard = lane_board.lane["Standard"]
    item = lane_board.add("Brief: spring campaign", stage="Make ready")
    other = lane_board.add("Brief: trade show", stage="Make ready")
    open_board(page, sign_in, lane_board)
    make_ready = cell(page, "Make ready", standard)
    doing_part = make_ready.locator('ol[data-part="doing"]')
    ready_part = make_ready.locator('ol[data-part="ready"]')
    signal = stage(page, "Doing").locator(".ready-signal")
    expect(stage(page, "Make ready").locator(".split-heads")).to_contain_text("Doing")
    expect(stage(page, "Make ready").locator(".split-heads")).to_contain_text("Ready to pull 0")
    expect(doing_part.locator("li.card")).to_have_count(2)
    expect(signal).to_be_hidden()

    # A button marks it ready.
    card(page, item).get_by_role("button", name="Mark ready").click()

    expect(ready_part.locator(f'li.card[data-item-id="{item}"]')).to_be_visible()
    expect(card(page, item).get_by_role("button", name="Not ready")).to_have_attribute("aria-pressed", "true")
    expect(stage(page, "Make ready").locator(".split-heads")).to_contain_text("Ready to pull 1")
    expect(signal).to_be_visible()
    expect(signal).to_have_text("1 ready to pull from Make ready")
    assert lane_board.item(item)["ready"] is True
    assert screenshot(page, "board-ready-to-pull").stat().st_size > 0

    # The keyboard: R on a focused card toggles it.
    card(page, other).focus()
    page.keyboard.press("r")
    expect(ready_part.locator(f'li.card[data-item-id="{other}"]')).to_be_focused()
    expect(signal).to_have_text("2 ready to pull from Make ready")
    page.keyboard.press("r")
    expect(doing_part.locator(f'li.card[data-item-id="{other}"]')).to_be_visible()
    assert lane_board.item(other)["ready"] is False

    # A drop on the other part says the same; pulled on, a card is no longer ready.
    card(page, other).drag_to(ready_part)
    expect(ready_part.locator(f'li.card[data-item-id="{other}"]')).to_be_visible()
    assert lane_board.item(other)["ready"] is True
    card(page, item).drag_to(cell(page, "Doing", standard))
    expect(cell(page, "Doing", standard).locator(f'li.card[data-item-id="{item}"]')).to_be_visible()
    expect(card(page, item).locator(".ready-button")).to_have_count(0)
    expect(signal).to_have_text("1 ready to pull from Make ready")
    assert lane_board.item(item)["ready"] is False
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_ready_to_pull_on_a_board_without_lanes(page, sign_in, api, demo_workspace_id, browser_log):
    board = LaneBoard(api, demo_workspace_id, lanes=[])
    item = board.add("Event budget", stage="Make ready")
    open_board(page, sign_in, board)

    card(page, item).get_by_role("button", name="Mark ready").click()

    ready = stage(page, "Make ready").locator('ol[data-part="ready"]')
    expect(ready.locator(f'li.card[data-item-id="{item}"]')).to_be_visible()
    expect(stage(page, "Doing").locator(".ready-signal")).to_have_text("1 ready to pull from Make ready")
    assert board.item(item)["ready"] is True
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_a_pull_into_another_lane_by_someone_else_shows_in_that_band(page, sign_in, lane_board, browser_log):
    expedite = lane_board.lane["Expedite"]
    item = lane_board.add("Renewal call")
    open_board(page, sign_in, lane_board)
    expect(
        cell(page, "Ideas", lane_board.lane["Standard"]).locator(f'li.card[data-item-id="{item}"]')
    ).to_be_visible()

    moved = lane_board.api.post(
        f"/items/{item}/move", json={"to_stage_id": lane_board.stage["Doing"], "to_lane_id": expedite}
    )
    assert moved.status_code == 200, moved.text

    expect(cell(page, "Doing", expedite).locator(f'li.card[data-item-id="{item}"]')).to_be_visible(
        timeout=2_000
    )
    expect(lane_head(page, expedite).locator(".count")).to_have_text("1 / 1")
    expect(stage(page, "Doing").locator(".stage-top .count")).to_have_text("1 / 5")
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_an_item_in_no_lane_shows_in_a_no_lane_band_only_while_there_is_one(
    page, sign_in, lane_board, browser_log
):
    item = lane_board.add("Unsorted request")
    open_board(page, sign_in, lane_board)
    no_lane = page.locator('.lane-head[data-lane-id="none"]')
    expect(no_lane).to_be_hidden()

    taken_out = lane_board.api.patch(f"/items/{item}", json={"lane_id": None})
    assert taken_out.status_code == 200, taken_out.text

    expect(cell(page, "Ideas", "none").locator(f'li.card[data-item-id="{item}"]')).to_be_visible()
    expect(no_lane).to_be_visible()
    expect(no_lane).to_contain_text("No lane")

    # A member drops it back into a lane: the band goes away again.
    card(page, item).drag_to(cell(page, "Ideas", lane_board.lane["Standard"]))
    expect(
        cell(page, "Ideas", lane_board.lane["Standard"]).locator(f'li.card[data-item-id="{item}"]')
    ).to_be_visible()
    expect(no_lane).to_be_hidden()
    assert lane_board.item(item)["lane_id"] == lane_board.lane["Standard"]
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_a_viewer_sees_lanes_and_ready_cards_but_is_offered_no_changes(
    page, sign_in, lane_board, browser_log
):
    item = lane_board.add("Brief: webinar", stage="Make ready")
    lane_board.api.patch(f"/items/{item}", json={"ready": True}).raise_for_status()
    open_board(page, sign_in, lane_board, user="carol")

    expect(lane_head(page, lane_board.lane["Standard"]).locator(".count")).to_have_text("1")
    ready = cell(page, "Make ready", lane_board.lane["Standard"]).locator('ol[data-part="ready"]')
    expect(ready.locator(f'li.card[data-item-id="{item}"]')).to_be_visible()
    expect(stage(page, "Doing").locator(".ready-signal")).to_have_text("1 ready to pull from Make ready")
    expect(page.locator(".ready-button, .move-button, li.card[draggable='true']")).to_have_count(0)
    expect(page.locator("template.owner-options, template.work-type-options")).to_have_count(0)
    card(page, item).focus()
    page.keyboard.press("r")
    expect(ready.locator(f'li.card[data-item-id="{item}"]')).to_be_visible()
    assert lane_board.item(item)["ready"] is True
    assert browser_log.problems() == [] and browser_log.bad_responses == []
