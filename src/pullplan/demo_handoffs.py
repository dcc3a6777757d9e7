"""The demo's handoffs: Sales deals that asked Marketing for case studies. One was accepted
long ago, one is being written, one waits for Marketing's promise."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pullplan.domain.handoffs import HandoffStatus, Step
from pullplan.storage.handoff_tables import HandoffRow, HandoffStepRow
from pullplan.storage.tables import BoardRow, ItemRow, StageRow, UserRow

CONDITIONS = {
    "accepted": "Two pages: the problem, what changed, a number; a quote approved by the customer.",
    "performing": "One page and a slide for the proposal deck; the customer's logo cleared for use.",
    "requested": "A short story from the pilot with one number; approved by the customer's comms team.",
}


def add(session: Session, workspace_id: int, now: datetime) -> None:
    """Write the three handoffs and their histories, from the items the demo already has."""
    boards = dict(
        session.execute(select(BoardRow.name, BoardRow.id).where(BoardRow.workspace_id == workspace_id)).all()
    )
    if "Sales" not in boards or "Marketing" not in boards:
        return
    users = dict(session.execute(select(UserRow.username, UserRow.id)).all())
    writer = users.get("emma")
    done = _items(session, boards["Marketing"], "done", content=True)
    doing = _items(session, boards["Marketing"], "committed", content=True)
    options = _items(session, boards["Marketing"], "option", content=True)
    won = _items(session, boards["Sales"], "done")
    open_deals = _items(session, boards["Sales"], "committed")
    if not (done and doing and options and won and len(open_deals) >= 2):
        return

    # Accepted long ago: the oldest case study published, for a deal that was won.
    study = min(done, key=lambda i: (i.done_at, i.id))
    deal = won[0]
    asked = study.created_at
    steps = [
        (asked, Step.REQUEST, deal.owner_id, None),
        (
            _between(asked, study.committed_at),
            Step.PROMISE,
            study.owner_id or writer,
            "I'll interview their ops lead.",
        ),
        (study.committed_at or asked + timedelta(days=1), Step.PERFORM, study.owner_id or writer, None),
        (study.done_at, Step.DECLARE_COMPLETE, study.owner_id or writer, "Approved by the customer."),
        (
            min(study.done_at + timedelta(hours=2), now),
            Step.ACCEPT,
            deal.owner_id,
            "Sent with the proposal.",
        ),
    ]
    _write(session, workspace_id, deal, study, boards["Marketing"], "accepted", steps, study.done_at.date())

    # In progress: a case study being written for an open deal.
    study = doing[0]
    deal = open_deals[0]
    asked = study.created_at
    steps = [
        (asked, Step.REQUEST, deal.owner_id, None),
        (_between(asked, study.committed_at), Step.PROMISE, study.owner_id or writer, None),
        (study.committed_at or asked + timedelta(days=1), Step.PERFORM, study.owner_id or writer, None),
    ]
    _write(
        session,
        workspace_id,
        deal,
        study,
        boards["Marketing"],
        "performing",
        steps,
        now.date() + timedelta(10),
    )

    # Waiting for a promise: asked of the Marketing team, nobody has answered yet.
    study = options[-1]
    deal = open_deals[1]
    steps = [(study.created_at, Step.REQUEST, deal.owner_id, None)]
    _write(
        session,
        workspace_id,
        deal,
        study,
        boards["Marketing"],
        "requested",
        steps,
        now.date() + timedelta(21),
    )


def _between(asked: datetime, committed: datetime | None) -> datetime:
    """When the promise was made: halfway to the commitment (or three hours after asking)."""
    return asked + (committed - asked) / 2 if committed else asked + timedelta(hours=3)


def _items(session: Session, board_id: int, kind: str, *, content: bool = False) -> list[ItemRow]:
    """Unarchived items of a board in stages of `kind` (case studies only, with `content`)."""
    query = (
        select(ItemRow)
        .join(StageRow, StageRow.id == ItemRow.stage_id)
        .where(ItemRow.board_id == board_id, StageRow.kind == kind, ItemRow.archived_at.is_(None))
        .order_by(ItemRow.id)
    )
    if content:
        query = query.where(ItemRow.title.like("Case study:%"))
    else:
        query = query.where(ItemRow.owner_id.is_not(None))
    return list(session.scalars(query))


def _write(session, workspace_id, deal, study, board_id, status, steps, due) -> None:
    performer = next((actor for _, step, actor, _ in steps if step != Step.REQUEST), None)
    row = HandoffRow(
        workspace_id=workspace_id,
        requesting_item_id=deal.id,
        linked_item_id=study.id,
        performer_board_id=board_id,
        requester_id=deal.owner_id,
        performer_id=performer,
        title=study.title,
        conditions=CONDITIONS[status],
        due_date=due,
        status=HandoffStatus(status).value,
        requested_at=steps[0][0],
        updated_at=steps[-1][0],
        closed_at=steps[-1][0] if status == "accepted" else None,
    )
    session.add(row)
    session.flush()
    previous = None
    to = {
        Step.REQUEST: HandoffStatus.REQUESTED,
        Step.PROMISE: HandoffStatus.PROMISED,
        Step.PERFORM: HandoffStatus.PERFORMING,
        Step.DECLARE_COMPLETE: HandoffStatus.DECLARED_COMPLETE,
        Step.ACCEPT: HandoffStatus.ACCEPTED,
    }
    for at, step, actor, note in steps:
        session.add(
            HandoffStepRow(
                handoff_id=row.id,
                at=at,
                step=step.value,
                actor_id=actor,
                from_status=previous,
                to_status=to[step].value,
                note=note,
                due_date=due if step == Step.REQUEST else None,
                conditions=CONDITIONS[status] if step == Step.REQUEST else None,
            )
        )
        previous = to[step].value
