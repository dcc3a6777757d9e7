"""Turn domain objects into API read shapes."""

from __future__ import annotations

from pullplan.domain.board import Board
from pullplan.domain.items import WorkItem
from pullplan.domain.pull_next import Candidate
from pullplan.services.boards import BoardView
from pullplan.web.api.schemas import (
    AllocationRead,
    BoardRead,
    BoardViewRead,
    CandidateRead,
    ItemRead,
    LaneRead,
    StageRead,
    StageViewRead,
)


def board_read(board: Board) -> BoardRead:
    return BoardRead(
        id=board.id,
        name=board.name,
        stages=[StageRead.model_validate(s) for s in board.stages],
        lanes=[LaneRead.model_validate(lane) for lane in board.lanes],
        allocations=[AllocationRead.model_validate(a) for a in board.allocations],
        expedite_limit=board.expedite_limit,
        blocked_counts_against_wip=board.blocked_counts_against_wip,
        person_wip_limit=board.person_wip_limit,
        person_wip_mode=board.person_wip_mode,
        committed_capacity=board.committed_capacity,
    )


def item_read(item: WorkItem) -> ItemRead:
    return ItemRead.model_validate(item)


def board_view_read(view: BoardView) -> BoardViewRead:
    return BoardViewRead(
        board=board_read(view.board),
        workspace_id=view.workspace_id,
        workspace_name=view.workspace_name,
        stages=[
            StageViewRead(
                stage=StageRead.model_validate(sv.stage),
                count=sv.count,
                at_limit=sv.at_limit,
                over_limit=sv.over_limit,
                items=[item_read(i) for i in sv.items],
            )
            for sv in view.stages
        ],
    )


def candidate_read(candidate: Candidate) -> CandidateRead:
    return CandidateRead(
        rank=candidate.rank,
        why=candidate.why,
        outcome=candidate.decision.outcome.value,
        reasons=candidate.decision.reasons,
        item=item_read(candidate.item),
    )


def findings(decision) -> list[dict]:
    return [{"code": f.code, "message": f.message, "severity": f.severity.value} for f in decision.findings]
