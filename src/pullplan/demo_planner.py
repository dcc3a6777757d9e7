"""The demo's Last Planner: twelve closed weeks of promises on the boards' items (PPC between
60 and 85%, with reasons for variance, carried-over misses, promises added later, constraints
and weekly lookahead snapshots), learning cycles on the most frequent reasons, and a product
launch webinar two weeks ahead with its pull plan, open constraints and this week's plan."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pullplan.domain.planner import CheckInStatus, ConstraintStatus, Outcome, week_of
from pullplan.storage.planner_tables import (
    CheckInRow,
    ClosedWeekRow,
    ConstraintRow,
    LearningCycleRow,
    LookaheadSnapshotRow,
    MilestoneRow,
    PlanTaskLinkRow,
    PlanTaskRow,
    PromiseRow,
    SnapshotTaskRow,
)
from pullplan.storage.tables import BoardRow, ItemRow, UserRow

SEED = 11
WEEKS = 12
LOOKAHEAD = 6
LAG = 2
# How often each reason explains a miss: over-commitment leads, as it does in most teams.
REASONS = (
    ("over_commitment", 9),
    ("prerequisite_not_done", 6),
    ("approval_late", 5),
    ("information_missing", 4),
    ("people_not_available", 3),
    ("customer_external", 3),
    ("changed_priority", 2),
    ("underestimated", 2),
)
CONSTRAINTS = (
    ("approval", "Legal has not approved the claims"),
    ("information", "Pricing for the new tier not final"),
    ("content_materials", "Customer logo and quote not cleared"),
    ("people", "Designer booked on the trade show"),
    ("tools_access", "No seat in the webinar platform yet"),
    ("customer_external", "Customer has not confirmed the call"),
    ("prior_work", "Landing page copy not written"),
    ("channel_slot", "Newsletter slot taken by the product update"),
)
# The webinar's pull plan: (key, handoff, performer, team, customer, working days, after).
WEBINAR = (
    ("topic", "Webinar topic and speaker agreed", "alice", "Marketing", "Events", 2, ()),
    ("brief", "Speaker briefing pack", "emma", "Marketing", "Speaker", 2, ("topic",)),
    ("landing", "Landing page and registration form", "farid", "Marketing", "Events", 3, ("topic",)),
    ("accounts", "Target account list for invitations", "lena", "Sales", "Marketing", 2, ("topic",)),
    ("invites", "Invitation emails in three waves", "bob", "Marketing", "Sales", 2, ("landing",)),
    (
        "personal",
        "Personal invitations to the top 50 accounts",
        "hugo",
        "Sales",
        "Events",
        2,
        ("invites", "accounts"),
    ),
    ("slides", "Slides and demo script", "emma", "Marketing", "Speaker", 4, ("brief",)),
    ("platform", "Webinar platform set up and rehearsed", "grace", "Marketing", "Events", 2, ("landing",)),
    ("dry_run", "Dry run with the speaker", "grace", "Marketing", "Speaker", 1, ("slides", "platform")),
    ("follow_up", "Follow-up sequence for attendees", "ines", "Sales", "Sales", 2, ("personal",)),
)
LEARNING = (
    (
        "pdca",
        "Promise no more than last month's weekly throughput",
        "over_commitment",
        "act",
        "bob",
        "Each performer checks the load line before promising.",
        "Four weeks with the cap.",
        "Over-commitment misses fell from three a week to one.",
        "Keep the cap; show it on the weekly plan.",
    ),
    (
        "pdca",
        "A standing legal review slot every Tuesday",
        "approval_late",
        "check",
        "alice",
        "Book 30 minutes with legal each Tuesday for the week's claims.",
        "Started three weeks ago.",
        "Two of three reviews came back the same day.",
        "",
    ),
    (
        "sdca",
        "One-page campaign brief before anything is promised",
        "information_missing",
        "closed",
        "emma",
        "Use the brief template for every campaign.",
        "Used for all campaigns since.",
        "No miss for missing information in four weeks.",
        "The template is the standard.",
    ),
    (
        "edca",
        "Try asynchronous speaker preparation",
        "prerequisite_not_done",
        "plan",
        "grace",
        "Record the briefing instead of a meeting; see whether speakers prepare earlier.",
        "",
        "",
        "",
    ),
)


@dataclass
class _Item:
    id: int
    title: str
    owner: int | None
    board: str
    created: date
    committed: date | None
    done: date | None


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), UTC)


def add(session: Session, workspace_id: int, now: datetime) -> None:
    """Write the demo's planner; `now` is the end of the demo's history."""
    rng = random.Random(SEED)
    users = dict(session.execute(select(UserRow.username, UserRow.id)).all())
    today = now.date()
    this_week = week_of(today)
    items = _items(session, workspace_id)
    if not items:
        return
    weeks = [this_week - timedelta(weeks=n) for n in range(WEEKS, 0, -1)]
    promises: dict[date, list[tuple[_Item, bool, str | None, bool]]] = {}  # item, done, reason, later
    carried: list[_Item] = []
    for week in weeks:
        promises[week] = _week_promises(rng, items, week, carried)
        carried = [i for i, done, _, later in promises[week] if not done and not later][:2]

    _write_history(session, rng, workspace_id, users, weeks, promises, today)
    milestone_tasks = _webinar(session, workspace_id, users, this_week, now)
    _this_week(session, rng, workspace_id, users, this_week, items, milestone_tasks, now)
    _snapshots(session, rng, workspace_id, weeks + [this_week], promises, items, now)
    _learning(session, workspace_id, users, this_week, now)


def _items(session: Session, workspace_id: int) -> list[_Item]:
    rows = session.execute(
        select(
            ItemRow.id,
            ItemRow.title,
            ItemRow.owner_id,
            BoardRow.name,
            ItemRow.created_at,
            ItemRow.committed_at,
            ItemRow.done_at,
        )
        .join(BoardRow, BoardRow.id == ItemRow.board_id)
        .where(
            BoardRow.workspace_id == workspace_id, ItemRow.owner_id.is_not(None), ItemRow.parent_id.is_(None)
        )
        .order_by(ItemRow.id)
    ).all()
    return [
        _Item(i, t, o, b, c.date(), m.date() if m else None, d.date() if d else None)
        for i, t, o, b, c, m, d in rows
    ]


def _week_promises(rng: random.Random, items: list[_Item], week: date, carried: list[_Item]):
    """About eight promises made before the week (a PPC of 60 to 85%), and one in three weeks a
    promise added later. Kept promises are items finished that week; missed ones were in progress
    and finished later (or not yet)."""
    end = week + timedelta(days=6)
    finished = [i for i in items if i.done and week <= i.done <= end and i.committed and i.committed <= end]
    ongoing = [
        i
        for i in items
        if i.committed and i.committed < week and (i.done is None or i.done > end + timedelta(days=2))
    ]
    planned = rng.randint(7, 9)
    misses = min(max(2, round(planned * rng.uniform(0.15, 0.4))), int(planned * 0.4))
    # Last week's misses are promised again (carried over): kept when they finish this week.
    kept = [i for i in carried if i.done and week <= i.done <= end]
    missed = [i for i in carried if i not in kept][:misses]
    fresh = [i for i in finished if i not in kept]
    kept += rng.sample(fresh, max(0, min(planned - misses - len(kept), len(fresh))))
    pool = [i for i in ongoing if i not in missed and i not in kept]
    missed += rng.sample(pool, min(misses - len(missed), len(pool)))
    # A quiet week (the holidays) finishes less: keep its PPC in the range teams report.
    while missed and len(kept) < 0.6 * (len(kept) + len(missed)):
        missed.pop()
    chosen = [(i, True, None, False) for i in kept] + [(i, False, _reason(rng), False) for i in missed]
    extra = [i for i in finished if i not in kept]
    if extra and rng.random() < 0.35:
        chosen.append((rng.choice(extra), True, None, True))
    rng.shuffle(chosen)
    return chosen


def _reason(rng: random.Random) -> str:
    codes, weights = zip(*REASONS, strict=True)
    return rng.choices(codes, weights)[0]


def _write_history(session, rng, workspace_id, users, weeks, promises, today) -> None:
    alice = users.get("alice")
    for week in weeks:
        friday_before = week - timedelta(days=3)
        for item, done, reason, later in promises[week]:
            promised_at = (
                _at(week + timedelta(days=1), 11) if later else _at(friday_before, 15, rng.randint(0, 50))
            )
            row = PromiseRow(
                workspace_id=workspace_id,
                week=week,
                item_id=item.id,
                title=item.title,
                performer_id=item.owner,
                team=item.board,
                promised_at=promised_at,
                added_later=later,
                ready=True,
                override_reason=None,
                outcome=(Outcome.DONE if done else Outcome.NOT_DONE).value,
                reason=reason,
                five_whys=[],
                outcome_note="",
            )
            session.add(row)
            session.flush()
            wednesday = _at(week + timedelta(days=2), 9, 30)
            if not done:
                session.add(
                    CheckInRow(
                        promise_id=row.id,
                        at=wednesday,
                        status=CheckInStatus.AT_RISK.value,
                        note=_risk_note(reason),
                        by_id=item.owner,
                    )
                )
            elif rng.random() < 0.5:
                session.add(
                    CheckInRow(
                        promise_id=row.id,
                        at=wednesday,
                        status=CheckInStatus.ON_TRACK.value,
                        note="",
                        by_id=item.owner,
                    )
                )
            # About every third promise had a constraint logged the week before.
            if rng.random() < 0.35 and not later:
                _history_constraint(session, rng, workspace_id, item, week, done, today)
        session.add(
            ClosedWeekRow(
                workspace_id=workspace_id,
                week=week,
                closed_at=_at(week + timedelta(days=4), 16, 30),
                closed_by=alice,
            )
        )


def _risk_note(reason: str | None) -> str:
    return {
        "over_commitment": "Too much on my plate this week.",
        "prerequisite_not_done": "Still waiting for the input from the other team.",
        "approval_late": "Waiting for sign-off.",
        "information_missing": "The brief is missing the numbers.",
        "people_not_available": "Out sick two days.",
        "customer_external": "The customer has gone quiet.",
        "changed_priority": "Pulled onto the expedite deal.",
        "underestimated": "Bigger than it looked.",
    }.get(reason or "", "")


def _history_constraint(session, rng, workspace_id, item, week, done, today) -> None:
    category, description = rng.choice(CONSTRAINTS)
    created = week - timedelta(days=rng.randint(4, 8))
    need_by = week + timedelta(days=rng.randint(0, 2))
    roll = rng.random()
    if done or roll < 0.7:
        status, closed = (
            ConstraintStatus.REMOVED,
            min(need_by + timedelta(days=rng.randint(-3, 1)), week + timedelta(days=4)),
        )
        closed = max(closed, created + timedelta(days=1))
    elif roll < 0.85:
        status, closed = ConstraintStatus.REMOVED, week + timedelta(days=rng.randint(7, 10))
    else:
        status, closed = ConstraintStatus.WAIVED, week + timedelta(days=2)
    if closed > today:  # not cleared yet: the item is not ready
        status, closed = ConstraintStatus.OPEN, None
        session.get(ItemRow, item.id).ready = False
    session.add(
        ConstraintRow(
            workspace_id=workspace_id,
            item_id=item.id,
            category=category,
            description=description,
            owner_id=item.owner,
            need_by=need_by,
            status=status.value,
            created_at=_at(created, 10),
            created_on=created,
            closed_on=closed,
            note="Went ahead with the approved wording." if status == ConstraintStatus.WAIVED else "",
        )
    )


def _webinar(session, workspace_id, users, this_week, now) -> dict[str, PlanTaskRow]:
    """The product launch webinar on the Thursday two weeks ahead, its handoffs and constraints."""
    webinar_day = this_week + timedelta(weeks=2, days=3)
    milestone = MilestoneRow(
        workspace_id=workspace_id,
        name="Product launch webinar",
        date=webinar_day,
        conditions="300 registrations, 40% from target accounts; the recording and a follow-up in every "
        "attendee's inbox within a day; Sales books ten meetings from it.",
        created_at=_at(this_week - timedelta(weeks=3), 10),
        created_by=users.get("alice"),
    )
    session.add(milestone)
    session.flush()
    tasks: dict[str, PlanTaskRow] = {}
    for key, title, who, team, customer, days, _ in WEBINAR:
        tasks[key] = PlanTaskRow(
            milestone_id=milestone.id,
            workspace_id=workspace_id,
            title=title,
            performer_id=users.get(who),
            team=team,
            customer=customer,
            duration_days=days,
            created_at=milestone.created_at,
        )
        session.add(tasks[key])
    session.flush()
    for key, *_, after in WEBINAR:
        for before in after:
            session.add(PlanTaskLinkRow(task_id=tasks[key].id, predecessor_id=tasks[before].id))
    # The topic was agreed last week.
    tasks["topic"].done_on = this_week - timedelta(days=3)
    open_constraints = (
        ("slides", "content_materials", "Product screenshots of the new release", "farid", 2),
        ("personal", "customer_external", "Three top accounts have not confirmed a contact", "hugo", 7),
        ("platform", "tools_access", "No host seat in the webinar platform yet", "lena", 4),
        ("follow_up", "approval", "Legal has not approved the follow-up offer", "alice", 9),
    )
    for key, category, description, owner, need_in in open_constraints:
        session.add(
            ConstraintRow(
                workspace_id=workspace_id,
                plan_task_id=tasks[key].id,
                category=category,
                description=description,
                owner_id=users.get(owner),
                need_by=this_week + timedelta(days=need_in),
                status=ConstraintStatus.OPEN.value,
                created_at=_at(this_week - timedelta(days=4), 11),
                created_on=this_week - timedelta(days=4),
                closed_on=None,
                note="",
            )
        )
    session.add(
        ConstraintRow(
            workspace_id=workspace_id,
            plan_task_id=tasks["brief"].id,
            category="information",
            description="Positioning of the new tier not final",
            owner_id=users.get("alice"),
            need_by=this_week,
            status=ConstraintStatus.REMOVED.value,
            created_at=_at(this_week - timedelta(days=6), 11),
            created_on=this_week - timedelta(days=6),
            closed_on=this_week - timedelta(days=3),
            note="",
        )
    )
    session.flush()
    return tasks


def _this_week(session, rng, workspace_id, users, this_week, items, tasks, now) -> None:
    """This week's plan, promised last Friday: the webinar's ready handoffs and items in
    progress; one promise is at risk."""
    friday = this_week - timedelta(days=3)
    promised = [tasks["brief"], tasks["landing"], tasks["accounts"]]
    rows = []
    for task in promised:
        rows.append(
            PromiseRow(
                workspace_id=workspace_id,
                week=this_week,
                plan_task_id=task.id,
                title=task.title,
                performer_id=task.performer_id,
                team=task.team,
                promised_at=_at(friday, 15),
                added_later=False,
                ready=True,
                override_reason=None,
                outcome=None,
                reason=None,
                five_whys=[],
                outcome_note="",
            )
        )
    in_progress = [i for i in items if i.committed and i.committed < this_week and i.done is None]
    for item in rng.sample(in_progress, min(3, len(in_progress))):
        rows.append(
            PromiseRow(
                workspace_id=workspace_id,
                week=this_week,
                item_id=item.id,
                title=item.title,
                performer_id=item.owner,
                team=item.board,
                promised_at=_at(friday, 15, 30),
                added_later=False,
                ready=True,
                override_reason=None,
                outcome=None,
                reason=None,
                five_whys=[],
                outcome_note="",
            )
        )
    session.add_all(rows)
    session.flush()
    monday = _at(this_week, 9, 15)
    if monday <= now:
        session.add(
            CheckInRow(
                promise_id=rows[1].id,
                at=monday,
                status=CheckInStatus.AT_RISK.value,
                note="Waiting for the brand team's colours.",
                by_id=rows[1].performer_id,
            )
        )
        session.add(
            CheckInRow(
                promise_id=rows[0].id,
                at=monday,
                status=CheckInStatus.ON_TRACK.value,
                note="",
                by_id=rows[0].performer_id,
            )
        )


def _snapshots(session, rng, workspace_id, weeks, promises, items, now) -> None:
    """One lookahead snapshot each Monday: the promises that were coming (most of them, some
    anticipated a week early or late), tasks that slipped out of the plan (TMR's misses), and
    from two weeks ago the webinar's handoffs."""
    from pullplan.services.planner import _lookahead  # the lookahead as the service computes it

    by_id = {i.id: i for i in items}
    anticipated: dict[date, list[tuple[str, str, int | None, str, date]]] = defaultdict(list)
    for week, chosen in promises.items():
        for item, _, _, later in chosen:
            if later or rng.random() < 0.12:
                continue  # not anticipated: it came up inside the week, or had no date
            shift = rng.choices((0, -1, 1), (8, 1, 1))[0]
            anticipated[week].append(
                (f"item:{item.id}", item.title, item.owner, item.board, week + timedelta(weeks=shift))
            )
    slipped = [i for i in items if i.done is None or i.committed is None]
    webinar = [t for t in _lookahead(session, workspace_id, now).tasks if t.task.kind == "task"]
    this_week = weeks[-1]
    for snapshot_week in [weeks[0] - timedelta(weeks=LAG), weeks[0] - timedelta(weeks=1), *weeks]:
        row = LookaheadSnapshotRow(
            workspace_id=workspace_id, week=snapshot_week, taken_at=_at(snapshot_week, 8, 5)
        )
        session.add(row)
        session.flush()
        seen = set()
        for week in (snapshot_week + timedelta(weeks=n) for n in range(LOOKAHEAD)):
            entries = list(anticipated.get(week, ()))
            entries += [
                (f"item:{i.id}", i.title, i.owner, i.board, week)
                for i in rng.sample(slipped, min(2, len(slipped)))
            ]
            for key, title, owner, team, planned in entries:
                item = by_id.get(int(key.split(":")[1]))
                if key in seen or item is None or item.created > snapshot_week:
                    continue  # once a snapshot; and not before the item existed
                seen.add(key)
                session.add(
                    SnapshotTaskRow(
                        snapshot_id=row.id,
                        task=key,
                        title=title,
                        week=planned,
                        performer_id=owner,
                        team=team,
                        ready=True,
                    )
                )
        if snapshot_week >= this_week - timedelta(weeks=LAG):
            for t in webinar:
                session.add(
                    SnapshotTaskRow(
                        snapshot_id=row.id,
                        task=t.task.key,
                        title=t.task.title,
                        week=max(snapshot_week, t.week),
                        performer_id=t.task.performer_id,
                        team=t.task.team,
                        ready=t.ready,
                    )
                )


def _learning(session, workspace_id, users, this_week, now) -> None:
    for n, (kind, title, reason, status, owner, plan, do, check, act) in enumerate(LEARNING):
        started = this_week - timedelta(weeks=8 - 2 * n)
        session.add(
            LearningCycleRow(
                workspace_id=workspace_id,
                kind=kind,
                title=title,
                plan=plan,
                do=do,
                check=check,
                act=act,
                owner_id=users.get(owner),
                status=status,
                reason=reason,
                constraint_id=None,
                started_on=started,
                closed_on=this_week - timedelta(weeks=1) if status == "closed" else None,
                created_at=_at(started, 10),
            )
        )
