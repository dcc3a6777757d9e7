"""API fixtures: the app on a migrated database, a TestClient, and a team with a board.

The API tests run on a SQLite file. A module that must also run on PostgreSQL overrides
`api_url` with the `database_url` fixture (see test_move.py). Both databases are copies of
one migrated once per session (`sqlite_url` and `postgres_url` are overridden here for that),
which saves the migrations' time in each of some 120 tests.

Every call is signed in: `client` is the instance administrator `admin`, signed in through
the sign-in form, sending the CSRF token of its session with each request. The personas:
alice (manager), bob (member), carol (viewer), dave (no access); each has the password
PASSWORD, so a test can sign any of them in with `sign_in`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import (
    CompoundSelect,
    String,
    Text,
    cast,
    create_engine,
    func,
    literal_column,
    select,
    text,
    union_all,
)
from sqlalchemy.engine import make_url

from pullplan.services import accounts
from pullplan.services import items as item_service
from pullplan.settings import Settings
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.storage.tables import Base
from pullplan.web.app import create_app
from pullplan.web.auth import CSRF_HEADER

API = "/api/v1"

# Option stages first, then committed, then done and discarded: a small marketing board.
STAGES = [
    {"name": "Ideas", "kind": "option"},
    {"name": "Next", "kind": "option", "split": True},
    {"name": "Doing", "kind": "committed", "wip_limit": 3},
    {"name": "Review", "kind": "committed", "wip_limit": 2},
    {"name": "Done", "kind": "done"},
    {"name": "Discarded", "kind": "discarded"},
]
LANES = [
    {"name": "Expedite", "class_of_service": "expedite"},
    {"name": "Standard", "class_of_service": "standard"},
]
ROLES = {"alice": "manager", "bob": "member", "carol": "viewer"}  # dave has no access
PEOPLE = {"alice": "Alice Adams", "bob": "Bob Brown", "carol": "Carol Chen", "dave": "Dave Diaz"}
WORK_TYPES = ["Campaign", "Deal"]
ADMIN = "admin"
PASSWORD = "correct horse battery staple"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashing() -> Iterator[None]:
    """argon2 at its real cost takes about 0.1 s a hash, and each test signs people in and
    creates five users. The same code with the cheapest parameters: a hash still names its
    parameters, so verifying works as in production."""
    real = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    accounts._hasher = real


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file migrated once; each test starts from a copy."""
    path = tmp_path_factory.mktemp("template") / "pullplan.sqlite3"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    database.dispose()
    return path


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template: Path) -> str:
    path = tmp_path / "pullplan.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url: str) -> Iterator[str]:
    """A PostgreSQL database migrated once; each test's database is created from it."""
    name = f"pullplan_api_template_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False))
    upgrade(database)
    database.dispose()
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url(postgres_admin_url: str, postgres_template: str) -> Iterator[str]:
    """A new PostgreSQL database, already migrated, dropped after the test. It does not wait
    for the disk on commit: it is thrown away."""
    name = f"pullplan_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"'))
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def api_url(sqlite_url: str) -> str:
    """The database the API tests run on; override with `database_url` to run on both."""
    return sqlite_url


@pytest.fixture
def api_db(api_url: str) -> Iterator[Database]:
    database = Database(api_url)
    upgrade(database)  # the schema comes from a migrated template: this finds nothing to do
    yield database
    database.dispose()


@pytest.fixture
def app(api_db: Database) -> FastAPI:
    return create_app(Settings(demo=False), db=api_db)


def sign_in(client, username: str, password: str = PASSWORD) -> str:
    """Sign the client in through the sign-in form, as a browser does: it keeps the session
    cookie, and from then on sends the session's CSRF token (read from the page's
    `<meta name="csrf-token">`) with every request. Returns the CSRF token."""
    response = client.post(
        "/login", data={"username": username, "password": password, "next": "/"}, follow_redirects=True
    )
    assert response.status_code == 200, response.text
    found = CSRF_META.search(response.text)
    assert found, "the page after signing in has no CSRF token"
    client.headers[CSRF_HEADER] = found.group(1)
    return found.group(1)


@pytest.fixture(name="sign_in")
def sign_in_fixture() -> Callable[..., str]:
    """`sign_in(client, username, password=PASSWORD)`: see `sign_in`."""
    return sign_in


@pytest.fixture
def admin_id(api_db: Database) -> int:
    """The instance administrator `admin` (created as `pullplan user add --admin` does)."""
    return accounts.create_user(
        api_db, username=ADMIN, display_name="Administrator", password=PASSWORD, is_admin=True
    ).id


@pytest.fixture
def client(app: FastAPI, admin_id: int) -> Iterator[TestClient]:
    """A TestClient signed in as the instance administrator."""
    with TestClient(app) as test_client:
        sign_in(test_client, ADMIN)
        yield test_client


class InProcessClient:
    """The app called in-process through httpx's ASGI transport on one event loop.

    It answers like TestClient (but does not follow redirects unless told), without
    TestClient's portal thread: each request costs about a third as much, which counts where
    a test sends thousands. An exception the app raises reaches the caller, as with
    TestClient."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    @property
    def headers(self) -> httpx.Headers:
        return self._client.headers

    @property
    def cookies(self) -> httpx.Cookies:
        return self._client.cookies

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


@pytest.fixture
def in_process(app: FastAPI) -> Iterator[Callable[[], InProcessClient]]:
    """Make in-process clients of the app (signed in as nobody); closed after the test."""
    made: list[InProcessClient] = []

    def make() -> InProcessClient:
        made.append(InProcessClient(app))
        return made[-1]

    yield make
    for one in made:
        one.close()


@dataclass
class Team:
    """A workspace with people, work types and one board, built through the API."""

    client: TestClient
    workspace_id: int
    board_id: int
    users: dict[str, int]
    work_types: dict[str, int]
    stages: dict[str, int]
    lanes: dict[str, int]
    board: dict = field(repr=False, default_factory=dict)

    def create_item(self, title: str, *, stage: str | None = None, **fields) -> dict:
        body = {"title": title, **fields}
        if stage is not None:
            body["stage_id"] = self.stages[stage]
        response = self.client.post(f"{API}/boards/{self.board_id}/items", json=body)
        assert response.status_code == 201, response.text
        return response.json()["item"]

    def move(self, item_id: int, stage: str, reason: str | None = None) -> httpx.Response:
        body = {"to_stage_id": self.stages[stage]}
        if reason is not None:
            body["reason"] = reason
        return self.client.post(f"{API}/items/{item_id}/move", json=body)

    def set_stage(self, stage: str, **changes) -> dict:
        response = self.client.patch(f"{API}/stages/{self.stages[stage]}", json=changes)
        assert response.status_code == 200, response.text
        return response.json()

    def set_board(self, **changes) -> dict:
        response = self.client.patch(f"{API}/boards/{self.board_id}", json=changes)
        assert response.status_code == 200, response.text
        return response.json()

    def item(self, item_id: int) -> dict:
        response = self.client.get(f"{API}/items/{item_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def transitions(self, item_id: int) -> list[dict]:
        response = self.client.get(f"{API}/items/{item_id}/transitions")
        assert response.status_code == 200, response.text
        return response.json()

    def view(self) -> dict:
        response = self.client.get(f"{API}/boards/{self.board_id}/view")
        assert response.status_code == 200, response.text
        return response.json()

    def count(self, stage: str) -> int:
        return next(s["count"] for s in self.view()["stages"] if s["stage"]["name"] == stage)


def created(response: httpx.Response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


def make_workspace(client: TestClient, name: str) -> tuple[int, dict[str, int]]:
    """A workspace and its work types; returns its id and the work type ids by name."""
    workspace_id = created(client.post(f"{API}/workspaces", json={"name": name}))["id"]
    work_types = {
        wt: created(client.post(f"{API}/workspaces/{workspace_id}/work-types", json={"name": wt}))["id"]
        for wt in WORK_TYPES
    }
    return workspace_id, work_types


def make_board(client: TestClient, workspace_id: int, name: str = "Campaigns") -> dict:
    return created(
        client.post(
            f"{API}/workspaces/{workspace_id}/boards",
            json={"name": name, "stages": STAGES, "lanes": LANES},
        )
    )


def make_people(client: TestClient) -> dict[str, int]:
    """alice, bob, carol and dave, each with the password PASSWORD: user ids by username."""
    return {
        username: created(
            client.post(
                f"{API}/users",
                json={"username": username, "display_name": display_name, "password": PASSWORD},
            )
        )["id"]
        for username, display_name in PEOPLE.items()
    }


def set_role(client: TestClient, workspace_id: int, user_id: int, role: str) -> list[dict]:
    response = client.put(f"{API}/workspaces/{workspace_id}/members/{user_id}", json={"role": role})
    assert response.status_code == 200, response.text
    return response.json()


def make_team(
    client: TestClient, workspace: str = "Acme Marketing", users: dict[str, int] | None = None
) -> Team:
    """The workspace with its people in their roles, work types and the board."""
    workspace_id, work_types = make_workspace(client, workspace)
    users = users or make_people(client)
    for username, role in ROLES.items():
        set_role(client, workspace_id, users[username], role)
    board = make_board(client, workspace_id)
    return Team(
        client=client,
        workspace_id=workspace_id,
        board_id=board["id"],
        users=users,
        work_types=work_types,
        stages={s["name"]: s["id"] for s in board["stages"]},
        lanes={lane["name"]: lane["id"] for lane in board["lanes"]},
        board=board,
    )


@pytest.fixture
def new_team(client: TestClient) -> Callable[[str], Team]:
    """Build a team in a new workspace of the given name; the people are made once and join
    every such workspace."""
    people: dict[str, int] = {}

    def build(workspace: str) -> Team:
        if not people:
            people.update(make_people(client))
        return make_team(client, workspace, users=people)

    return build


@pytest.fixture
def history(api_db: Database) -> Callable[..., None]:
    """`history(team, days=6)`: on each of the `days` days before today a Campaign in the
    Standard lane is finished (created five days before, pulled into Doing two days before):
    the past that flow metrics and forecasts read. Written through the services, which take
    a `now`; the API always means now."""

    def finish(team: Team, days: int = 6) -> None:
        noon = dt.datetime.now(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0)
        for n in range(1, days + 1):
            finished = noon - dt.timedelta(days=n)
            item = item_service.create_item(
                api_db,
                actor_id=None,
                board_id=team.board_id,
                title=f"Newsletter {n}",
                work_type_id=team.work_types["Campaign"],
                lane_id=team.lanes["Standard"],
                now=finished - dt.timedelta(days=5),
            ).item
            for stage, when in (("Doing", finished - dt.timedelta(days=2)), ("Done", finished)):
                item_service.move_item(
                    api_db,
                    actor_id=team.users["bob"],
                    item_id=item.id,
                    to_stage_id=team.stages[stage],
                    now=when,
                )

    return finish


@pytest.fixture
def team(new_team: Callable[[str], Team]) -> Team:
    return new_team("Acme Marketing")


@pytest.fixture
def outsiders(client: TestClient) -> Team:
    """Another workspace with its own work types and board, and no members but the
    administrator who made it: its ids are valid, but not on the team's board."""
    workspace_id, work_types = make_workspace(client, "Northwind Sales")
    board = make_board(client, workspace_id, name="Deals")
    return Team(
        client=client,
        workspace_id=workspace_id,
        board_id=board["id"],
        users={},
        work_types=work_types,
        stages={s["name"]: s["id"] for s in board["stages"]},
        lanes={lane["name"]: lane["id"] for lane in board["lanes"]},
        board=board,
    )


# When a session or a token was last used: written by any request, refused or not, at most
# once a minute (accounts.TOUCH_EVERY), so not a change a refused request made.
TOUCHED = {("browser_sessions", "last_seen_at"), ("api_tokens", "last_used_at")}


def _every_row() -> CompoundSelect:
    """One query, without parameters, for every row of every table, each row as one text:
    one round trip, which matters on PostgreSQL, where it runs after each bad request."""
    null, bar = literal_column("'<null>'", String), literal_column("'|'", String)
    selects = []
    for table in Base.metadata.sorted_tables:
        row = literal_column("''", String)
        for column in table.columns:
            if (table.name, column.name) in TOUCHED:
                continue
            row = row + bar + func.coalesce(cast(column, Text), null)
        selects.append(select(literal_column(f"'{table.name}'", String).label("t"), row.label("row")))
    return union_all(*selects)


EVERY_ROW = _every_row()


def rows(db: Database) -> dict[str, list[str]]:
    with db.read() as session:
        found: dict[str, list[str]] = {table.name: [] for table in Base.metadata.sorted_tables}
        for table, row in session.execute(EVERY_ROW):
            found[table].append(row)
    return {table: sorted(table_rows) for table, table_rows in found.items()}


@pytest.fixture
def snapshot(api_db: Database) -> Callable[[], dict[str, list[str]]]:
    """Every row of every table, on call: what "bad input changed nothing" is checked against."""
    return lambda: rows(api_db)


ERROR_KEYS = {"code", "message", "field", "reasons"}
REFUSALS = {"pull_refused", "needs_reason"}


def error_of(response: httpx.Response) -> dict:
    assert response.status_code >= 400, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, dict) and set(error) <= ERROR_KEYS, error
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"], error
    if "field" in error:
        assert isinstance(error["field"], str) and error["field"], error
    if response.status_code == 422:
        assert error["code"] == "invalid_input" and "field" in error, error
    if response.status_code == 404:
        assert error["code"] == "not_found", error
    if error["code"] in REFUSALS:
        assert response.status_code == 409, error
        assert error["reasons"], error
    if "reasons" in error:
        assert error["code"] in REFUSALS, error
        for reason in error["reasons"]:
            assert set(reason) == {"code", "message", "severity"}, reason
            assert all(isinstance(x, str) and x for x in reason.values()), reason
    return error


@pytest.fixture
def api_error() -> Callable[[httpx.Response], dict]:
    """Check an error answer has the documented shape and return its body:
    {"error": {"code", "message", "field"?, "reasons"?}}."""
    return error_of
