"""Items in and out as CSV: export a board's items; import a spreadsheet's rows as items, with
a mapping of its columns to item fields and a dry run. Names (stage, type, lane, owner) are
read as a person writes them; an import is all rows or none."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from pullplan.domain.board import Board, ClassOfService
from pullplan.services import items as item_service
from pullplan.services.errors import InvalidInput, NotFound
from pullplan.storage.database import Database
from pullplan.storage.repositories import board_workspace_id, load_board, load_items
from pullplan.storage.tables import ItemRow, MembershipRow, UserRow, WorkTypeRow

EXPORTED = (
    "id", "title", "description", "stage", "type", "class_of_service", "lane", "owner", "due_date",
    "value", "size", "tags", "external_ref", "parent_id", "blocked", "blocked_reason", "created_at",
    "committed_at", "done_at", "archived_at",
)  # fmt: skip

# The fields a column can be mapped to, and the headers read as each one by default.
FIELDS = {
    "title": ("title", "name", "summary", "task", "card name"),
    "description": ("description", "details", "notes", "desc"),
    "stage": ("stage", "status", "list", "column"),
    "type": ("type", "work type", "issue type"),
    "class_of_service": ("class of service", "class", "cos"),
    "lane": ("lane", "swimlane"),
    "owner": ("owner", "assignee", "assigned to"),
    "due_date": ("due date", "due", "deadline"),
    "value": ("value", "amount", "deal value"),
    "size": ("size", "estimate", "points"),
    "tags": ("tags", "labels"),
    "external_ref": ("external ref", "external id", "crm id", "ref"),
}


@dataclass
class CsvImport:
    """What an import did (or, in a dry run, would do)."""

    rows: int
    mapping: dict[str, str]  # column -> field
    ignored: list[str]  # columns not imported
    per_stage: dict[str, int] = field(default_factory=dict)
    item_ids: list[int] = field(default_factory=list)  # empty in a dry run
    dry_run: bool = False


def export_items(db: Database, board_id: int, *, archived: bool = False) -> str:
    """The board's items as CSV text (one header row, then one row per item, oldest first)."""
    with db.read() as session:
        board = load_board(session, board_id)
        if board is None:
            raise NotFound("Board", board_id)
        where = [ItemRow.board_id == board_id]
        if not archived:
            where.append(ItemRow.archived_at.is_(None))
        items = load_items(session, where)
        usernames = dict(session.execute(select(UserRow.id, UserRow.username)).all())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORTED)
    for item in items:
        stage = board.stage(item.stage_id)
        lane = board.lane(item.lane_id)
        writer.writerow(
            [
                item.id, item.title, item.description, stage.name if stage else "", item.work_type_name or "",
                item.class_of_service.value, lane.name if lane else "", usernames.get(item.owner_id, ""),
                _text(item.due_date), _text(item.value), _text(item.size), ";".join(item.tags),
                item.external_ref or "", _text(item.parent_id), "yes" if item.blocked else "",
                item.blocked_reason or "", _text(item.created_at), _text(item.committed_at),
                _text(item.done_at), _text(item.archived_at),
            ]
        )  # fmt: skip
    return out.getvalue()


def import_items(
    db: Database,
    *,
    actor_id: int | None,
    board_id: int,
    text: str,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> CsvImport:
    """Create an item per row of the CSV `text`. `mapping` (column -> field) adds to or
    overrides the columns recognised by name; a field of "" ignores a column. Every problem of
    every row is reported at once (RowProblems) and then nothing is written."""
    header, rows = _parse(text)
    columns = _mapping(header, mapping or {})
    if "title" not in columns.values():
        raise InvalidInput("mapping", f"no column is mapped to title (the columns: {', '.join(header)}).")
    with db.read() as session:
        board = load_board(session, board_id)
        if board is None:
            raise NotFound("Board", board_id)
        names = _Names.of(session, board)
    items, lines, problems = [], [], []
    for n, row in enumerate(rows, start=2):  # line 1 is the header
        try:
            cells = {columns[c]: v.strip() for c, v in zip(header, row, strict=False) if c in columns}
            items.append(names.item(cells))
            lines.append(n)
        except InvalidInput as e:
            problems.append((n, e.field, e.message.removeprefix(f"{e.field}: ")))
    try:
        created = item_service.create_items(
            db,
            actor_id=actor_id,
            board_id=board_id,
            items=items,
            reason="Imported from CSV",
            dry_run=dry_run or bool(problems),  # with problems, only to find the others
            progress=progress,
        )
    except item_service.RowProblems as e:  # numbered from 1 in `items`
        problems += [(lines[n - 1], f, m) for n, f, m in e.problems]
    if problems:
        raise item_service.RowProblems(sorted(problems))
    return CsvImport(
        rows=len(rows),
        mapping=columns,
        ignored=[c for c in header if c not in columns],
        per_stage=dict(Counter(board.stage(i.stage_id).name for i in created)),
        item_ids=[] if dry_run else [i.id for i in created],
        dry_run=dry_run,
    )


def _parse(text: str) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise InvalidInput("file", "the file is empty: the first line must name the columns.")
        header = [h.strip() for h in header]
        duplicated = [h for h, n in Counter(header).items() if n > 1 and h]
        if duplicated:
            raise InvalidInput("file", f"line 1: the column {duplicated[0]!r} appears twice.")
        rows = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                cells = f"{len(row)} cells for {len(header)} columns"
                raise InvalidInput("file", f"line {reader.line_num}: {cells}.")
            rows.append(row)
    except csv.Error as e:
        raise InvalidInput("file", f"line {reader.line_num}: not valid CSV ({e}).") from None
    return header, rows


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name.strip().lower())


def _mapping(header: list[str], given: dict[str, str]) -> dict[str, str]:
    by_name = {_key(alias): f for f, aliases in FIELDS.items() for alias in aliases}
    columns = {c: by_name[_key(c)] for c in header if _key(c) in by_name}
    for column, target in given.items():
        if column not in header:
            raise InvalidInput("mapping", f"the file has no column {column!r} (it has: {', '.join(header)}).")
        if target == "":
            columns.pop(column, None)
        elif target not in FIELDS:
            raise InvalidInput("mapping", f"{target!r} is not an item field; fields: {', '.join(FIELDS)}.")
        else:
            columns[column] = target
    taken = Counter(columns.values())
    twice = [f for f, n in taken.items() if n > 1]
    if twice:
        both = [c for c, f in columns.items() if f == twice[0]]
        raise InvalidInput("mapping", f"the columns {both} are all mapped to {twice[0]}: map only one.")
    return columns


@dataclass
class _Names:
    """Names as people write them (any case), to the board's ids."""

    board: Board
    stages: dict[str, int]
    lanes: dict[str, int]
    types: dict[str, int]
    people: dict[str, int]

    @classmethod
    def of(cls, session, board: Board) -> _Names:
        workspace_id = board_workspace_id(session, board.id)
        types = session.execute(
            select(WorkTypeRow.name, WorkTypeRow.id).where(WorkTypeRow.workspace_id == workspace_id)
        ).all()
        people = session.execute(
            select(UserRow.username, UserRow.display_name, UserRow.id)
            .join(MembershipRow, MembershipRow.user_id == UserRow.id)
            .where(MembershipRow.workspace_id == workspace_id)
        ).all()
        return cls(
            board=board,
            stages={_key(s.name): s.id for s in board.stages},
            lanes={_key(lane.name): lane.id for lane in board.lanes},
            types={_key(name): i for name, i in types},
            people={**{_key(d): i for _, d, i in people}, **{_key(u): i for u, _, i in people}},
        )

    def item(self, cells: dict[str, str]) -> dict:
        out: dict = {}
        for target, cell in cells.items():
            if cell == "":
                continue
            if target == "stage":
                out["stage_id"] = self._find(self.stages, cell, "stage", f"on the board {self.board.name}")
            elif target == "type":
                out["work_type_id"] = self._find(self.types, cell, "type", "a work type of this workspace")
            elif target == "lane":
                out["lane_id"] = self._find(self.lanes, cell, "lane", f"a lane of {self.board.name}")
            elif target == "owner":
                out["owner_id"] = self._find(self.people, cell, "owner", "a member of this workspace")
            elif target == "class_of_service":
                out["class_of_service"] = _class(cell)
            elif target == "due_date":
                out["due_date"] = _date(cell)
            elif target == "value":
                out["value"] = _money(cell)
            elif target == "size":
                if not cell.isdigit():
                    raise InvalidInput("size", f"{cell!r} is not a whole number.")
                out["size"] = int(cell)
            elif target == "tags":
                out["tags"] = [t.strip() for t in re.split(r"[;,]", cell) if t.strip()]
            else:
                out[target] = cell
        return out

    @staticmethod
    def _find(names: dict[str, int], cell: str, what: str, where: str) -> int:
        found = names.get(_key(cell))
        if found is None:
            raise InvalidInput(what, f"{cell!r} is not {where}.")
        return found


def _class(cell: str) -> str:
    value = _key(cell).replace(" ", "_")
    if value not in {c.value for c in ClassOfService}:
        kinds = "expedite, fixed date, standard or intangible"
        raise InvalidInput("class_of_service", f"{cell!r} is not {kinds}.")
    return value


def _date(cell: str) -> date:
    try:
        return date.fromisoformat(cell)
    except ValueError:
        raise InvalidInput("due_date", f"{cell!r} is not a date as YYYY-MM-DD.") from None


def _money(cell: str) -> str:
    cleaned = re.sub(r"[\s,$€£]", "", cell)
    try:
        return str(Decimal(cleaned))
    except InvalidOperation:
        raise InvalidInput("value", f"{cell!r} is not an amount.") from None


def _text(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
