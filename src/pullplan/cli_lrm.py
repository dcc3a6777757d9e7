"""`pullplan lrm ...`: commit-by dates of a board (`pullplan lrm BOARD`, the default), the
workspace's LRM settings (`pullplan lrm settings show|set`), its split templates
(`pullplan lrm templates`, `pullplan lrm set-template`), service level expectations
(`pullplan lrm sle`) and splitting an aggregate by hand
(`pullplan lrm split`)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from sqlalchemy import func, select
from typer.core import TyperGroup

from pullplan.services import aggregates as aggregate_service
from pullplan.services import boards as board_service
from pullplan.services import lrm as lrm_service
from pullplan.services import lrm_settings
from pullplan.services.errors import InvalidInput
from pullplan.storage.database import Database
from pullplan.storage.tables import WorkspaceRow

CLASSES = ("fixed_date", "standard")


class BoardByDefault(TyperGroup):
    """`pullplan lrm BOARD` means `pullplan lrm board BOARD`."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["board", *args]
        return super().parse_args(ctx, args)


lrm_app = typer.Typer(
    cls=BoardByDefault,
    rich_markup_mode=None,
    help="The last responsible moment: commit-by dates, LRM settings, aggregates.",
    no_args_is_help=True,
)
settings_app = typer.Typer(
    rich_markup_mode=None, help="A workspace's LRM settings: p, buffers, calendar.", no_args_is_help=True
)
lrm_app.add_typer(settings_app, name="settings")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Workspace = Annotated[str, typer.Argument(help="Workspace id or name.")]


def _cli():
    from pullplan import cli  # the shared helpers; imported late: cli registers this module

    return cli


def _workspace_id(db: Database, ref: str) -> int:
    with db.read() as session:
        if ref.isdigit() and session.get(WorkspaceRow, int(ref)) is not None:
            return int(ref)
        found = session.scalars(
            select(WorkspaceRow.id).where(func.lower(WorkspaceRow.name) == ref.lower())
        ).all()
    if len(found) != 1:
        raise InvalidInput("workspace", f"there is no workspace {ref!r} (give its id or name).")
    return found[0]


def _print_settings(settings: dict, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(settings, indent=2))
        return
    for cos, c in settings["classes"].items():
        typer.echo(f"{cos:<12} p = {c['percentile']}, buffer {c['buffer_days']} days")
    typer.echo(f"cadence      {settings['cadence_days']} days (the default buffer)")
    typer.echo(f"lookahead    {settings['lookahead_days']} days")
    if settings["use_working_days"]:
        days = ",".join(str(d) for d in settings["working_days"])
        holidays = ", ".join(settings["holidays"]) or "none"
        typer.echo(f"calendar     working days {days} (Monday 1); holidays: {holidays}")
    else:
        typer.echo("calendar     calendar days")
    typer.echo(f"time zone    {settings['time_zone']}")


@settings_app.command("show")
def settings_show(workspace: Workspace, as_json: JsonFlag = False) -> None:
    """The percentile p and buffer of each class, the cadence, lookahead and calendar."""
    db = _cli()._database()
    _print_settings(lrm_settings.get_settings(db, _workspace_id(db, workspace)).as_dict(), as_json)


def _class_values(option: str, values: list[str], low: int, high: int) -> dict:
    """CLASS=N pairs (N may be 'default')."""
    out: dict = {}
    for value in values:
        cos, _, number = value.partition("=")
        if cos not in CLASSES or not number:
            raise InvalidInput(option, f"{value!r} is not CLASS=N with CLASS fixed_date or standard.")
        if number == "default":
            out[cos] = None
            continue
        if not number.isdigit() or not low <= int(number) <= high:
            raise InvalidInput(
                option, f"{value!r}: N must be a whole number from {low} to {high} or 'default'."
            )
        out[cos] = int(number)
    return out


@settings_app.command("set")
def settings_set(
    workspace: Workspace,
    percentile: Annotated[int | None, typer.Option(help="The default p of LT_p (1-100).")] = None,
    class_percentile: Annotated[
        list[str] | None,
        typer.Option("--class-percentile", help="A class's own p: CLASS=N or CLASS=default (repeatable)."),
    ] = None,
    cadence: Annotated[
        int | None, typer.Option(help="Replenishment cadence in days: the default buffer.")
    ] = None,
    buffer: Annotated[
        list[str] | None,
        typer.Option("--buffer", help="A class's buffer: CLASS=DAYS or CLASS=default (repeatable)."),
    ] = None,
    lookahead: Annotated[
        int | None, typer.Option(help="Days within which an option is 'approaching'.")
    ] = None,
    working_days: Annotated[
        bool | None, typer.Option("--working-days/--calendar-days", help="Count working days, or every day.")
    ] = None,
    weekdays: Annotated[str | None, typer.Option(help="Worked weekdays, Monday 1: e.g. 1,2,3,4,5.")] = None,
    holiday: Annotated[
        list[str] | None, typer.Option("--holiday", help="A day off, like 2026-12-25 (repeatable; replaces).")
    ] = None,
    time_zone: Annotated[
        str | None, typer.Option(help="The workspace's time zone, like Europe/Berlin.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change the workspace's LRM settings; what is not given stays."""
    changes: dict = {}
    if percentile is not None:
        changes["default_percentile"] = percentile
    if class_percentile:
        changes["class_percentiles"] = _class_values("--class-percentile", class_percentile, 1, 100)
    if cadence is not None:
        changes["cadence_days"] = cadence
    if buffer:
        changes["class_buffers"] = _class_values("--buffer", buffer, 0, 365)
    if lookahead is not None:
        changes["lookahead_days"] = lookahead
    if working_days is not None:
        changes["use_working_days"] = working_days
    if weekdays is not None:
        parts = [p.strip() for p in weekdays.split(",") if p.strip()]
        if not all(p.isdigit() for p in parts):
            raise InvalidInput("--weekdays", f"{weekdays!r} is not a list like 1,2,3,4,5.")
        changes["working_days"] = [int(p) for p in parts]
    if holiday is not None:
        changes["holidays"] = holiday
    if time_zone is not None:
        changes["time_zone"] = time_zone
    if not changes:
        raise InvalidInput("settings", "nothing to change; see `pullplan lrm settings set --help`.")
    db = _cli()._database()
    settings = lrm_settings.update_settings(
        db, actor_id=None, workspace_id=_workspace_id(db, workspace), changes=changes
    )
    _print_settings(settings.as_dict(), as_json)


@lrm_app.command("sle")
def sle(
    board: Annotated[str, typer.Argument(help="Board id or name.")],
    as_json: JsonFlag = False,
) -> None:
    """The board's service level expectations: "85% of standard Content items finish within
    N days", at the workspace's percentile of each class."""
    cli = _cli()
    db = cli._database()
    levels = lrm_service.service_levels(db, board_id=cli._board_id(db, board))
    if as_json:
        data = [
            {
                "work_type": s.work_type,
                "class_of_service": s.class_of_service.value if s.class_of_service else None,
                "percentile": s.lead_time.percentile,
                "days": s.lead_time.days,
                "samples": s.lead_time.samples,
            }
            for s in levels
        ]
        typer.echo(json.dumps(data, indent=2))
        return
    if not levels:
        typer.echo("The board has finished nothing yet.")
    for s in levels:
        typer.echo(s.sentence)


@lrm_app.command("templates")
def templates(workspace: Workspace, as_json: JsonFlag = False) -> None:
    """The split templates: the children an item of each work type is split into when it
    crosses the commitment point (set them with `pullplan lrm set-template`)."""
    db = _cli()._database()
    found = aggregate_service.list_templates(db, _workspace_id(db, workspace))
    data = [
        {
            "work_type": t.work_type_name,
            "children": [
                {
                    "title": c.title,
                    "work_type": c.work_type_name,
                    "stage": c.stage_name,
                    "offset_days": c.offset_days,
                }
                for c in t.children
            ],
        }
        for t in found
    ]
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    if not data:
        typer.echo("No work type has a split template.")
    for t in data:
        typer.echo(f"{t['work_type']}:")
        for c in t["children"]:
            where = c["stage"] or "the first option stage"
            kind = c["work_type"] or t["work_type"]
            typer.echo(f"  {c['title']}  ({kind}, in {where}, due {c['offset_days']:+d} days)")


@lrm_app.command("set-template")
def set_template(
    workspace: Workspace,
    work_type: Annotated[str, typer.Argument(help="The work type whose items are split.")],
    child: Annotated[
        list[str] | None,
        typer.Option(
            "--child",
            help="A child: TITLE|TYPE|STAGE|OFFSET (type: the parent's, stage: the first option stage, "
            "offset: days from the parent's due date, 0; repeatable, in order). None: remove the template.",
        ),
    ] = None,
) -> None:
    """Set a work type's split template: the children its items are split into when pulled."""
    db = _cli()._database()
    workspace_id = _workspace_id(db, workspace)
    types = {t.name.lower(): t.id for t in board_service.list_work_types(db, workspace_id)}

    if work_type.lower() not in types:
        raise InvalidInput("work_type", f"there is no work type {work_type!r} in this workspace.")
    children = aggregate_service.children_from_lines(db, workspace_id, child or [], "--child")
    template = aggregate_service.set_template(
        db, actor_id=None, workspace_id=workspace_id, work_type_id=types[work_type.lower()], children=children
    )
    if not template.children:
        typer.echo(f"{template.work_type_name} items are no longer split.")
        return
    typer.echo(
        f"{template.work_type_name} items are split into {len(template.children)} children when pulled."
    )


@lrm_app.command("split")
def split(
    item: Annotated[int, typer.Argument(help="The item's id.", min=1)],
    as_json: JsonFlag = False,
) -> None:
    """Split an item by hand into the children of its work type's template."""
    db = _cli()._database()
    aggregate = aggregate_service.split_item(db, actor_id=None, item_id=item)
    data = {
        "item_id": aggregate.item.id,
        "children": [
            {"id": c.id, "title": c.title, "due_date": c.due_date and c.due_date.isoformat()}
            for c in aggregate.children
        ],
    }
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(
        f"#{aggregate.item.id} {aggregate.item.title} is split into {len(aggregate.children)} children:"
    )
    for c in data["children"]:
        typer.echo(f"  #{c['id']} {c['title']}" + (f"  due {c['due_date']}" if c["due_date"] else ""))
