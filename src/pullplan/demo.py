"""The demo workspace: six months of seeded, simulated pull planning, written in one transaction.

`simulate` is a pure function of the seed and the moment `now`: it plays a Marketing board
and a Sales board forward event by event, asking the real pull policy (`rank_pull_next`,
`decide_pull`) before every move, so the log it produces is the one the services would
have written: WIP limits hold, overrides carry their reason, blocked items wait. The
writer then inserts that history in bulk; `create_demo` and `reset_demo` each run in one
transaction.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pullplan import demo_aggregates, demo_handoffs, demo_planner, demo_rules
from pullplan import demo_catalog as catalog
from pullplan.domain.board import (
    Board,
    CapacityAllocation,
    ClassOfService,
    Lane,
    Stage,
    StageKind,
    WipMode,
)
from pullplan.domain.items import TransitionKind, WipEntry, WorkItem
from pullplan.domain.pull_next import rank_pull_next
from pullplan.domain.pull_policy import PullOutcome, decide_change, decide_pull
from pullplan.services.accounts import hash_password
from pullplan.services.clock import utcnow
from pullplan.services.errors import Conflict
from pullplan.services.items import _decision_details  # the exact shape the services log
from pullplan.storage.database import Database
from pullplan.storage.tables import (
    BlockerRow,
    BoardRow,
    CapacityAllocationRow,
    ItemRow,
    LaneRow,
    MembershipRow,
    StageRow,
    TransitionRow,
    UserRow,
    WorkspaceRow,
    WorkTypeRow,
)

DEMO_WORKSPACE = "Demo workspace"
PARTNER_WORKSPACE = "Partner agency"
HISTORY_DAYS = 182
# Every demo person signs in with this password (the sign-in page says so on a demo).
DEMO_PASSWORD = "pullplan-demo"

OPTION, COMMITTED, DONE, DISCARDED = (
    StageKind.OPTION,
    StageKind.COMMITTED,
    StageKind.DONE,
    StageKind.DISCARDED,
)
EXPEDITE, FIXED_DATE, STANDARD, INTANGIBLE = (
    ClassOfService.EXPEDITE,
    ClassOfService.FIXED_DATE,
    ClassOfService.STANDARD,
    ClassOfService.INTANGIBLE,
)

# --- the workspaces, as specifications ------------------------------------------------------


@dataclass(frozen=True)
class StageSpec:
    name: str
    kind: StageKind
    wip_limit: int | None = None
    wip_mode: WipMode = WipMode.BLOCK
    requires_owner: bool = False
    split: bool = False
    policy: str = ""
    # How the simulation treats items here (not stored):
    work_hours: float = 0.0  # median working hours an item is worked on (or triaged) here
    spread: float = 0.6  # lognormal sigma of that time
    leave: float = 0.0  # chance the item is discarded (or lost) when that work ends
    expire_days: int | None = None  # an option not pulled for this long is let go
    block: float = 0.0  # chance the item is blocked for a while during that work


@dataclass(frozen=True)
class LaneSpec:
    name: str
    class_of_service: ClassOfService
    wip_limit: int | None = None


@dataclass(frozen=True)
class AllocationSpec:
    work_type: str | None = None
    class_of_service: ClassOfService | None = None
    limit_count: int | None = None
    limit_percent: float | None = None
    wip_mode: WipMode = WipMode.BLOCK


Weighted = tuple[tuple[str | None, float], ...]


@dataclass(frozen=True)
class BoardSpec:
    key: str  # the catalog's key for its titles and reasons
    name: str
    description: str
    stages: tuple[StageSpec, ...]
    work_types: tuple[tuple[str, float], ...]
    owners: tuple[tuple[str, Weighted], ...]  # work type -> who may own it, with weights
    creators: Weighted
    triagers: Weighted  # who moves and discards options
    classes: Weighted = ((EXPEDITE, 5), (FIXED_DATE, 15), (STANDARD, 65), (INTANGIBLE, 15))
    lanes: tuple[LaneSpec, ...] = ()
    allocations: tuple[AllocationSpec, ...] = ()
    expedite_limit: int | None = 1
    person_wip_limit: int | None = None
    person_wip_mode: WipMode = WipMode.WARN
    arrivals: float = 1.0  # new items per working day
    weekend_arrivals: float = 0.0  # a weekend day's share of that
    first_day: int = 0  # days after the start of history when items begin to arrive
    replenish_weekdays: tuple[int, ...] = ()  # commitment only in these meetings; () = any time
    blocked_now: int = 0  # at least this many committed items are blocked at the end
    max_overrides: int = 0
    has_values: bool = False  # deals: value and a CRM reference


@dataclass(frozen=True)
class WorkspaceSpec:
    name: str
    members: tuple[tuple[str, str], ...]  # username, role
    work_types: tuple[str, ...]
    boards: tuple[BoardSpec, ...]


CLASS_LANES = (
    LaneSpec("Expedite", EXPEDITE, wip_limit=1),
    LaneSpec("Fixed date", FIXED_DATE),
    LaneSpec("Standard", STANDARD),
    LaneSpec("Intangible", INTANGIBLE),
)

MARKETING = BoardSpec(
    key="marketing",
    name="Marketing",
    description="Campaigns, content, events and webinars, from idea to published.",
    stages=(
        StageSpec(
            "Ideas",
            OPTION,
            policy="Anyone adds ideas. Nothing here is promised.",
            work_hours=20,
            spread=0.9,
            leave=0.35,
            expire_days=28,
        ),
        StageSpec(
            "Requested",
            OPTION,
            wip_limit=8,
            policy="The replenishment queue: ordered on Mondays and Thursdays at 10:00.",
            work_hours=4,
            spread=0.7,
            leave=0.06,
            expire_days=45,
        ),
        StageSpec(
            "Make ready",
            COMMITTED,
            wip_limit=4,
            split=True,
            policy="Committed. Brief agreed, owner named; ready to pull when the brief is signed.",
            work_hours=16,
            leave=0.02,
            block=0.08,
        ),
        StageSpec(
            "In progress",
            COMMITTED,
            wip_limit=6,
            requires_owner=True,
            policy="One owner; at most 3 items per person.",
            work_hours=34,
            leave=0.01,
            block=0.15,
        ),
        StageSpec(
            "Review",
            COMMITTED,
            wip_limit=3,
            wip_mode=WipMode.REASON,
            policy="Brand and legal review. Over the limit only with a reason.",
            work_hours=20,
            block=0.12,
        ),
        StageSpec("Published", DONE, policy="Live and announced to sales."),
        StageSpec("Discarded", DISCARDED, policy="Options we let go, with the reason."),
    ),
    lanes=CLASS_LANES,
    allocations=(
        AllocationSpec(class_of_service=INTANGIBLE, limit_percent=20),
        AllocationSpec(work_type="Event", limit_count=2),
    ),
    expedite_limit=1,
    person_wip_limit=3,
    person_wip_mode=WipMode.WARN,
    arrivals=2.5,
    weekend_arrivals=0.05,
    work_types=(("Campaign", 3), ("Content", 5), ("Event", 1.2), ("Webinar", 1.5)),
    owners=(
        ("Campaign", (("bob", 3), ("alice", 1), ("farid", 1))),
        ("Content", (("emma", 3), ("farid", 2), ("bob", 1))),
        ("Event", (("grace", 3), ("bob", 1))),
        ("Webinar", (("grace", 2), ("emma", 1), ("bob", 1))),
    ),
    creators=(
        ("alice", 2),
        ("bob", 3),
        ("emma", 1),
        ("farid", 1),
        ("grace", 1),
        ("hugo", 1),
        ("ines", 1),
        ("jamal", 1),
        ("kenji", 1),
        ("lena", 1),
    ),
    triagers=(("alice", 3), ("bob", 1)),
    replenish_weekdays=(0, 3),
    blocked_now=3,
    max_overrides=5,
)

SALES = BoardSpec(
    key="sales",
    name="Sales",
    description="Deals from lead to won: the pipeline as a pull system.",
    stages=(
        StageSpec(
            "Leads",
            OPTION,
            policy="New leads from the web, events and referrals.",
            work_hours=12,
            spread=0.9,
            leave=0.5,
            expire_days=21,
        ),
        StageSpec(
            "Qualified",
            OPTION,
            wip_limit=15,
            policy="Budget, authority, need and timing confirmed.",
            work_hours=16,
            spread=0.7,
            leave=0.12,
            expire_days=30,
        ),
        StageSpec(
            "Discovery",
            COMMITTED,
            wip_limit=10,
            requires_owner=True,
            policy="Committed: an account executive owns the deal.",
            work_hours=45,
            leave=0.2,
            block=0.1,
        ),
        StageSpec(
            "Proposal",
            COMMITTED,
            wip_limit=8,
            policy="Priced proposal sent.",
            work_hours=45,
            leave=0.15,
            block=0.12,
        ),
        StageSpec(
            "Negotiation",
            COMMITTED,
            wip_limit=6,
            wip_mode=WipMode.REASON,
            policy="Terms and legal. Over the limit only with a reason.",
            work_hours=55,
            spread=0.7,
            leave=0.3,
            block=0.15,
        ),
        StageSpec("Won", DONE, policy="Signed."),
        StageSpec("Lost", DISCARDED, policy="With the reason we lost."),
    ),
    lanes=CLASS_LANES,
    expedite_limit=1,
    arrivals=3.8,
    weekend_arrivals=0.2,
    work_types=(("Deal", 6), ("Lead follow-up", 3), ("Proposal", 1.5)),
    owners=(
        ("Deal", (("hugo", 1), ("ines", 1), ("jamal", 1), ("kenji", 1))),
        ("Proposal", (("lena", 1), ("hugo", 1), ("ines", 1), ("jamal", 1), ("kenji", 1))),
        ("Lead follow-up", (("hugo", 1), ("ines", 1), ("jamal", 1), ("kenji", 1), ("lena", 1))),
    ),
    creators=(
        (None, 3),
        ("lena", 3),
        ("hugo", 1),
        ("ines", 1),
        ("jamal", 1),
        ("kenji", 1),
        ("grace", 1),
        ("bob", 1),
    ),
    triagers=(("lena", 3), ("hugo", 1), ("ines", 1), ("jamal", 1), ("kenji", 1)),
    blocked_now=3,
    max_overrides=5,
    has_values=True,
)

CLIENT_WORK = BoardSpec(
    key="partner",
    name="Client work",
    description="Design and copy for our clients.",
    stages=(
        StageSpec("Backlog", OPTION, work_hours=20),
        StageSpec("Doing", COMMITTED, wip_limit=3, requires_owner=True, work_hours=18),
        StageSpec("Done", DONE),
    ),
    classes=((STANDARD, 9), (FIXED_DATE, 1)),
    expedite_limit=None,
    arrivals=0.25,
    first_day=HISTORY_DAYS - 30,
    work_types=(("Client request", 1),),
    owners=(("Client request", (("dave", 1),)),),
    creators=(("dave", 1),),
    triagers=(("dave", 1),),
)

DEMO = WorkspaceSpec(
    name=DEMO_WORKSPACE,
    members=(
        ("alice", "manager"),
        ("bob", "member"),
        ("carol", "viewer"),
        ("emma", "member"),
        ("farid", "member"),
        ("grace", "member"),
        ("hugo", "member"),
        ("ines", "member"),
        ("jamal", "member"),
        ("kenji", "member"),
        ("lena", "member"),
    ),
    work_types=("Campaign", "Content", "Event", "Webinar", "Deal", "Proposal", "Lead follow-up"),
    boards=(MARKETING, SALES),
)

# dave belongs to this workspace only: "a member of another workspace".
PARTNER = WorkspaceSpec(
    name=PARTNER_WORKSPACE,
    members=(("dave", "manager"),),
    work_types=("Client request",),
    boards=(CLIENT_WORK,),
)

WORKSPACES = (DEMO, PARTNER)


# --- public API -----------------------------------------------------------------------------


def has_any_workspace(db: Database) -> bool:
    with db.read() as session:
        return session.scalar(select(WorkspaceRow.id).limit(1)) is not None


def create_demo(db: Database, *, seed: int = 7, today: date | None = None) -> int:
    """Create the demo workspace (and dave's partner agency); return the demo workspace's id.

    The same seed and day give the same content. For the real today, history stops at the
    current time, so what happens later today depends on when it is called.
    """
    with db.read() as session:
        _refuse_existing(session)  # before spending the time to simulate
    history = simulate(seed=seed, now=_now_for(today))
    with db.write() as session:
        _refuse_existing(session)
        return _write(session, history)


def reset_demo(db: Database, *, seed: int = 7, today: date | None = None) -> int:
    """Delete every demo workspace with everything in it, then create the demo again.

    The people stay (they may belong to other workspaces) and are reused.
    """
    history = simulate(seed=seed, now=_now_for(today))
    with db.write() as session:
        _delete_demo(session)
        _refuse_existing(session)  # a real workspace may have taken one of the names
        return _write(session, history)


def create_demo_if_empty(db: Database, *, seed: int = 7, today: date | None = None) -> int | None:
    """Create the demo when the database has no workspace at all; None when it has one.

    Check and write are one transaction, so two servers starting on an empty database create
    one demo between them.
    """
    if has_any_workspace(db):
        return None
    history = simulate(seed=seed, now=_now_for(today))
    try:
        with db.write() as session:
            if session.scalar(select(WorkspaceRow.id).limit(1)) is not None:
                return None
            return _write(session, history)
    except IntegrityError:
        if has_any_workspace(db):  # another process won the race (PostgreSQL)
            return None
        raise


def _refuse_existing(session: Session) -> None:
    taken = session.scalars(
        select(WorkspaceRow.name).where(WorkspaceRow.name.in_([ws.name for ws in WORKSPACES]))
    ).all()
    if taken:
        raise Conflict(
            "demo_exists",
            f"A workspace named {sorted(taken)[0]!r} already exists; reset the demo instead.",
        )


def _now_for(today: date | None) -> datetime:
    """The current time on the real today; the end of any other day."""
    now = utcnow()
    if today is None or today == now.date():
        return now.replace(microsecond=0)
    return datetime.combine(today, time(23, 59, 59), UTC)


# --- working time ---------------------------------------------------------------------------

DAY = 86_400
OPEN = 8 * 3600  # 08:00 UTC, the workspace's time zone
CLOSE = 17 * 3600 + 1800  # 17:30
HOLIDAYS = {(12, 24), (12, 25), (12, 26), (12, 31), (1, 1)}
PULL_DELAY = 120  # an item whose work ends can be pulled two minutes later, not the same second
EXPEDITE_OVER_LIMIT_DAYS = 28  # after this many days before now, expedite items wait for room too
OVERRIDE_GAP_DAYS = 25


class _Calendar:
    """Working time, in whole seconds since midnight UTC of the first day of history."""

    def __init__(self, first: date) -> None:
        self.first = first
        self._works: dict[int, bool] = {}

    def works(self, day: int) -> bool:
        known = self._works.get(day)
        if known is None:
            d = self.first + timedelta(days=day)
            known = self._works[day] = d.weekday() < 5 and (d.month, d.day) not in HOLIDAYS
        return known

    def day(self, t: int) -> date:
        return self.first + timedelta(days=t // DAY)

    def next_open(self, t: int) -> int:
        """The first working moment at or after `t`."""
        while True:
            day, second = divmod(t, DAY)
            if self.works(day):
                if second < OPEN:
                    return day * DAY + OPEN
                if second < CLOSE:
                    return t
            t = (day + 1) * DAY

    def add(self, t: int, seconds: int) -> int:
        """The moment `seconds` of working time after `t`."""
        t = self.next_open(t)
        while True:
            day, second = divmod(t, DAY)
            room = CLOSE - second
            if seconds <= room:
                return t + seconds
            seconds -= room
            t = self.next_open((day + 1) * DAY)


# --- the simulation -------------------------------------------------------------------------


@dataclass
class _Entry:
    """One transition, with local ids; the writer maps them to database ids."""

    at: int
    kind: TransitionKind
    actor: int | None
    from_stage: int | None = None
    to_stage: int | None = None
    reason: str | None = None
    details: dict = field(default_factory=dict)
    owner_assigned: int | None = None  # an EDITED entry that names the owner
    seq: int = 0  # order of writing, across all items


@dataclass
class _Blocker:
    reason: str
    category: str
    started: int
    started_by: int | None
    ended: int | None = None
    ended_by: int | None = None


@dataclass(eq=False)
class _Item:
    key: int
    board: int  # local board id
    title: str
    description: str
    work_type_id: int
    work_type: str
    cos: ClassOfService
    lane_id: int | None
    due: date | None
    value: Decimal | None
    size: int | None
    tags: list[str]
    external_ref: str | None
    created: int
    created_dt: datetime
    stage: Stage
    owner: int | None = None
    ready: bool = False
    blocked: _Blocker | None = None
    waiting_since: int | None = None  # when its work in the current stage ended
    version: int = 0  # changes with every move, so stale events are ignored
    entered: int = 0
    updated: int = 0
    committed: int | None = None
    done: int | None = None
    log: list[_Entry] = field(default_factory=list)
    blockers: list[_Blocker] = field(default_factory=list)
    _entry: WipEntry | None = None

    @property
    def last_at(self) -> int:
        return self.log[-1].at

    def wip_entry(self) -> WipEntry:
        if self._entry is None:
            self._entry = WipEntry(
                self.key,
                self.stage.id,
                self.cos,
                self.lane_id,
                self.work_type_id,
                self.owner,
                self.blocked is not None,
            )
        return self._entry


@dataclass
class _Layout:
    """Everything but the items, with local ids."""

    users: dict[str, int]
    names: dict[int, str]
    work_types: dict[tuple[str, str], int]  # (workspace, work type) -> id
    boards: list[tuple[WorkspaceSpec, BoardSpec, Board]]


@dataclass
class DemoHistory:
    """What `simulate` decided: the layout with local ids and every item with its log."""

    origin: datetime  # midnight UTC of the first day of history
    now: datetime
    layout: _Layout
    items: list[_Item]

    def at(self, t: int) -> datetime:
        return self.origin + timedelta(seconds=t)


def _layout() -> _Layout:
    users = {username: i for i, (username, _, _) in enumerate(catalog.PEOPLE, start=1)}
    names = {users[username]: name for username, name, _ in catalog.PEOPLE}
    work_types: dict[tuple[str, str], int] = {}
    boards = []
    next_id = iter(range(1, 10_000))
    for ws in WORKSPACES:
        for name in ws.work_types:
            work_types[(ws.name, name)] = next(next_id)
        for spec in ws.boards:
            stages = tuple(
                Stage(
                    id=next(next_id),
                    name=s.name,
                    kind=s.kind,
                    position=position,
                    wip_limit=s.wip_limit,
                    wip_mode=s.wip_mode,
                    requires_owner=s.requires_owner,
                    split=s.split,
                    policy=s.policy,
                )
                for position, s in enumerate(spec.stages)
            )
            lanes = tuple(
                Lane(
                    id=next(next_id),
                    name=lane.name,
                    position=position,
                    class_of_service=lane.class_of_service,
                    wip_limit=lane.wip_limit,
                )
                for position, lane in enumerate(spec.lanes)
            )
            allocations = tuple(
                CapacityAllocation(
                    id=next(next_id),
                    work_type_id=work_types[(ws.name, a.work_type)] if a.work_type else None,
                    work_type_name=a.work_type,
                    class_of_service=a.class_of_service,
                    limit_count=a.limit_count,
                    limit_percent=a.limit_percent,
                    wip_mode=a.wip_mode,
                )
                for a in spec.allocations
            )
            board = Board(
                id=next(next_id),
                name=spec.name,
                stages=stages,
                lanes=lanes,
                allocations=allocations,
                expedite_limit=spec.expedite_limit,
                person_wip_limit=spec.person_wip_limit,
                person_wip_mode=spec.person_wip_mode,
            )
            boards.append((ws, spec, board))
    return _Layout(users, names, work_types, boards)


class _Run:
    """One board while it is simulated."""

    def __init__(self, ws: WorkspaceSpec, spec: BoardSpec, board: Board, layout: _Layout) -> None:
        self.spec = spec
        self.board = board
        self.stage_spec = {s.id: spec.stages[s.position] for s in board.stages}
        self.first = board.stages[0]
        self.discarded = next((s for s in board.stages if s.kind == DISCARDED), None)
        self.commit_stage = board.commitment_point[1]
        self.upstream = {
            s.id: up for s in board.stages if s.kind != DISCARDED and (up := board.upstream_of(s)) is not None
        }
        # Pull from the right: finishing work comes before starting it.
        self.targets = sorted((s for s in board.stages if s.id in self.upstream), key=lambda s: -s.position)
        self.committed_ids = [s.id for s in board.stages if s.kind == COMMITTED]
        self.counted = [s.id for s in board.stages if s.kind == COMMITTED or (s.is_wip and s.wip_limit)]
        self.items_in: dict[int, list[_Item]] = {s.id: [] for s in board.stages if s.is_wip}
        self.type_ids = {name: layout.work_types[(ws.name, name)] for name, _ in spec.work_types}
        self.owners = {
            work_type: ([layout.users[u] for u, _ in people], [w for _, w in people])
            for work_type, people in spec.owners
        }
        self.lane_of = {lane.class_of_service: lane.id for lane in board.lanes}
        self.window_until = -1  # end of the current replenishment meeting
        self.overrides = 0
        self.last_override = -(10**9)
        self.pull_times: set[int] = set()
        self.generation = 0  # grows with every change that could make a pull possible
        self.idle_at = -1  # the generation at which nothing could be pulled
        self.titles: set[str] = set()
        self.next_crm = 0
        self._wip: list[WipEntry] | None = None

    def wip(self) -> list[WipEntry]:
        """The WIP as `load_wip` would read it, less the items in unlimited option stages (such
        as Ideas): no limit counts them, so every decision is the same without them."""
        if self._wip is None:
            self._wip = [i.wip_entry() for stage_id in self.counted for i in self.items_in[stage_id]]
        return self._wip

    def changed(self, item: _Item | None = None) -> None:
        if item is not None:
            item._entry = None
        self._wip = None
        self.generation += 1

    def committed_items(self) -> list[_Item]:
        return [i for stage_id in self.committed_ids for i in self.items_in[stage_id]]


class _Simulation:
    def __init__(self, seed: int, origin: datetime, horizon: int) -> None:
        self.rng = random.Random(seed)
        self.origin = origin
        self.horizon = horizon
        self.cutoff = horizon - EXPEDITE_OVER_LIMIT_DAYS * DAY
        self.cal = _Calendar(origin.date())
        self.layout = _layout()
        self.users = self.layout.users
        self.runs = [_Run(ws, spec, board, self.layout) for ws, spec, board in self.layout.boards]
        self.items: list[_Item] = []
        self._events: list[tuple[int, int, Callable, tuple]] = []
        self._seq = 0

    def _log(self, item: _Item, entry: _Entry) -> None:
        self._seq += 1
        entry.seq = self._seq
        item.log.append(entry)

    # events

    def at(self, t: int, handler: Callable, *args) -> None:
        self._seq += 1
        heapq.heappush(self._events, (t, self._seq, handler, args))

    def run(self) -> list[_Item]:
        for run in self.runs:
            self._schedule_arrivals(run)
            self._schedule_replenishment(run)
        while self._events and self._events[0][0] <= self.horizon:
            t, _, handler, args = heapq.heappop(self._events)
            handler(t, *args)
        for run in self.runs:
            self._blocked_now(run)
        return self.items

    def _schedule_arrivals(self, run: _Run) -> None:
        spec, rng = run.spec, self.rng
        phase = rng.uniform(0, 2 * math.pi)
        for day in range(spec.first_day, self.horizon // DAY + 1):
            d = self.cal.first + timedelta(days=day)
            works = self.cal.works(day)
            rate = spec.arrivals * (1 if works else spec.weekend_arrivals)
            rate *= 1 + 0.25 * math.sin(2 * math.pi * day / 91 + phase)  # campaign seasons
            if d.month == 8 or (d.month, d.day) >= (12, 20) or (d.month, d.day) <= (1, 3):
                rate *= 0.5  # holidays: fewer requests and fewer leads
            for _ in range(_poisson(rng, rate)):
                if works:
                    t = day * DAY + OPEN + rng.randrange(CLOSE - OPEN)
                else:
                    t = day * DAY + 9 * 3600 + rng.randrange(8 * 3600)
                self.at(t, self._arrive, run)

    def _schedule_replenishment(self, run: _Run) -> None:
        for day in range(run.spec.first_day, self.horizon // DAY + 1):
            weekday = (self.cal.first + timedelta(days=day)).weekday()
            if weekday in run.spec.replenish_weekdays and self.cal.works(day):
                self.at(day * DAY + 10 * 3600 + self.rng.randrange(900), self._replenish, run)

    def _pull_later(self, run: _Run, t: int) -> None:
        t = self.cal.next_open(t)
        if t not in run.pull_times:
            run.pull_times.add(t)
            self.at(t, self._pull, run)

    # handlers

    def _arrive(self, t: int, run: _Run) -> None:
        rng, spec = self.rng, run.spec
        work_type = _pick(rng, spec.work_types)
        cos = _pick(rng, spec.classes)
        created = self.cal.day(t)
        due = _due_date(rng, cos, created)
        planned = due or created + timedelta(days=30)
        title = catalog.title(rng, work_type, planned)
        for _ in range(5):
            if title not in run.titles:
                break
            title = catalog.title(rng, work_type, planned)
        run.titles.add(title)
        value = external_ref = size = None
        tags: list[str] = []
        if spec.has_values:
            amount = round(rng.lognormvariate(math.log(24_000), 0.75), -2)  # B2B deals, 5k to 120k
            value = Decimal(min(120_000, max(5_000, int(amount)))).quantize(Decimal("0.01"))
            run.next_crm = (run.next_crm or 10_000 + rng.randrange(500)) + rng.randint(1, 40)
            external_ref = f"CRM-{run.next_crm}"
            tags = ["enterprise" if value >= 50_000 else "mid-market"]
            if rng.random() < 0.5:
                tags.append(rng.choice(("emea", "dach", "north-america", "inbound", "outbound")))
        else:
            size = rng.choice((1, 2, 2, 3, 3, 3, 5, 5, 8))
            tags = sorted(set(rng.sample(catalog.TAGS[spec.key], rng.choice((0, 1, 1, 2)))))
        item = _Item(
            key=len(self.items) + 1,
            board=run.board.id,
            title=title,
            description=catalog.description(rng, work_type),
            work_type_id=run.type_ids[work_type],
            work_type=work_type,
            cos=cos,
            lane_id=run.lane_of.get(cos),
            due=due,
            value=value,
            size=size,
            tags=tags,
            external_ref=external_ref,
            created=t,
            created_dt=self.origin + timedelta(seconds=t),
            stage=run.first,
            entered=t,
            updated=t,
        )
        draft = replace(self._work_item(run, item), stage_id=-1)
        decision = decide_pull(run.board, draft, run.first.id, run.wip())
        self._log(
            item,
            _Entry(
                t,
                TransitionKind.CREATED,
                self._person(spec.creators),
                to_stage=run.first.id,
                details=_decision_details(decision),
            ),
        )
        self.items.append(item)
        run.items_in[run.first.id].append(item)
        run.changed()
        self._start_work(run, item, t)

    def _work_done(self, t: int, run: _Run, item: _Item, version: int) -> None:
        if item.version != version:
            return
        stage_spec = run.stage_spec[item.stage.id]
        leave = stage_spec.leave * (0.3 if item.cos == EXPEDITE else 1)
        if run.discarded is not None and self.rng.random() < leave:
            reasons = catalog.LEAVE_REASONS[run.spec.key]
            self._discard(run, item, t, self.rng.choice(reasons.get(item.stage.name, reasons["*"])))
            return
        if item.stage.split:  # "ready to pull": the signal for the next stage
            item.ready = True
            item.updated = t
            self._log(
                item,
                _Entry(t, TransitionKind.EDITED, item.owner, details={"changes": {"ready": [False, True]}}),
            )
        # Pulled at the earliest a little later, never in the same second its work ended.
        self.at(self.cal.next_open(t + PULL_DELAY), self._waiting, run, item, version)

    def _waiting(self, t: int, run: _Run, item: _Item, version: int) -> None:
        if item.version != version:
            return
        item.waiting_since = t
        run.changed()
        stage_spec = run.stage_spec[item.stage.id]
        if stage_spec.expire_days:
            expire, why = t + stage_spec.expire_days * DAY, catalog.EXPIRED[run.spec.key]
            if item.cos == FIXED_DATE and item.due is not None:
                last = (item.due - self.cal.first).days * DAY - 2 * DAY
                if last < expire:
                    expire, why = max(last, t + DAY), catalog.MISSED_DATE
            self.at(self.cal.next_open(expire), self._expire, run, item, item.version, why)
        self._pull_later(run, t)

    def _expire(self, t: int, run: _Run, item: _Item, version: int, reason: str) -> None:
        if item.version == version and item.waiting_since is not None:
            self._discard(run, item, t, reason)

    def _replenish(self, t: int, run: _Run) -> None:
        run.window_until = t + 45 * 60
        run.changed()
        self._pull_later(run, t)

    def _pull(self, t: int, run: _Run) -> None:
        run.pull_times.discard(t)
        self._try_pulls(run, t)

    def _block(self, t: int, run: _Run, item: _Item, version: int, reason: str, category: str) -> None:
        if item.version != version or item.blocked is not None:
            return
        actor = item.owner or self._person(run.spec.triagers)
        item.blocked = _Blocker(reason, category, t, actor)
        item.blockers.append(item.blocked)
        self._log(
            item, _Entry(t, TransitionKind.BLOCKED, actor, reason=reason, details={"category": category})
        )
        run.changed(item)

    def _unblock(self, t: int, run: _Run, item: _Item, version: int) -> None:
        if item.version != version or item.blocked is None:
            return
        before = self._work_item(run, item)
        after = replace(before, blocked=False, blocked_reason=None)
        decision = decide_change(run.board, before, after, run.wip())
        blocker = item.blocked
        blocker.ended, blocker.ended_by = t, item.owner or blocker.started_by
        self._log(
            item,
            _Entry(
                t,
                TransitionKind.UNBLOCKED,
                blocker.ended_by,
                details={
                    "blocked_seconds": t - blocker.started,
                    **_decision_details(decision),
                },
            ),
        )
        item.blocked = None
        run.changed(item)

    # decisions

    def _try_pulls(self, run: _Run, t: int) -> None:
        """Make at most one pull, the first the pull policy ranks and allows; then look again."""
        if run.idle_at == run.generation:
            return  # nothing changed since nothing could be pulled
        for target in run.targets:
            up = run.upstream[target.id]
            waiting = [i for i in run.items_in[up.id] if i.waiting_since is not None and i.blocked is None]
            if target.id == run.commit_stage.id and run.spec.replenish_weekdays and t > run.window_until:
                waiting = [i for i in waiting if i.cos == EXPEDITE]  # expedite does not wait
            if not waiting:
                continue
            full = target.wip_limit is not None and len(run.items_in.get(target.id, ())) >= target.wip_limit
            if full and (
                target.wip_mode == WipMode.BLOCK
                or (target.wip_mode == WipMode.REASON and not self._may_override(run, t))
            ):
                # Only expedite items may exceed the stage's limit, and not near today.
                waiting = [i for i in waiting if i.cos == EXPEDITE and t <= self.cutoff]
                if not waiting:
                    continue
            waiting = _shortlist(waiting)
            committing = target.kind == COMMITTED and up.kind == OPTION
            owners = self._owners_for(run, waiting) if committing else {}
            by_key = {i.key: i for i in waiting}
            wip = run.wip()
            drafts = [self._work_item(run, i, owners.get(i.key)) for i in waiting]
            pullable, _ = rank_pull_next(run.board, target.id, drafts, wip)
            for candidate in pullable:
                item, decision, reason = by_key[candidate.item.id], candidate.decision, None
                if t > self.cutoff and any(f.code == "stage_wip_expedite" for f in decision.findings):
                    continue  # near today, expedite waits for room so the board ends within its limits
                if decision.outcome == PullOutcome.NEEDS_REASON:
                    reason = self._override_reason(run, item, t)
                    if reason is None:
                        continue
                    decision = decide_pull(run.board, candidate.item, target.id, wip, reason=reason)
                    if not decision.allowed:
                        continue
                    run.overrides += 1
                    run.last_override = t
                if item.key in owners:
                    self._assign(item, owners[item.key], t - 60)
                actor = item.owner or self._person(run.spec.triagers)
                self._move(run, item, target, t, actor, decision, reason)
                self._pull_later(run, t + self.rng.randint(60, 420))
                return
        run.idle_at = run.generation

    def _owners_for(self, run: _Run, items: list[_Item]) -> dict[int, int]:
        """The least loaded person who does this kind of work (weighted), for items without one."""
        load = Counter(i.owner for i in run.committed_items())
        chosen = {}
        for item in items:
            if item.owner is not None:
                continue
            people, weights = run.owners[item.work_type]
            n = len(people)
            best = min(range(n), key=lambda k: (load[people[k]] / weights[k], (item.key + k) % n))
            chosen[item.key] = people[best]
        return chosen

    def _may_override(self, run: _Run, t: int) -> bool:
        return run.overrides < run.spec.max_overrides and t - run.last_override >= OVERRIDE_GAP_DAYS * DAY

    def _override_reason(self, run: _Run, item: _Item, t: int) -> str | None:
        if not self._may_override(run, t):
            return None
        soon = item.due is not None and item.due <= self.cal.day(t) + timedelta(days=21)
        big = item.value is not None and item.value >= 60_000
        if not (soon or big) or self.rng.random() > 0.1:
            return None
        return self.rng.choice(catalog.OVERRIDES[run.spec.key])

    def _discard(self, run: _Run, item: _Item, t: int, reason: str) -> None:
        decision = decide_pull(run.board, self._work_item(run, item), run.discarded.id, run.wip())
        actor = item.owner or self._person(run.spec.triagers)
        self._move(run, item, run.discarded, t, actor, decision, reason)
        self._pull_later(run, t + PULL_DELAY)  # its place is free

    # writes (in memory), the same effects as services.items.write_move

    def _assign(self, item: _Item, owner: int, t: int) -> None:
        item.owner = owner
        item.updated = t
        self._log(item, _Entry(t, TransitionKind.EDITED, owner, owner_assigned=owner))

    def _move(self, run: _Run, item: _Item, target: Stage, t: int, actor, decision, reason) -> None:
        details = _decision_details(decision)
        self._log(item, _Entry(t, TransitionKind.MOVED, actor, item.stage.id, target.id, reason, details))
        if decision.override:
            self._log(
                item, _Entry(t, TransitionKind.OVERRIDE, actor, item.stage.id, target.id, reason, details)
            )
        run.items_in[item.stage.id].remove(item)
        if target.is_wip:
            run.items_in[target.id].append(item)
        if item.committed is None and target.kind in (COMMITTED, DONE):
            item.committed = t
        if target.kind == DONE:
            if item.stage.kind != DONE:
                item.done = t
        else:
            item.done = None
        item.stage = target
        item.entered = item.updated = t
        item.ready = False
        item.waiting_since = None
        item.version += 1
        run.changed(item)
        if target.is_wip:
            self._start_work(run, item, t)

    def _start_work(self, run: _Run, item: _Item, t: int) -> None:
        """Schedule the end of the item's work in its stage, and a blocked spell within it."""
        spec, rng = run.stage_spec[item.stage.id], self.rng
        hours = spec.work_hours * rng.lognormvariate(0, spec.spread)
        if item.cos == EXPEDITE:
            hours *= 0.15 if item.stage.kind == OPTION else 0.5
        elif item.cos == INTANGIBLE:
            hours *= 1.2
        if item.size:
            hours *= (item.size / 3) ** 0.35
        if item.value is not None:
            hours *= float(item.value / 24_000) ** 0.15
        work = max(1800, int(hours * 3600))
        version = item.version
        if spec.block and rng.random() < spec.block * (0.5 if item.cos == EXPEDITE else 1):
            before = int(work * rng.uniform(0.15, 0.8))
            blocked = int(min(60.0, max(1.0, rng.lognormvariate(math.log(10), 0.9))) * 3600)
            start = self.cal.add(t, before)
            end = self.cal.add(start, blocked)
            reason, category = rng.choice(catalog.BLOCKERS[run.spec.key])
            self.at(start, self._block, run, item, version, reason, category)
            self.at(end, self._unblock, run, item, version)
            self.at(self.cal.add(end, work - before), self._work_done, run, item, version)
        else:
            self.at(self.cal.add(t, work), self._work_done, run, item, version)

    def _blocked_now(self, run: _Run) -> None:
        """Top up the items blocked at the end, with the reasons a team would be chasing today."""
        committed = run.committed_items()
        blocked = [i for i in committed if i.blocked is not None]
        need = run.spec.blocked_now - len(blocked)
        if need <= 0:
            return
        in_use = {i.blocked.reason for i in blocked}
        reasons = [r for r in catalog.BLOCKED_NOW[run.spec.key] if r[0] not in in_use]
        free = [i for i in committed if i.blocked is None and i.last_at < self.horizon - 3600]
        for item, (reason, category) in zip(
            self.rng.sample(free, min(need, len(free))), reasons, strict=False
        ):
            earliest = max(item.last_at + 60, self.horizon - 2 * DAY)
            t = self.cal.next_open(earliest + self.rng.randrange(4 * 3600))
            self._block(t if t <= self.horizon else earliest, run, item, item.version, reason, category)

    # helpers

    def _work_item(self, run: _Run, item: _Item, owner: int | None = None) -> WorkItem:
        owner = owner if owner is not None else item.owner
        return WorkItem(
            id=item.key,
            board_id=run.board.id,
            stage_id=item.stage.id,
            title=item.title,
            class_of_service=item.cos,
            lane_id=item.lane_id,
            work_type_id=item.work_type_id,
            work_type_name=item.work_type,
            owner_id=owner,
            owner_name=self.layout.names.get(owner),
            due_date=item.due,
            value=item.value,
            ready=item.ready,
            blocked=item.blocked is not None,
            blocked_reason=item.blocked.reason if item.blocked else None,
            created_at=item.created_dt,
        )

    def _person(self, weighted: Weighted) -> int | None:
        username = _pick(self.rng, weighted)
        return self.users[username] if username else None


def simulate(*, seed: int = 7, now: datetime) -> DemoHistory:
    """Six months of both demo boards, ending at `now` (timezone-aware): a pure function."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    origin = datetime.combine(now.date() - timedelta(days=HISTORY_DAYS), time(), UTC)
    sim = _Simulation(seed, origin, int((now - origin).total_seconds()))
    items = sim.run()
    return DemoHistory(origin=origin, now=now, layout=sim.layout, items=items)


def _shortlist(waiting: list[_Item], per_class: int = 6) -> list[_Item]:
    """The items a team looks at when it pulls: every expedite and fixed-date item and the
    oldest few of the others. The pull policy still ranks and decides; this keeps a long
    queue of options from being ranked in full at every pull."""
    if len(waiting) <= 2 * per_class:
        return waiting
    kept = [i for i in waiting if i.cos in (EXPEDITE, FIXED_DATE)]
    for cos in (STANDARD, INTANGIBLE):
        kept += sorted((i for i in waiting if i.cos == cos), key=lambda i: i.key)[:per_class]
    return kept


def _pick(rng: random.Random, weighted):
    values = [v for v, _ in weighted]
    return rng.choices(values, weights=[w for _, w in weighted])[0]


def _poisson(rng: random.Random, rate: float) -> int:
    limit, k, p = math.exp(-rate), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _due_date(rng: random.Random, cos: ClassOfService, created: date) -> date | None:
    if cos == EXPEDITE:
        return created + timedelta(days=rng.randint(3, 10))
    if cos == FIXED_DATE:
        return created + timedelta(days=rng.randint(21, 75))
    if cos == STANDARD and rng.random() < 0.3:
        return created + timedelta(days=rng.randint(30, 90))
    return None


# --- writing --------------------------------------------------------------------------------


def _write(session: Session, history: DemoHistory) -> int:
    """Insert the workspaces, their boards and the simulated history; return the demo's id."""
    layout = history.layout
    set_up = history.origin - timedelta(days=7) + timedelta(hours=9)  # the week before history
    people = {username: (name, role) for username, name, role in catalog.PEOPLE}
    existing = {
        u.username: u for u in session.scalars(select(UserRow).where(UserRow.username.in_(list(people))))
    }
    password_hash = hash_password(DEMO_PASSWORD)
    for username, (name, _) in people.items():
        if username not in existing:
            existing[username] = UserRow(
                password_hash=password_hash,
                username=username,
                display_name=name,
                email=f"{username}@{catalog.EMAIL_DOMAIN}",
                created_at=set_up,
            )
            session.add(existing[username])
    session.flush()
    user_id = {layout.users[u]: row.id for u, row in existing.items() if u in layout.users}

    workspace_ids: dict[str, int] = {}
    type_id: dict[int, int] = {}
    for ws in WORKSPACES:
        row = WorkspaceRow(name=ws.name, time_zone="UTC", is_demo=True, created_at=set_up)
        session.add(row)
        session.flush()
        workspace_ids[ws.name] = row.id
        session.add_all(
            MembershipRow(workspace_id=row.id, user_id=existing[u].id, role=role) for u, role in ws.members
        )
        types = [WorkTypeRow(workspace_id=row.id, name=name) for name in ws.work_types]
        session.add_all(types)
        session.flush()
        for name, type_row in zip(ws.work_types, types, strict=True):
            type_id[layout.work_types[(ws.name, name)]] = type_row.id

    board_id: dict[int, int] = {}
    stage_id: dict[int, int] = {}
    lane_id: dict[int, int] = {}
    for ws, spec, board in layout.boards:
        row = BoardRow(
            workspace_id=workspace_ids[ws.name],
            name=board.name,
            description=spec.description,
            expedite_limit=board.expedite_limit,
            blocked_counts_against_wip=True,
            person_wip_limit=board.person_wip_limit,
            person_wip_mode=board.person_wip_mode.value,
            created_at=set_up,
        )
        session.add(row)
        session.flush()
        board_id[board.id] = row.id
        stages = [
            StageRow(
                board_id=row.id,
                name=s.name,
                kind=s.kind.value,
                position=s.position,
                wip_limit=s.wip_limit,
                wip_mode=s.wip_mode.value,
                requires_owner=s.requires_owner,
                requires_due_date=s.requires_due_date,
                requires_ready=s.requires_ready,
                split=s.split,
                policy=s.policy,
            )
            for s in board.stages
        ]
        lanes = [
            LaneRow(
                board_id=row.id,
                name=lane.name,
                position=lane.position,
                class_of_service=lane.class_of_service.value if lane.class_of_service else None,
                wip_limit=lane.wip_limit,
                wip_mode=lane.wip_mode.value,
            )
            for lane in board.lanes
        ]
        session.add_all([*stages, *lanes])
        session.add_all(
            CapacityAllocationRow(
                board_id=row.id,
                work_type_id=type_id[a.work_type_id] if a.work_type_id else None,
                class_of_service=a.class_of_service.value if a.class_of_service else None,
                limit_count=a.limit_count,
                limit_percent=a.limit_percent,
                wip_mode=a.wip_mode.value,
            )
            for a in board.allocations
        )
        session.flush()
        stage_id.update({s.id: r.id for s, r in zip(board.stages, stages, strict=True)})
        lane_id.update({lane.id: r.id for lane, r in zip(board.lanes, lanes, strict=True)})

    at = history.at
    items = history.items
    # render_nulls: rows with and without NULLs go in the same batches.
    bulk = {"render_nulls": True}
    item_ids = session.scalars(
        insert(ItemRow).returning(ItemRow.id, sort_by_parameter_order=True),
        [
            {
                "board_id": board_id[i.board],
                "stage_id": stage_id[i.stage.id],
                "lane_id": lane_id.get(i.lane_id),
                "work_type_id": type_id[i.work_type_id],
                "class_of_service": i.cos.value,
                "title": i.title,
                "description": i.description,
                "owner_id": user_id.get(i.owner),
                "due_date": i.due,
                "value": i.value,
                "size": i.size,
                "tags": i.tags,
                "external_ref": i.external_ref,
                "parent_id": None,
                "ready": i.ready,
                "created_at": at(i.created),
                "updated_at": at(i.updated),
                "stage_entered_at": at(i.entered),
                "committed_at": at(i.committed) if i.committed is not None else None,
                "done_at": at(i.done) if i.done is not None else None,
                "archived_at": None,
            }
            for i in items
        ],
        execution_options=bulk,
    ).all()
    item_id = {i.key: db_id for i, db_id in zip(items, item_ids, strict=True)}

    # One log, in the order it happened: ids grow with time, as in a real append-only log.
    entries = sorted(((e.at, e.seq, i, e) for i in items for e in i.log), key=lambda x: x[:2])
    session.execute(
        insert(TransitionRow),
        [
            {
                "item_id": item_id[i.key],
                "board_id": board_id[i.board],
                "at": at(e.at),
                "kind": e.kind.value,
                "from_stage_id": stage_id.get(e.from_stage),
                "to_stage_id": stage_id.get(e.to_stage),
                "actor_id": user_id.get(e.actor),
                "reason": e.reason,
                "details": (
                    {"changes": {"owner_id": [None, user_id[e.owner_assigned]]}}
                    if e.owner_assigned is not None
                    else e.details
                ),
            }
            for _, _, i, e in entries
        ],
        execution_options=bulk,
    )
    blockers = [
        {
            "item_id": item_id[i.key],
            "reason": b.reason,
            "category": b.category,
            "started_at": at(b.started),
            "ended_at": at(b.ended) if b.ended is not None else None,
            "started_by": user_id.get(b.started_by),
            "ended_by": user_id.get(b.ended_by),
        }
        for i in items
        for b in i.blockers
    ]
    if blockers:
        session.execute(insert(BlockerRow), blockers, execution_options=bulk)
    demo_aggregates.add(session, workspace_ids[DEMO_WORKSPACE], history.now)
    demo_handoffs.add(session, workspace_ids[DEMO_WORKSPACE], history.now)
    demo_rules.add(session, workspace_ids[DEMO_WORKSPACE], history.now)
    demo_planner.add(session, workspace_ids[DEMO_WORKSPACE], history.now)
    return workspace_ids[DEMO_WORKSPACE]


def _delete_demo(session: Session) -> None:
    """Delete the demo workspaces and all in them; their people stay."""
    workspaces = session.scalars(select(WorkspaceRow.id).where(WorkspaceRow.is_demo.is_(True))).all()
    if not workspaces:
        return
    boards = select(BoardRow.id).where(BoardRow.workspace_id.in_(workspaces)).scalar_subquery()
    items = select(ItemRow.id).where(ItemRow.board_id.in_(boards)).scalar_subquery()
    for statement in (
        delete(TransitionRow).where(TransitionRow.board_id.in_(boards)),
        delete(BlockerRow).where(BlockerRow.item_id.in_(items)),
        delete(ItemRow).where(ItemRow.board_id.in_(boards)),
        delete(CapacityAllocationRow).where(CapacityAllocationRow.board_id.in_(boards)),
        delete(LaneRow).where(LaneRow.board_id.in_(boards)),
        delete(StageRow).where(StageRow.board_id.in_(boards)),
        delete(BoardRow).where(BoardRow.workspace_id.in_(workspaces)),
        delete(WorkTypeRow).where(WorkTypeRow.workspace_id.in_(workspaces)),
        delete(MembershipRow).where(MembershipRow.workspace_id.in_(workspaces)),
        delete(WorkspaceRow).where(WorkspaceRow.id.in_(workspaces)),
    ):
        session.execute(statement, execution_options={"synchronize_session": False})
