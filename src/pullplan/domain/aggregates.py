"""Aggregates (DESIGN §1): a parent item kept whole while it is an option, split into its
children from its work type's template when it crosses the commitment point, and done when
all its children are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pullplan.domain.board import Board, ClassOfService, Stage, StageKind

MAX_CHILDREN = 50
MAX_OFFSET_DAYS = 3650


@dataclass(frozen=True)
class TemplateChild:
    """One child of a split template: its title, work type (None: the parent's), the name of
    the stage it starts in (None: the board's first option stage, its backlog) and its due
    date's offset in days from the parent's (usually zero or negative)."""

    title: str
    work_type_id: int | None = None
    work_type_name: str | None = None
    stage_name: str | None = None
    offset_days: int = 0


@dataclass(frozen=True)
class ChildPlan:
    """A child to create: where, and with which fields."""

    title: str
    stage_id: int
    work_type_id: int | None
    class_of_service: ClassOfService
    due_date: dt.date | None
    owner_id: int | None


class TemplateProblem(ValueError):
    """The template cannot be applied on this board; says which child and why."""


def splits_on_move(board: Board, from_stage_id: int, to_stage_id: int) -> bool:
    """A parent is split when it crosses the commitment point: from an option stage into a
    committed one (straight to done, there is nothing left to split)."""
    before, after = board.stage(from_stage_id), board.stage(to_stage_id)
    return (
        before is not None
        and after is not None
        and before.kind == StageKind.OPTION
        and after.kind == StageKind.COMMITTED
    )


def start_stage(board: Board, stage_name: str | None) -> Stage:
    """The stage a child starts in: the named one, or the board's first option stage."""
    if stage_name is None:
        options = [s for s in board.stages if s.kind == StageKind.OPTION]
        if not options:
            raise TemplateProblem(f"the board {board.name} has no option stage for the children.")
        return options[0]
    found = next((s for s in board.stages if s.name.lower() == stage_name.lower()), None)
    if found is None:
        raise TemplateProblem(f"the board {board.name} has no stage {stage_name!r}.")
    if not found.is_wip:
        raise TemplateProblem(f"a child cannot start in the {found.kind.value} stage {found.name}.")
    return found


def plan_children(
    board: Board,
    *,
    parent_title: str,
    parent_work_type_id: int | None,
    parent_class: ClassOfService,
    parent_due: dt.date | None,
    parent_owner_id: int | None,
    template: Sequence[TemplateChild],
) -> list[ChildPlan]:
    """The children a parent is split into. They inherit its class of service and owner;
    each is due `offset_days` from the parent's due date (no due date when the parent has
    none, and then a fixed-date parent's children are standard)."""
    if not template:
        raise TemplateProblem("there are no children to create.")
    cos = parent_class
    if parent_due is None and cos == ClassOfService.FIXED_DATE:
        cos = ClassOfService.STANDARD
    plans = []
    for child in template:
        stage = start_stage(board, child.stage_name)
        due = parent_due + dt.timedelta(days=child.offset_days) if parent_due is not None else None
        plans.append(
            ChildPlan(
                title=f"{parent_title}: {child.title}"[:200],
                stage_id=stage.id,
                work_type_id=child.work_type_id if child.work_type_id is not None else parent_work_type_id,
                class_of_service=cos,
                due_date=due,
                owner_id=parent_owner_id,
            )
        )
    return plans


@dataclass(frozen=True)
class AggregateProgress:
    """How far an aggregate's children are: `done` of `total` (discarded children are let
    go: they count in neither)."""

    done: int
    total: int
    discarded: int = 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done == self.total

    @property
    def label(self) -> str:
        return f"{self.done} of {self.total} done"


def progress(child_stage_kinds: Iterable[StageKind]) -> AggregateProgress:
    kinds = list(child_stage_kinds)
    discarded = sum(k == StageKind.DISCARDED for k in kinds)
    return AggregateProgress(
        done=sum(k == StageKind.DONE for k in kinds), total=len(kinds) - discarded, discarded=discarded
    )


def parent_becomes_done(parent_stage_kind: StageKind, children: AggregateProgress) -> bool:
    """A parent still in progress is done once all its (not discarded) children are."""
    return parent_stage_kind in (StageKind.OPTION, StageKind.COMMITTED) and children.complete
