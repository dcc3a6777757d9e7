"""Last Planner use cases, part two: weekly work plans (promises), daily check-ins, week close
with reasons for variance, the metrics (PPC, TA, TMR, PCR, Pareto) and learning cycles
(DESIGN §3, conversations 3-5)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pullplan.domain import planner as rules
from pullplan.domain import planner_metrics as metrics_rules
from pullplan.domain.planner import (
    THROUGHPUT_WEEKS,
    CheckInStatus,
    ConstraintStatus,
    LearningKind,
    LearningStatus,
    Outcome,
)
from pullplan.domain.planner_metrics import (
    AnticipatedFact,
    ConstraintFact,
    ParetoBar,
    PromiseFact,
    Ratio,
    WeekMetrics,
)
from pullplan.services import validation as v
from pullplan.services.accounts import record
from pullplan.services.clock import utcnow
from pullplan.services.errors import Conflict, InvalidInput, NotFound
from pullplan.services.flow import zone
from pullplan.services.planner import (
    PlannerSettings,
    TaskRef,
    _date,
    _lookahead,
    _settings,
    check_member,
    ensure_snapshot,
    names,
    resolve_task,
    task_refs,
    workspace_today,
    write,
)
from pullplan.storage.database import Database
from pullplan.storage.planner_tables import (
    CheckInRow,
    ClosedWeekRow,
    ConstraintRow,
    LearningCycleRow,
    LookaheadSnapshotRow,
    PlanTaskRow,
    PromiseRow,
    SnapshotTaskRow,
)
from pullplan.storage.tables import BoardRow, ItemRow, WorkspaceRow

METRIC_WEEKS_MAX = 104


@dataclass(frozen=True)
class CheckInView:
    id: int
    at: dt.datetime
    status: str
    note: str
    by_name: str | None


@dataclass(frozen=True)
class PromiseView:
    id: int
    workspace_id: int
    week: dt.date
    task: TaskRef
    title: str
    performer_id: int | None
    performer_name: str | None
    team: str
    promised_at: dt.datetime
    added_later: bool
    ready: bool
    override_reason: str | None
    outcome: str | None
    reason: str | None
    reason_label: str
    five_whys: tuple[str, ...]
    outcome_note: str
    check_ins: tuple[CheckInView, ...]

    @property
    def status(self) -> str | None:
        """The latest check-in's status (None before the first)."""
        return self.check_ins[-1].status if self.check_ins else None


@dataclass(frozen=True)
class PromiseResult:
    promise: PromiseView
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Candidate:
    """A task of the lookahead that may be promised for the week."""

    task: TaskRef
    planned_week: dt.date
    performer_name: str | None
    source: str | None
    ready: bool
    open_constraints: int


@dataclass(frozen=True)
class PersonLoad:
    performer_id: int | None
    name: str | None
    promised: int
    throughput: float | None

    @property
    def over(self) -> bool:
        return rules.overcommitment(self.promised, self.throughput) is not None


@dataclass(frozen=True)
class WeekPlan:
    workspace_id: int
    week: dt.date
    today: dt.date
    closed: bool
    closed_at: dt.datetime | None
    started: bool
    promises: tuple[PromiseView, ...]
    candidates: tuple[Candidate, ...]
    load: tuple[PersonLoad, ...]
    ppc: Ratio | None
    reasons: tuple[rules.Reason, ...]

    @property
    def at_risk(self) -> list[PromiseView]:
        return [p for p in self.promises if p.status == CheckInStatus.AT_RISK and p.outcome is None]


@dataclass(frozen=True)
class ParetoRow:
    reason: str
    label: str
    count: int
    share: float
    cumulative: float
    learning_cycles: tuple[LearningCycleView, ...]


@dataclass(frozen=True)
class PlannerMetrics:
    workspace_id: int
    lag_weeks: int
    weeks: tuple[dt.date, ...]
    trend: tuple[WeekMetrics, ...]
    by_person: dict[str, list[WeekMetrics]]
    by_team: dict[str, list[WeekMetrics]]
    pareto: tuple[ParetoRow, ...]


@dataclass(frozen=True)
class LearningCycleView:
    id: int
    workspace_id: int
    kind: str
    title: str
    plan: str
    do: str
    check: str
    act: str
    owner_id: int | None
    owner_name: str | None
    status: str
    reason: str | None
    reason_label: str
    constraint_id: int | None
    started_on: dt.date
    closed_on: dt.date | None


# --- promises -------------------------------------------------------------------------------


def _week(value: object) -> dt.date:
    return rules.week_of(_date("week", value))


def _closed(session: Session, workspace_id: int, week: dt.date) -> ClosedWeekRow | None:
    return session.get(ClosedWeekRow, (workspace_id, week))


def _throughput(
    session: Session, workspace_id: int, performer_id: int | None, before: dt.date
) -> float | None:
    """What the performer finished in each of the THROUGHPUT_WEEKS weeks before `before`: the
    board items they own that reached done, and the pull-plan tasks they promised and kept.
    None when there is nothing to go by (nothing finished and no week closed in that time)."""
    first = before - dt.timedelta(weeks=THROUGHPUT_WEEKS)
    weeks = [first + dt.timedelta(weeks=n) for n in range(THROUGHPUT_WEEKS)]
    counts = dict.fromkeys(weeks, 0)
    tz = zone(session.scalar(select(WorkspaceRow.time_zone).where(WorkspaceRow.id == workspace_id)) or "UTC")
    done = session.scalars(
        select(ItemRow.done_at)
        .join(BoardRow, BoardRow.id == ItemRow.board_id)
        .where(
            BoardRow.workspace_id == workspace_id,
            ItemRow.owner_id == performer_id,
            ItemRow.done_at >= dt.datetime.combine(first, dt.time(), tz),
            ItemRow.done_at < dt.datetime.combine(before, dt.time(), tz),
        )
    )
    for done_at in done:
        week = rules.week_of(done_at.astimezone(tz).date())
        if week in counts:
            counts[week] += 1
    kept = session.execute(
        select(PromiseRow.week, func.count())
        .where(
            PromiseRow.workspace_id == workspace_id,
            PromiseRow.performer_id == performer_id,
            PromiseRow.plan_task_id.is_not(None),
            PromiseRow.outcome == Outcome.DONE.value,
            PromiseRow.week >= first,
            PromiseRow.week < before,
        )
        .group_by(PromiseRow.week)
    )
    for week, n in kept:
        if week in counts:
            counts[week] += n
    if not any(counts.values()):
        closed = session.scalar(
            select(ClosedWeekRow.week)
            .where(
                ClosedWeekRow.workspace_id == workspace_id,
                ClosedWeekRow.week >= first,
                ClosedWeekRow.week < before,
            )
            .limit(1)
        )
        if closed is None:
            return None
    return rules.recent_throughput([counts[w] for w in weeks])


def _open_constraints(session: Session, task: TaskRef) -> int:
    column = ConstraintRow.plan_task_id if task.kind == "task" else ConstraintRow.item_id
    return session.scalar(
        select(func.count()).where(column == task.id, ConstraintRow.status == ConstraintStatus.OPEN.value)
    )


def promise(
    db: Database,
    *,
    actor_id: int | None,
    workspace_id: int,
    week: object,
    plan_task_id: int | None = None,
    item_id: int | None = None,
    performer_id: int | None = None,
    override_reason: str | None = None,
    now: dt.datetime | None = None,
) -> PromiseResult:
    """The performer (by default the one promising) promises the task for the week. Only a ready
    task, unless an override reason says why; a promise made once the week started is marked
    added later; promising more than one's recent weekly throughput warns."""
    now = now or utcnow()
    with write(db) as session:
        today = workspace_today(session, workspace_id, now)
        week = _week(week)
        task = resolve_task(session, workspace_id, plan_task_id, item_id)
        performer = check_member(session, workspace_id, performer_id or actor_id, "performer_id")
        if performer is None:
            raise InvalidInput("performer_id", "say who promises the task.")
        reason = v.text("override_reason", override_reason, max_len=v.REASON_MAX, required=False) or None
        ensure_snapshot(session, workspace_id, now, actor_id=actor_id)
        open_count = _open_constraints(session, task)
        column = PromiseRow.plan_task_id if task.kind == "task" else PromiseRow.item_id
        decision = rules.decide_promise(
            week=week,
            today=today,
            ready=open_count == 0,
            open_constraints=open_count,
            override_reason=reason,
            week_closed=_closed(session, workspace_id, week) is not None,
            already_promised=session.scalar(
                select(PromiseRow.id).where(PromiseRow.week == week, column == task.id)
            )
            is not None,
            promised_this_week=session.scalar(
                select(func.count()).where(
                    PromiseRow.workspace_id == workspace_id,
                    PromiseRow.week == week,
                    PromiseRow.performer_id == performer,
                )
            ),
            recent_throughput=_throughput(session, workspace_id, performer, week),
        )
        if not decision.allowed:
            raise Conflict(decision.refusal.value, decision.message)
        row = PromiseRow(
            workspace_id=workspace_id,
            week=week,
            plan_task_id=task.id if task.kind == "task" else None,
            item_id=task.id if task.kind == "item" else None,
            title=task.title,
            performer_id=performer,
            team=task.team,
            promised_at=now,
            added_later=decision.added_later,
            ready=not decision.override,
            override_reason=reason if decision.override else None,
            five_whys=[],
            outcome_note="",
        )
        session.add(row)
        session.flush()
        record(
            session,
            actor_id,
            workspace_id,
            "promise.create",
            row.title,
            {"promise_id": row.id, "week": str(week), "override": decision.override},
            now,
        )
        return PromiseResult(_promise_views(session, [row])[0], decision.warnings)


def check_in(
    db: Database,
    *,
    actor_id: int | None,
    promise_id: int,
    status: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> PromiseView:
    """A daily check-in on a promise: on track, at risk or done, with a note. An at-risk
    promise shows at the top of the week's plan at once."""
    now = now or utcnow()
    with write(db) as session:
        row = session.get(PromiseRow, promise_id)
        if row is None:
            raise NotFound("Promise", promise_id)
        checked = v.enum("status", status, CheckInStatus)
        text = v.text("note", note, max_len=v.REASON_MAX, required=False)
        if _closed(session, row.workspace_id, row.week) is not None:
            raise Conflict("week_closed", f"The week of {row.week} is closed: its promises are final.")
        session.add(CheckInRow(promise_id=row.id, at=now, status=checked.value, note=text, by_id=actor_id))
        session.flush()
        return _promise_views(session, [row])[0]


def close_week(
    db: Database,
    *,
    actor_id: int | None,
    workspace_id: int,
    week: object,
    outcomes: list[dict],
    now: dt.datetime | None = None,
) -> WeekPlan:
    """Close a week: every promise is done or not; a miss has a reason for variance from the
    workspace's taxonomy (and a 5-why where the reason asks for one). The week is final after."""
    now = now or utcnow()
    with write(db) as session:
        today = workspace_today(session, workspace_id, now)
        week = _week(week)
        if week > today:
            raise Conflict("week_not_started", f"The week of {week} has not started yet.")
        if _closed(session, workspace_id, week) is not None:
            raise Conflict("week_closed", f"The week of {week} is closed already.")
        settings = _settings(session, workspace_id)
        rows = {
            r.id: r
            for r in session.scalars(
                select(PromiseRow).where(PromiseRow.workspace_id == workspace_id, PromiseRow.week == week)
            )
        }
        if not isinstance(outcomes, list):
            raise InvalidInput("outcomes", "must be a list of promise outcomes.")
        given: dict[int, int] = {}
        for n, outcome in enumerate(outcomes):
            promise_id = outcome.get("promise_id")
            if promise_id not in rows:
                raise InvalidInput(
                    f"outcomes.{n}.promise_id", f"promise {promise_id} is not of the week of {week}."
                )
            if promise_id in given:
                raise InvalidInput(f"outcomes.{n}.promise_id", f"promise {promise_id} is given twice.")
            given[promise_id] = n
        missing = [r for r in rows.values() if r.id not in given]
        if missing:
            raise InvalidInput(
                "outcomes", f"say whether {missing[0].title!r} (promise {missing[0].id}) was done."
            )
        end = rules.week_end(week)
        for promise_id, n in given.items():
            outcome, row = outcomes[n], rows[promise_id]
            done = outcome.get("done")
            if not isinstance(done, bool):
                raise InvalidInput(f"outcomes.{n}.done", "must be true or false.")
            reason = outcome.get("reason") or None
            whys = outcome.get("five_whys") or []
            if not isinstance(whys, list):
                raise InvalidInput(f"outcomes.{n}.five_whys", "must be a list of answers.")
            whys = [v.text(f"outcomes.{n}.five_whys", w, max_len=v.REASON_MAX, required=False) for w in whys]
            problem = rules.check_outcome(done=done, reason=reason, five_whys=whys, taxonomy=settings.reasons)
            if problem:
                field = "five_whys" if "5-why" in problem else "reason"
                raise InvalidInput(f"outcomes.{n}.{field}", problem)
            row.outcome = (Outcome.DONE if done else Outcome.NOT_DONE).value
            row.reason = None if done else reason
            row.five_whys = [w for w in whys if w]
            row.outcome_note = v.text(
                f"outcomes.{n}.note", outcome.get("note"), max_len=v.REASON_MAX, required=False
            )
            if done and row.plan_task_id is not None:
                task = session.get(PlanTaskRow, row.plan_task_id)
                if task is not None and task.done_on is None:
                    task.done_on = min(today, end)
        session.add(ClosedWeekRow(workspace_id=workspace_id, week=week, closed_at=now, closed_by=actor_id))
        session.flush()
        done_count = sum(1 for r in rows.values() if r.outcome == Outcome.DONE)
        record(
            session,
            actor_id,
            workspace_id,
            "week.close",
            str(week),
            {"promises": len(rows), "done": done_count},
            now,
        )
        return _week_plan(session, workspace_id, week, now)


def weekly_plan(
    db: Database, workspace_id: int, week: object = None, now: dt.datetime | None = None
) -> WeekPlan:
    """A week's plan: its promises with their check-ins, what may still be promised, each
    performer's load against their recent throughput, and PPC once it is closed. The week is
    any day of it; None: this week."""
    with db.read() as session:
        today = workspace_today(session, workspace_id, now)
        return _week_plan(session, workspace_id, rules.week_of(today) if week is None else _week(week), now)


def _week_plan(session: Session, workspace_id: int, week: dt.date, now: dt.datetime | None) -> WeekPlan:
    today = workspace_today(session, workspace_id, now)
    settings = _settings(session, workspace_id)
    rows = session.scalars(
        select(PromiseRow)
        .where(PromiseRow.workspace_id == workspace_id, PromiseRow.week == week)
        .order_by(PromiseRow.promised_at, PromiseRow.id)
    ).all()
    promises = _promise_views(session, rows, settings)
    closed = _closed(session, workspace_id, week)
    promised_keys = {p.task.key for p in promises}
    candidates = []
    if closed is None and rules.week_end(week) >= today:
        for t in _lookahead(session, workspace_id, now).tasks:
            if t.task.key in promised_keys or t.week > week + dt.timedelta(weeks=1):
                continue
            candidates.append(
                Candidate(t.task, t.week, t.performer_name, t.milestone, t.ready, t.open_constraints)
            )
    counts: dict[int | None, int] = {}
    for p in promises:
        counts[p.performer_id] = counts.get(p.performer_id, 0) + 1
    people = names(session, counts)
    load = tuple(
        PersonLoad(who, people.get(who), n, _throughput(session, workspace_id, who, week))
        for who, n in sorted(counts.items(), key=lambda kv: people.get(kv[0]) or "")
    )
    facts = [_fact(p) for p in promises]
    return WeekPlan(
        workspace_id=workspace_id,
        week=week,
        today=today,
        closed=closed is not None,
        closed_at=closed.closed_at if closed else None,
        started=week <= today,
        promises=tuple(promises),
        candidates=tuple(candidates),
        load=load,
        ppc=metrics_rules.ppc(facts, week) if closed else None,
        reasons=settings.reasons,
    )


def _fact(p: PromiseView) -> PromiseFact:
    return PromiseFact(
        task=p.task.key,
        week=p.week,
        performer=p.performer_id,
        team=p.team,
        added_later=p.added_later,
        outcome=Outcome(p.outcome) if p.outcome else None,
        reason=p.reason,
        ready=p.ready,
    )


def _promise_views(session: Session, rows, settings: PlannerSettings | None = None) -> list[PromiseView]:
    if not rows:
        return []
    settings = settings or _settings(session, rows[0].workspace_id)
    refs = task_refs(session, (r.plan_task_id for r in rows), (r.item_id for r in rows))
    check_ins: dict[int, list[CheckInRow]] = {}
    for c in session.scalars(
        select(CheckInRow)
        .where(CheckInRow.promise_id.in_([r.id for r in rows]))
        .order_by(CheckInRow.at, CheckInRow.id)
    ):
        check_ins.setdefault(c.promise_id, []).append(c)
    people = names(
        session, [r.performer_id for r in rows] + [c.by_id for cs in check_ins.values() for c in cs]
    )
    views = []
    for r in rows:
        key = f"task:{r.plan_task_id}" if r.plan_task_id else f"item:{r.item_id}"
        task = refs.get(key) or TaskRef(
            key.split(":")[0], int(key.split(":")[1]), r.title, r.performer_id, r.team
        )
        views.append(
            PromiseView(
                id=r.id,
                workspace_id=r.workspace_id,
                week=r.week,
                task=task,
                title=r.title,
                performer_id=r.performer_id,
                performer_name=people.get(r.performer_id),
                team=r.team,
                promised_at=r.promised_at,
                added_later=r.added_later,
                ready=r.ready,
                override_reason=r.override_reason,
                outcome=r.outcome,
                reason=r.reason,
                reason_label=rules.reason_label(r.reason, settings.reasons),
                five_whys=tuple(r.five_whys or ()),
                outcome_note=r.outcome_note,
                check_ins=tuple(
                    CheckInView(c.id, c.at, c.status, c.note, people.get(c.by_id))
                    for c in check_ins.get(r.id, [])
                ),
            )
        )
    return views


# --- metrics --------------------------------------------------------------------------------


def planner_metrics(
    db: Database, workspace_id: int, *, weeks: int = 12, now: dt.datetime | None = None
) -> PlannerMetrics:
    """PPC, TA, TMR and PCR of the last `weeks` weeks (this week last), for the team, each
    person and each team, and the Pareto of reasons for variance with their learning cycles."""
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= METRIC_WEEKS_MAX:
        raise InvalidInput("weeks", f"must be a whole number from 1 to {METRIC_WEEKS_MAX}.")
    with db.read() as session:
        today = workspace_today(session, workspace_id, now)
        settings = _settings(session, workspace_id)
        lag = settings.lag_weeks
        last = rules.week_of(today)
        span = [last - dt.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
        first = span[0]
        rows = session.scalars(
            select(PromiseRow).where(
                PromiseRow.workspace_id == workspace_id, PromiseRow.week >= first, PromiseRow.week <= last
            )
        ).all()
        promises = [
            PromiseFact(
                task=f"task:{r.plan_task_id}" if r.plan_task_id else f"item:{r.item_id}",
                week=r.week,
                performer=r.performer_id,
                team=r.team,
                added_later=r.added_later,
                outcome=Outcome(r.outcome) if r.outcome else None,
                reason=r.reason,
                ready=r.ready,
            )
            for r in rows
        ]
        anticipated = [
            AnticipatedFact(
                snapshot_week=week, task=t.task, week=t.week, performer=t.performer_id, team=t.team
            )
            for week, t in session.execute(
                select(LookaheadSnapshotRow.week, SnapshotTaskRow)
                .join(SnapshotTaskRow, SnapshotTaskRow.snapshot_id == LookaheadSnapshotRow.id)
                .where(
                    LookaheadSnapshotRow.workspace_id == workspace_id,
                    LookaheadSnapshotRow.week >= first - dt.timedelta(weeks=lag),
                    LookaheadSnapshotRow.week <= last,
                )
            ).all()
        ]
        constraint_rows = session.scalars(
            select(ConstraintRow).where(
                ConstraintRow.workspace_id == workspace_id,
                ConstraintRow.need_by <= rules.week_end(last),
                (ConstraintRow.closed_on.is_(None)) | (ConstraintRow.closed_on >= first),
            )
        ).all()
        teams = _constraint_teams(session, constraint_rows)
        constraints = [
            ConstraintFact(
                id=c.id,
                created_on=c.created_on,
                need_by=c.need_by,
                status=ConstraintStatus(c.status),
                closed_on=c.closed_on,
                owner=c.owner_id,
                team=teams.get(c.id, ""),
            )
            for c in constraint_rows
        ]
        args = dict(promises=promises, anticipated=anticipated, constraints=constraints, lag=lag)
        people = names(session, {p.performer for p in promises} | {c.owner for c in constraints})
        by_person = {
            (people.get(who) or "Nobody"): trend
            for who, trend in metrics_rules.by_person(span, **args).items()
        }
        by_team = {(team or "No team"): trend for team, trend in metrics_rules.by_team(span, **args).items()}
        cycles = _learning_views(
            session,
            session.scalars(
                select(LearningCycleRow)
                .where(LearningCycleRow.workspace_id == workspace_id, LearningCycleRow.reason.is_not(None))
                .order_by(LearningCycleRow.started_on, LearningCycleRow.id)
            ).all(),
            settings,
        )
        pareto = tuple(_pareto_row(bar, settings, cycles) for bar in metrics_rules.pareto(promises))
        return PlannerMetrics(
            workspace_id=workspace_id,
            lag_weeks=lag,
            weeks=tuple(span),
            trend=tuple(metrics_rules.trend(span, **args)),
            by_person=dict(sorted(by_person.items())),
            by_team=dict(sorted(by_team.items())),
            pareto=pareto,
        )


def _pareto_row(bar: ParetoBar, settings: PlannerSettings, cycles: list[LearningCycleView]) -> ParetoRow:
    return ParetoRow(
        reason=bar.reason,
        label=rules.reason_label(bar.reason, settings.reasons),
        count=bar.count,
        share=bar.share,
        cumulative=bar.cumulative,
        learning_cycles=tuple(c for c in cycles if c.reason == bar.reason),
    )


def _constraint_teams(session: Session, rows) -> dict[int, str]:
    refs = task_refs(session, (r.plan_task_id for r in rows), (r.item_id for r in rows))
    teams = {}
    for r in rows:
        ref = refs.get(f"task:{r.plan_task_id}" if r.plan_task_id else f"item:{r.item_id}")
        teams[r.id] = ref.team if ref else ""
    return teams


# --- learning cycles ------------------------------------------------------------------------

LEARNING_FIELDS = (
    "kind",
    "title",
    "plan",
    "do",
    "check",
    "act",
    "owner_id",
    "status",
    "reason",
    "constraint_id",
)


def create_learning_cycle(
    db: Database,
    *,
    actor_id: int | None,
    workspace_id: int,
    kind: str,
    title: str,
    now: dt.datetime | None = None,
    **fields,
) -> LearningCycleView:
    """A PDCA (improve), SDCA (standardize) or EDCA (explore) record, linked to a reason for
    variance or a constraint."""
    now = now or utcnow()
    with write(db) as session:
        today = workspace_today(session, workspace_id, now)
        row = LearningCycleRow(
            workspace_id=workspace_id,
            kind=LearningKind.PDCA.value,
            title="",
            plan="",
            do="",
            check="",
            act="",
            status=LearningStatus.PLAN.value,
            started_on=today,
            created_at=now,
        )
        _apply_learning(session, row, {"kind": kind, "title": title, **fields}, today)
        session.add(row)
        session.flush()
        record(
            session, actor_id, workspace_id, "learning.create", row.title, {"learning_cycle_id": row.id}, now
        )
        return _learning_views(session, [row], _settings(session, workspace_id))[0]


def edit_learning_cycle(
    db: Database,
    *,
    actor_id: int | None,
    learning_cycle_id: int,
    changes: dict,
    now: dt.datetime | None = None,
) -> LearningCycleView:
    now = now or utcnow()
    with write(db) as session:
        row = session.get(LearningCycleRow, learning_cycle_id)
        if row is None:
            raise NotFound("Learning cycle", learning_cycle_id)
        today = workspace_today(session, row.workspace_id, now)
        _apply_learning(session, row, changes, today)
        record(
            session, actor_id, row.workspace_id, "learning.edit", row.title, {"fields": sorted(changes)}, now
        )
        return _learning_views(session, [row], _settings(session, row.workspace_id))[0]


def list_learning_cycles(
    db: Database, workspace_id: int, *, reason: str | None = None
) -> list[LearningCycleView]:
    with db.read() as session:
        workspace_today(session, workspace_id)
        query = select(LearningCycleRow).where(LearningCycleRow.workspace_id == workspace_id)
        if reason is not None:
            query = query.where(LearningCycleRow.reason == reason)
        rows = session.scalars(
            query.order_by(LearningCycleRow.started_on.desc(), LearningCycleRow.id.desc())
        ).all()
        return _learning_views(session, rows, _settings(session, workspace_id))


def _apply_learning(session: Session, row: LearningCycleRow, changes: dict, today: dt.date) -> None:
    for key, value in changes.items():
        if key == "kind":
            row.kind = v.enum("kind", value, LearningKind).value
        elif key == "title":
            row.title = v.text("title", value, max_len=v.TITLE_MAX)
        elif key in ("plan", "do", "check", "act"):
            setattr(row, key, v.text(key, value, max_len=v.DESCRIPTION_MAX, required=False))
        elif key == "owner_id":
            row.owner_id = check_member(session, row.workspace_id, value, "owner_id")
        elif key == "status":
            status = v.enum("status", value, LearningStatus)
            row.status = status.value
            row.closed_on = today if status == LearningStatus.CLOSED else None
        elif key == "reason":
            if value is not None:
                codes = [r.code for r in _settings(session, row.workspace_id).reasons]
                if value not in codes:
                    raise InvalidInput(
                        "reason", f"{value!r} is not a reason of this workspace ({', '.join(codes)})."
                    )
            row.reason = value
        elif key == "constraint_id":
            if value is not None:
                found = session.get(ConstraintRow, value) if isinstance(value, int) else None
                if found is None or found.workspace_id != row.workspace_id:
                    raise InvalidInput("constraint_id", f"constraint {value} is not in this workspace.")
            row.constraint_id = value
        else:
            raise InvalidInput(key, "is not a field of a learning cycle.")


def _learning_views(session: Session, rows, settings: PlannerSettings) -> list[LearningCycleView]:
    people = names(session, (r.owner_id for r in rows))
    return [
        LearningCycleView(
            id=r.id,
            workspace_id=r.workspace_id,
            kind=r.kind,
            title=r.title,
            plan=r.plan,
            do=r.do,
            check=r.check,
            act=r.act,
            owner_id=r.owner_id,
            owner_name=people.get(r.owner_id),
            status=r.status,
            reason=r.reason,
            reason_label=rules.reason_label(r.reason, settings.reasons),
            constraint_id=r.constraint_id,
            started_on=r.started_on,
            closed_on=r.closed_on,
        )
        for r in rows
    ]
