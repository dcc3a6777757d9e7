"""Import a Trello board export as a new board of a workspace, with its items and their history,
in one transaction: all of it, or nothing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from pullplan.domain.history import commit_date, done_date
from pullplan.domain.items import Transition, TransitionKind
from pullplan.integrations.trello import TrelloBoard, TrelloCard, TrelloProblem, read_board
from pullplan.services.accounts import record
from pullplan.services.boards import add_board
from pullplan.services.clock import utcnow
from pullplan.services.errors import InvalidInput, NotFound
from pullplan.storage.database import Database
from pullplan.storage.repositories import append_transition
from pullplan.storage.tables import ItemRow, MembershipRow, UserRow, WorkspaceRow, WorkTypeRow


@dataclass
class TrelloImport:
    """What the import made (or, in a dry run, would make)."""

    board_name: str
    board_id: int | None  # None in a dry run
    stages: list[tuple[str, str]]  # (name, kind)
    per_stage: dict[str, int] = field(default_factory=dict)  # open items
    archived: int = 0
    transitions: int = 0
    work_types_created: list[str] = field(default_factory=list)
    unmatched_members: list[str] = field(default_factory=list)  # Trello usernames with no member here
    dry_run: bool = False


class _DryRun(Exception):
    def __init__(self, report: TrelloImport) -> None:
        self.report = report


def import_trello(
    db: Database,
    *,
    workspace_id: int,
    document: object,
    name: str | None = None,
    option_lists: list[str] | None = None,
    done_lists: list[str] | None = None,
    actor_id: int | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> TrelloImport:
    try:
        trello = read_board(document, option_lists=option_lists, done_lists=done_lists)
    except TrelloProblem as e:
        raise InvalidInput(e.where, e.message) from None
    now = now or utcnow()
    try:
        with db.write() as session:
            if session.get(WorkspaceRow, workspace_id) is None:
                raise NotFound("Workspace", workspace_id)
            report = _write(session, workspace_id, trello, name or trello.name, actor_id, now)
            report.dry_run = dry_run
            if dry_run:
                raise _DryRun(report)
    except _DryRun as done:
        done.report.board_id = None
        return done.report
    return report


def _write(session, workspace_id: int, trello: TrelloBoard, name: str, actor_id, now) -> TrelloImport:
    board = add_board(
        session,
        workspace_id=workspace_id,
        name=name,
        description="Imported from Trello.",
        stages=[
            {"name": s.name, "kind": s.kind.value, "wip_limit": s.wip_limit, "wip_mode": "warn"}
            for s in _unique_names(trello)
        ],
        actor_id=actor_id,
        now=now,
    )
    stage_of = {t.id: s.id for t, s in zip(trello.lists, board.stages, strict=True)}
    kinds = {s.id: s.kind for s in board.stages}
    types = dict(
        session.execute(
            select(WorkTypeRow.name, WorkTypeRow.id).where(WorkTypeRow.workspace_id == workspace_id)
        ).all()
    )
    created_types = []
    for type_name in trello.work_types:
        if type_name not in types:
            row = WorkTypeRow(workspace_id=workspace_id, name=type_name)
            session.add(row)
            session.flush()
            types[type_name] = row.id
            created_types.append(type_name)
    members = dict(
        session.execute(
            select(UserRow.username, UserRow.id)
            .join(MembershipRow, MembershipRow.user_id == UserRow.id)
            .where(MembershipRow.workspace_id == workspace_id)
        ).all()
    )
    report = TrelloImport(
        board_name=board.name,
        board_id=board.id,
        stages=[(s.name, s.kind.value) for s in board.stages],
        work_types_created=created_types,
    )
    unmatched = Counter()
    per_stage = Counter()
    for card in trello.cards:
        if card.owner and card.owner not in members:
            unmatched[card.owner] += 1
        report.transitions += _item(session, board.id, card, stage_of, kinds, types, members, actor_id)
        if card.archived_at:
            report.archived += 1
        else:
            per_stage[board.stage(stage_of[card.list_id]).name] += 1
    report.per_stage = dict(per_stage)
    report.unmatched_members = sorted(unmatched)
    record(
        session,
        actor_id,
        workspace_id,
        "board.imported",
        board.name,
        {"from": "trello", "cards": len(trello.cards)},
    )
    return report


def _unique_names(trello: TrelloBoard):
    """Trello allows two lists of the same name; stages need their own."""
    seen: Counter = Counter()
    for trello_list in trello.lists:
        seen[trello_list.name.lower()] += 1
        n = seen[trello_list.name.lower()]
        yield (
            trello_list
            if n == 1
            else type(trello_list)(
                trello_list.id, f"{trello_list.name} ({n})", trello_list.kind, trello_list.wip_limit
            )
        )


def _item(session, board_id, card: TrelloCard, stage_of, kinds, types, members, actor_id) -> int:
    """The card as an item, and its history as transitions; returns how many."""
    steps = [(at, stage_of[list_id], members.get(who) if who else None) for at, list_id, who in card.history]
    log = [
        Transition(
            item_id=0, at=at, kind=TransitionKind.CREATED if n == 0 else TransitionKind.MOVED, to_stage_id=s
        )
        for n, (at, s, _) in enumerate(steps)
    ]
    created_at, entered = steps[0][0], steps[-1][0]
    row = ItemRow(
        board_id=board_id,
        stage_id=steps[-1][1],
        title=card.title,
        description=card.description,
        class_of_service=card.class_of_service.value,
        work_type_id=types.get(card.work_type) if card.work_type else None,
        owner_id=members.get(card.owner) if card.owner else None,
        due_date=card.due_date,
        tags=card.tags,
        external_ref=card.external_ref,
        created_at=created_at,
        updated_at=card.archived_at or entered,
        stage_entered_at=entered,
        committed_at=commit_date(log, kinds),
        done_at=done_date(log, kinds),
        archived_at=card.archived_at,
    )
    session.add(row)
    session.flush()
    previous = None
    for n, (at, stage_id, who) in enumerate(steps):
        append_transition(
            session,
            item_id=row.id,
            board_id=board_id,
            at=at,
            kind=TransitionKind.CREATED if n == 0 else TransitionKind.MOVED,
            actor_id=who or actor_id,
            from_stage_id=previous,
            to_stage_id=stage_id,
            details={"from": "trello"},
        )
        previous = stage_id
    if card.archived_at:
        append_transition(
            session,
            item_id=row.id,
            board_id=board_id,
            at=card.archived_at,
            kind=TransitionKind.ARCHIVED,
            actor_id=actor_id,
            details={"from": "trello"},
        )
    return len(steps) + (1 if card.archived_at else 0)
