"""The `pullplan` command: serve, demo, db, board, item, pull-next.

Read commands print a table by default and JSON with --json. Errors go to stderr with
exit code 2 and no traceback.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy import func, select

from pullplan.cli_data import (
    backup_command,
    export_command,
    import_command,
    items_export_command,
    items_import_command,
    restore_command,
    trello_import_command,
)
from pullplan.cli_handoffs import handoff_app
from pullplan.cli_lrm import lrm_app
from pullplan.cli_plan import plan_app
from pullplan.cli_rules import rules_app, webhook_app
from pullplan.cli_rules import worker as worker_command
from pullplan.domain.items import WorkItem, age_days
from pullplan.services import accounts
from pullplan.services import boards as board_service
from pullplan.services import flow as flow_service
from pullplan.services import items as item_service
from pullplan.services import lrm as lrm_service
from pullplan.services import revenue as revenue_service
from pullplan.services.clock import utcnow
from pullplan.services.errors import InvalidInput, ServiceError
from pullplan.settings import Settings
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.storage.tables import BoardRow, StageRow, UserRow, WorkspaceRow, WorkTypeRow

app = typer.Typer(
    help="pullplan: lean pull planning for sales and marketing teams.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(rich_markup_mode=None, help="The database.", no_args_is_help=True)
board_app = typer.Typer(rich_markup_mode=None, help="Boards.", no_args_is_help=True)
item_app = typer.Typer(rich_markup_mode=None, help="Work items.", no_args_is_help=True)
forecast_app = typer.Typer(
    rich_markup_mode=None, help="Forecasts from the board's own throughput.", no_args_is_help=True
)
user_app = typer.Typer(rich_markup_mode=None, help="People and their access.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(board_app, name="board")
app.add_typer(item_app, name="item")
app.add_typer(user_app, name="user")
app.add_typer(forecast_app, name="forecast")
app.add_typer(handoff_app, name="handoff")
app.add_typer(rules_app, name="rules")
app.add_typer(webhook_app, name="webhook")
app.add_typer(lrm_app, name="lrm")
app.add_typer(plan_app, name="plan")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


class CliError(Exception):
    """A problem with what was typed; printed without a traceback, exit code 2."""


def _database() -> Database:
    db = Database(Settings().resolved_database_url)
    upgrade(db)
    return db


# --- serve, demo, db --------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.", min=1, max=65535)] = None,
    demo: Annotated[
        bool | None,
        typer.Option(help="Create the demo workspace if the database is empty (default: PULLPLAN_DEMO)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Server processes (default: PULLPLAN_WORKERS, 1). Use PostgreSQL for several.", min=1, max=64
        ),
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option(
            help="Worker threads per process for blocking work; 1 runs it on the event loop's thread, "
            "one request at a time (default: PULLPLAN_THREADS, 40).",
            min=1,
            max=400,
        ),
    ] = None,
) -> None:
    """Serve the web app and the API (upgrades the schema first)."""
    import os
    from logging import config as logging_config

    import uvicorn

    from pullplan.web import processes
    from pullplan.web.app import create_app, prepare_database
    from pullplan.web.request_log import log_config

    chosen = {"demo": demo, "threads": threads}
    settings = Settings(**{name: value for name, value in chosen.items() if value is not None})
    host = host or settings.host
    port = port or settings.port
    workers = workers or settings.workers
    logging = log_config(settings.log_format)
    typer.echo(
        f"pullplan on http://{host}:{port}  (database: {_safe_url(settings)}; "
        f"{workers} process{'es' if workers > 1 else ''} of {settings.threads} "
        f"thread{'s' if settings.threads > 1 else ''})",
        err=True,
    )
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_config=logging, access_log=False)
        return
    claim = None  # on Linux: each process listens on a socket of its own (web/processes.py)
    if processes.balanced_by_kernel():
        try:
            claim = processes.claim_address(host, port)
        except OSError as e:
            raise CliError(f"Cannot listen on {host}:{port}: {e.strerror or e}.") from None
    # Several processes: upgrade the schema and create the admin and the demo once, here;
    # each worker builds its app from the environment and skips that step.
    prepare_database(settings).dispose()
    os.environ["PULLPLAN_PREPARE"] = "false"
    if demo is not None:
        os.environ["PULLPLAN_DEMO"] = str(demo).lower()
    os.environ["PULLPLAN_THREADS"] = str(settings.threads)
    if claim is not None:
        logging_config.dictConfig(logging)
        with claim:
            raise typer.Exit(processes.Supervisor(workers, host, port, logging).run())
    uvicorn.run(
        "pullplan.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=logging,
        access_log=False,
    )


@app.command("demo")
def demo_command(
    reset: Annotated[bool, typer.Option(help="Delete the demo workspace and create it again.")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the simulation.")] = 7,
) -> None:
    """Create (or with --reset, re-create) the demo workspace."""
    from pullplan.demo import create_demo, reset_demo

    db = _database()
    with db.read() as session:
        exists = session.scalar(select(WorkspaceRow.id).where(WorkspaceRow.is_demo.is_(True)))
    if exists and not reset:
        raise CliError("The demo workspace already exists; use --reset to create it again.")
    workspace_id = (reset_demo if exists else create_demo)(db, seed=seed)
    with db.read() as session:
        boards = session.scalars(select(BoardRow.name).where(BoardRow.workspace_id == workspace_id)).all()
    typer.echo(f"Demo workspace {workspace_id} ready with boards: {', '.join(boards)}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the database schema to the latest version."""
    settings = Settings()
    upgrade(Database(settings.resolved_database_url))
    typer.echo(f"Schema up to date ({_safe_url(settings)}).")


# --- boards -----------------------------------------------------------------------------------


@board_app.command("list")
def board_list(as_json: JsonFlag = False) -> None:
    """Every board, with its workspace."""
    rows = [
        {"id": b.id, "name": b.name, "workspace_id": w.id, "workspace": w.name}
        for b, w in board_service.all_boards(_database())
    ]
    _print(rows, as_json, ["id", "name", "workspace"])


@board_app.command("show")
def board_show(
    board: Annotated[str, typer.Argument(help="Board id or name.")],
    as_json: JsonFlag = False,
) -> None:
    """Stages with counts and limits, and the items in each stage."""
    db = _database()
    view = board_service.read_board(db, _board_id(db, board))
    today = view.read_at.date()
    if as_json:
        data = {
            "board": {"id": view.board.id, "name": view.board.name},
            "stages": [
                {
                    "id": sv.stage.id,
                    "name": sv.stage.name,
                    "kind": sv.stage.kind.value,
                    "count": sv.count,
                    "wip_limit": sv.stage.wip_limit,
                    "wip_mode": sv.stage.wip_mode.value,
                    "items": [_item_dict(i, today) for i in sv.items],
                }
                for sv in view.stages
            ],
        }
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(f"{view.board.name} ({view.workspace_name})")
    last_option, _ = view.board.commitment_point
    for sv in view.stages:
        limit = f"/{sv.stage.wip_limit} {sv.stage.wip_mode.value}" if sv.stage.wip_limit is not None else ""
        flag = "  OVER LIMIT" if sv.over_limit else ""
        typer.echo(f"\n{sv.stage.name} [{sv.stage.kind.value}] {sv.count}{limit}{flag}")
        shown = sv.items if sv.stage.is_wip else sv.items[:5]
        for item in shown:
            typer.echo("  " + _item_line(item, today))
        if len(shown) < sv.count:
            typer.echo(f"  ... and {sv.count - len(shown)} more")
        if last_option is not None and sv.stage.id == last_option.id:
            typer.echo("\n---- commitment point ----")


# --- items ------------------------------------------------------------------------------------


@item_app.command("add")
def item_add(
    board: Annotated[str, typer.Argument(help="Board id or name.")],
    title: Annotated[str, typer.Argument(help="Title of the item.")],
    stage: Annotated[str | None, typer.Option(help="Stage id or name (default: first option stage).")] = None,
    work_type: Annotated[str | None, typer.Option("--type", help="Work type name.")] = None,
    class_of_service: Annotated[
        str, typer.Option("--class", help="expedite, fixed_date, standard or intangible.")
    ] = "standard",
    owner: Annotated[str | None, typer.Option(help="Owner's username.")] = None,
    due: Annotated[str | None, typer.Option(help="Due date, YYYY-MM-DD.")] = None,
    value: Annotated[str | None, typer.Option(help="Money value (deals).")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="A tag; repeat for more.")] = None,
    reason: Annotated[str | None, typer.Option(help="Reason, when a reason-mode limit is exceeded.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a work item."""
    db = _database()
    board_id = _board_id(db, board)
    fields: dict = {"class_of_service": class_of_service, "tags": tag or []}
    if work_type:
        fields["work_type_id"] = _work_type_id(db, board_id, work_type)
    if owner:
        fields["owner_id"] = _user_id(db, owner)
    if due:
        fields["due_date"] = _date("--due", due)
    if value is not None:
        fields["value"] = value
    result = item_service.create_item(
        db,
        actor_id=None,
        board_id=board_id,
        title=title,
        stage_id=_stage_id(db, board_id, stage) if stage else None,
        reason=reason,
        **fields,
    )
    _report(result, as_json, f"Created item {result.item.id}")


@item_app.command("move")
def item_move(
    item: Annotated[int, typer.Argument(help="Item id.", min=1)],
    stage: Annotated[str, typer.Argument(help="Target stage id or name.")],
    reason: Annotated[str | None, typer.Option(help="Reason, when a reason-mode limit is exceeded.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Pull an item into a stage; prints every reason when the pull is refused."""
    db = _database()
    current = item_service.get_item(db, item)
    result = item_service.move_item(
        db,
        actor_id=None,
        item_id=item,
        to_stage_id=_stage_id(db, current.board_id, stage),
        reason=reason,
    )
    _report(result, as_json, f"Moved item {item}")


@item_app.command("block")
def item_block(
    item: Annotated[int, typer.Argument(help="Item id.", min=1)],
    reason: Annotated[str, typer.Argument(help="Why it is blocked.")],
    category: Annotated[str | None, typer.Option(help="Blocker category.")] = None,
) -> None:
    """Block an item, with a reason."""
    done = item_service.block_item(_database(), actor_id=None, item_id=item, reason=reason, category=category)
    typer.echo(f"Blocked item {done.id}: {done.blocked_reason}")


@item_app.command("unblock")
def item_unblock(
    item: Annotated[int, typer.Argument(help="Item id.", min=1)],
    reason: Annotated[str | None, typer.Option(help="Reason, when a reason-mode limit is exceeded.")] = None,
) -> None:
    """End an item's blocker."""
    done = item_service.unblock_item(_database(), actor_id=None, item_id=item, reason=reason)
    typer.echo(f"Unblocked item {done.id}")


@app.command("pull-next")
def pull_next(
    board: Annotated[str, typer.Argument(help="Board id or name.")],
    stage: Annotated[str, typer.Argument(help="Stage id or name to pull into.")],
    as_json: JsonFlag = False,
) -> None:
    """What to pull next into a stage, ranked, with the reason for each rank."""
    db = _database()
    board_id = _board_id(db, board)
    pullable, refused = item_service.pull_next(db, board_id=board_id, stage_id=_stage_id(db, board_id, stage))
    today = utcnow().date()
    rows = [
        {
            "rank": c.rank,
            "id": c.item.id,
            "title": c.item.title,
            "why": c.why,
            "outcome": c.decision.outcome.value,
            "reasons": c.decision.reasons,
        }
        for c in pullable
    ]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "candidates": rows,
                    "not_pullable": [
                        {"id": c.item.id, "title": c.item.title, "reasons": c.decision.reasons}
                        for c in refused
                    ],
                },
                indent=2,
            )
        )
        return
    if not rows:
        typer.echo("Nothing can be pulled into that stage now.")
    for c in pullable:
        note = f"  ({'; '.join(c.decision.reasons)})" if c.decision.reasons else ""
        typer.echo(f"{c.rank:>3}. {_item_line(c.item, today)}\n     {c.why}{note}")
    for c in refused:
        typer.echo(f"  not now: #{c.item.id} {c.item.title}: {' '.join(c.decision.reasons)}")


# --- flow metrics and forecasts ----------------------------------------------------------------

TypeFilter = Annotated[str | None, typer.Option("--type", help="Only this work type.")]
ClassFilter = Annotated[str | None, typer.Option("--class", help="Only this class of service.")]
LaneFilter = Annotated[str | None, typer.Option("--lane", help="Only this lane.")]
WindowOption = Annotated[int, typer.Option("--window", help="Days of throughput history to sample.")]
MethodOption = Annotated[str, typer.Option(help="exact (default) or monte_carlo.")]


@app.command()
def metrics(
    board: Annotated[str, typer.Argument(help="Board id or name.")],
    start: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD (default: 90 days ago).")] = None,
    end: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD (default: today).")] = None,
    work_type: TypeFilter = None,
    class_of_service: ClassFilter = None,
    lane: LaneFilter = None,
    working_days: Annotated[
        bool, typer.Option("--working-days", help="Cycle times and ages in working days (Mon-Fri).")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Flow metrics of a board: WIP, throughput, cycle time, flow efficiency, Little's law."""
    db = _database()
    cal = flow_service.calendar(working_days)
    board_log, m = flow_service.board_metrics(
        db,
        board_id=_board_id(db, board),
        start=_date("--start", start) if start else None,
        end=_date("--end", end) if end else None,
        filters=flow_service.filters(work_type, class_of_service, lane),
        calendar=cal,
    )
    day = "wd" if cal else "d"
    ct, ll = m.cycle_times, m.littles_law
    summary = {
        "board": board_log.board_name,
        "start": str(ll.start),
        "end": str(ll.end),
        "average_wip": round(m.wip.average, 2),
        "throughput": m.throughput.total,
        "throughput_per_day": round(m.throughput.average, 3),
        "cycle_time_percentiles": {f"p{p}": v for p, v in ct.percentiles.items()},
        "average_cycle_time": None if ct.average is None else round(ct.average, 2),
        "flow_efficiency": None if m.flow_efficiency.overall is None else round(m.flow_efficiency.overall, 3),
        "wip_limit_breaches": len(m.breaches.breaches),
        "littles_law": {
            "implied_cycle_time": None if ll.implied_cycle_time is None else round(ll.implied_cycle_time, 2),
            "assumptions": [
                {"statement": a.statement, "holds": a.holds, "detail": a.detail} for a in ll.assumptions
            ],
        },
        "percentile_method": "nearest rank",
        "day_unit": "working days" if cal else "days",
    }
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    pct = ", ".join(f"{p}%: {v if v is not None else '-'}{day}" for p, v in ct.percentiles.items())
    typer.echo(f"{board_log.board_name}, {summary['start']} to {summary['end']}")
    typer.echo(f"  average WIP             {summary['average_wip']}")
    typer.echo(
        f"  throughput              {summary['throughput']} items ({summary['throughput_per_day']} a day)"
    )
    typer.echo(f"  cycle time (nearest rank) {pct}; average {summary['average_cycle_time']}{day}")
    typer.echo(f"  flow efficiency         {summary['flow_efficiency']}")
    typer.echo(f"  WIP-limit breaches      {summary['wip_limit_breaches']}")
    typer.echo(
        f"  Little's law (a check)  WIP / throughput = {summary['littles_law']['implied_cycle_time']}d"
        f" vs measured {round(ll.average_cycle_time, 2) if ll.average_cycle_time is not None else '-'}d"
        " (calendar days)"
    )
    for a in ll.assumptions:
        typer.echo(f"    [{'ok' if a.holds else 'no'}] {a.statement} {a.detail}")


@lrm_app.command("board")
def lrm_command(
    board: Annotated[str, typer.Argument(help="Board id or name.")],
    owner: Annotated[str | None, typer.Option(help="Only this owner's items (username).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Commit-by dates: what must be committed now, what is late, what can wait."""
    db = _database()
    rows = lrm_service.board_lrm(db, board_id=_board_id(db, board))
    if owner:
        owner_id = _user_id(db, owner)
        rows = [r for r in rows if r.item.owner_id == owner_id]
    data = [
        {
            "id": r.item.id,
            "title": r.item.title,
            "status": r.status.value,
            "commit_by": r.commit_by.isoformat() if r.commit_by else None,
            "due": r.item.due_date.isoformat() if r.item.due_date else None,
            "why": r.why,
        }
        for r in rows
    ]
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    if not data:
        typer.echo("No open item has a due date or a commitment to watch.")
    for row in data:
        by = f"commit by {row['commit_by']}" if row["commit_by"] else ""
        typer.echo(f"{row['status']:<12} #{row['id']} {row['title']}  {by}\n             {row['why']}")


@app.command("commitment-timing")
def commitment_timing_command(
    board: Annotated[str, typer.Argument(help="Board id or name.")],
    as_json: JsonFlag = False,
) -> None:
    """How early or late items crossed the commitment point, against their commit-by dates."""
    db = _database()
    summary = lrm_service.commitment_timing_summary(db, board_id=_board_id(db, board))
    data = {
        "median_days": summary.median_days,
        "too_early_share": summary.too_early_share,
        "late_share": summary.late_share,
        "cadence_days": summary.cadence_days,
        "items": [
            {
                "id": t.item_id,
                "title": t.title,
                "committed": t.committed.isoformat(),
                "commit_by": t.commit_by.isoformat(),
                "days": t.days,
            }
            for t in summary.items
        ],
    }
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    if not summary.items:
        typer.echo("No item with a due date has crossed the commitment point yet.")
        return
    typer.echo(
        f"{len(summary.items)} items: median {summary.median_days:+g} days against their commit-by date; "
        f"{summary.too_early_share:.0%} committed more than {summary.cadence_days} days early, "
        f"{summary.late_share:.0%} committed late."
    )


def _forecast_rows(forecast) -> list[dict]:
    return [
        {
            "percent": p.percent,
            "value": p.value,
            "date": p.date.isoformat() if p.date else None,
            "reading": p.reading,
        }
        for p in forecast.percentiles
    ]


@forecast_app.command("how-many")
def forecast_how_many(
    board: Annotated[str, typer.Argument(help="Board id or name.")],
    days: Annotated[int | None, typer.Option(help="Days from today, today included.")] = None,
    by: Annotated[str | None, typer.Option(help="Or: a date, YYYY-MM-DD.")] = None,
    window: WindowOption = flow_service.DEFAULT_WINDOW_DAYS,
    method: MethodOption = "exact",
    seed: Annotated[int | None, typer.Option(help="Seed (Monte Carlo).")] = None,
    work_type: TypeFilter = None,
    class_of_service: ClassFilter = None,
    lane: LaneFilter = None,
    as_json: JsonFlag = False,
) -> None:
    """How many items will be done by a date. Read: "P% chance of AT LEAST K items"."""
    db = _database()
    f = flow_service.forecast_how_many(
        db,
        board_id=_board_id(db, board),
        days=days,
        by=_date("--by", by) if by else None,
        window_days=window,
        method=method,
        seed=seed,
        filters=flow_service.filters(work_type, class_of_service, lane),
    )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "days": f.days,
                    "start": f.start.isoformat(),
                    "method": f.method,
                    "reading": "P% chance of at least K items",
                    "percentiles": _forecast_rows(f),
                },
                indent=2,
            )
        )
        return
    typer.echo(f"How many items in {f.days} days (from {f.start}, {f.method}, {window} days of history):")
    for p in f.percentiles:
        typer.echo(f"  {p.reading}")


@forecast_app.command("when")
def forecast_when(
    board: Annotated[str, typer.Argument(help="Board id or name.")],
    items: Annotated[int, typer.Option(help="How many more items.", min=1)],
    target: Annotated[str | None, typer.Option(help="A date to get the chance of, YYYY-MM-DD.")] = None,
    window: WindowOption = flow_service.DEFAULT_WINDOW_DAYS,
    method: MethodOption = "exact",
    seed: Annotated[int | None, typer.Option(help="Seed (Monte Carlo).")] = None,
    work_type: TypeFilter = None,
    class_of_service: ClassFilter = None,
    lane: LaneFilter = None,
    as_json: JsonFlag = False,
) -> None:
    """When will N items be done. Read: "P% chance of done BY the date"."""
    db = _database()
    f = flow_service.forecast_when(
        db,
        board_id=_board_id(db, board),
        items=items,
        target=_date("--target", target) if target else None,
        window_days=window,
        method=method,
        seed=seed,
        filters=flow_service.filters(work_type, class_of_service, lane),
    )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "items": f.items,
                    "start": f.start.isoformat(),
                    "method": f.method,
                    "reading": "P% chance of done by the date",
                    "percentiles": _forecast_rows(f),
                    "target": target,
                    "target_probability": f.target_probability,
                },
                indent=2,
            )
        )
        return
    typer.echo(f"When will {f.items} items be done (from {f.start}, {f.method}, {window} days of history):")
    for p in f.percentiles:
        typer.echo(f"  {p.reading}")
    if f.target_probability is not None:
        typer.echo(f"  chance of done by {target}: {f.target_probability:.0%}")


@forecast_app.command("revenue")
def forecast_revenue(
    board: Annotated[str, typer.Argument(help="Board id or name (a board whose deals have a value).")],
    target: Annotated[float, typer.Option(help="The number to make: won revenue.")],
    by: Annotated[
        str | None, typer.Option(help="By this date, YYYY-MM-DD (default: end of quarter).")
    ] = None,
    trials: Annotated[int, typer.Option(help="Monte Carlo trials.")] = 10_000,
    seed: Annotated[int | None, typer.Option(help="Seed, for the same result again.")] = None,
    window: WindowOption = flow_service.DEFAULT_WINDOW_DAYS,
    top: Annotated[int, typer.Option(help="How many deals to list.", min=0)] = 10,
    as_json: JsonFlag = False,
) -> None:
    """Will we make our numbers: P(won revenue >= target by the date), from open and new deals."""
    db = _database()
    r = revenue_service.revenue_forecast(
        db,
        board_id=_board_id(db, board),
        target=target,
        by=_date("--by", by) if by else None,
        trials=trials,
        seed=seed,
        window_days=window,
    )
    f, names = r.forecast, r.board.stage_names
    data = {
        "board": r.board.board_name,
        "start": r.today.isoformat(),
        "by": r.by.isoformat(),
        "target": target,
        "target_probability": f.target_probability,
        "reading": f.reading,
        "percentiles": [
            {"percent": p.percent, "value": round(p.value, 2), "reading": p.reading} for p in f.percentiles
        ],
        "mean": round(f.mean, 2),
        "weighted_pipeline": round(f.weighted_pipeline, 2),
        "expected_new": round(f.expected_new, 2),
        "comparison": f.comparison,
        "trials": f.trials,
        "seed": f.seed,
        "deals": [
            {
                "item_id": d.item_id,
                "title": r.titles.get(d.item_id, ""),
                "stage": names[d.stage_id],
                "value": round(d.value, 2),
                "p_won_by": round(d.p_won_by, 4),
                "expected": round(d.expected, 2),
            }
            for d in f.deals[:top]
        ],
        "notes": list(r.model.notes),
    }
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(
        f"Won revenue on {data['board']} from {data['start']} by {data['by']} "
        f"({f.trials} trials, seed {f.seed}):"
    )
    typer.echo(f"  chance of at least {target:,.2f}: {f.target_probability:.0%}")
    for p in f.percentiles:
        typer.echo(f"  {p.reading}")
    typer.echo(f"  {f.comparison}")
    if data["deals"]:
        typer.echo("  deals that move the result most (P(won by the date) x value):")
        for d in data["deals"]:
            typer.echo(
                f"    #{d['item_id']:<6} {d['stage']:<12} {d['value']:>12,.2f}  "
                f"P {d['p_won_by']:>5.0%}  {d['expected']:>12,.2f}  {d['title']}"
            )
    for note in r.model.notes:
        typer.echo(f"  note: {note}")


@forecast_app.command("backtest")
def forecast_backtest(
    board: Annotated[str, typer.Argument(help="Board id or name.")],
    days: Annotated[int, typer.Option(help="How-many horizon, in days.")] = 14,
    items: Annotated[int, typer.Option(help="When: how many items.")] = 5,
    window: WindowOption = flow_service.DEFAULT_WINDOW_DAYS,
    step: Annotated[int, typer.Option(help="Days between the replayed dates.")] = 7,
    horizon: Annotated[int, typer.Option(help="Revenue forecast horizon, in days (sales boards).")] = 30,
    work_type: TypeFilter = None,
    class_of_service: ClassFilter = None,
    lane: LaneFilter = None,
    as_json: JsonFlag = False,
) -> None:
    """Replay the history: how often did a P% forecast come true? (it should, about P% of the time)
    Item forecasts, and on a board with deals the revenue forecast too."""
    db = _database()
    board_log, b = revenue_service.backtest_forecasts(
        db,
        board_id=_board_id(db, board),
        days=days,
        items=items,
        window_days=window,
        step=step,
        filters=flow_service.filters(work_type, class_of_service, lane),
    )

    def rows(cals) -> list[dict]:
        return [
            {"percent": c.percent, "forecasts": c.forecasts, "hits": c.hits, "hit_rate": c.hit_rate}
            for c in cals
        ]

    data = {
        "board": board_log.board_name,
        "days": b.days,
        "items": b.items,
        "window_days": b.window_days,
        "step": b.step,
        "forecast_dates": int(b.dates.size),
        "skipped": b.skipped,
        "how_many": rows(b.how_many),
        "when": rows(b.when),
        "revenue": None,
    }
    _, rb = revenue_service.backtest_revenue(
        db, board_id=board_log.board_id, horizon_days=horizon, window_days=window, step=step
    )
    if rb.dates.size:
        data["revenue"] = {
            "horizon_days": rb.horizon_days,
            "forecast_dates": int(rb.dates.size),
            "skipped": rb.skipped,
            "calibration": rows(rb.calibration),
        }
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(
        f"Back-test of {data['board']}: {data['forecast_dates']} dates, every {step} days "
        f"({data['skipped']} skipped), {window} days of history each"
    )
    typer.echo(
        f"  {'forecast':<10} {'how many in ' + str(days) + ' days':>22} {'when ' + str(items) + ' items':>18}"
    )
    for h, w in zip(b.how_many, b.when, strict=True):
        cells = ["-" if c.hit_rate is None else f"{c.hit_rate:.0%} ({c.hits}/{c.forecasts})" for c in (h, w)]
        typer.echo(f"  {str(h.percent) + '%':<10} {cells[0]:>22} {cells[1]:>18}")
    if data["revenue"]:
        typer.echo(
            f"Revenue forecast, {horizon} days ahead ({data['revenue']['forecast_dates']} dates): "
            "'P% chance of at least X won' came true"
        )
        for c in rb.calibration:
            rate = "-" if c.hit_rate is None else f"{c.hit_rate:.0%} ({c.hits}/{c.forecasts})"
            typer.echo(f"  {str(c.percent) + '%':<10} {rate:>22}")


# --- users ------------------------------------------------------------------------------------


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise CliError("No terminal to ask for a password: use --password-stdin.")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")]


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Sign-in name: letters, digits, '.', '-', '_'.")],
    name: Annotated[str, typer.Option(help="Full name shown on cards.")],
    email: Annotated[str | None, typer.Option(help="Email address.")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Make an instance administrator.")] = False,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user (asks for the password)."""
    db = _database()
    user = accounts.create_user(
        db,
        username=username,
        display_name=name,
        email=email,
        password=_read_password(password_stdin),
        is_admin=admin,
    )
    typer.echo(f"Created user {user.username} ({user.display_name}){' as administrator' if admin else ''}.")


@user_app.command("list")
def user_list(as_json: JsonFlag = False) -> None:
    """Every user, with their workspaces and roles."""
    db = _database()
    with db.read() as session:
        names = dict(session.execute(select(WorkspaceRow.id, WorkspaceRow.name)).all())
        rows = []
        for user in accounts.list_users(db):
            roles = accounts.roles_of(session, user.id)
            rows.append(
                {
                    "username": user.username,
                    "name": user.display_name,
                    "admin": user.is_admin,
                    "disabled": user.disabled_at is not None,
                    "roles": ", ".join(f"{names[w]}: {r.value}" for w, r in sorted(roles.items())),
                }
            )
    _print(rows, as_json, ["username", "name", "admin", "disabled", "roles"])


@user_app.command("passwd")
def user_passwd(
    username: Annotated[str, typer.Argument(help="Whose password.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a user's password (their browser sessions end)."""
    accounts.set_password(_database(), username=username, password=_read_password(password_stdin))
    typer.echo(f"Password of {username} changed.")


@user_app.command("disable")
def user_disable(username: Annotated[str, typer.Argument(help="Who.")]) -> None:
    """Disable a user: no more sign-in, sessions end, tokens stop working."""
    accounts.disable_user(_database(), username=username)
    typer.echo(f"User {username} disabled.")


@user_app.command("role")
def user_role(
    username: Annotated[str, typer.Argument(help="Who.")],
    workspace: Annotated[str, typer.Argument(help="Workspace id or name.")],
    role: Annotated[str, typer.Argument(help="viewer, member or manager.")],
) -> None:
    """Give a user a role in a workspace."""
    db = _database()
    with db.read() as session:
        ws = session.scalar(
            select(WorkspaceRow.id).where(
                (WorkspaceRow.id == int(workspace))
                if workspace.isdigit()
                else func.lower(WorkspaceRow.name) == workspace.lower()
            )
        )
    if ws is None:
        raise CliError(f"There is no workspace {workspace!r}.")
    accounts.set_role(db, workspace_id=ws, user_id=_user_id(db, username), role=role)
    typer.echo(f"{username} is now {role} in workspace {ws}.")


# --- helpers ----------------------------------------------------------------------------------


def _board_id(db: Database, ref: str) -> int:
    with db.read() as session:
        if ref.isdigit():
            if session.get(BoardRow, int(ref)) is None:
                raise CliError(f"There is no board {ref}.")
            return int(ref)
        ids = session.scalars(select(BoardRow.id).where(func.lower(BoardRow.name) == ref.lower())).all()
    if not ids:
        raise CliError(f"There is no board named {ref!r}; see `pullplan board list`.")
    if len(ids) > 1:
        raise CliError(f"Several boards are named {ref!r}; give its id (see `pullplan board list`).")
    return ids[0]


def _stage_id(db: Database, board_id: int, ref: str) -> int:
    with db.read() as session:
        stages = session.execute(
            select(StageRow.id, StageRow.name).where(StageRow.board_id == board_id)
        ).all()
    for stage_id, name in stages:
        if ref == str(stage_id) or ref.lower() == name.lower():
            return stage_id
    names = ", ".join(name for _, name in stages)
    raise CliError(f"The board has no stage {ref!r}; its stages are: {names}.")


def _work_type_id(db: Database, board_id: int, name: str) -> int:
    with db.read() as session:
        workspace_id = session.scalar(select(BoardRow.workspace_id).where(BoardRow.id == board_id))
        found = session.scalar(
            select(WorkTypeRow.id).where(
                WorkTypeRow.workspace_id == workspace_id, func.lower(WorkTypeRow.name) == name.lower()
            )
        )
    if found is None:
        raise CliError(f"There is no work type {name!r} in this workspace.")
    return found


def _user_id(db: Database, username: str) -> int:
    with db.read() as session:
        found = session.scalar(select(UserRow.id).where(UserRow.username == username))
    if found is None:
        raise CliError(f"There is no user {username!r}.")
    return found


def _date(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(option, f"{text!r} is not a date like 2026-12-31.") from None


def _item_dict(item: WorkItem, today: date) -> dict:
    return {
        "id": item.id,
        "title": item.title,
        "stage_id": item.stage_id,
        "class_of_service": item.class_of_service.value,
        "work_type": item.work_type_name,
        "owner": item.owner_name,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "age_days": age_days(item, today),
        "blocked": item.blocked,
        "blocked_reason": item.blocked_reason,
    }


def _item_line(item: WorkItem, today: date) -> str:
    parts = [f"#{item.id} {item.title}", item.class_of_service.value]
    if item.work_type_name:
        parts.append(item.work_type_name)
    if item.owner_name:
        parts.append(item.owner_name)
    parts.append(f"{age_days(item, today)}d")
    if item.due_date:
        parts.append(f"due {item.due_date.isoformat()}")
    if item.blocked:
        parts.append(f"BLOCKED: {item.blocked_reason}")
    return " | ".join(parts)


def _report(result, as_json: bool, headline: str) -> None:
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "item": _item_dict(result.item, utcnow().date()),
                    "outcome": result.decision.outcome.value,
                    "override": result.decision.override,
                    "reasons": result.decision.reasons,
                },
                indent=2,
            )
        )
        return
    typer.echo(f"{headline}: {_item_line(result.item, utcnow().date())}")
    for reason in result.decision.reasons:
        typer.echo(f"  warning: {reason}")
    if result.decision.override:
        typer.echo("  recorded as an override, with your reason")


def _print(rows: list[dict], as_json: bool, columns: list[str]) -> None:
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    widths = {c: max([len(c)] + [len(str(r[c])) for r in rows]) for c in columns}
    typer.echo("  ".join(c.ljust(widths[c]) for c in columns))
    for r in rows:
        typer.echo("  ".join(str(r[c]).ljust(widths[c]) for c in columns))


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


app.command("backup")(backup_command)
app.command("restore")(restore_command)
app.command("export")(export_command)
app.command("import")(import_command)
item_app.command("export")(items_export_command)
item_app.command("import")(items_import_command)
board_app.command("import-trello")(trello_import_command)


app.command("worker")(worker_command)  # after serve and the others, in the help's list


def main() -> None:
    try:
        app()
    except (ServiceError, CliError) as e:
        typer.echo(f"error: {getattr(e, 'message', None) or e}", err=True)
        sys.exit(2)
    except ValidationError as e:  # a PULLPLAN_* setting that does not parse
        for problem in e.errors():
            name = "PULLPLAN_" + "_".join(str(p) for p in problem["loc"]).upper()
            typer.echo(f"error: {name}: {problem['msg']}", err=True)
        sys.exit(2)
