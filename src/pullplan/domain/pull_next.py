"""Rank what to pull next into a stage with free capacity (DESIGN §1, "Pull next")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from pullplan.domain.board import Board, ClassOfService, StageKind
from pullplan.domain.items import WipEntry, WorkItem
from pullplan.domain.pull_policy import PullDecision, decide_pull


@dataclass(frozen=True)
class Candidate:
    item: WorkItem
    rank: int
    why: str
    decision: PullDecision


def rank_pull_next(
    board: Board,
    to_stage_id: int,
    candidates: Sequence[WorkItem],
    wip: Sequence[WipEntry],
    *,
    commit_by: Mapping[int, date] | None = None,
) -> tuple[list[Candidate], list[Candidate]]:
    """Return (pullable, not_pullable), each in pull order.

    Order: expedite first; then fixed-date items by commit-by date (the due date until a
    commit-by date is known); then intangible items while capacity reserved for them is
    unused; then standard items first in, first out; then other intangible items. Items
    whose pull would be refused are listed apart with their reasons.
    """
    commit_by = commit_by or {}
    reserved_free = _reserved_intangible_free(board, wip)
    keyed = []
    for item in candidates:
        group, key, why = _order(item, commit_by, reserved_free)
        keyed.append(((group, key, item.id), item, why))
    keyed.sort(key=lambda k: k[0])
    pullable: list[Candidate] = []
    refused: list[Candidate] = []
    for _, item, why in keyed:
        decision = decide_pull(board, item, to_stage_id, wip)
        bucket = refused if decision.outcome == "refused" else pullable
        bucket.append(Candidate(item, len(bucket) + 1, why, decision))
    return pullable, refused


_FAR = date.max


def _order(item: WorkItem, commit_by: Mapping[int, date], reserved_free: bool):
    arrived = item.created_at or datetime.min
    cos = item.class_of_service
    if cos == ClassOfService.EXPEDITE:
        return 0, (arrived,), "Expedite: pulled first."
    if cos == ClassOfService.FIXED_DATE:
        by = commit_by.get(item.id)
        if by is not None:
            return 1, (by, arrived), f"Fixed date: commit by {by.isoformat()}."
        due = item.due_date or _FAR
        return 1, (due, arrived), f"Fixed date: due {due.isoformat()}."
    if cos == ClassOfService.INTANGIBLE and reserved_free:
        return 2, (arrived,), "Intangible: capacity reserved for intangible work is unused."
    if cos == ClassOfService.STANDARD:
        since = arrived.date().isoformat() if item.created_at else "unknown"
        return 3, (arrived,), f"Standard: first in, first out (waiting since {since})."
    return 4, (arrived,), "Intangible: pulled when capacity allows."


def _reserved_intangible_free(board: Board, wip: Sequence[WipEntry]) -> bool:
    committed = {s.id for s in board.stages if s.kind == StageKind.COMMITTED}
    capacity = board.committed_capacity
    for allocation in board.allocations:
        if allocation.class_of_service != ClassOfService.INTANGIBLE:
            continue
        limit = allocation.limit(capacity)
        used = sum(
            e.count
            for e in wip
            if e.stage_id in committed
            and (board.blocked_counts_against_wip or not e.blocked)
            and allocation.matches(e.work_type_id, e.class_of_service)
        )
        if limit is not None and used < limit:
            return True
    return False
