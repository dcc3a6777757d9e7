"""The JSON export of a workspace is lossless: export the demo workspace, import it into an empty
database (SQLite file or PostgreSQL), export again, and the two documents are the same. The
imported workspace works (a new item gets a fresh id). A bad file names what is wrong and
writes nothing."""

from __future__ import annotations

import json
from copy import deepcopy
from datetime import date

import pytest
from sqlalchemy import func, select

from pullplan.demo import create_demo
from pullplan.services.errors import InvalidInput
from pullplan.services.items import create_item
from pullplan.services.workspace_export import export_workspace
from pullplan.services.workspace_import import import_workspace
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.storage.tables import BoardRow, ItemRow, UserRow, WorkspaceRow
from pullplan.storage.workspace_rows import workspace_tables


@pytest.fixture(scope="module")
def demo_export(tmp_path_factory) -> dict:
    """The demo workspace, exported from a SQLite file and through JSON text."""
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('export') / 'demo.sqlite3'}")
    upgrade(db)
    workspace_id = create_demo(db, today=date(2026, 11, 2))
    document = json.loads(json.dumps(export_workspace(db, workspace_id)))
    db.dispose()
    return document


def _row_count(db: Database) -> int:
    with db.read() as session:
        return sum(
            session.scalar(select(func.count()).select_from(t)) for t in workspace_tables()
        ) + session.scalar(select(func.count()).select_from(WorkspaceRow))


def test_export_import_export_gives_the_same_document(demo_export, db: Database):
    counts = import_workspace(db, deepcopy(demo_export))
    assert counts["items"] == len(demo_export["tables"]["items"]) > 500
    assert counts["transitions"] > 2_000
    assert counts["users created"] == len(demo_export["users"])
    again = json.loads(json.dumps(export_workspace(db, demo_export["workspace"]["id"])))
    assert again == demo_export


def test_the_export_holds_the_workspace_and_not_the_secrets(demo_export):
    tables = demo_export["tables"]
    for name in (
        "boards",
        "stages",
        "lanes",
        "work_types",
        "items",
        "transitions",
        "blockers",
        "memberships",
        "milestones",
        "plan_tasks",
        "plan_constraints",
        "promises",
        "check_ins",
        "closed_weeks",
        "lookahead_snapshots",
        "learning_cycles",
        "handoffs",
        "handoff_steps",
        "rules",
        "split_template_children",
    ):
        assert tables[name], f"the demo export has no {name}"
    assert {u["username"] for u in demo_export["users"]} >= {"alice", "bob", "carol"}
    text = json.dumps(demo_export)
    assert "password" not in text and "argon2" not in text
    assert all("secret" not in row for rows in tables.values() for row in rows)
    owners = {row["owner_id"] for row in tables["items"]} - {None}
    assert owners and all(isinstance(o, str) for o in owners), "people are named by username"


def test_an_imported_workspace_goes_on_working(demo_export, db: Database):
    import_workspace(db, deepcopy(demo_export))
    board_id = demo_export["tables"]["boards"][0]["id"]
    highest = max(row["id"] for row in demo_export["tables"]["items"])
    created = create_item(db, actor_id=None, board_id=board_id, title="After the import").item
    assert created.id > highest
    with db.read() as session:
        alice = session.scalars(select(UserRow).where(UserRow.username == "alice")).one()
        assert alice.password_hash is None and not alice.is_admin  # given a password by an admin


def _broken(document: dict) -> list[tuple[str, dict, str]]:
    """(what is wrong, the document, the field the error must name)."""
    cases = []

    def case(what, field, change):
        doc = deepcopy(document)
        change(doc)
        cases.append((what, doc, field))

    case("not an export", "format", lambda d: d.update(format="trello"))
    case("another version", "version", lambda d: d.update(version=99))
    case("another schema", "schema", lambda d: d.update(schema="0001"))
    case("no tables", "tables", lambda d: d.pop("tables"))
    case("an unknown table", "tables.gadgets", lambda d: d["tables"].update(gadgets=[]))
    case(
        "an unknown column", "tables.items[3].colour", lambda d: d["tables"]["items"][3].update(colour="red")
    )
    case(
        "a bad date",
        "tables.items[5].due_date",
        lambda d: d["tables"]["items"][5].update(due_date="next week"),
    )
    case(
        "a bad number", "tables.stages[1].position", lambda d: d["tables"]["stages"][1].update(position="2nd")
    )
    case(
        "an unknown person",
        "tables.items[7].owner_id",
        lambda d: d["tables"]["items"][7].update(owner_id="zed"),
    )
    case("a missing stage", "tables.items", lambda d: d["tables"]["items"][9].update(stage_id=987654))
    case(
        "a missing title",
        "tables.items[2].title",
        lambda d: d["tables"]["items"][2].pop("title"),
    )
    return cases


def test_a_broken_file_names_the_problem_and_writes_nothing(demo_export, db: Database):
    before = _row_count(db)
    for what, document, field in _broken(demo_export):
        with pytest.raises(InvalidInput) as refused:
            import_workspace(db, document)
        assert refused.value.field == field, what
        assert _row_count(db) == before, f"{what}: something was written"
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(UserRow)) == 0


def test_importing_twice_is_refused(demo_export, db: Database):
    import_workspace(db, deepcopy(demo_export))
    with db.read() as session:
        items = session.scalar(select(func.count()).select_from(ItemRow))
        boards = session.scalar(select(func.count()).select_from(BoardRow))
    with pytest.raises(InvalidInput) as refused:
        import_workspace(db, deepcopy(demo_export))
    assert "already has a workspace" in refused.value.message
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(ItemRow)) == items
        assert session.scalar(select(func.count()).select_from(BoardRow)) == boards
