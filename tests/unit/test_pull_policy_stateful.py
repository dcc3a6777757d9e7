"""Hypothesis drives a random board through random pulls, blocks and edits: no block-mode limit
is ever exceeded by what the pull policy allows.

The model is a tiny in-memory board (a dict of work items), not the database: each rule asks
decide_pull or decide_change and applies only what they allow, as the services do.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, datetime

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from pullplan.domain.board import (
    Board,
    CapacityAllocation,
    ClassOfService,
    Lane,
    Stage,
    StageKind,
    WipMode,
)
from pullplan.domain.items import WipEntry, WorkItem
from pullplan.domain.pull_policy import PullDecision, PullOutcome, Severity, decide_change, decide_pull

EXPEDITE = ClassOfService.EXPEDITE
OWNERS = (100, 101)
WORK_TYPES = (1, 2)
UNKNOWN_STAGE = 999

# Block mode is where the invariants bite: draw it half of the time.
modes = st.sampled_from([WipMode.WARN, WipMode.REASON, WipMode.BLOCK, WipMode.BLOCK])
# Expedite is the class with exceptions to the limits: draw it more often.
classes = st.sampled_from([*ClassOfService, EXPEDITE])
limits = st.none() | st.integers(min_value=0, max_value=2)
owners = st.none() | st.sampled_from(OWNERS)
work_types = st.none() | st.sampled_from(WORK_TYPES)
due_dates = st.none() | st.just(date(2024, 6, 1))
reasons = st.none() | st.just("Agreed at the replenishment meeting")
# Entry rules stop most pulls when common: one stage in ten has each.
sometimes = st.integers(0, 9).map(lambda n: n == 7)
# An index into whatever is there to pick (60 is a multiple of every count up to 6).
picks = st.integers(min_value=0, max_value=59)


@st.composite
def stages(draw) -> tuple[Stage, ...]:
    kinds = [StageKind.OPTION] * draw(st.integers(1, 2)) + [StageKind.COMMITTED] * draw(st.integers(1, 3))
    wip_stages = [
        Stage(
            id=i + 1,
            name=f"{kind.value.title()} {i + 1}",
            kind=kind,
            position=i + 1,
            wip_limit=draw(limits),
            wip_mode=draw(modes),
            requires_owner=draw(sometimes),
            requires_due_date=draw(sometimes),
            requires_ready=draw(sometimes),
        )
        for i, kind in enumerate(kinds)
    ]
    n = len(wip_stages)
    return (
        *wip_stages,
        Stage(n + 1, "Done", StageKind.DONE, n + 1),
        Stage(n + 2, "Discarded", StageKind.DISCARDED, n + 2),
    )


@st.composite
def lanes(draw) -> tuple[Lane, ...]:
    n = draw(st.integers(0, 3))
    return tuple(
        Lane(
            id=10 + i,
            name=f"Lane {i}",
            position=i,
            class_of_service=draw(st.none() | classes),
            wip_limit=draw(limits),
            wip_mode=draw(modes),
        )
        for i in range(n)
    )


@st.composite
def allocations(draw) -> tuple[CapacityAllocation, ...]:
    n = draw(st.integers(0, 2))
    result = []
    for i in range(n):
        by_percent = draw(st.booleans())
        result.append(
            CapacityAllocation(
                id=i + 1,
                work_type_id=draw(work_types),
                class_of_service=draw(st.none() | classes),
                limit_count=None if by_percent else draw(st.integers(0, 4)),
                limit_percent=draw(st.floats(5, 100)) if by_percent else None,
                wip_mode=draw(modes),
            )
        )
    return tuple(result)


@st.composite
def boards(draw) -> Board:
    return Board(
        id=1,
        name="Random board",
        stages=draw(stages()),
        lanes=draw(lanes()),
        allocations=draw(allocations()),
        expedite_limit=draw(st.none() | st.integers(0, 2)),
        blocked_counts_against_wip=draw(st.booleans()),
        person_wip_limit=draw(st.none() | st.integers(1, 2)),
        person_wip_mode=draw(modes),
    )


new_items = st.fixed_dictionaries(
    {
        "stage": picks,
        "cos": classes,
        "lane": picks,
        "owner": owners,
        "work_type": work_types,
        "due": due_dates,
        "ready": st.booleans(),
        "reason": reasons,
    }
)


def _pick(seq, index):
    seq = list(seq)
    return seq[index % len(seq)]


class PullBoard(RuleBasedStateMachine):
    """A board and its items, changed only as the pull policy allows."""

    def __init__(self) -> None:
        super().__init__()
        self.board: Board | None = None
        self.items: dict[int, WorkItem] = {}
        self.next_id = 1

    @initialize(board=boards(), first_items=st.lists(new_items, max_size=8))
    def set_up(self, board: Board, first_items: list[dict]) -> None:
        self.board = board
        for fields in first_items:
            self.create(**fields)
        # Start with work in progress: commit what will go.
        committed = [s.id for s in board.stages if s.kind == StageKind.COMMITTED]
        for index, item in enumerate(self.live()):
            self.pull(item, _pick(committed, index), None)

    # --- what the counts see ----------------------------------------------------------------

    def wip(self) -> list[WipEntry]:
        return [
            WipEntry.of(i)
            for i in self.items.values()
            if not i.archived and self.board.stage(i.stage_id).is_wip
        ]

    def counted(self) -> list[WorkItem]:
        return [
            i
            for i in self.items.values()
            if not i.archived
            and self.board.stage(i.stage_id).is_wip
            and (self.board.blocked_counts_against_wip or not i.blocked)
        ]

    def committed(self) -> list[WorkItem]:
        return [i for i in self.counted() if self.board.stage(i.stage_id).kind == StageKind.COMMITTED]

    def stage_total(self, stage_id: int) -> int:
        return sum(1 for i in self.counted() if i.stage_id == stage_id)

    # --- applying what the policy allows -----------------------------------------------------

    def check_decision(self, decision: PullDecision, reason: str | None) -> None:
        severities = {f.severity for f in decision.findings}
        if decision.outcome == PullOutcome.REFUSED:
            assert Severity.REFUSE in severities
        elif decision.outcome == PullOutcome.NEEDS_REASON:
            assert reason is None and Severity.REASON in severities and Severity.REFUSE not in severities
        elif decision.outcome == PullOutcome.WARN:
            assert decision.findings and Severity.REFUSE not in severities
            assert decision.override == (Severity.REASON in severities)
        else:
            assert decision.findings == () and not decision.override
        assert all(f.message.strip() for f in decision.findings)

    def entered_count(self, before: WorkItem | None, after: WorkItem) -> bool:
        """Did a counted, non-expedite item just join the count of `after`'s stage?"""
        board = self.board

        def counted_non_expedite_in(item: WorkItem | None, stage_id: int) -> bool:
            return (
                item is not None
                and item.stage_id == stage_id
                and board.stage(stage_id).is_wip
                and (board.blocked_counts_against_wip or not item.blocked)
                and item.class_of_service != EXPEDITE
            )

        return counted_non_expedite_in(after, after.stage_id) and not counted_non_expedite_in(
            before, after.stage_id
        )

    def apply(self, before: WorkItem | None, after: WorkItem) -> None:
        self.items[after.id] = after
        stage = self.board.stage(after.stage_id)
        # A non-expedite item never takes a block-mode stage over its limit (an expedite one may).
        if (
            self.entered_count(before, after)
            and stage.wip_limit is not None
            and stage.wip_mode == WipMode.BLOCK
        ):
            assert self.stage_total(stage.id) <= stage.wip_limit, (stage, before, after)

    def pull(self, item: WorkItem, to_stage_id: int, reason: str | None) -> PullDecision:
        decision = decide_pull(self.board, item, to_stage_id, self.wip(), reason=reason)
        self.check_decision(decision, reason)
        if decision.outcome == PullOutcome.NEEDS_REASON:
            again = decide_pull(self.board, item, to_stage_id, self.wip(), reason="a reason")
            assert again.allowed and again.override
        if decision.allowed:
            self.apply(item if item.id in self.items else None, replace(item, stage_id=to_stage_id))
        return decision

    def change(self, before: WorkItem, after: WorkItem, reason: str | None) -> PullDecision:
        decision = decide_change(self.board, before, after, self.wip(), reason=reason)
        self.check_decision(decision, reason)
        if decision.allowed:
            self.apply(before, after)
        return decision

    def live(self) -> list[WorkItem]:
        return sorted((i for i in self.items.values() if not i.archived), key=lambda i: i.id)

    def in_progress(self) -> list[WorkItem]:
        return [i for i in self.live() if self.board.stage(i.stage_id).is_wip]

    def an_item(self, index: int) -> WorkItem:
        """An item in progress, the committed ones (where most limits apply) twice as likely."""
        wip = self.in_progress()
        committed = [i for i in wip if self.board.stage(i.stage_id).kind == StageKind.COMMITTED]
        return _pick([*committed, *wip], index)

    # --- rules ------------------------------------------------------------------------------

    def create(self, stage, cos, lane, owner, work_type, due, ready, reason):
        option = _pick((s for s in self.board.stages if s.kind == StageKind.OPTION), stage)
        draft = WorkItem(
            id=self.next_id,
            board_id=self.board.id,
            stage_id=-1,
            title=f"Item {self.next_id}",
            class_of_service=cos,
            lane_id=_pick([*(lane.id for lane in self.board.lanes), None], lane),
            work_type_id=work_type,
            owner_id=owner,
            owner_name=None if owner is None else f"Person {owner}",
            due_date=due,
            ready=ready,
            created_at=datetime(2024, 3, 1),
        )
        self.next_id += 1
        self.pull(draft, option.id, reason)

    @rule(fields=new_items)
    def create_item(self, fields):
        self.create(**fields)

    @precondition(lambda self: self.in_progress())
    @rule(item=picks, to_stage=picks, reason=reasons)
    def commit_item(self, item, to_stage, reason):
        """Pull across the commitment point (or within the committed stages)."""
        item = self.an_item(item)
        committed = [s.id for s in self.board.stages if s.kind == StageKind.COMMITTED]
        self.pull(item, _pick(committed, to_stage), reason)

    @precondition(lambda self: self.in_progress())
    @rule(item=picks, reason=reasons)
    def pull_item_forward(self, item, reason):
        """The everyday pull: into the next stage (done included, discarded not)."""
        item = self.an_item(item)
        current = self.board.stage(item.stage_id)
        following = [
            s for s in self.board.stages if s.position > current.position and s.kind != StageKind.DISCARDED
        ]
        if following:
            self.pull(item, following[0].id, reason)

    @precondition(lambda self: self.items)
    @rule(item=picks, to_stage=picks, reason=reasons)
    def pull_item(self, item, to_stage, reason):
        """Any item to any stage: forward, back (from done and discarded too), or nowhere."""
        item = _pick(sorted(self.items.values(), key=lambda i: i.id), item)
        target = _pick([*(s.id for s in self.board.stages), UNKNOWN_STAGE], to_stage)
        decision = self.pull(item, target, reason)
        if target == UNKNOWN_STAGE or target == item.stage_id or item.archived:
            assert decision.outcome == PullOutcome.REFUSED

    @precondition(lambda self: any(not i.blocked for i in self.live()))
    @rule(item=picks)
    def block_item(self, item):
        item = _pick([i for i in self.live() if not i.blocked], item)
        self.items[item.id] = replace(item, blocked=True, blocked_reason="waiting")

    @precondition(lambda self: any(i.blocked for i in self.live()))
    @rule(item=picks, reason=reasons)
    def unblock_item(self, item, reason):
        item = _pick([i for i in self.live() if i.blocked], item)
        decision = self.change(item, replace(item, blocked=False, blocked_reason=None), reason)
        if self.board.blocked_counts_against_wip:
            assert decision.outcome == PullOutcome.ALLOWED

    @precondition(lambda self: self.in_progress())
    @rule(item=picks, owner=owners, reason=reasons)
    def edit_owner(self, item, owner, reason):
        before = self.an_item(item)
        name = None if owner is None else f"Person {owner}"
        self.change(before, replace(before, owner_id=owner, owner_name=name), reason)

    @precondition(lambda self: self.in_progress())
    @rule(item=picks, lane=picks, reason=reasons)
    def edit_lane(self, item, lane, reason):
        before = self.an_item(item)
        lane_ids = [None, *(lane.id for lane in self.board.lanes)]
        self.change(before, replace(before, lane_id=_pick(lane_ids, lane)), reason)

    @precondition(lambda self: self.in_progress())
    @rule(item=picks, cos=classes, work_type=st.just("same") | work_types, reason=reasons)
    def edit_class(self, item, cos, work_type, reason):
        """Change the class of service, and sometimes the work type with it."""
        before = self.an_item(item)
        after = replace(before, class_of_service=cos)
        if work_type != "same":
            after = replace(after, work_type_id=work_type)
        self.change(before, after, reason)

    @precondition(lambda self: self.in_progress())
    @rule(item=picks)
    def discard_item(self, item):
        item = self.an_item(item)
        discarded = next(s for s in self.board.stages if s.kind == StageKind.DISCARDED)
        decision = self.pull(item, discarded.id, None)
        if item.stage_id != discarded.id:
            assert decision.outcome == PullOutcome.ALLOWED

    @precondition(lambda self: any(not self.board.stage(i.stage_id).is_wip for i in self.live()))
    @rule(item=picks)
    def archive_item(self, item):
        finished = [i for i in self.live() if not self.board.stage(i.stage_id).is_wip]
        item = _pick(finished, item)
        self.items[item.id] = replace(item, archived_at=datetime(2024, 4, 1))

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def every_item_is_in_one_stage_of_the_board(self):
        for item in self.items.values():
            assert self.board.stage(item.stage_id) is not None

    @invariant()
    def no_block_mode_stage_limit_is_exceeded_by_non_expedite_items(self):
        by_stage = Counter(i.stage_id for i in self.counted() if i.class_of_service != EXPEDITE)
        for stage in self.board.stages:
            if stage.wip_limit is not None and stage.wip_mode == WipMode.BLOCK:
                assert by_stage[stage.id] <= stage.wip_limit, stage

    @invariant()
    def no_block_mode_lane_limit_is_exceeded(self):
        by_lane = Counter(i.lane_id for i in self.committed())
        for lane in self.board.lanes:
            if lane.wip_limit is not None and lane.wip_mode == WipMode.BLOCK:
                assert by_lane[lane.id] <= lane.wip_limit, lane

    @invariant()
    def no_block_mode_person_limit_is_exceeded(self):
        board = self.board
        if board.person_wip_limit is None or board.person_wip_mode != WipMode.BLOCK:
            return
        by_owner = Counter(i.owner_id for i in self.committed() if i.owner_id is not None)
        assert all(n <= board.person_wip_limit for n in by_owner.values()), by_owner

    @invariant()
    def no_block_mode_capacity_allocation_is_exceeded(self):
        capacity = self.board.committed_capacity
        for allocation in self.board.allocations:
            limit = allocation.limit(capacity)
            if limit is None or allocation.wip_mode != WipMode.BLOCK:
                continue
            n = sum(1 for i in self.committed() if allocation.matches(i.work_type_id, i.class_of_service))
            assert n <= limit, allocation

    @invariant()
    def the_board_expedite_limit_is_never_exceeded(self):
        if self.board.expedite_limit is None:
            return
        n = sum(1 for i in self.committed() if i.class_of_service == EXPEDITE)
        assert n <= self.board.expedite_limit


PullBoard.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_pull_policy_stateful = PullBoard.TestCase
