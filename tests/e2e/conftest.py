"""Real-browser fixtures: the server started as a subprocess on the demo workspace, and
Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: it launches the Chromium at /usr/bin/chromium
(or PULLPLAN_TEST_CHROMIUM). When that browser cannot start the tests are skipped, except
under CI (CI=true), where they fail: CI must prove the pages work in a real browser.

Fixtures: `live_server` (its `url(path)`), `browser` (per session), `page` (a fresh context
per test, with `base_url` set, so `page.goto("/boards/1")` works), `browser_log` (the
dialogs, console and script errors, and HTTP error answers of the test's page),
`sign_in(page, username, password)`, `screenshot(page, name)` (into
test-artifacts/screenshots/), `api` (an httpx client on /api/v1 with alice's manager token
for the demo workspace) and `demo_boards` (board name -> id).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from pullplan.demo import DEMO_PASSWORD, DEMO_WORKSPACE

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:
    if os.environ.get("CI") == "true":
        raise  # the test extra must be installed in CI; fail the run rather than skip
    sync_playwright = None

CHROMIUM = os.environ.get("PULLPLAN_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
START_TIMEOUT_S = 60
ACTION_TIMEOUT_MS = 10_000

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
# Each pytest-xdist worker starts its own server, with its own log.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
SERVER_LOG = ARTIFACTS / (f"e2e-server-{_WORKER}.log" if _WORKER else "e2e-server.log")


# --- the server -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    database_url: str
    admin_password: str | None  # printed once by a fresh server, read from its log

    def url(self, path: str = "/") -> str:
        return self.base_url + path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pullplan_command() -> list[str]:
    script = Path(sys.executable).with_name("pullplan")  # the console script beside this Python
    if script.exists():
        return [str(script)]
    found = shutil.which("pullplan")
    if found:
        return [found]
    return [sys.executable, "-c", "from pullplan.cli import main; main()"]


def _wait_until_up(process: subprocess.Popen, base_url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    problem = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"pullplan serve exited with code {process.returncode} before answering:\n"
                + SERVER_LOG.read_text(errors="replace"),
                pytrace=False,
            )
        try:
            if httpx.get(base_url + "/login", timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError as e:
            problem = repr(e)
        time.sleep(0.1)
    pytest.fail(
        f"pullplan serve did not answer at {base_url} within {START_TIMEOUT_S} s ({problem}):\n"
        + SERVER_LOG.read_text(errors="replace"),
        pytrace=False,
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """`pullplan serve` on a free port of 127.0.0.1, on a new SQLite file with the demo
    workspace. Its output goes to test-artifacts/e2e-server.log."""
    data_dir = tmp_path_factory.mktemp("e2e-server")
    database_url = f"sqlite:///{data_dir / 'pullplan.sqlite3'}"
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PULLPLAN_DATA_DIR": str(data_dir),
        "PULLPLAN_DATABASE_URL": database_url,
        "PULLPLAN_DEMO": "true",
        "PYTHONUNBUFFERED": "1",
    }
    command = [*_pullplan_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    ARTIFACTS.mkdir(exist_ok=True)
    with SERVER_LOG.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        _wait_until_up(process, base_url)
        admin = re.search(r"'admin' with the password\s+(\S+)", SERVER_LOG.read_text(errors="replace"))
        yield LiveServer(base_url, database_url, admin.group(1) if admin else None)
    finally:
        _stop(process)


# --- the browser ------------------------------------------------------------------------------


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"The browser tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, for the whole session."""
    if sync_playwright is None:
        _unavailable("the Python package playwright is not installed (pip install -e '.[test]')")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set PULLPLAN_TEST_CHROMIUM)")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
    except Exception as e:  # noqa: BLE001 - whatever stops the launch, report it
        playwright.stop()
        _unavailable(f"Chromium at {CHROMIUM} did not start: {str(e).strip().splitlines()[0]}")
    yield chromium
    chromium.close()
    playwright.stop()


@dataclass
class BrowserLog:
    """What a page said besides its content: dialogs (each dismissed), console errors,
    uncaught script errors and answers with an HTTP error status."""

    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Everything above but the expected: a test that expects an error status looks at
        bad_responses itself."""
        return self.dialogs + self.console_errors + self.page_errors

    def watch(self, page: Page) -> None:
        def on_dialog(dialog) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        def on_console(message) -> None:
            # An error status is logged as "Failed to load resource"; bad_responses has it.
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                self.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

        def on_response(response) -> None:
            path = urlsplit(response.url).path
            if response.status >= 400:
                self.bad_responses.append(f"{response.status} {response.request.method} {path}")

        page.on("dialog", on_dialog)
        page.on("console", on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("response", on_response)


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Note a failed test, for the `page` fixture's screenshot."""
    report = yield
    if report.failed:
        item.stash[_FAILED] = True
    return report


@pytest.fixture
def page(browser, live_server, browser_log, request) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies) at 1280x800. A failed test leaves a
    screenshot, failed-<test>.png, in the screenshots folder."""
    context = browser.new_context(base_url=live_server.base_url, viewport=VIEWPORT)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    browser_log.watch(page)
    failed_shot = SCREENSHOTS / f"failed-{re.sub(r'[^A-Za-z0-9_.-]+', '_', request.node.name)}.png"
    failed_shot.unlink(missing_ok=True)  # from an earlier run
    yield page
    if request.node.stash.get(_FAILED, False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=failed_shot)
    context.close()


def _sign_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Fill and send the sign-in form: the one the page shows (keeping its `next`), or /login."""
    if not page.url.split("?")[0].endswith("/login"):
        page.goto("/login")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def sign_in() -> Callable[..., None]:
    """sign_in(page, username, password=DEMO_PASSWORD): sign in through the /login form."""
    return _sign_in


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """screenshot(page, name): the viewport as test-artifacts/screenshots/<name>.png."""

    def take(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=path)
        return path

    return take


# --- the API, to set up data as a user would --------------------------------------------------


@pytest.fixture(scope="session")
def demo_workspace_id(live_server) -> int:
    with _session_client(live_server, "alice") as client:
        workspaces = client.get("/api/v1/workspaces").raise_for_status().json()
    return next(w["id"] for w in workspaces if w["name"] == DEMO_WORKSPACE)


@pytest.fixture(scope="session")
def api(live_server, demo_workspace_id) -> Iterator[httpx.Client]:
    """An httpx client on /api/v1 with a manager API token of alice's for the demo workspace,
    created as a script's author would: signed in, with the page's CSRF token."""
    with _session_client(live_server, "alice") as client:
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/").text)
        assert csrf, "the signed-in home page has no csrf-token meta tag"
        created = client.post(
            f"/api/v1/workspaces/{demo_workspace_id}/tokens",
            json={"name": "e2e tests", "role": "manager"},
            headers={"X-CSRF-Token": csrf.group(1)},
        )
        assert created.status_code == 201, created.text
    token = created.json()["token"]
    with httpx.Client(
        base_url=live_server.url("/api/v1"),
        headers={"Authorization": f"Bearer {token}"},
        trust_env=False,
        timeout=10,
    ) as client:
        yield client


@pytest.fixture(scope="session")
def demo_boards(api, demo_workspace_id) -> dict[str, int]:
    """The demo workspace's boards by name: {"Marketing": id, "Sales": id}."""
    boards = api.get(f"/workspaces/{demo_workspace_id}/boards").raise_for_status().json()
    return {b["name"]: b["id"] for b in boards}


@contextmanager
def _session_client(
    live_server: LiveServer, username: str, password: str = DEMO_PASSWORD
) -> Iterator[httpx.Client]:
    """An httpx client signed in through the /login form (a session cookie)."""
    with httpx.Client(base_url=live_server.base_url, trust_env=False, timeout=10) as client:
        signed = client.post("/login", data={"username": username, "password": password, "next": "/"})
        if signed.status_code != 303:
            pytest.fail(f"signing {username} in with httpx answered {signed.status_code}: {signed.text}")
        yield client


# --- a small board of its own, for tests that change items -----------------------------------

STAGES = [
    {"name": "Ideas", "kind": "option"},
    {"name": "Doing", "kind": "committed", "wip_limit": 1, "wip_mode": "block"},
    {"name": "Review", "kind": "committed", "wip_limit": 1, "wip_mode": "reason"},
    {"name": "Done", "kind": "done"},
]


class SmallBoard:
    """A fresh board made through the API, with its stage ids by name."""

    def __init__(self, api, workspace_id: int, stages: list[dict] = STAGES) -> None:
        self.api = api
        created = api.post(
            f"/workspaces/{workspace_id}/boards",
            json={"name": f"Pull test {uuid.uuid4().hex[:8]}", "stages": stages},
        )
        assert created.status_code == 201, created.text
        self.id = created.json()["id"]
        self.stage = {s["name"]: s["id"] for s in created.json()["stages"]}

    def add(self, title: str, stage: str = "Ideas") -> int:
        created = self.api.post(
            f"/boards/{self.id}/items", json={"title": title, "stage_id": self.stage[stage]}
        )
        assert created.status_code == 201, created.text
        return created.json()["item"]["id"]

    def stage_of(self, item_id: int) -> int:
        return self.api.get(f"/items/{item_id}").raise_for_status().json()["stage_id"]

    @property
    def path(self) -> str:
        return f"/boards/{self.id}"


@pytest.fixture
def small_board(api, demo_workspace_id) -> SmallBoard:
    return SmallBoard(api, demo_workspace_id)
