"""`pullplan plan ...`: the Last Planner from the command line: the week's plan, the lookahead
and its constraints, metrics, and the week's promises, check-ins, close and snapshot."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from sqlalchemy import func, select

from pullplan.services import planner as service
from pullplan.services import planner_weeks as weeks_service
from pullplan.services.errors import InvalidInput, NotFound
from pullplan.storage.database import Database
from pullplan.storage.tables import UserRow, WorkspaceRow

plan_app = typer.Typer(
    rich_markup_mode=None,
    help="The Last Planner: weekly plans, promises, check-ins, constraints and PPC.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Workspace = Annotated[
    str | None, typer.Option(help="Workspace id or name (default: the only one, or the demo workspace).")
]
Week = Annotated[str | None, typer.Option(help="Any day of the week, YYYY-MM-DD (default: this week).")]
As = Annotated[str, typer.Option("--as", help="Who acts: a username.")]


def _cli():
    from pullplan import cli  # the shared helpers; imported late: cli registers this module

    return cli


def _workspace_id(db: Database, ref: str | None) -> int:
    with db.read() as session:
        if ref is None:
            rows = session.execute(select(WorkspaceRow.id, WorkspaceRow.is_demo, WorkspaceRow.name)).all()
            demo = [r for r in rows if r.is_demo and r.name == "Demo workspace"]
            if len(rows) == 1 or demo:
                return (rows[0] if len(rows) == 1 else demo[0]).id
            raise InvalidInput("--workspace", "give the workspace (id or name): there are several.")
        query = select(WorkspaceRow.id).where(
            (WorkspaceRow.id == int(ref)) if ref.isdigit() else func.lower(WorkspaceRow.name) == ref.lower()
        )
        found = session.scalar(query)
    if found is None:
        raise NotFound("Workspace", ref)
    return found


def _user(db: Database, username: str) -> int:
    with db.read() as session:
        found = session.scalar(select(UserRow.id).where(UserRow.username == username))
    if found is None:
        raise InvalidInput("--as", f"there is no user {username!r}.")
    return found


def _week(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("--week", f"{text!r} is not a date like 2026-12-31.") from None


def _pct(ratio) -> str:
    return "-" if ratio is None else f"{ratio.percent:.0f}% ({ratio.numerator}/{ratio.denominator})"


def _ratio(ratio) -> dict | None:
    return (
        None
        if ratio is None
        else {"numerator": ratio.numerator, "denominator": ratio.denominator, "percent": ratio.percent}
    )


def _echo_json(data) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


@plan_app.command("week")
def plan_week(workspace: Workspace = None, week: Week = None, as_json: JsonFlag = False) -> None:
    """A week's promises with their latest check-in and outcome, and PPC once closed."""
    db = _cli()._database()
    plan = weeks_service.weekly_plan(db, _workspace_id(db, workspace), _week(week))
    rows = [
        {
            "id": p.id,
            "task": p.task.key,
            "title": p.title,
            "performer": p.performer_name or "",
            "added_later": p.added_later,
            "status": p.status or "",
            "outcome": p.outcome or "",
            "reason": p.reason or "",
        }
        for p in plan.promises
    ]
    if as_json:
        _echo_json(
            {
                "week": plan.week,
                "closed": plan.closed,
                "ppc": _ratio(plan.ppc),
                "at_risk": [p.id for p in plan.at_risk],
                "promises": rows,
            }
        )
        return
    state = "closed" if plan.closed else ("in progress" if plan.started else "planning")
    typer.echo(f"Week of {plan.week} ({state}) PPC {_pct(plan.ppc)}; {len(plan.at_risk)} at risk")
    if rows:
        _cli()._print(rows, False, ["id", "title", "performer", "added_later", "status", "outcome", "reason"])


@plan_app.command("lookahead")
def plan_lookahead(workspace: Workspace = None, as_json: JsonFlag = False) -> None:
    """Tasks in the lookahead window, by week, and whether each is ready."""
    db = _cli()._database()
    view = service.lookahead(db, _workspace_id(db, workspace))
    rows = [
        {
            "week": str(t.week),
            "task": t.task.key,
            "title": t.task.title,
            "from": t.milestone or "",
            "performer": t.performer_name or "",
            "ready": t.ready,
            "open_constraints": t.open_constraints,
        }
        for t in view.tasks
    ]
    if as_json:
        _echo_json(rows)
        return
    _cli()._print(rows, False, ["week", "task", "title", "from", "performer", "ready", "open_constraints"])


@plan_app.command("constraints")
def plan_constraints(
    workspace: Workspace = None,
    status: Annotated[str | None, typer.Option(help="open, removed or waived (default: all).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The constraint log: what stops each task, whose it is and when it is needed."""
    db = _cli()._database()
    rows = [
        {
            "id": c.id,
            "task": c.task.title,
            "category": c.category,
            "description": c.description,
            "owner": c.owner_name or "",
            "need_by": str(c.need_by),
            "status": c.status + (" (overdue)" if c.overdue else ""),
        }
        for c in service.list_constraints(db, _workspace_id(db, workspace), status=status)
    ]
    if as_json:
        _echo_json(rows)
        return
    _cli()._print(rows, False, ["id", "task", "category", "description", "owner", "need_by", "status"])


@plan_app.command("metrics")
def plan_metrics(
    workspace: Workspace = None,
    weeks: Annotated[int, typer.Option(help="How many weeks, this one last.", min=1, max=104)] = 12,
    as_json: JsonFlag = False,
) -> None:
    """PPC, TA, TMR and PCR per week, and the Pareto of reasons for variance."""
    db = _cli()._database()
    m = weeks_service.planner_metrics(db, _workspace_id(db, workspace), weeks=weeks)
    if as_json:
        _echo_json(
            {
                "lag_weeks": m.lag_weeks,
                "weeks": [
                    {"week": w.week, **{k: _ratio(getattr(w, k)) for k in ("ppc", "ta", "tmr", "pcr")}}
                    for w in m.trend
                ],
                "pareto": [
                    {
                        "reason": p.reason,
                        "label": p.label,
                        "count": p.count,
                        "learning_cycles": [c.title for c in p.learning_cycles],
                    }
                    for p in m.pareto
                ],
            }
        )
        return
    rows = [
        {"week": str(w.week), **{k.upper(): _pct(getattr(w, k)) for k in ("ppc", "ta", "tmr", "pcr")}}
        for w in m.trend
    ]
    _cli()._print(rows, False, ["week", "PPC", "TA", "TMR", "PCR"])
    if m.pareto:
        typer.echo("")
        _cli()._print(
            [
                {"reason": p.label, "misses": p.count, "cumulative": f"{100 * p.cumulative:.0f}%"}
                for p in m.pareto
            ],
            False,
            ["reason", "misses", "cumulative"],
        )


def _task_ids(task: str) -> dict:
    kind, _, number = task.partition(":")
    if kind not in ("task", "item") or not number.isdigit():
        raise InvalidInput(
            "TASK", f"{task!r} is not task:<id> (a pull-plan task) or item:<id> (a board item)."
        )
    return {"plan_task_id" if kind == "task" else "item_id": int(number)}


@plan_app.command("promise")
def plan_promise(
    task: Annotated[str, typer.Argument(help="task:<id> or item:<id> (see `pullplan plan lookahead`).")],
    who: As,
    workspace: Workspace = None,
    week: Week = None,
    reason: Annotated[str | None, typer.Option(help="Why an unready task is promised anyway.")] = None,
) -> None:
    """Promise a task for a week, as its performer (--as)."""
    db = _cli()._database()
    result = weeks_service.promise(
        db,
        actor_id=_user(db, who),
        workspace_id=_workspace_id(db, workspace),
        week=_week(week) or date.today(),
        override_reason=reason,
        **_task_ids(task),
    )
    later = " (added later)" if result.promise.added_later else ""
    typer.echo(f"Promise {result.promise.id}: {result.promise.title}, week of {result.promise.week}{later}")
    for warning in result.warnings:
        typer.echo(f"  warning: {warning}")


@plan_app.command("checkin")
def plan_checkin(
    promise: Annotated[int, typer.Argument(help="The promise's id (see `pullplan plan week`).")],
    status: Annotated[str, typer.Option(help="on_track, at_risk or done.")],
    who: As,
    note: Annotated[str, typer.Option(help="A note for the team.")] = "",
) -> None:
    """The daily check-in on a promise."""
    db = _cli()._database()
    view = weeks_service.check_in(db, actor_id=_user(db, who), promise_id=promise, status=status, note=note)
    typer.echo(f"Promise {view.id}: {view.title} is {view.status.replace('_', ' ')}")


@plan_app.command("close")
def plan_close(
    who: As,
    workspace: Workspace = None,
    week: Week = None,
    missed: Annotated[
        list[str] | None,
        typer.Option(help="A missed promise as ID=REASON (repeat it); every other promise was done."),
    ] = None,
) -> None:
    """Close a week: the promises named by --missed were not done, for their reason; the rest were."""
    db = _cli()._database()
    workspace_id = _workspace_id(db, workspace)
    plan = weeks_service.weekly_plan(db, workspace_id, _week(week))
    misses: dict[int, str] = {}
    for entry in missed or []:
        number, _, reason = entry.partition("=")
        if not number.isdigit() or not reason:
            raise InvalidInput("--missed", f"{entry!r} is not ID=REASON, e.g. 12=approval_late.")
        misses[int(number)] = reason
    known = {p.id for p in plan.promises}
    unknown = sorted(set(misses) - known)
    if unknown:
        raise InvalidInput("--missed", f"promise {unknown[0]} is not of the week of {plan.week}.")
    outcomes = [
        {"promise_id": p.id, "done": p.id not in misses, "reason": misses.get(p.id)} for p in plan.promises
    ]
    closed = weeks_service.close_week(
        db, actor_id=_user(db, who), workspace_id=workspace_id, week=plan.week, outcomes=outcomes
    )
    typer.echo(f"Week of {closed.week} closed: PPC {_pct(closed.ppc)}")


@plan_app.command("snapshot")
def plan_snapshot(workspace: Workspace = None) -> None:
    """Store this week's lookahead (for TA and TMR); the week's first snapshot stands. For cron."""
    db = _cli()._database()
    view = service.take_snapshot(db, actor_id=None, workspace_id=_workspace_id(db, workspace))
    state = "stored" if view.created else "already stored"
    typer.echo(f"Lookahead of the week of {view.week} {state}: {view.tasks} tasks")
