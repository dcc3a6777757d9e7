"""Items as CSV (SQLite file and PostgreSQL): a board's export imports into another board as the
same items; columns are recognised by name or mapped; a dry run writes nothing; a broken file
names every line at fault and writes nothing; WIP limits hold for imported items too."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from pullplan.services import accounts
from pullplan.services import boards as board_service
from pullplan.services import items as item_service
from pullplan.services.errors import InvalidInput
from pullplan.services.item_csv import export_items, import_items
from pullplan.services.items import RowProblems
from pullplan.storage.database import Database
from pullplan.storage.tables import ItemRow

STAGES = [
    {"name": "Ideas", "kind": "option"},
    {"name": "Doing", "kind": "committed", "wip_limit": 2, "wip_mode": "block"},
    {"name": "Done", "kind": "done"},
]
COMPARED = (
    "title",
    "description",
    "stage",
    "type",
    "class_of_service",
    "lane",
    "owner",
    "due_date",
    "value",
    "tags",
)


@pytest.fixture
def boards(db: Database) -> dict:
    ws = board_service.create_workspace(db, name="Team")
    alice = accounts.create_user(db, username="alice", display_name="Alice Martin")
    accounts.set_role(db, workspace_id=ws.id, user_id=alice.id, role="member")
    board_service.create_work_type(db, workspace_id=ws.id, name="Campaign")
    lanes = [
        {"name": "Standard", "class_of_service": "standard"},
        {"name": "Fixed", "class_of_service": "fixed_date"},
    ]
    source = board_service.create_board(db, workspace_id=ws.id, name="Marketing", stages=STAGES, lanes=lanes)
    target = board_service.create_board(
        db, workspace_id=ws.id, name="Marketing 2027", stages=STAGES, lanes=lanes
    )
    return {"db": db, "alice": alice.id, "source": source.id, "target": target.id}


def _items(db: Database, board_id: int) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(ItemRow).where(ItemRow.board_id == board_id))


def _rows(text: str) -> list[dict]:
    return [{k: row[k] for k in COMPARED} for row in csv.DictReader(io.StringIO(text))]


def test_an_exported_board_imports_as_the_same_items(boards):
    db, source, target = boards["db"], boards["source"], boards["target"]
    campaign = {"work_type_id": None}
    item_service.create_item(
        db, actor_id=None, board_id=source, title="Spring launch, \"EMEA\"", description="Two lines\nof text",
        class_of_service="fixed_date", due_date=date(2027, 3, 1), value=Decimal("1200.50"),
        owner_id=boards["alice"], tags=["launch", "emea"],
    )  # fmt: skip
    item_service.create_item(db, actor_id=None, board_id=source, title="Case study", **campaign)
    exported = export_items(db, source)

    report = import_items(db, actor_id=boards["alice"], board_id=target, text=exported)
    assert len(report.item_ids) == 2 and report.per_stage == {"Ideas": 2}
    assert "id" in report.ignored and "created_at" in report.ignored
    assert _rows(export_items(db, target)) == _rows(exported)


def test_columns_are_read_by_name_or_by_the_mapping_and_a_dry_run_writes_nothing(boards):
    db, target = boards["db"], boards["target"]
    text = (
        "Card name,List,Assignee,Deadline,Amount,Labels,Notes,Colour\n"
        'Webinar follow-up,Doing,Alice Martin,2026-12-20,"$1,200",webinar;q4,Call the speakers,red\n'
        "Case study,,alice,,,,,\n"
    )
    report = import_items(db, actor_id=None, board_id=target, text=text, mapping={"Notes": "description"},
                          dry_run=True)  # fmt: skip
    assert report.mapping == {
        "Card name": "title", "List": "stage", "Assignee": "owner", "Deadline": "due_date", "Amount": "value",
        "Labels": "tags", "Notes": "description",
    }  # fmt: skip
    assert report.ignored == ["Colour"]
    assert report.per_stage == {"Doing": 1, "Ideas": 1} and report.item_ids == []
    assert _items(db, target) == 0

    report = import_items(db, actor_id=None, board_id=target, text=text, mapping={"Notes": "description"})
    first = item_service.get_item(db, report.item_ids[0])
    assert (first.title, first.description, first.owner_id) == (
        "Webinar follow-up",
        "Call the speakers",
        boards["alice"],
    )
    assert (first.due_date, first.value, first.tags) == (
        date(2026, 12, 20),
        Decimal("1200.00"),
        ("webinar", "q4"),
    )


def test_every_broken_line_is_named_and_nothing_is_written(boards):
    db, target = boards["db"], boards["target"]
    text = (
        "Title,Stage,Owner,Due date,Value,Class\n"
        "Fine,Ideas,alice,2026-12-01,10,standard\n"
        "Nowhere,Backlog,,,,\n"
        ",Ideas,,,,\n"
        "Who,Ideas,zed,,,\n"
        "When,Ideas,,next week,,\n"
        "How much,Ideas,,,lots,\n"
        "Which,Ideas,,,,urgent\n"
        "Fixed without a date,Ideas,,,,fixed date\n"
    )
    with pytest.raises(RowProblems) as refused:
        import_items(db, actor_id=None, board_id=target, text=text)
    assert [(line, field) for line, field, _ in refused.value.problems] == [
        (3, "stage"), (4, "title"), (5, "owner"), (6, "due_date"), (7, "value"), (8, "class_of_service"),
        (9, "due_date"),
    ]  # fmt: skip
    assert "'Backlog' is not on the board" in refused.value.problems[0][2]
    assert _items(db, target) == 0


@pytest.mark.parametrize(
    ("text", "mapping", "says"),
    [
        ("", None, "the file is empty"),
        ("Stage,Owner\nIdeas,alice\n", None, "no column is mapped to title"),
        ("Title,Title\nA,B\n", None, "appears twice"),
        ("Title\nA,B\n", None, "line 2: 2 cells for 1 columns"),
        ("Title,Name\nA,B\n", None, "are all mapped to title"),
        ("Title\nA\n", {"Colour": "title"}, "the file has no column 'Colour'"),
        ("Title\nA\n", {"Title": "colour"}, "'colour' is not an item field"),
        ('Title\n"A\n', None, "not valid CSV"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused(boards, text, mapping, says):
    with pytest.raises(InvalidInput) as refused:
        import_items(boards["db"], actor_id=None, board_id=boards["target"], text=text, mapping=mapping)
    assert says in refused.value.message
    assert _items(boards["db"], boards["target"]) == 0


def test_imported_items_keep_the_wip_limits(boards):
    db, target = boards["db"], boards["target"]
    text = "Title,Stage\nOne,Doing\nTwo,Doing\nThree,Doing\n"
    with pytest.raises(RowProblems) as refused:
        import_items(db, actor_id=None, board_id=target, text=text)
    assert [(line, field) for line, field, _ in refused.value.problems] == [(4, "stage")]
    assert "Doing has 2 of 2 items" in refused.value.problems[0][2]
    assert _items(db, target) == 0
