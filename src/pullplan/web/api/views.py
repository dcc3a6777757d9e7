"""Turn domain objects into API read shapes."""

from __future__ import annotations

from fastapi import Response
from pydantic import TypeAdapter
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from pullplan.domain.board import Board
from pullplan.domain.items import WorkItem
from pullplan.domain.pull_next import Candidate
from pullplan.services.boards import BoardView
from pullplan.storage.repositories import ItemCard
from pullplan.web.api.schemas import (
    AllocationRead,
    BoardRead,
    CandidateRead,
    ItemRead,
    LaneRead,
    StageRead,
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


# The JSON of schemas.BoardViewRead, serialized straight from the service's cards: the same
# field names, order and types as CardRead, without a model per card.
class _StageViewJson(TypedDict):
    stage: StageRead
    count: int
    at_limit: bool
    over_limit: bool
    items: list[ItemCard]


class _BoardViewJson(TypedDict):
    board: BoardRead
    workspace_id: int
    workspace_name: str
    stages: list[_StageViewJson]


_BOARD_VIEW_JSON = TypeAdapter(_BoardViewJson)


def board_view_json(view: BoardView) -> bytes:
    """The board view as the JSON of `BoardViewRead`, in one pass over the cards."""
    return _BOARD_VIEW_JSON.dump_json(
        {
            "board": board_read(view.board),
            "workspace_id": view.workspace_id,
            "workspace_name": view.workspace_name,
            "stages": [
                {
                    "stage": StageRead.model_validate(sv.stage),
                    "count": sv.count,
                    "at_limit": sv.at_limit,
                    "over_limit": sv.over_limit,
                    "items": sv.items,
                }
                for sv in view.stages
            ],
        }
    )


def board_view_read(view: BoardView) -> Response:
    """The board view as a finished JSON response (a `BoardViewRead`). FastAPI sends a
    returned Response as it is, so the route's `response_model=BoardViewRead` documents the
    body without FastAPI validating and serializing thousands of cards a second time."""
    return Response(board_view_json(view), media_type="application/json")


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
