"""The flow and forecast pages in a real browser, on the demo Marketing and Sales boards:
every chart is drawn with its data, hovering shows a value, dragging zooms, each chart
downloads as PNG and as SVG, and nothing goes wrong in the console. Screenshots of each
page go to test-artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest

from pullplan.demo import DEMO_PASSWORD

expect = pytest.importorskip(
    "playwright.sync_api", reason="the Python package playwright is not installed (pip install -e '.[test]')"
).expect

FLOW_CHARTS = ["cumulative-flow", "cycle-time", "throughput", "aging-wip"]
# Where a chart draws its data: markers and bars are .point, lines .js-line, areas .js-fill.
DATA_MARKS = ".scatterlayer .point, .scatterlayer .js-line, .scatterlayer .js-fill, .barlayer .point"
PNG = b"\x89PNG\r\n\x1a\n"


def open_page(page, sign_in, path: str) -> None:
    page.goto(path)
    sign_in(page, "carol", DEMO_PASSWORD)  # a viewer sees every chart
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def chart(page, figure_id: str):
    return page.locator(f"#{figure_id} .chart")


def expect_drawn(page, figure_id: str) -> None:
    drawn = chart(page, figure_id)
    expect(drawn.locator("svg.main-svg").first).to_be_visible()
    assert drawn.locator(DATA_MARKS).count() > 0, f"{figure_id} has no data on it"


def hover_text(page, figure_id: str, mark: str) -> str:
    """Move the mouse onto the middle one of the chart's `mark`s and return the hover label
    it shows."""
    marks = chart(page, figure_id).locator(mark)
    target = marks.nth(marks.count() // 2)
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    assert box, f"{figure_id}: {mark} is not on the screen"
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    # One label per point, or one for every line at a date ("x unified" hover).
    label = chart(page, figure_id).locator(".hoverlayer .hovertext, .hoverlayer .legend").first
    expect(label).to_be_visible()
    return label.text_content()


def download(page, figure_id: str, fmt: str):
    figure = page.locator(f"#{figure_id}")
    with page.expect_download() as info:
        figure.get_by_role("button", name=f"Download {fmt.upper()}").click()
    d = info.value
    assert d.suggested_filename == f"{figure_id}.{fmt}"
    return d.path().read_bytes()


@pytest.mark.parametrize("board", ["Marketing", "Sales"])
def test_the_flow_page_draws_every_chart_with_hover_zoom_and_export(
    page, sign_in, demo_boards, browser_log, screenshot, board
):
    open_page(page, sign_in, f"/boards/{demo_boards[board]}/flow")

    expect(page.get_by_role("heading", name=f"Flow of {board}")).to_be_visible()
    for figure_id in FLOW_CHARTS:
        expect_drawn(page, figure_id)
    metrics = page.get_by_role("region", name="Flow metrics")
    expect(metrics).to_contain_text("WIP now")
    expect(metrics).to_contain_text(re.compile(r"85%: \d+"))
    expect(page.get_by_role("heading", name="Little's law, as a check")).to_be_visible()
    expect(page.locator(".assumptions li")).to_have_count(4)
    screenshot(page, f"flow-{board.lower()}")
    page.locator("#throughput").scroll_into_view_if_needed()
    screenshot(page, f"flow-{board.lower()}-throughput-aging")
    page.locator("#littles-law-title").scroll_into_view_if_needed()
    screenshot(page, f"flow-{board.lower()}-littles-law")

    assert re.search(r"#\d+: \d+ days", hover_text(page, "cycle-time", ".scatterlayer .point"))
    assert re.search(r"#\d+ in .+: \d+ days old", hover_text(page, "aging-wip", ".scatterlayer .point"))

    # Dragging across the cycle-time scatter zooms into the dates dragged over.
    scatter = chart(page, "cycle-time")
    scatter.scroll_into_view_if_needed()
    before = scatter.evaluate("el => el._fullLayout.xaxis.range.slice()")
    area = scatter.locator(".nsewdrag").first.bounding_box()
    y = area["y"] + area["height"] * 0.1
    page.mouse.move(area["x"] + area["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] * 0.6, y + 150, steps=10)
    page.mouse.up()
    page.wait_for_function(
        "([el, a]) => el._fullLayout.xaxis.range[0] !== a", arg=[scatter.element_handle(), before[0]]
    )
    after = scatter.evaluate("el => el._fullLayout.xaxis.range.slice()")
    assert after[0] > before[0] and after[1] < before[1]

    assert download(page, "cumulative-flow", "png").startswith(PNG)
    svg = download(page, "cycle-time", "svg")
    assert svg.lstrip().startswith(b"<svg") and b"</svg>" in svg

    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_flow_filters_and_working_days_are_kept_in_the_address(page, sign_in, demo_boards, browser_log):
    path = f"/boards/{demo_boards['Sales']}/flow"
    open_page(page, sign_in, path)

    page.get_by_label("Class of service").select_option("standard")
    page.get_by_label("Working days (Mon–Fri)").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()

    expect(page).to_have_url(re.compile(r"class_of_service=standard.*working_days=true"))
    expect(page.get_by_label("Class of service")).to_have_value("standard")
    expect(page.get_by_role("region", name="Flow metrics")).to_contain_text("Cycle time (working days")
    expect_drawn(page, "cycle-time")
    assert "working days" in hover_text(page, "cycle-time", ".scatterlayer .point")
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_the_forecast_page_of_a_sales_board(page, sign_in, demo_boards, browser_log, screenshot):
    open_page(page, sign_in, f"/boards/{demo_boards['Sales']}/forecast?target=250000")

    for figure_id in ("how-many", "when", "revenue-fan", "calibration"):
        expect_drawn(page, figure_id)
    expect(page.locator("[data-readings=how-many] li").nth(2)).to_have_text(
        re.compile(r"^85% chance of at least \d+ items by \d{4}-\d\d-\d\d$")
    )
    expect(page.locator("[data-readings=when] li").nth(2)).to_have_text(
        re.compile(r"^85% chance by \d{4}-\d\d-\d\d \(\d+ days\)$")
    )
    expect(page.locator("[data-metric=target-probability]")).to_have_text(
        re.compile(r"^\d+% chance of winning at least 250,000 by \d{4}-\d\d-\d\d\.$")
    )
    expect(page.locator("[data-metric=comparison]")).to_contain_text("weighted pipeline")
    past = page.locator("[data-metric=revenue-verdict]")
    expect(past).to_contain_text(re.compile(r"How this forecast did on past dates, 30 days ahead: came true"))
    # The calibration plot shows the item forecasts and the revenue forecast.
    legend = chart(page, "calibration").locator(".legendtext")
    expect(legend.filter(has_text="how many")).to_have_count(1)
    expect(legend.filter(has_text="revenue")).to_have_count(1)
    verdicts = page.locator("[data-readings=calibration] li")
    expect(verdicts).to_have_count(3)
    expect(verdicts.nth(2)).to_have_text(re.compile(r"^revenue, 30 days ahead: came true (less|more|about)"))
    screenshot(page, "forecast-sales")
    page.locator("#revenue-title").scroll_into_view_if_needed()
    screenshot(page, "forecast-sales-revenue")
    page.locator("#calibration-title").scroll_into_view_if_needed()
    screenshot(page, "forecast-sales-calibration")
    page.locator("#revenue-fan").scroll_into_view_if_needed()
    screenshot(page, "forecast-sales-revenue-fan")

    assert re.search(r"exactly \d+ items: [\d.]+%", hover_text(page, "how-many", ".barlayer .point"))
    assert "came true" in hover_text(page, "calibration", ".scatterlayer .point")
    assert "won by" in hover_text(page, "revenue-fan", ".nsewdrag")

    for figure_id in ("how-many", "when", "revenue-fan", "calibration"):
        assert download(page, figure_id, "png").startswith(PNG)
        assert download(page, figure_id, "svg").lstrip().startswith(b"<svg")

    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_the_forecast_page_of_a_marketing_board_answers_its_questions(
    page, sign_in, demo_boards, browser_log, screenshot
):
    path = f"/boards/{demo_boards['Marketing']}/forecast"
    open_page(page, sign_in, path)

    expect(page.get_by_role("heading", name="Will we make our numbers?")).to_have_count(0)  # no deals
    page.get_by_label("Items to finish (when)").fill("25")
    with page.expect_navigation():
        page.get_by_role("button", name="Forecast", exact=True).click()

    expect(page.get_by_role("heading", name="When will 25 items be done?")).to_be_visible()
    for figure_id in ("how-many", "when", "calibration"):
        expect_drawn(page, figure_id)
    assert re.search(r"done on \d{4}-\d\d-\d\d: [\d.]+%", hover_text(page, "when", ".barlayer .point"))
    screenshot(page, "forecast-marketing")
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_the_board_page_links_to_its_flow_and_forecast(page, sign_in, demo_boards):
    board = f"/boards/{demo_boards['Marketing']}"
    open_page(page, sign_in, board)

    with page.expect_navigation():
        page.locator("header.top").get_by_role("link", name="Flow").click()
    expect(page).to_have_url(re.compile(re.escape(board) + "/flow$"))
    with page.expect_navigation():
        page.locator("header.top").get_by_role("link", name="Forecast").click()
    expect(page).to_have_url(re.compile(re.escape(board) + "/forecast$"))
    current = page.locator("header.top").get_by_role("link", name="Forecast")
    expect(current).to_have_attribute("aria-current", "page")


@pytest.mark.parametrize("tab", ["flow", "forecast"])
def test_the_pages_fit_a_narrow_screen(page, sign_in, demo_boards, browser_log, screenshot, tab):
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, sign_in, f"/boards/{demo_boards['Sales']}/{tab}")

    charts = page.locator(".chart")
    expect(charts.first.locator("svg.main-svg").first).to_be_visible()
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, f"chart {i} is wider than the screen"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, f"{tab}-sales-narrow")
    assert browser_log.problems() == [] and browser_log.bad_responses == []


def test_the_home_page_links_each_board_to_its_flow_and_forecast(page, sign_in, demo_boards):
    page.goto("/")
    sign_in(page, "carol", DEMO_PASSWORD)

    sales = page.locator(".boards li").filter(has=page.get_by_role("link", name="Sales", exact=True))
    with page.expect_navigation():
        sales.get_by_role("link", name="forecast").click()
    expect(page).to_have_url(re.compile(rf"/boards/{demo_boards['Sales']}/forecast$"))
    expect(page.get_by_role("heading", name="Will we make our numbers?")).to_be_visible()


def test_a_board_without_history_says_so_instead_of_failing(page, sign_in, small_board, browser_log):
    small_board.add("Spring webinar")  # an option, never committed
    open_page(page, sign_in, f"{small_board.path}/flow")

    expect(page.locator("[data-metric=throughput]")).to_have_text("0")
    expect(page.locator("[data-metric=cycle-time]")).to_contain_text("50%: –")
    expect(chart(page, "cycle-time").locator("svg.main-svg").first).to_be_visible()
    expect(page.get_by_text("No pull went past a WIP limit in this window.")).to_be_visible()

    page.goto(f"{small_board.path}/forecast")
    alerts = page.get_by_role("alert")
    expect(alerts.filter(has_text="no item was finished")).to_have_count(2)  # how many, and when
    expect(chart(page, "calibration").locator("svg.main-svg").first).to_be_visible()
    assert browser_log.problems() == [] and browser_log.bad_responses == []
