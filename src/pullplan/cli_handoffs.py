"""`pullplan handoff list|request|step`: the promise cycle from the command line."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from sqlalchemy import func, select

from pullplan.domain.handoffs import STATUS_LABELS, Step
from pullplan.domain.permissions import Role, at_least
from pullplan.services import handoffs as service
from pullplan.services.errors import InvalidInput, NotFound
from pullplan.services.handoffs import HandoffView
from pullplan.storage.database import Database
from pullplan.storage.tables import BoardRow, MembershipRow, UserRow, WorkspaceRow

handoff_app = typer.Typer(
    rich_markup_mode=None,
    help="Handoffs between people and teams: request, promise, perform, accept.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
As = Annotated[str, typer.Option("--as", help="Who acts: a username.")]
STEP_NAMES = ", ".join(s.value.replace("_", "-") for s in Step if s != Step.REQUEST)


def _cli():
    from pullplan import cli  # the shared helpers; imported late: cli registers this module

    return cli


@handoff_app.command("list")
def handoff_list(
    workspace: Annotated[str | None, typer.Option(help="Workspace id or name (default: all).")] = None,
    mine: Annotated[
        str | None, typer.Option(help="requester or performer: only the handoffs of --as in that part.")
    ] = None,
    who: Annotated[str | None, typer.Option("--as", help="Whose handoffs --mine means.")] = None,
    status: Annotated[str | None, typer.Option(help="A status, or open / closed.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Handoffs, newest first, with their status and who waits for whom."""
    db = _cli()._database()
    workspace_id = _workspace_id(db, workspace) if workspace else None
    requester_id = performer_id = None
    if mine is not None:
        if mine not in ("requester", "performer"):
            raise InvalidInput("--mine", f"{mine!r} is not requester or performer.")
        if who is None:
            raise InvalidInput("--as", "--mine needs --as USERNAME: whose handoffs.")
        user_id = _cli()._user_id(db, who)
        requester_id, performer_id = (user_id, None) if mine == "requester" else (None, user_id)
    views = service.list_handoffs(
        db, workspace_id=workspace_id, requester_id=requester_id, performer_id=performer_id, status=status
    )
    rows = [_row(view) for view in views]
    if as_json:
        typer.echo(json.dumps([_json(view) for view in views], indent=2))
    elif not rows:
        typer.echo("No handoffs.")
    else:
        _cli()._print(rows, False, ["id", "status", "title", "for", "asked by", "of", "by"])


@handoff_app.command("request")
def handoff_request(
    item: Annotated[int, typer.Argument(help="The requesting item's id.", min=1)],
    board: Annotated[str, typer.Argument(help="The performer's board: id or name.")],
    title: Annotated[str, typer.Argument(help="What is handed over.")],
    who: As,
    conditions: Annotated[str, typer.Option(help="Conditions of satisfaction.")],
    due: Annotated[str, typer.Option(help="By when, YYYY-MM-DD.")],
    performer: Annotated[
        str | None, typer.Option(help="The performer's username (default: the team).")
    ] = None,
    stage: Annotated[
        str | None, typer.Option(help="Stage of the linked item (default: first option).")
    ] = None,
    block: Annotated[bool, typer.Option(help="Block the item until the handoff is accepted.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Request a handoff for an item from a board: a linked item is made on that board."""
    cli = _cli()
    db = cli._database()
    board_id = cli._board_id(db, board)
    actor_id = _member(db, who, board_id)
    view = service.request_handoff(
        db,
        actor_id=actor_id,
        requesting_item_id=item,
        performer_board_id=board_id,
        title=title,
        conditions=conditions,
        due_date=_date("--due", due),
        performer_id=cli._user_id(db, performer) if performer else None,
        stage_id=cli._stage_id(db, board_id, stage) if stage else None,
        block=block,
    )
    _report(view, as_json, f"Requested handoff {view.id}")


@handoff_app.command("step")
def handoff_step(
    handoff: Annotated[int, typer.Argument(help="Handoff id.", min=1)],
    step: Annotated[str, typer.Argument(help=f"One of: {STEP_NAMES}.")],
    who: As,
    note: Annotated[str | None, typer.Option(help="Why (a decline or a rejection needs one).")] = None,
    due: Annotated[str | None, typer.Option(help="A counter-offer's date, YYYY-MM-DD.")] = None,
    conditions: Annotated[str | None, typer.Option(help="A counter-offer's conditions.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Take a step of the promise cycle; a refused step prints why."""
    db = _cli()._database()
    name = step.replace("-", "_")
    if name not in {s.value for s in Step} or name == Step.REQUEST:
        raise InvalidInput("STEP", f"{step!r} is not one of: {STEP_NAMES}.")
    current = service.get_handoff(db, handoff)
    actor_id = _member(db, who, current.performer_board_id)
    view = service.take_step(
        db,
        actor_id=actor_id,
        handoff_id=handoff,
        step=name,
        note=note,
        due_date=_date("--due", due) if due else None,
        conditions=conditions,
    )
    _report(view, as_json, f"Handoff {view.id}")


# --- helpers ----------------------------------------------------------------------------------


def _workspace_id(db: Database, ref: str) -> int:
    with db.read() as session:
        if ref.isdigit():
            found = session.scalar(select(WorkspaceRow.id).where(WorkspaceRow.id == int(ref)))
        else:
            found = session.scalar(
                select(WorkspaceRow.id).where(func.lower(WorkspaceRow.name) == ref.lower())
            )
    if found is None:
        raise NotFound("Workspace", ref)
    return found


def _member(db: Database, username: str, board_id: int) -> int:
    """The user `username`, who must be a member (or manager) of the board's workspace."""
    user_id = _cli()._user_id(db, username)
    with db.read() as session:
        role = session.scalar(
            select(MembershipRow.role)
            .join(BoardRow, BoardRow.workspace_id == MembershipRow.workspace_id)
            .where(BoardRow.id == board_id, MembershipRow.user_id == user_id)
        )
        admin = session.scalar(select(UserRow.is_admin).where(UserRow.id == user_id))
    if not admin and role is None:
        raise InvalidInput("--as", f"{username} is not a member of this workspace.")
    if not admin and not at_least(role, Role.MEMBER):
        raise InvalidInput("--as", f"{username} is a {role} here and cannot act on handoffs.")
    return user_id


def _date(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(option, f"{text!r} is not a date like 2026-12-31.") from None


def _row(view: HandoffView) -> dict:
    h = view.handoff
    return {
        "id": h.id,
        "status": STATUS_LABELS[h.status],
        "title": view.title,
        "for": f"#{view.requesting_item_id} {view.requesting_item_title}",
        "asked by": h.requester_name or "",
        "of": f"{view.performer_board_name} / {h.performer_name or 'anyone'}",
        "by": h.due_date.isoformat(),
    }


def _json(view: HandoffView) -> dict:
    h = view.handoff
    return {
        "id": h.id,
        "workspace_id": view.workspace_id,
        "title": view.title,
        "status": h.status.value,
        "conditions": h.conditions,
        "due_date": h.due_date.isoformat(),
        "counter_due_date": h.counter_due_date.isoformat() if h.counter_due_date else None,
        "counter_conditions": h.counter_conditions,
        "requester": h.requester_name,
        "performer": h.performer_name,
        "requesting_item_id": view.requesting_item_id,
        "linked_item_id": view.linked_item_id,
        "performer_board": view.performer_board_name,
        "waiting": h.waiting,
        "blocks_item": view.blocks_item,
        "steps": [
            {
                "at": s.at.isoformat(),
                "step": s.step,
                "by": s.actor_name,
                "to_status": s.to_status,
                "note": s.note,
            }
            for s in view.steps
        ],
    }


def _report(view: HandoffView, as_json: bool, headline: str) -> None:
    if as_json:
        typer.echo(json.dumps(_json(view), indent=2))
        return
    h = view.handoff
    typer.echo(f"{headline}: {view.title} — {STATUS_LABELS[h.status]}, by {h.due_date.isoformat()}")
    typer.echo(f"  for item {view.requesting_item_id} ({view.requesting_item_title})", nl=False)
    typer.echo(", waiting" + (" and blocked" if view.blocks_item else "") if h.waiting else "")
    if view.linked_item_id:
        typer.echo(f"  linked item {view.linked_item_id} on {view.performer_board_name}")
