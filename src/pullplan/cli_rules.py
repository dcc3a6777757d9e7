"""`pullplan rules ...`, `pullplan webhook ...` and `pullplan worker`: trigger rules, signed
webhooks and the scheduler from the command line."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import func, select

from pullplan.domain.rules import EventKind, Operator
from pullplan.services import rules as service
from pullplan.services import webhooks as webhook_service
from pullplan.services.errors import InvalidInput
from pullplan.storage.database import Database
from pullplan.storage.rule_tables import WebhookSourceRow
from pullplan.storage.tables import WorkspaceRow

rules_app = typer.Typer(
    rich_markup_mode=None,
    help="Trigger rules: when <event> [if <conditions>] then <actions>.",
    no_args_is_help=True,
)
webhook_app = typer.Typer(
    rich_markup_mode=None, help="Signed webhooks: inbound sources, outbound targets.", no_args_is_help=True
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Workspace = Annotated[str, typer.Argument(help="Workspace id or name.")]
RuleId = Annotated[int, typer.Argument(help="The rule's id (see `pullplan rules list`).", min=1)]


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


# --- rules ------------------------------------------------------------------------------------


@rules_app.command("list")
def rules_list(
    workspace: Annotated[str | None, typer.Option(help="Workspace id or name (default: all).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The rules, each in words, and whether it is on."""
    db = _cli()._database()
    with db.read() as session:
        workspaces = dict(session.execute(select(WorkspaceRow.id, WorkspaceRow.name)).all())
    ids = [_workspace_id(db, workspace)] if workspace else sorted(workspaces)
    rows = [
        {
            "id": r.id,
            "workspace": workspaces[r.workspace_id],
            "name": r.spec.name,
            "event": r.spec.event.value,
            "enabled": r.enabled,
            "rule": r.text,
        }
        for w in ids
        for r in service.list_rules(db, workspace_id=w)
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("No rules yet; add one with `pullplan rules add`.")
    for row in rows:
        state = "on " if row["enabled"] else "off"
        typer.echo(f"#{row['id']:<4} {state} {row['workspace']}: {row['name']}\n       {row['rule']}")


@rules_app.command("add")
def rules_add(
    workspace: Workspace,
    rule: Annotated[str | None, typer.Option("--rule", help="The whole rule as JSON.")] = None,
    file: Annotated[Path | None, typer.Option(help="A file holding the rule as JSON.")] = None,
    name: Annotated[str | None, typer.Option(help="The rule's name.")] = None,
    event: Annotated[
        str | None, typer.Option(help=f"One of: {', '.join(e.value for e in EventKind)}.")
    ] = None,
    days: Annotated[int | None, typer.Option(help="item.due_soon: within this many days.")] = None,
    source: Annotated[str | None, typer.Option(help="webhook.received: only from this source.")] = None,
    conditions: Annotated[
        list[str] | None,
        typer.Option(
            "--if", help="A condition 'FIELD OP VALUE', e.g. 'board equals Marketing' (repeatable)."
        ),
    ] = None,
    notify: Annotated[
        str | None, typer.Option(help="Then notify this message ({title}, {board}...).")
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="With --notify: also send it to this webhook target.")
    ] = None,
    create_on: Annotated[str | None, typer.Option(help="Then create an item on this board.")] = None,
    title: Annotated[
        str | None, typer.Option(help="With --create-on: the new item's title template.")
    ] = None,
    stage: Annotated[str | None, typer.Option(help="With --create-on or --move-to: the stage.")] = None,
    work_type: Annotated[str | None, typer.Option("--type", help="With --create-on: the work type.")] = None,
    move_to: Annotated[str | None, typer.Option(help="Then move the item to this stage.")] = None,
    expedite: Annotated[bool, typer.Option(help="Then promote the item to expedite.")] = False,
    block: Annotated[str | None, typer.Option(help="Then block the item with this reason.")] = None,
    disabled: Annotated[bool, typer.Option(help="Add it switched off.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add a rule, given as JSON (--rule or --file) or with options."""
    db = _cli()._database()
    workspace_id = _workspace_id(db, workspace)
    if rule is not None or file is not None:
        text = rule if rule is not None else _read(file)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise InvalidInput("--rule" if rule is not None else "--file", f"not JSON: {e}") from None
    else:
        data = {"name": name, "event": event, "conditions": [_condition(c) for c in conditions or []]}
        if days is not None:
            data["days"] = days
        if source is not None:
            data["source"] = source
        actions = []
        if create_on:
            actions.append(
                {"kind": "create_item", "board": create_on, "stage": stage, "title": title, "type": work_type}
            )
        if move_to:
            actions.append({"kind": "move_item", "stage": move_to})
        if expedite:
            actions.append({"kind": "promote_expedite"})
        if block:
            actions.append({"kind": "add_blocker", "reason": block})
        if notify:
            actions.append({"kind": "notify", "message": notify, "target": target})
        data["actions"] = [{k: x for k, x in a.items() if x is not None} for a in actions]
    made = service.create_rule(db, actor_id=None, workspace_id=workspace_id, data=data, enabled=not disabled)
    if as_json:
        typer.echo(json.dumps({"id": made.id, "enabled": made.enabled, "rule": made.text}, indent=2))
    else:
        typer.echo(f"Added rule #{made.id}{'' if made.enabled else ' (off)'}: {made.text}")


@rules_app.command("enable")
def rules_enable(rule_id: RuleId) -> None:
    """Switch a rule on."""
    made = service.update_rule(_cli()._database(), actor_id=None, rule_id=rule_id, enabled=True)
    typer.echo(f"Rule #{made.id} {made.spec.name} is on.")


@rules_app.command("disable")
def rules_disable(rule_id: RuleId) -> None:
    """Switch a rule off (it stays, and fires on nothing)."""
    made = service.update_rule(_cli()._database(), actor_id=None, rule_id=rule_id, enabled=False)
    typer.echo(f"Rule #{made.id} {made.spec.name} is off.")


@rules_app.command("delete")
def rules_delete(rule_id: RuleId) -> None:
    """Delete a rule and its firing log."""
    service.delete_rule(_cli()._database(), actor_id=None, rule_id=rule_id)
    typer.echo(f"Rule #{rule_id} deleted.")


def _condition(text: str) -> dict:
    parts = text.split(None, 2)
    ops = ", ".join(o.value for o in Operator)
    if len(parts) != 3 or parts[1] not in {o.value for o in Operator}:
        raise InvalidInput("--if", f"{text!r} is not 'FIELD OP VALUE' (OP one of {ops}).")
    field, op, value = parts
    if op == Operator.IN.value:
        return {"field": field, "op": op, "value": [v.strip() for v in value.split(",") if v.strip()]}
    return {"field": field, "op": op, "value": value}


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidInput("--file", f"cannot read {path}: {e}") from None


# --- webhooks ---------------------------------------------------------------------------------


@webhook_app.command("sources")
def webhook_sources(workspace: Workspace, as_json: JsonFlag = False) -> None:
    """The workspace's inbound sources and where each posts (not their secrets)."""
    db = _cli()._database()
    rows = [
        {
            "id": s.id,
            "name": s.name,
            "hook_path": f"/api/v1/hooks/{s.id}",
            "last_received_at": _iso(s.last_received_at),
        }
        for s in webhook_service.list_sources(db, workspace_id=_workspace_id(db, workspace))
    ]
    _cli()._print(rows, as_json, ["id", "name", "hook_path", "last_received_at"])


@webhook_app.command("add-source")
def webhook_add_source(
    workspace: Workspace,
    name: Annotated[str, typer.Argument(help="What sends (e.g. CRM); rules name it with `source`.")],
) -> None:
    """Add an inbound source; its secret is printed once."""
    db = _cli()._database()
    row = webhook_service.create_source(
        db, actor_id=None, workspace_id=_workspace_id(db, workspace), name=name
    )
    typer.echo(f"Source #{row.id} {row.name}: POST signed requests to /api/v1/hooks/{row.id}")
    typer.echo(f"secret (shown once): {row.secret}")


@webhook_app.command("targets")
def webhook_targets(workspace: Workspace, as_json: JsonFlag = False) -> None:
    """The workspace's outbound webhook targets (not their secrets)."""
    db = _cli()._database()
    rows = [
        {"id": t.id, "name": t.name, "url": t.url}
        for t in webhook_service.list_targets(db, workspace_id=_workspace_id(db, workspace))
    ]
    _cli()._print(rows, as_json, ["id", "name", "url"])


@webhook_app.command("add-target")
def webhook_add_target(
    workspace: Workspace,
    name: Annotated[str, typer.Argument(help="Its name; a notify action names it as `target`.")],
    url: Annotated[str, typer.Argument(help="Where to POST: an http:// or https:// address.")],
) -> None:
    """Add an outbound webhook target; its secret (which signs every request) is printed once."""
    db = _cli()._database()
    row = webhook_service.create_target(
        db, actor_id=None, workspace_id=_workspace_id(db, workspace), name=name, url=url
    )
    typer.echo(f"Target #{row.id} {row.name}: {row.url}")
    typer.echo(f"secret (shown once): {row.secret}")


@webhook_app.command("deliveries")
def webhook_deliveries(
    workspace: Workspace,
    limit: Annotated[int, typer.Option(help="The newest this many.", min=1, max=500)] = 20,
    as_json: JsonFlag = False,
) -> None:
    """The delivery log of outbound webhooks: each one's attempts, newest first."""
    db = _cli()._database()
    rows = []
    for d in webhook_service.deliveries(db, workspace_id=_workspace_id(db, workspace), limit=limit):
        row = d.outbox
        state = "delivered" if row.delivered_at else "gave up" if row.failed_at else "pending"
        rows.append(
            {
                "id": row.id,
                "target": d.target,
                "event": row.event,
                "state": state,
                "attempts": row.attempts,
                "next_attempt_at": None if row.delivered_at or row.failed_at else _iso(row.next_attempt_at),
                "last_error": row.last_error,
                "log": [
                    {"attempt": a.attempt, "at": _iso(a.at), "status_code": a.status_code, "error": a.error}
                    for a in d.attempts
                ],
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    _cli()._print(rows, False, ["id", "target", "event", "state", "attempts", "last_error"])


@webhook_app.command("test")
def webhook_test(
    source: Annotated[str, typer.Argument(help="The source's id or name.")],
    payload: Annotated[Path, typer.Option(help="A JSON file: the body to send.")],
    url: Annotated[
        str | None, typer.Option(help="The server's address (default: http://PULLPLAN_HOST:PULLPLAN_PORT).")
    ] = None,
    print_only: Annotated[
        bool, typer.Option("--print", help="Print the signature and a curl command instead of sending.")
    ] = False,
) -> None:
    """Send a correctly signed request from a source to a running server (or print it)."""
    from datetime import UTC, datetime

    import httpx

    from pullplan.integrations.webhooks import signed_headers
    from pullplan.settings import Settings

    db = _cli()._database()
    source_id = _source_id(db, source)
    _, secret = webhook_service.source_secret(db, source_id)
    body = _read_payload(payload)
    headers = signed_headers(secret, body, datetime.now(UTC))
    settings = Settings()
    base = (url or f"http://{settings.host}:{settings.port}").rstrip("/")
    target = f"{base}/api/v1/hooks/{source_id}"
    if print_only:
        flags = " ".join(f"-H '{k}: {x}'" for k, x in headers.items())
        typer.echo(f"curl -X POST {flags} --data-binary @{payload} {target}")
        return
    try:
        response = httpx.post(target, content=body, headers=headers, timeout=30)
    except httpx.HTTPError as e:
        raise _cli().CliError(f"could not reach {target}: {e}") from None
    typer.echo(f"{response.status_code} {response.reason_phrase}")
    typer.echo(response.text)
    if response.status_code >= 400:
        raise typer.Exit(1)


def _source_id(db: Database, ref: str) -> int:
    with db.read() as session:
        if ref.isdigit() and session.get(WebhookSourceRow, int(ref)) is not None:
            return int(ref)
        found = session.scalars(
            select(WebhookSourceRow.id).where(func.lower(WebhookSourceRow.name) == ref.lower())
        ).all()
    if not found:
        raise InvalidInput("source", f"there is no webhook source {ref!r}; see `pullplan webhook sources`.")
    if len(found) > 1:
        raise InvalidInput("source", f"several sources are named {ref!r}; give its id.")
    return found[0]


def _read_payload(path: Path) -> bytes:
    try:
        body = path.read_bytes()
    except OSError as e:
        raise InvalidInput("--payload", f"cannot read {path}: {e.strerror}") from None
    try:
        if not isinstance(json.loads(body), dict):
            raise InvalidInput("--payload", "must hold a JSON object.")
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InvalidInput("--payload", f"is not JSON: {e}") from None
    return body


def _iso(value) -> str | None:
    return value.isoformat() if value else None


# --- the worker -------------------------------------------------------------------------------


def worker(
    once: Annotated[bool, typer.Option("--once", help="Run one tick and stop.")] = False,
    interval: Annotated[
        float | None,
        typer.Option(help="Seconds between ticks (default: PULLPLAN_SCHEDULER_INTERVAL).", min=1),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Run the trigger scheduler and deliver the outbox until stopped (SIGTERM or Ctrl-C)."""
    from pullplan.services.scheduler import TickReport, Worker
    from pullplan.settings import Settings

    settings = Settings()

    def report(tick: TickReport) -> None:
        if as_json:
            summary = {
                "at": tick.at.isoformat(),
                "events": tick.events,
                "fired": tick.fired,
                "delivered": tick.delivered,
                "failed": tick.failed,
            }
            typer.echo(json.dumps(summary))
        elif once or tick.fired or tick.delivered or tick.failed:
            typer.echo(
                f"{tick.at:%Y-%m-%d %H:%M:%S} fired {len(tick.fired)} rule(s) on {tick.events} event(s); "
                f"delivered {tick.delivered} webhook(s), {tick.failed} failed attempt(s)"
            )

    loop = Worker(_cli()._database(), interval=interval or settings.scheduler_interval, on_tick=report)
    if once:
        loop.run_once()
        return

    def stop(_signum, _frame) -> None:
        loop.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    typer.echo(f"pullplan worker: a tick every {loop.interval:g} s; stop with Ctrl-C or SIGTERM", err=True)
    loop.run()
    typer.echo("pullplan worker stopped", err=True)
