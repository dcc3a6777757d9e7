"""What the append-only transition log says about an item: commit date, done date, blocked time.

The log is the source of truth for every metric; these functions derive facts from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from pullplan.domain.board import StageKind
from pullplan.domain.items import Transition, TransitionKind


def _moves(log: Iterable[Transition]) -> list[Transition]:
    entries = [t for t in log if t.kind in (TransitionKind.CREATED, TransitionKind.MOVED)]
    return sorted(entries, key=lambda t: t.at)


def commit_date(log: Iterable[Transition], kinds: Mapping[int, StageKind]) -> datetime | None:
    """When the item first crossed the commitment point (entered a committed or done stage)."""
    for t in _moves(log):
        if kinds.get(t.to_stage_id) in (StageKind.COMMITTED, StageKind.DONE):
            return t.at
    return None


def done_date(log: Iterable[Transition], kinds: Mapping[int, StageKind]) -> datetime | None:
    """When the item last entered a done stage, if it is in one now."""
    moves = _moves(log)
    if not moves or kinds.get(moves[-1].to_stage_id) != StageKind.DONE:
        return None
    done = None
    for t in reversed(moves):
        if kinds.get(t.to_stage_id) == StageKind.DONE:
            done = t.at
        else:
            break
    return done


def current_stage(log: Iterable[Transition]) -> int | None:
    moves = _moves(log)
    return moves[-1].to_stage_id if moves else None


def blocked_time(log: Iterable[Transition], now: datetime) -> timedelta:
    """Total time between each block and its unblock (an open block runs until `now`)."""
    total = timedelta()
    started: datetime | None = None
    for t in sorted(log, key=lambda t: t.at):
        if t.kind == TransitionKind.BLOCKED and started is None:
            started = t.at
        elif t.kind == TransitionKind.UNBLOCKED and started is not None:
            total += t.at - started
            started = None
    if started is not None:
        total += now - started
    return total
