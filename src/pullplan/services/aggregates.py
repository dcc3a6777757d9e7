"""Aggregate use cases: split templates per work type, splitting a parent into its children
(when it crosses the commitment point, or by hand), its children's progress, and the parent
moved to done when its last child is done. Each runs inside one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from pullplan.domain.aggregates import (
    MAX_CHILDREN,
    MAX_OFFSET_DAYS,
    AggregateProgress,
    ChildPlan,
    TemplateChild,
    TemplateProblem,
    parent_becomes_done,
    plan_children,
    progress,
    splits_on_move,
)
from pullplan.domain.board import Board, StageKind
from pullplan.domain.items import TransitionKind, WipEntry, WorkItem
from pullplan.domain.pull_policy import decide_pull
from pullplan.services import validation as v
from pullplan.services.accounts import record
from pullplan.services.clock import utcnow
from pullplan.services.errors import Conflict, InvalidInput, NotFound
from pullplan.storage.database import Database
from pullplan.storage.lrm_tables import SplitTemplateChildRow
from pullplan.storage.repositories import (
    append_transition,
    board_workspace_id,
    load_board,
    load_item,
    load_items,
    load_wip,
    load_wip_counts,
)
from pullplan.storage.tables import ItemRow, StageRow, WorkTypeRow


@dataclass(frozen=True)
class SplitTemplate:
    work_type_id: int
    work_type_name: str
    children: tuple[TemplateChild, ...]


@dataclass(frozen=True)
class Aggregate:
    item: WorkItem
    children: list[WorkItem]
    progress: AggregateProgress
    template: tuple[TemplateChild, ...]  # its work type's, used when it is split


# --- templates ---------------------------------------------------------------------------------


def load_templates(session: Session, workspace_id: int) -> dict[int, tuple[TemplateChild, ...]]:
    """Every split template of the workspace, by work type id."""
    child_type = WorkTypeRow.__table__.alias("child_type")
    rows = session.execute(
        select(SplitTemplateChildRow, child_type.c.name)
        .join(WorkTypeRow, WorkTypeRow.id == SplitTemplateChildRow.work_type_id)
        .outerjoin(child_type, child_type.c.id == SplitTemplateChildRow.child_work_type_id)
        .where(WorkTypeRow.workspace_id == workspace_id)
        .order_by(SplitTemplateChildRow.work_type_id, SplitTemplateChildRow.position)
    ).all()
    out: dict[int, list[TemplateChild]] = {}
    for row, type_name in rows:
        out.setdefault(row.work_type_id, []).append(
            TemplateChild(
                title=row.title,
                work_type_id=row.child_work_type_id,
                work_type_name=type_name,
                stage_name=row.stage_name,
                offset_days=row.offset_days,
            )
        )
    return {k: tuple(x) for k, x in out.items()}


def list_templates(db: Database, workspace_id: int) -> list[SplitTemplate]:
    with db.read() as session:
        templates = load_templates(session, workspace_id)
        types = session.execute(
            select(WorkTypeRow.id, WorkTypeRow.name)
            .where(WorkTypeRow.workspace_id == workspace_id)
            .order_by(WorkTypeRow.name)
        ).all()
    return [SplitTemplate(i, name, templates[i]) for i, name in types if i in templates]


def set_template(
    db: Database,
    *,
    actor_id: int | None,
    workspace_id: int,
    work_type_id: int,
    children: Sequence[dict],
    now: datetime | None = None,
) -> SplitTemplate:
    """Replace the split template of a work type (an empty list removes it). Audited."""
    now = now or utcnow()
    if not isinstance(children, list | tuple) or len(children) > MAX_CHILDREN:
        raise InvalidInput("children", f"must be a list of at most {MAX_CHILDREN} children.")
    with db.write() as session:
        type_name = _work_type_name(session, workspace_id, work_type_id, "work_type_id")
        cleaned = [_clean_child(session, workspace_id, i, c) for i, c in enumerate(children)]
        session.execute(
            delete(SplitTemplateChildRow).where(SplitTemplateChildRow.work_type_id == work_type_id)
        )
        session.flush()
        session.add_all(
            SplitTemplateChildRow(
                work_type_id=work_type_id,
                position=i,
                title=c.title,
                child_work_type_id=c.work_type_id,
                stage_name=c.stage_name,
                offset_days=c.offset_days,
            )
            for i, c in enumerate(cleaned)
        )
        session.flush()
        record(
            session,
            actor_id,
            workspace_id,
            "split_template.set",
            f"split template of {type_name}",
            {"children": [c.title for c in cleaned]},
            now,
        )
        template = load_templates(session, workspace_id).get(work_type_id, ())
    return SplitTemplate(work_type_id, type_name, template)


def children_from_lines(db: Database, workspace_id: int, lines: Sequence[str], field: str) -> list[dict]:
    """Template children written one per line as `TITLE | TYPE | STAGE | OFFSET` (only the
    title is needed; TYPE is a work type's name), as set_template takes them."""
    with db.read() as session:
        types = {
            name.lower(): i
            for i, name in session.execute(
                select(WorkTypeRow.id, WorkTypeRow.name).where(WorkTypeRow.workspace_id == workspace_id)
            )
        }
    children = []
    for n, line in enumerate(x for x in lines if x.strip()):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) > 4 or not parts[0]:
            raise InvalidInput(field, f"line {n + 1}: {line[:80]!r} is not TITLE | TYPE | STAGE | OFFSET.")
        title, work_type, stage, offset = parts + [""] * (4 - len(parts))
        if work_type and work_type.lower() not in types:
            raise InvalidInput(field, f"line {n + 1}: there is no work type {work_type[:60]!r} here.")
        if offset and not offset.lstrip("+-").isdigit():
            raise InvalidInput(
                field, f"line {n + 1}: the offset {offset[:20]!r} is not a whole number of days."
            )
        children.append(
            {
                "title": title,
                "work_type_id": types[work_type.lower()] if work_type else None,
                "stage_name": stage or None,
                "offset_days": int(offset or 0),
            }
        )
    return children


def _work_type_name(session: Session, workspace_id: int, work_type_id: object, field: str) -> str:
    if isinstance(work_type_id, bool) or not isinstance(work_type_id, int):
        raise InvalidInput(field, "must be the id of a work type.")
    name = session.scalar(
        select(WorkTypeRow.name).where(
            WorkTypeRow.id == work_type_id, WorkTypeRow.workspace_id == workspace_id
        )
    )
    if name is None:
        raise InvalidInput(field, f"work type {work_type_id} is not in this workspace.")
    return name


def _clean_child(session: Session, workspace_id: int, index: int, child: object) -> TemplateChild:
    where = f"children.{index}"
    if not isinstance(child, dict):
        raise InvalidInput(where, "must be an object with a title.")
    unknown = set(child) - {"title", "work_type_id", "stage_name", "offset_days"}
    if unknown:
        raise InvalidInput(f"{where}.{sorted(unknown)[0]}"[:60], "is not a field of a template child.")
    title = v.text(f"{where}.title", child.get("title"), max_len=120)
    work_type_id = child.get("work_type_id")
    type_name = None
    if work_type_id is not None:
        type_name = _work_type_name(session, workspace_id, work_type_id, f"{where}.work_type_id")
    stage_name = v.text(f"{where}.stage_name", child.get("stage_name"), max_len=60, required=False) or None
    offset = child.get("offset_days", 0)
    if (
        isinstance(offset, bool)
        or not isinstance(offset, int)
        or not -MAX_OFFSET_DAYS <= offset <= MAX_OFFSET_DAYS
    ):
        raise InvalidInput(
            f"{where}.offset_days",
            f"must be a whole number of days from -{MAX_OFFSET_DAYS} to {MAX_OFFSET_DAYS}.",
        )
    return TemplateChild(title, work_type_id, type_name, stage_name, offset)


# --- splitting ---------------------------------------------------------------------------------


def after_move(
    session: Session,
    *,
    board: Board,
    before: WorkItem,
    after: WorkItem,
    now: datetime,
    actor_id: int | None,
    reason: str | None = None,
) -> None:
    """What a move means for aggregates, in the move's own transaction: a parent crossing
    the commitment point is split from its type's template (unless it was split already);
    a child reaching done (or discarded) may finish its parent."""
    if (
        splits_on_move(board, before.stage_id, after.stage_id)
        and after.work_type_id is not None
        and after.parent_id is None  # a child is work already split: it is not split again
    ):
        template = load_templates(session, board_workspace_id(session, board.id)).get(after.work_type_id)
        if template and not _has_children(session, after.id):
            _split(session, board, after, template, now, actor_id, reason, by_hand=False)
    target, source = board.stage(after.stage_id), board.stage(before.stage_id)
    if (
        after.parent_id is not None
        and target.kind in (StageKind.DONE, StageKind.DISCARDED)
        and source.kind != target.kind
    ):
        _finish_parent(session, after.parent_id, now, actor_id)


def split_item(
    db: Database,
    *,
    actor_id: int | None,
    item_id: int,
    children: Sequence[dict] | None = None,
    reason: str | None = None,
    workspace_id: int | None = None,
    now: datetime | None = None,
) -> Aggregate:
    """Split an item by hand: into the given children, or from its work type's template
    (`workspace_id`: the item must be in this workspace)."""
    now = now or utcnow()
    with db.write() as session:
        board_id = session.scalar(select(ItemRow.board_id).where(ItemRow.id == item_id))
        if board_id is None or workspace_id not in (None, board_workspace_id(session, board_id)):
            raise NotFound("Item", item_id)
        board = load_board(session, board_id, lock=True)
        item = load_item(session, item_id, lock=True)
        workspace_id = board_workspace_id(session, board_id)
        if item.archived or not board.stage(item.stage_id).is_wip:
            raise Conflict("finished", "Only an item still in progress (an option or committed) is split.")
        if _has_children(session, item_id):
            raise Conflict("already_split", "The item is split already: see its children.")
        if children:
            if not isinstance(children, list | tuple) or len(children) > MAX_CHILDREN:
                raise InvalidInput("children", f"must be a list of at most {MAX_CHILDREN} children.")
            template = tuple(_clean_child(session, workspace_id, i, c) for i, c in enumerate(children))
        else:
            template = (
                load_templates(session, workspace_id).get(item.work_type_id) if item.work_type_id else None
            )
            if not template:
                raise Conflict(
                    "no_template",
                    f"The work type {item.work_type_name or '(none)'} has no split template; "
                    "name the children to split it into.",
                )
        _split(session, board, item, template, now, actor_id, reason, by_hand=True)
        return _aggregate(session, item_id)


def _split(session, board, parent, template, now, actor_id, reason, *, by_hand: bool) -> list[int]:
    try:
        plans = plan_children(
            board,
            parent_title=parent.title,
            parent_work_type_id=parent.work_type_id,
            parent_class=parent.class_of_service,
            parent_due=parent.due_date,
            parent_owner_id=parent.owner_id,
            template=template,
        )
    except TemplateProblem as e:
        raise Conflict("split_refused", f"The item cannot be split into its children: {e}") from None
    wip = list(load_wip(session, board))
    ids = []
    for n, plan in enumerate(plans):
        ids.append(_create_child(session, board, parent, plan, wip, -1 - n, now, actor_id, reason))
    append_transition(
        session,
        item_id=parent.id,
        board_id=board.id,
        at=now,
        kind=TransitionKind.SPLIT,
        actor_id=actor_id,
        details={"children": ids, "by": "hand" if by_hand else "template"},
    )
    return ids


def _create_child(session, board, parent, plan: ChildPlan, wip: list, draft_id, now, actor_id, reason) -> int:
    lane_id = next((lane.id for lane in board.lanes if lane.class_of_service == plan.class_of_service), None)
    draft = WorkItem(
        id=draft_id,
        board_id=board.id,
        stage_id=-1,
        title=plan.title,
        class_of_service=plan.class_of_service,
        lane_id=lane_id,
        work_type_id=plan.work_type_id,
        owner_id=plan.owner_id,
        due_date=plan.due_date,
        parent_id=parent.id,
    )
    decision = decide_pull(board, draft, plan.stage_id, wip, reason=reason)
    if not decision.allowed:
        raise Conflict(
            "split_refused",
            f"The item cannot be split: its child {plan.title!r} may not enter "
            f"{board.stage(plan.stage_id).name}: " + " ".join(decision.reasons),
        )
    kind = board.stage(plan.stage_id).kind
    row = ItemRow(
        board_id=board.id,
        stage_id=plan.stage_id,
        lane_id=lane_id,
        work_type_id=plan.work_type_id,
        class_of_service=plan.class_of_service.value,
        title=plan.title,
        description="",
        owner_id=plan.owner_id,
        due_date=plan.due_date,
        tags=[],
        parent_id=parent.id,
        ready=False,
        created_at=now,
        updated_at=now,
        stage_entered_at=now,
        committed_at=now if kind in (StageKind.COMMITTED, StageKind.DONE) else None,
        done_at=now if kind == StageKind.DONE else None,
    )
    session.add(row)
    session.flush()
    wip.append(WipEntry.of(replace(draft, id=row.id, stage_id=plan.stage_id)))
    details = {"parent_id": parent.id}
    if decision.findings:
        details["findings"] = [f.message for f in decision.findings]
    append_transition(
        session,
        item_id=row.id,
        board_id=board.id,
        at=now,
        kind=TransitionKind.CREATED,
        actor_id=actor_id,
        to_stage_id=plan.stage_id,
        reason=reason if decision.override else None,
        details=details,
    )
    return row.id


def _finish_parent(session: Session, parent_id: int, now: datetime, actor_id: int | None) -> None:
    """Move the parent to its board's done stage when all its children are done; nothing
    when it cannot be (blocked, say): the parent then waits for a person."""
    from pullplan.services.items import write_move  # the one way a move is written

    parent = load_item(session, parent_id, lock=True)
    if parent is None or parent.archived:
        return
    board = load_board(session, parent.board_id)
    done = children_progress(session, [parent_id]).get(parent_id)
    if done is None or not parent_becomes_done(board.stage(parent.stage_id).kind, done):
        return
    target = next((s for s in board.stages if s.kind == StageKind.DONE), None)
    if target is None:
        return
    decision = decide_pull(board, parent, target.id, load_wip_counts(session, board, excluding=parent.id))
    if not decision.allowed:
        return
    reason = f"All its {done.total} children are done."
    moved = write_move(session, board, parent, target.id, now, actor_id, decision, reason)
    after_move(session, board=board, before=parent, after=moved, now=now, actor_id=actor_id)


# --- reading -----------------------------------------------------------------------------------


def _has_children(session: Session, item_id: int) -> bool:
    return session.scalar(select(ItemRow.id).where(ItemRow.parent_id == item_id).limit(1)) is not None


def children_progress(
    session: Session, parent_ids: Iterable[int] = (), *, board_id: int | None = None
) -> dict[int, AggregateProgress]:
    """The progress of the aggregates among `parent_ids`, or of every aggregate on the board
    `board_id` (items without children are absent)."""
    parent = ItemRow.__table__.alias("parent")
    query = (
        select(ItemRow.parent_id, StageRow.kind, func.count())
        .join(StageRow, StageRow.id == ItemRow.stage_id)
        .group_by(ItemRow.parent_id, StageRow.kind)
    )
    if board_id is not None:
        query = query.join(parent, parent.c.id == ItemRow.parent_id).where(parent.c.board_id == board_id)
    else:
        ids = list(parent_ids)
        if not ids:
            return {}
        query = query.where(ItemRow.parent_id.in_(ids))
    kinds: dict[int, list[StageKind]] = {}
    for parent_id, kind, n in session.execute(query).all():
        kinds.setdefault(parent_id, []).extend([StageKind(kind)] * n)
    return {parent_id: progress(k) for parent_id, k in kinds.items()}


def board_progress(db: Database, board_id: int) -> dict[int, AggregateProgress]:
    """The progress of every aggregate on a board, by the parent's id."""
    with db.read() as session:
        return children_progress(session, board_id=board_id)


def _aggregate(session: Session, item_id: int) -> Aggregate:
    item = load_item(session, item_id)
    if item is None:
        raise NotFound("Item", item_id)
    children = load_items(session, [ItemRow.parent_id == item_id])
    workspace_id = board_workspace_id(session, item.board_id)
    template = load_templates(session, workspace_id).get(item.work_type_id, ()) if item.work_type_id else ()
    kinds = dict(
        session.execute(
            select(StageRow.id, StageRow.kind).where(StageRow.board_id.in_({c.board_id for c in children}))
        ).all()
    )
    return Aggregate(item, children, progress(StageKind(kinds[c.stage_id]) for c in children), template)


def get_aggregate(db: Database, item_id: int) -> Aggregate:
    """An item as an aggregate: its children and their progress, and its type's template."""
    with db.read() as session:
        return _aggregate(session, item_id)
