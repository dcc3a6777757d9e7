"""Benchmark of the board page: its server render, and a drag-and-drop pull in Chromium.
Not a test: it prints figures.

It seeds a SQLite file with the board of bench/pull_bench.py (N open items: 85 % in the
option stage Backlog, 15 % in the committed stages Doing A and Doing B, whose WIP limits,
2 N in block mode, allow every move; plus 0.3 N done and 0.2 N archived items), adds a
member with a password, starts the real server as a subprocess (`pullplan serve --no-demo`
on 127.0.0.1 and a free port) and measures:

* server render: GET /boards/{id} (the HTML page) with the member's session cookie (signed
  in by POST /login) over a keep-alive httpx client, p50/p95 after warm-up, the page size;
  and, in-process against the same database, the reads the page handler makes
  (`read_board`, `board_lrm`), to tell the database and Python work from the template;
* drop to updated page: Debian's Chromium (/usr/bin/chromium, never a downloaded browser)
  driven by Playwright signs in through /login, opens the board, then drags the first card
  of Doing A onto Doing B, then the first card of Doing B onto Doing A, and so on. The time
  is taken in the page with performance.now(): from the `drop` event (a capturing listener
  on the document, so it runs before the board's own) to the moment a MutationObserver sees
  the card in the target column and both counts updated; also to the next animation frame
  (the update painted), and the move request's own time from the Resource Timing entry.
  Time around Playwright's drag_to (mouse moves included) is reported too. After the drops
  the bench checks that untouched DOM nodes (a card, the board) are the same objects as
  before, i.e. that the page did not re-render the board or reload.

    python bench/board_page_bench.py [--cards 2000] [--drops 20] [--renders 20] [--markdown]

Loopback only; every loop is bounded by a count and the whole run by a deadline; the
temporary database and the server are removed at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import httpx

from pullplan.services import accounts, lrm
from pullplan.services import boards as board_service
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.web import app as _app  # noqa: F401 - registers every page's template helpers
from pullplan.web.ui.pages import board_context
from pullplan.web.ui.render import templates

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pull_bench import (  # noqa: E402 - the sibling bench: its seeding, server and output
    fmt,
    load_average,
    machine,
    percentile,
    render,
    seed,
    server,
    sqlite_database,
)

CHROMIUM = os.environ.get("PULLPLAN_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [  # as tests/e2e/conftest.py
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
USERNAME = "benchmember"
PASSWORD = "bench-board-page-Pw-2026"
WARMUP_RENDERS = 3
WARMUP_DROPS = 2
ACTION_TIMEOUT_MS = 15_000
DEADLINE_S = 600  # the whole run
TARGET_RENDER_MS = 200.0
TARGET_DROP_MS = 300.0

# Installed in the page before each drop: records the drop, then the first moment the card
# is in the target column with both counts as expected, then the next animation frame.
ARM_JS = """
([itemId, fromId, toId, fromCount, toCount]) => {
  const board = document.querySelector('.board[data-board-id]');
  const target = board.querySelector(`.stage[data-stage-id="${toId}"]`);
  const source = board.querySelector(`.stage[data-stage-id="${fromId}"]`);
  const n = (stage) => Number(stage.querySelector('.count .n').textContent);
  const b = window.__bench = {dropAt: null, doneAt: null, paintAt: null, itemId};
  const done = () => {
    const card = board.querySelector(`li.card[data-item-id="${itemId}"]`);
    return card && card.closest('.stage') === target && n(target) === toCount && n(source) === fromCount;
  };
  const onDrop = () => { if (b.dropAt === null) b.dropAt = performance.now(); };
  document.addEventListener('drop', onDrop, {capture: true, once: true});
  const observer = new MutationObserver(() => {
    if (b.doneAt === null && done()) {
      b.doneAt = performance.now();
      observer.disconnect();
      requestAnimationFrame(() => { b.paintAt = performance.now(); });
    }
  });
  observer.observe(board, {childList: true, subtree: true, characterData: true});
  performance.clearResourceTimings();
}
"""

READ_JS = """
() => {
  const b = window.__bench;
  const entry = performance.getEntriesByType('resource')
    .find((e) => e.name.endsWith(`/api/v1/items/${b.itemId}/move`));
  return {
    dropAt: b.dropAt, doneAt: b.doneAt, paintAt: b.paintAt,
    fetchStart: entry ? entry.startTime : null,
    responseEnd: entry ? entry.responseEnd : null,
  };
}
"""

TAG_JS = """
() => {
  const board = document.querySelector('.board[data-board-id]');
  const cards = board.querySelectorAll('li.card');
  const untouched = cards[cards.length - 1];  // the last card of the last open stage shown
  board.__benchTag = 'board';
  untouched.__benchTag = 'card';
  window.__benchPage = true;
  return {cards: cards.length, untouched: untouched.dataset.itemId};
}
"""

CHECK_JS = """
(untouchedId) => {
  const board = document.querySelector('.board[data-board-id]');
  const card = board.querySelector(`li.card[data-item-id="${untouchedId}"]`);
  return {
    samePage: window.__benchPage === true,
    sameBoard: board.__benchTag === 'board',
    sameCard: !!card && card.__benchTag === 'card',
    cards: board.querySelectorAll('li.card').length,
  };
}
"""


@dataclass
class RenderResult:
    http_ms: list[float] = field(default_factory=list)
    read_board_ms: list[float] = field(default_factory=list)
    lrm_ms: list[float] = field(default_factory=list)
    template_ms: list[float] = field(default_factory=list)
    page_bytes: int = 0
    cards_in_page: int = 0
    errors: int = 0


@dataclass
class DropResult:
    drop_to_dom_ms: list[float] = field(default_factory=list)
    drop_to_paint_ms: list[float] = field(default_factory=list)
    request_ms: list[float] = field(default_factory=list)  # the move request (Resource Timing)
    before_request_ms: list[float] = field(default_factory=list)  # drop -> fetch started
    after_response_ms: list[float] = field(default_factory=list)  # response end -> DOM updated
    drag_wall_ms: list[float] = field(default_factory=list)  # drag_to + wait, from Python
    page_load_ms: float = float("nan")
    errors: list[str] = field(default_factory=list)
    cards_before: int = 0
    cards_after: int = 0
    same_page: bool = False
    same_board: bool = False
    same_card: bool = False
    skipped: str | None = None


# --- the board and its member -----------------------------------------------------------------


def add_member(db: Database, board_id: int) -> None:
    workspace_id = board_service.read_board(db, board_id).workspace_id
    user = accounts.create_user(db, username=USERNAME, display_name="Bench Member", password=PASSWORD)
    accounts.set_role(db, workspace_id=workspace_id, user_id=user.id, role="member")


def sign_in(http: httpx.Client) -> None:
    r = http.post("/login", data={"username": USERNAME, "password": PASSWORD, "next": "/"})
    if r.status_code != 303:
        raise RuntimeError(f"signing in answered {r.status_code}: {r.text[:300]}")


# --- server render ----------------------------------------------------------------------------


def page_request(db: Database) -> SimpleNamespace:
    """What the template's helpers read of a request: its per-request state and the app's
    database (they cache their reads on the request, as on a served page)."""
    return SimpleNamespace(state=SimpleNamespace(), app=SimpleNamespace(state=SimpleNamespace(db=db)))


def measure_render(base: str, db: Database, board_id: int, renders: int, deadline: float) -> RenderResult:
    result = RenderResult()
    with httpx.Client(base_url=base, trust_env=False, timeout=60) as http:
        sign_in(http)
        for i in range(WARMUP_RENDERS + renders):
            if time.monotonic() > deadline:
                break
            t0 = time.perf_counter()
            r = http.get(f"/boards/{board_id}")
            ms = (time.perf_counter() - t0) * 1000
            if r.status_code != 200:
                result.errors += 1
                continue
            if i >= WARMUP_RENDERS:
                result.http_ms.append(ms)
            result.page_bytes = len(r.content)
            result.cards_in_page = len(re.findall(r'<li class="card ', r.text))
    # What the page handler does, in this process against the same database, part by part:
    # its reads, then the template with the context the handler builds (no HTTP, no session).
    template = templates.env.get_template("board.html")
    for i in range(WARMUP_RENDERS + renders):
        if time.monotonic() > deadline:
            break
        t0 = time.perf_counter()
        last_transition = board_service.last_transition_id(db, board_id)
        view = board_service.read_board(db, board_id)
        t1 = time.perf_counter()
        model = lrm.board_model(db, board_id)
        lrm_by_item = {r.item.id: r for r in lrm.board_lrm(db, board_id=board_id, model=model)}
        aging = model[0].board_lead_time(85)
        t2 = time.perf_counter()
        context = board_context(
            db,
            view,
            lrm_by_item=lrm_by_item,
            aging_days=aging.days if aging else None,
            last_transition=last_transition,
            can_move=True,
        )
        template.render(request=page_request(db), principal=None, csrf_token="", **context)
        t3 = time.perf_counter()
        if i >= WARMUP_RENDERS:
            result.read_board_ms.append((t1 - t0) * 1000)
            result.lrm_ms.append((t2 - t1) * 1000)
            result.template_ms.append((t3 - t2) * 1000)
    return result


# --- drop to updated page ---------------------------------------------------------------------


def measure_drops(
    base: str, board_id: int, stages: tuple[int, int], drops: int, deadline: float
) -> DropResult:
    result = DropResult()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        result.skipped = "playwright is not installed (pip install -e '.[test]')"
        return result
    if not os.access(CHROMIUM, os.X_OK):
        result.skipped = f"no Chromium at {CHROMIUM}"
        return result
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            context = browser.new_context(base_url=base, viewport=VIEWPORT)
            context.set_default_timeout(ACTION_TIMEOUT_MS)
            page = context.new_page()
            page.on("pageerror", lambda e: result.errors.append(f"script error: {e}"))
            page.goto("/login")
            page.get_by_label("Username", exact=True).fill(USERNAME)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            with page.expect_navigation():
                page.get_by_role("button", name="Sign in").click()
            t0 = time.perf_counter()
            page.goto(f"/boards/{board_id}", wait_until="load")
            result.page_load_ms = (time.perf_counter() - t0) * 1000
            page.wait_for_selector(".board[data-can-move]")
            tagged = page.evaluate(TAG_JS)
            result.cards_before = tagged["cards"]

            def stage(stage_id: int):
                return page.locator(f'.stage[data-stage-id="{stage_id}"]')

            def count(stage_id: int) -> int:
                return int(stage(stage_id).locator(".count .n").inner_text())

            a, b = stages
            for i in range(WARMUP_DROPS + drops):
                if time.monotonic() > deadline:
                    result.errors.append("stopped by the deadline")
                    break
                src, dst = (a, b) if i % 2 == 0 else (b, a)
                card = stage(src).locator("li.card").first
                item_id = card.get_attribute("data-item-id")
                from_count, to_count = count(src) - 1, count(dst) + 1
                page.evaluate(ARM_JS, [int(item_id), src, dst, from_count, to_count])
                t0 = time.perf_counter()
                try:
                    card.drag_to(stage(dst).locator("header"))
                    page.wait_for_function("() => window.__bench.paintAt !== null", timeout=ACTION_TIMEOUT_MS)
                except Exception as e:  # noqa: BLE001 - a failed drop is counted, the run goes on
                    result.errors.append(f"drop {i}: {str(e).splitlines()[0]}")
                    continue
                wall = (time.perf_counter() - t0) * 1000
                t = page.evaluate(READ_JS)
                if i < WARMUP_DROPS:
                    continue
                if t["dropAt"] is None:
                    result.errors.append(f"drop {i}: no drop event seen")
                    continue
                result.drag_wall_ms.append(wall)
                result.drop_to_dom_ms.append(t["doneAt"] - t["dropAt"])
                result.drop_to_paint_ms.append(t["paintAt"] - t["dropAt"])
                if t["fetchStart"] is not None:
                    result.request_ms.append(t["responseEnd"] - t["fetchStart"])
                    result.before_request_ms.append(t["fetchStart"] - t["dropAt"])
                    result.after_response_ms.append(t["doneAt"] - t["responseEnd"])
            checked = page.evaluate(CHECK_JS, tagged["untouched"])
            result.same_page = checked["samePage"]
            result.same_board = checked["sameBoard"]
            result.same_card = checked["sameCard"]
            result.cards_after = checked["cards"]
            context.close()
        finally:
            browser.close()
    return result


# --- output -----------------------------------------------------------------------------------


def row(name: str, values: list[float], digits: int = 1) -> list[str]:
    return [
        name,
        str(len(values)),
        fmt(percentile(values, 50), digits),
        fmt(percentile(values, 95), digits),
        fmt(max(values) if values else float("nan"), digits),
    ]


def verdict(name: str, p95: float, target: float) -> str:
    if p95 != p95:
        return f"{name}: not measured (target < {target:.0f} ms)"
    met = "met" if p95 < target else f"MISSED by {p95 - target:.0f} ms ({p95 / target:.1f}x)"
    return f"{name} p95: {p95:.0f} ms (target < {target:.0f} ms): {met}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=2000, help="open items on the board")
    parser.add_argument("--drops", type=int, default=20, help="timed drops (after 2 warm-up drops)")
    parser.add_argument("--renders", type=int, default=20, help="timed page renders (after 3 warm-up)")
    parser.add_argument("--markdown", action="store_true", help="print the tables in Markdown")
    args = parser.parse_args(argv)
    if args.cards < 100 or args.drops < 1 or args.renders < 1:
        parser.error("--cards must be at least 100, --drops and --renders at least 1")
    deadline = time.monotonic() + DEADLINE_S

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log(f"machine: {machine()}; load average {load_average()}")
    with sqlite_database() as url:
        db = Database(url)
        try:
            upgrade(db)
            seeded = seed(db, args.cards, 1, random.Random(args.cards))
            add_member(db, seeded.board_id)
            log(
                f"seeded {args.cards} open items (+{args.cards * 30 // 100} done, "
                f"{args.cards * 20 // 100} archived) in {seeded.seconds:.1f} s"
            )
            with server(url, f"/api/v1/boards/{seeded.board_id}", seeded.token) as base:
                log(f"server at {base}")
                rendered = measure_render(base, db, seeded.board_id, args.renders, deadline)
                log(f"render: p50 {percentile(rendered.http_ms, 50):.0f} ms over HTTP")
                dropped = measure_drops(
                    base, seeded.board_id, (seeded.doing_a, seeded.doing_b), args.drops, deadline
                )
        finally:
            db.dispose()
    log(f"load average at the end {load_average()}")

    head = ["measure", "n", "p50 ms", "p95 ms", "max ms"]
    sub = "\u21b3 " if args.markdown else "  "  # a part of the row above
    rows = [
        row("GET /boards/{id} (HTTP, signed in)", rendered.http_ms, 0),
        row(f"{sub}in-process: read_board", rendered.read_board_ms, 0),
        row(f"{sub}in-process: board_lrm", rendered.lrm_ms, 0),
        row(f"{sub}in-process: context + template", rendered.template_ms, 0),
    ]
    if dropped.skipped is None:
        rows += [
            row("drop -> card moved, counts updated", dropped.drop_to_dom_ms),
            row("drop -> next frame", dropped.drop_to_paint_ms),
            row(f"{sub}drop -> move request sent", dropped.before_request_ms),
            row(f"{sub}move request (POST .../move)", dropped.request_ms),
            row(f"{sub}response -> DOM updated", dropped.after_response_ms),
            row("drag_to + wait (Python, mouse moves)", dropped.drag_wall_ms),
        ]
    print(render(head, rows, args.markdown))
    print()
    bullet = "- " if args.markdown else ""
    print(
        f"{bullet}Page: {rendered.page_bytes / 1024:,.0f} KiB, {rendered.cards_in_page:,} cards "
        f"({args.cards:,} open items + one page of Done); render errors: {rendered.errors}"
    )
    if dropped.skipped is not None:
        print(f"{bullet}Drops skipped: {dropped.skipped}")
    else:
        print(f"{bullet}Board page load in Chromium (goto, `load`): {fmt(dropped.page_load_ms, 0)} ms")
        rerender = not (dropped.same_page and dropped.same_board and dropped.same_card)
        print(
            f"{bullet}Whole board re-rendered or reloaded: {'YES' if rerender else 'no'} "
            f"(same page {dropped.same_page}, same board node {dropped.same_board}, same untouched card "
            f"node {dropped.same_card}; cards {dropped.cards_before:,} before, {dropped.cards_after:,} after)"
        )
        print(f"{bullet}Drop errors: {len(dropped.errors)}")
        for error in dropped.errors[:5]:
            print(f"    {error}")
    print(f"{bullet}" + verdict("Server render", percentile(rendered.http_ms, 95), TARGET_RENDER_MS))
    print(
        f"{bullet}"
        + verdict("Drop to updated page", percentile(dropped.drop_to_paint_ms, 95), TARGET_DROP_MS)
    )
    failed = rendered.errors or (dropped.skipped is None and (dropped.errors or not dropped.drop_to_dom_ms))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
