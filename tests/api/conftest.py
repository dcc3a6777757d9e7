"""API fixtures: the app on a migrated database, a TestClient, and a team with a board.

The API tests run on a SQLite file. A module that must also run on PostgreSQL overrides
`api_url` with the `database_url` fixture (see test_move.py). Both databases are copies of
one migrated once per session (`sqlite_url` and `postgres_url` are overridden here for that),
which saves the migrations' time in each of some 120 tests.

The personas: alice (manager), bob (member), carol (viewer), dave (no access).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
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

from pullplan.settings import Settings
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.storage.tables import Base
from pullplan.web.app import create_app

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


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


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
    """alice, bob, carol and dave: user ids by username."""
    return {
        username: created(
            client.post(f"{API}/users", json={"username": username, "display_name": display_name})
        )["id"]
        for username, display_name in PEOPLE.items()
    }


def make_team(
    client: TestClient, workspace: str = "Acme Marketing", users: dict[str, int] | None = None
) -> Team:
    """The workspace with its people in their roles, work types and the board."""
    workspace_id, work_types = make_workspace(client, workspace)
    users = users or make_people(client)
    for username, role in ROLES.items():
        created(
            client.post(
                f"{API}/workspaces/{workspace_id}/members",
                json={"user_id": users[username], "role": role},
            )
        )
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
def team(new_team: Callable[[str], Team]) -> Team:
    return new_team("Acme Marketing")


@pytest.fixture
def outsiders(client: TestClient) -> Team:
    """Another workspace with its own work types and board, and no members: its ids are
    valid, but not on the team's board."""
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


def _every_row() -> CompoundSelect:
    """One query, without parameters, for every row of every table, each row as one text:
    one round trip, which matters on PostgreSQL, where it runs after each bad request."""
    null, bar = literal_column("'<null>'", String), literal_column("'|'", String)
    selects = []
    for table in Base.metadata.sorted_tables:
        row = literal_column("''", String)
        for column in table.columns:
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
