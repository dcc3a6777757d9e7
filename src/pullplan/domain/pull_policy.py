"""Decide whether an item may be pulled into a stage, and say why in words (DESIGN §1).

`decide_pull` is the functional core of every move: the service locks and counts, asks
this function, and writes only what it allows. It never reads a clock or a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from pullplan.domain.board import Board, ClassOfService, Stage, StageKind, WipMode
from pullplan.domain.items import WipEntry, WorkItem


class PullOutcome(StrEnum):
    ALLOWED = "allowed"
    WARN = "warn"
    NEEDS_REASON = "needs_reason"
    REFUSED = "refused"


class Severity(StrEnum):
    WARN = "warn"
    REASON = "reason"  # allowed with a recorded reason
    REFUSE = "refuse"


_SEVERITY_OF_MODE = {
    WipMode.WARN: Severity.WARN,
    WipMode.REASON: Severity.REASON,
    WipMode.BLOCK: Severity.REFUSE,
}


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    severity: Severity


@dataclass(frozen=True)
class PullDecision:
    outcome: PullOutcome
    findings: tuple[Finding, ...] = ()
    override: bool = False  # a reason-mode limit was exceeded with a reason

    @property
    def allowed(self) -> bool:
        return self.outcome in (PullOutcome.ALLOWED, PullOutcome.WARN)

    @property
    def reasons(self) -> list[str]:
        return [f.message for f in self.findings]


# Scopes of limits that a change can touch.
STAGE, LANE, PERSON, ALLOCATION, EXPEDITE = "stage", "lane", "person", "allocation", "expedite"
ALL_SCOPES = frozenset({STAGE, LANE, PERSON, ALLOCATION, EXPEDITE})

# decide_pull's `to_lane_id` when the item stays in its lane.
SAME_LANE = object()

# Findings that end the question: nothing else about the pull is worth saying.
_FINAL = frozenset({"archived", "same_stage"})


def decide_pull(
    board: Board,
    item: WorkItem,
    to_stage_id: int,
    wip: Sequence[WipEntry],
    *,
    reason: str | None = None,
    to_lane_id: int | None | object = SAME_LANE,
) -> PullDecision:
    """May `item` be pulled into the stage `to_stage_id`, given the board's current `wip`?

    `wip` lists the items of the board's committed stages and of its stages with a WIP
    limit; items elsewhere never count (it may include `item` itself, never counted twice).
    `to_lane_id` pulls it into another lane too (None: no lane), whose limit is then checked.
    Every reason is returned, not just the first.
    """
    target = board.stage(to_stage_id)
    if target is None:
        return _refused("unknown_stage", f"Stage {to_stage_id} is not on the board {board.name}.")
    current = board.stage(item.stage_id)
    hard = list(_hard_rules(board, item, current, target))
    if any(f.code in _FINAL for f in hard):
        return _combine(hard, reason)
    # The rules and the limits are reported together, so fixing one problem never
    # reveals the next.
    scopes = _scopes_entered(current, target)
    moved = replace(item, stage_id=target.id)
    if to_lane_id is not SAME_LANE and to_lane_id != item.lane_id:
        moved = replace(moved, lane_id=to_lane_id)
        if target.kind == StageKind.COMMITTED:
            scopes.add(LANE)
    return _combine(hard + list(limit_findings(board, moved, wip, scopes)), reason)


def decide_change(
    board: Board,
    before: WorkItem,
    after: WorkItem,
    wip: Sequence[WipEntry],
    *,
    reason: str | None = None,
) -> PullDecision:
    """May an item in place change what the limits count (lane, owner, type, class, blocked)?"""
    stage = board.stage(after.stage_id)
    if stage is None or not stage.is_wip or after.archived:
        return PullDecision(PullOutcome.ALLOWED)
    findings: list[Finding] = []
    if (
        after.class_of_service == ClassOfService.FIXED_DATE
        and after.due_date is None
        and stage.kind == StageKind.COMMITTED
    ):
        findings.append(_fixed_date_needs_due())
    if stage.requires_owner and after.owner_id is None:
        findings.append(Finding("requires_owner", f"{stage.name} requires an owner.", Severity.REFUSE))
    if stage.requires_due_date and after.due_date is None:
        findings.append(Finding("requires_due_date", f"{stage.name} requires a due date.", Severity.REFUSE))
    was_counted = _counted(board, before)
    scopes: set[str] = set()
    if not was_counted:
        scopes = set(ALL_SCOPES) if stage.kind == StageKind.COMMITTED else {STAGE}
    elif (
        before.class_of_service == ClassOfService.EXPEDITE
        and after.class_of_service != ClassOfService.EXPEDITE
    ):
        # Only expedite items may exceed a stage's limit: the item loses that right.
        scopes.add(STAGE)
    if was_counted and stage.kind == StageKind.COMMITTED:
        if after.lane_id != before.lane_id:
            scopes.add(LANE)
        if after.owner_id != before.owner_id:
            scopes.add(PERSON)
        if (after.work_type_id, after.class_of_service) != (
            before.work_type_id,
            before.class_of_service,
        ):
            scopes.add(ALLOCATION)
        if after.class_of_service != before.class_of_service:
            scopes.add(EXPEDITE)
    return _combine(findings + list(limit_findings(board, after, wip, scopes)), reason)


def limit_findings(
    board: Board, item: WorkItem, wip: Sequence[WipEntry], scopes: Iterable[str]
) -> Iterable[Finding]:
    """Every limit that `item`, standing where it says, would exceed among `scopes`."""
    scopes = set(scopes)
    stage = board.stage(item.stage_id)
    if stage is None or not stage.is_wip or not scopes or not _counted(board, item):
        return
    others = [e for e in wip if e.item_id != item.id and _counted(board, e)]
    committed_ids = {s.id for s in board.stages if s.kind == StageKind.COMMITTED}
    committed = [e for e in others if e.stage_id in committed_ids]
    in_committed = stage.kind == StageKind.COMMITTED
    expedite = item.class_of_service == ClassOfService.EXPEDITE

    if STAGE in scopes and stage.wip_limit is not None:
        n = sum(e.count for e in others if e.stage_id == stage.id)
        if n + 1 > stage.wip_limit:
            text = _over(stage.name, n, stage.wip_limit)
            if expedite:
                yield Finding(
                    "stage_wip_expedite",
                    f"{text} Expedite items may exceed a stage's WIP limit.",
                    Severity.WARN,
                )
            else:
                yield Finding("stage_wip", text, _SEVERITY_OF_MODE[stage.wip_mode])

    if not in_committed:
        return

    if EXPEDITE in scopes and expedite and board.expedite_limit is not None:
        n = sum(e.count for e in committed if e.class_of_service == ClassOfService.EXPEDITE)
        if n + 1 > board.expedite_limit:
            yield Finding(
                "expedite_limit",
                f"The board allows {board.expedite_limit} expedite item"
                f"{'s' if board.expedite_limit != 1 else ''} in progress and has {n}: "
                "finish one before expediting another.",
                Severity.REFUSE,
            )

    lane = board.lane(item.lane_id)
    if LANE in scopes and lane is not None and lane.wip_limit is not None:
        n = sum(e.count for e in committed if e.lane_id == lane.id)
        if n + 1 > lane.wip_limit:
            yield Finding(
                "lane_wip",
                f"The {lane.name} lane has {n} of {lane.wip_limit} items in progress; "
                f"this pull would make it {n + 1}.",
                _SEVERITY_OF_MODE[lane.wip_mode],
            )

    if PERSON in scopes and board.person_wip_limit is not None and item.owner_id is not None:
        n = sum(e.count for e in committed if e.owner_id == item.owner_id)
        if n + 1 > board.person_wip_limit:
            who = item.owner_name or "The owner"
            yield Finding(
                "person_wip",
                f"{who} already has {n} items in progress (personal limit {board.person_wip_limit}).",
                _SEVERITY_OF_MODE[board.person_wip_mode],
            )

    if ALLOCATION in scopes:
        capacity = board.committed_capacity
        for allocation in board.allocations:
            if not allocation.matches(item.work_type_id, item.class_of_service):
                continue
            limit = allocation.limit(capacity)
            if limit is None:
                continue
            n = sum(e.count for e in committed if allocation.matches(e.work_type_id, e.class_of_service))
            if n + 1 > limit:
                share = (
                    f"{allocation.limit_percent:g}% of committed capacity, {limit} items"
                    if allocation.limit_count is None
                    else f"{limit} items"
                )
                yield Finding(
                    "capacity_allocation",
                    f"{allocation.label} work is allocated {share} and already has {n} in progress.",
                    _SEVERITY_OF_MODE[allocation.wip_mode],
                )


def _hard_rules(board: Board, item: WorkItem, current: Stage | None, target: Stage) -> Iterable[Finding]:
    if item.archived:
        yield Finding("archived", "The item is archived; restore it first.", Severity.REFUSE)
        return
    if current is not None and current.id == target.id:
        yield Finding("same_stage", f"The item is already in {target.name}.", Severity.REFUSE)
        return
    forward = current is None or (target.position > current.position and target.kind != StageKind.DISCARDED)
    if item.blocked and forward:
        why = f": {item.blocked_reason}" if item.blocked_reason else ""
        yield Finding(
            "blocked",
            f"The item is blocked{why}. Unblock it before pulling it forward.",
            Severity.REFUSE,
        )
    if target.kind == StageKind.DISCARDED:
        return
    if target.requires_owner and item.owner_id is None:
        yield Finding(
            "requires_owner",
            f"{target.name} requires an owner: assign someone first.",
            Severity.REFUSE,
        )
    if target.requires_due_date and item.due_date is None:
        yield Finding("requires_due_date", f"{target.name} requires a due date.", Severity.REFUSE)
    if target.requires_ready and not item.ready and forward:
        yield Finding(
            "requires_ready",
            f"{target.name} only takes items marked ready to pull.",
            Severity.REFUSE,
        )
    if (
        target.kind == StageKind.COMMITTED
        and item.class_of_service == ClassOfService.FIXED_DATE
        and item.due_date is None
    ):
        yield _fixed_date_needs_due()


def _fixed_date_needs_due() -> Finding:
    return Finding(
        "fixed_date_needs_due_date",
        "A fixed-date item needs a due date before it is committed.",
        Severity.REFUSE,
    )


def _scopes_entered(current: Stage | None, target: Stage) -> set[str]:
    """Moving within the committed area changes only the stage count."""
    if not target.is_wip:
        return set()
    if target.kind == StageKind.COMMITTED and (current is None or current.kind != StageKind.COMMITTED):
        return set(ALL_SCOPES)
    return {STAGE}


def _counted(board: Board, entry: WipEntry | WorkItem) -> bool:
    return board.blocked_counts_against_wip or not entry.blocked


def _over(stage_name: str, n: int, limit: int) -> str:
    return f"{stage_name} has {n} of {limit} items (its WIP limit); this pull would make it {n + 1}."


def _refused(code: str, message: str) -> PullDecision:
    return PullDecision(PullOutcome.REFUSED, (Finding(code, message, Severity.REFUSE),))


def _combine(findings: list[Finding], reason: str | None) -> PullDecision:
    severities = {f.severity for f in findings}
    if Severity.REFUSE in severities:
        return PullDecision(PullOutcome.REFUSED, tuple(findings))
    if Severity.REASON in severities:
        if reason and reason.strip():
            return PullDecision(PullOutcome.WARN, tuple(findings), override=True)
        return PullDecision(PullOutcome.NEEDS_REASON, tuple(findings))
    if Severity.WARN in severities:
        return PullDecision(PullOutcome.WARN, tuple(findings))
    return PullDecision(PullOutcome.ALLOWED)
