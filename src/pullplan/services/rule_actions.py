"""What a fired rule does, inside the transaction of the event that fired it.

Each action runs in a savepoint: one that cannot be done (a stage the pull policy refuses,
a board that was renamed) is rolled back alone and reported in the firing's results; the
change that set the rule off stands. Actions a rule takes set off no further rules, so
rules cannot loop.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pullplan.domain.board import Board, ClassOfService, StageKind
from pullplan.domain.items import TransitionKind, WorkItem
from pullplan.domain.pull_policy import decide_change, decide_pull
from pullplan.domain.rules import ActionKind, Event, PlannedAction
from pullplan.storage.repositories import append_transition, load_board, load_item, load_wip_counts
from pullplan.storage.rule_tables import NotificationRow, OutboxRow, WebhookTargetRow
from pullplan.storage.tables import BlockerRow, BoardRow, ItemRow, WorkTypeRow

RULE_REASON = "rule: {name}"


class ActionFailed(Exception):
    pass


def perform(
    session: Session,
    *,
    workspace_id: int,
    rule_id: int,
    rule_name: str,
    event: Event,
    planned: PlannedAction,
    now: dt.datetime,
    today: dt.date,
) -> dict:
    """Do one action; return what happened as {"action", "ok", "detail", "item_id"?}."""
    kind = planned.action.kind
    try:
        with session.begin_nested():
            detail, item_id = _DO[kind](session, workspace_id, rule_id, rule_name, event, planned, now, today)
    except ActionFailed as e:
        return {"action": kind.value, "ok": False, "detail": str(e)}
    out = {"action": kind.value, "ok": True, "detail": detail}
    if item_id is not None:
        out["item_id"] = item_id
    return out


def _create_item(session, workspace_id, rule_id, rule_name, event, planned, now, today):
    a = planned.action
    board_id = session.scalar(
        select(BoardRow.id).where(
            BoardRow.workspace_id == workspace_id, func.lower(BoardRow.name) == a.board.lower()
        )
    )
    if board_id is None:
        raise ActionFailed(f"there is no board {a.board!r} in this workspace")
    board = load_board(session, board_id, lock=True)
    if a.stage:
        stage = next((s for s in board.stages if s.name.lower() == a.stage.lower()), None)
        if stage is None:
            raise ActionFailed(f"the board {board.name} has no stage {a.stage!r}")
    else:
        stage = next((s for s in board.stages if s.kind == StageKind.OPTION), None)
        if stage is None:
            raise ActionFailed(f"the board {board.name} has no option stage")
    work_type_id = None
    if a.type:
        work_type_id = session.scalar(
            select(WorkTypeRow.id).where(
                WorkTypeRow.workspace_id == workspace_id, func.lower(WorkTypeRow.name) == a.type.lower()
            )
        )
        if work_type_id is None:
            raise ActionFailed(f"there is no work type {a.type!r} in this workspace")
    cos = ClassOfService(a.class_of_service or ClassOfService.STANDARD)
    due = today + dt.timedelta(days=a.due_in_days) if a.due_in_days is not None else None
    if cos == ClassOfService.FIXED_DATE and due is None:
        raise ActionFailed("a fixed-date item needs a due date (give due_in_days)")
    title = (planned.title or "")[:200] or f"From rule {rule_name}"
    lane = next((lane for lane in board.lanes if lane.class_of_service == cos), None)
    draft = WorkItem(
        id=-1,
        board_id=board.id,
        stage_id=-1,
        title=title,
        class_of_service=cos,
        lane_id=lane.id if lane else None,
        work_type_id=work_type_id,
        due_date=due,
    )
    decision = decide_pull(board, draft, stage.id, load_wip_counts(session, board))
    if not decision.allowed:
        raise ActionFailed(f"{stage.name} refused it: " + " ".join(decision.reasons))
    external = planned.external_ref
    if external is None and isinstance(event.payload.get("id"), str | int):
        external = event.payload["id"]  # a webhook's own id, by default
    row = ItemRow(
        board_id=board.id,
        stage_id=stage.id,
        lane_id=lane.id if lane else None,
        work_type_id=work_type_id,
        class_of_service=cos.value,
        title=title,
        description=(planned.description or "")[:20_000],
        value=planned.value,
        due_date=due,
        tags=[],
        external_ref=str(external)[:120] if external is not None else None,
        ready=False,
        created_at=now,
        updated_at=now,
        stage_entered_at=now,
        committed_at=now if stage.kind in (StageKind.COMMITTED, StageKind.DONE) else None,
        done_at=now if stage.kind == StageKind.DONE else None,
    )
    session.add(row)
    session.flush()
    append_transition(
        session,
        item_id=row.id,
        board_id=board.id,
        at=now,
        kind=TransitionKind.CREATED,
        actor_id=None,
        to_stage_id=stage.id,
        reason=RULE_REASON.format(name=rule_name)[:500],
        details={"rule_id": rule_id, "event": event.kind.value},
    )
    return f"created #{row.id} {title} in {board.name} / {stage.name}", row.id


def _item_and_board(session, event) -> tuple[WorkItem, Board]:
    if event.item_id is None:
        raise ActionFailed("the event names no item")
    item = load_item(session, event.item_id, lock=True)
    if item is None:
        raise ActionFailed(f"item {event.item_id} no longer exists")
    return item, load_board(session, item.board_id, lock=True)


def _move_item(session, workspace_id, rule_id, rule_name, event, planned, now, today):
    item, board = _item_and_board(session, event)
    stage = next((s for s in board.stages if s.name.lower() == planned.action.stage.lower()), None)
    if stage is None:
        raise ActionFailed(f"the board {board.name} has no stage {planned.action.stage!r}")
    if stage.id == item.stage_id:
        return f"#{item.id} is already in {stage.name}", item.id
    from pullplan.services.items import write_move  # the one way a move is written

    decision = decide_pull(board, item, stage.id, load_wip_counts(session, board, excluding=item.id))
    if not decision.allowed:
        raise ActionFailed(f"{stage.name} refused #{item.id}: " + " ".join(decision.reasons))
    reason = RULE_REASON.format(name=rule_name)[:500]
    write_move(session, board, item, stage.id, now, None, decision, reason, {"rule_id": rule_id})
    return f"moved #{item.id} to {stage.name}", item.id


def _promote(session, workspace_id, rule_id, rule_name, event, planned, now, today):
    item, board = _item_and_board(session, event)
    if item.class_of_service == ClassOfService.EXPEDITE:
        return f"#{item.id} is already expedite", item.id
    lane = next((lane for lane in board.lanes if lane.class_of_service == ClassOfService.EXPEDITE), None)
    after = replace(item, class_of_service=ClassOfService.EXPEDITE, lane_id=lane.id if lane else item.lane_id)
    decision = decide_change(board, item, after, load_wip_counts(session, board, excluding=item.id))
    if not decision.allowed:
        raise ActionFailed(f"#{item.id} cannot be expedited: " + " ".join(decision.reasons))
    changes = {"class_of_service": [item.class_of_service.value, "expedite"]}
    if after.lane_id != item.lane_id:
        changes["lane_id"] = [item.lane_id, after.lane_id]
    session.execute(
        update(ItemRow)
        .where(ItemRow.id == item.id)
        .values(class_of_service="expedite", lane_id=after.lane_id, updated_at=now)
    )
    append_transition(
        session,
        item_id=item.id,
        board_id=board.id,
        at=now,
        kind=TransitionKind.EDITED,
        actor_id=None,
        reason=RULE_REASON.format(name=rule_name)[:500],
        details={"changes": changes, "rule_id": rule_id},
    )
    return f"promoted #{item.id} to expedite", item.id


def _block(session, workspace_id, rule_id, rule_name, event, planned, now, today):
    item, board = _item_and_board(session, event)
    if item.blocked:
        return f"#{item.id} is already blocked", item.id
    reason = (planned.reason or rule_name)[:500]
    session.add(BlockerRow(item_id=item.id, reason=reason, category="rule", started_at=now))
    append_transition(
        session,
        item_id=item.id,
        board_id=board.id,
        at=now,
        kind=TransitionKind.BLOCKED,
        actor_id=None,
        reason=reason,
        details={"category": "rule", "rule_id": rule_id},
    )
    return f"blocked #{item.id}: {reason}", item.id


def _notify(session, workspace_id, rule_id, rule_name, event, planned, now, today):
    message = (planned.message or rule_name)[:500]
    target_id = None
    if planned.action.target:
        target_id = session.scalar(
            select(WebhookTargetRow.id).where(
                WebhookTargetRow.workspace_id == workspace_id,
                func.lower(WebhookTargetRow.name) == planned.action.target.lower(),
            )
        )
        if target_id is None:
            raise ActionFailed(f"there is no webhook target {planned.action.target!r} in this workspace")
    session.add(
        NotificationRow(
            workspace_id=workspace_id, rule_id=rule_id, item_id=event.item_id, message=message, created_at=now
        )
    )
    if target_id is None:
        return "notified", None
    session.add(
        OutboxRow(
            workspace_id=workspace_id,
            target_id=target_id,
            event=event.kind.value,
            payload={
                "event": event.kind.value,
                "rule": rule_name,
                "message": message,
                "item_id": event.item_id,
                "facts": {k: _json(x) for k, x in event.facts.items()},
                "at": now.isoformat(),
            },
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
    )
    return f"notified, and queued for {planned.action.target}", None


def _json(x):
    if isinstance(x, dt.date | dt.datetime):
        return x.isoformat()
    if isinstance(x, tuple):
        return list(x)
    if isinstance(x, int | float | str | bool | list | dict) or x is None:
        return x
    return str(x)


_DO = {
    ActionKind.CREATE_ITEM: _create_item,
    ActionKind.MOVE_ITEM: _move_item,
    ActionKind.PROMOTE_EXPEDITE: _promote,
    ActionKind.ADD_BLOCKER: _block,
    ActionKind.NOTIFY: _notify,
}
