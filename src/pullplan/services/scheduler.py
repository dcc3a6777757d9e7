"""Time-based events: a tick finds, per workspace, the items whose LRM status is `due` or
`late` and the items due within a rule's N days, and fires the rules on them; a loop runs
a tick (and delivers the outbox) every N seconds, inside `pullplan serve` or alone as
`pullplan worker`.

A tick may run in several processes at once: each event fires its rule once (the firing's
unique key), so two workers never double a notification or an item.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from pullplan.domain.board import StageKind
from pullplan.domain.lrm import LrmStatus
from pullplan.domain.rules import TIME_EVENTS, Event, EventKind, RuleSpec, match
from pullplan.services import flow, lrm
from pullplan.services import rules as rule_service
from pullplan.services.clock import utcnow
from pullplan.storage.database import Database
from pullplan.storage.rule_tables import RuleFiringRow, RuleRow
from pullplan.storage.tables import BoardRow, ItemRow, StageRow, WorkspaceRow

log = logging.getLogger("pullplan.scheduler")

Clock = Callable[[], dt.datetime]


@dataclass
class TickReport:
    at: dt.datetime
    events: int = 0  # time events that matched an enabled rule
    fired: list[dict] = field(default_factory=list)  # the firings this tick made
    delivered: int = 0  # outbox rows delivered
    failed: int = 0  # delivery attempts that failed


def tick(db: Database, *, now: dt.datetime | None = None) -> TickReport:
    """Evaluate the time-based events of every workspace that has enabled rules on them."""
    now = now or utcnow()
    report = TickReport(at=now)
    with db.read() as session:
        rows = session.execute(
            select(RuleRow.workspace_id, RuleRow.id, RuleRow.spec).where(
                RuleRow.enabled.is_(True), RuleRow.event.in_([k.value for k in TIME_EVENTS])
            )
        ).all()
    by_workspace: dict[int, list[tuple[int, RuleSpec]]] = {}
    for workspace_id, rule_id, spec in rows:
        by_workspace.setdefault(workspace_id, []).append((rule_id, rule_service.parse_rule(spec)))
    for workspace_id, rules in by_workspace.items():
        events = workspace_events(db, workspace_id, rules, now)
        fired = already_fired(db, [rule_id for rule_id, _ in rules], [e.key for e in events])
        for event in events:
            due = [rule_id for rule_id, spec in rules if match(spec, event)]
            if not due:
                continue
            report.events += 1
            if all((rule_id, event.key) in fired for rule_id in due):
                continue  # the steady state: read only, no write lock taken
            with db.write() as session:
                report.fired += rule_service.fire(
                    session, workspace_id=workspace_id, event=event, now=now, rules=rules
                )
    return report


def already_fired(db: Database, rule_ids: list[int], keys: list[str]) -> set[tuple[int, str]]:
    """The (rule, event key) pairs among these that have fired."""
    found: set[tuple[int, str]] = set()
    with db.read() as session:
        for start in range(0, len(keys), 500):
            rows = session.execute(
                select(RuleFiringRow.rule_id, RuleFiringRow.event_key).where(
                    RuleFiringRow.rule_id.in_(rule_ids),
                    RuleFiringRow.event_key.in_(keys[start : start + 500]),
                )
            ).all()
            found.update((rule_id, key) for rule_id, key in rows)
    return found


def workspace_events(
    db: Database, workspace_id: int, rules: list[tuple[int, RuleSpec]], now: dt.datetime
) -> list[Event]:
    """The workspace's time events as of `now`: LRM due/late and due within N days."""
    kinds = {spec.event for _, spec in rules}
    with db.read() as session:
        zone = flow.zone(
            session.scalar(select(WorkspaceRow.time_zone).where(WorkspaceRow.id == workspace_id))
        )
        boards = session.execute(
            select(BoardRow.id, BoardRow.name)
            .where(BoardRow.workspace_id == workspace_id)
            .order_by(BoardRow.id)
        ).all()
    today = now.astimezone(zone).date()
    events: list[Event] = []
    for board_id, _ in boards:
        if kinds & {EventKind.LRM_DUE, EventKind.LRM_LATE}:
            model, _today = lrm.board_model(db, board_id)
            for row in lrm.board_lrm(db, board_id=board_id, model=(model, today)):
                if row.status not in (LrmStatus.DUE, LrmStatus.LATE) or row.commit_by is None:
                    continue
                kind = EventKind.LRM_DUE if row.status == LrmStatus.DUE else EventKind.LRM_LATE
                with db.read() as session:
                    facts = rule_service.item_facts(session, row.item.id)
                facts.update(commit_by=row.commit_by.isoformat(), lrm_status=row.status.value, why=row.why)
                # Once per item and due date: the LRM moves a little as history grows, and
                # a rule must not fire again for that; a renegotiated due date is news.
                key = f"{kind.value}:item:{row.item.id}:due:{row.item.due_date}"
                events.append(Event(kind, key, facts, item_id=row.item.id))
    if EventKind.DUE_SOON in kinds:
        horizon = max(spec.days or 0 for _, spec in rules if spec.event == EventKind.DUE_SOON)
        with db.read() as session:
            open_stages = select(StageRow.id).where(
                StageRow.kind.in_([StageKind.OPTION.value, StageKind.COMMITTED.value])
            )
            due = session.execute(
                select(ItemRow.id, ItemRow.due_date)
                .join(BoardRow, BoardRow.id == ItemRow.board_id)
                .where(
                    BoardRow.workspace_id == workspace_id,
                    ItemRow.archived_at.is_(None),
                    ItemRow.due_date.is_not(None),
                    ItemRow.due_date <= today + dt.timedelta(days=horizon),
                    ItemRow.stage_id.in_(open_stages),
                )
                .order_by(ItemRow.id)
            ).all()
            for item_id, due_date in due:
                facts = rule_service.item_facts(session, item_id)
                days_left = (due_date - today).days
                facts["days_left"] = days_left
                key = f"{EventKind.DUE_SOON.value}:item:{item_id}:due:{due_date}"
                events.append(Event(EventKind.DUE_SOON, key, facts, item_id=item_id, days_left=days_left))
    return events


class Worker:
    """Runs `tick` and the outbox delivery every `interval` seconds until stopped."""

    def __init__(
        self,
        db: Database,
        *,
        interval: float = 60.0,
        clock: Clock = utcnow,
        deliver: bool = True,
        on_tick: Callable[[TickReport], None] | None = None,
    ) -> None:
        self.db = db
        self.interval = interval
        self.clock = clock
        self.deliver = deliver
        self.on_tick = on_tick
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> TickReport:
        now = self.clock()
        report = tick(self.db, now=now)
        if self.deliver:
            from pullplan.integrations import outbox

            for attempt in outbox.deliver_due(self.db, now=self.clock()):
                if attempt.ok:
                    report.delivered += 1
                else:
                    report.failed += 1
        if self.on_tick:
            self.on_tick(report)
        return report

    def run(self) -> None:
        """Tick until `stop()`; a failing tick is logged and the loop goes on."""
        while not self.stopping.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - the loop must outlive a bad tick
                log.exception("scheduler tick failed")
            self.stopping.wait(self.interval)

    def start(self) -> None:
        """Run in a background thread (as `pullplan serve` does)."""
        self._thread = threading.Thread(target=self.run, name="pullplan-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


def background(db: Database, settings) -> Worker | None:
    """The worker `pullplan serve` runs in a thread (None when PULLPLAN_SCHEDULER is off)."""
    if not settings.scheduler:
        return None
    worker = Worker(db, interval=settings.scheduler_interval)
    worker.start()
    return worker
