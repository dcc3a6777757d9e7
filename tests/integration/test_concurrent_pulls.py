"""WIP limits hold under a real race: many pullers, a few free places, the real database.

The acceptance test of DESIGN §6: on a SQLite file (BEGIN IMMEDIATE) and on PostgreSQL
(SELECT ... FOR UPDATE on the board), 32 threads race to pull 100 items into a limit of 5 in
block mode; so do 4 processes with their own engines (8 threads each). Exactly 5 pulls
succeed, every other one is refused with the limit in words, and the transition log agrees
with the board.

The process race runs on SQLite too: threads of one process queue on the Database's own
write lock, so only separate processes (a server, a worker, a CLI command) prove that
SQLite's BEGIN IMMEDIATE keeps a pull's count-then-write atomic.
"""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from pullplan.services.accounts import create_user, set_role
from pullplan.services.boards import (
    create_board,
    create_workspace,
    read_board,
)
from pullplan.services.errors import PullRefused
from pullplan.services.items import create_item, move_item
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.storage.tables import ItemRow, TransitionRow

ITEMS = 100
LIMIT = 5
THREADS = 32
PROCESSES = 4
THREADS_PER_PROCESS = THREADS // PROCESSES
JOIN_TIMEOUT_S = 60
BARRIER_TIMEOUT_S = 30


@dataclass(frozen=True)
class Race:
    """A board set up so that exactly LIMIT of ITEMS pulls fit."""

    board_id: int
    options_id: int
    targets: tuple[int, ...]  # the stages pulled into; the limit spans all of them
    item_ids: tuple[int, ...]
    finding: str  # the code of the one finding every refusal carries
    says: str  # words every refusal must contain: what is full and its limit

    def target_for(self, item_id: int) -> int:
        return self.targets[item_id % len(self.targets)]


def _set_up(db: Database, limit_kind: str) -> Race:
    ws = create_workspace(db, name="Race")
    alice = create_user(db, username="alice", display_name="Alice Adams")
    set_role(db, workspace_id=ws.id, user_id=alice.id, role="member")
    options = {"name": "Options", "kind": "option"}
    done = {"name": "Done", "kind": "done"}
    if limit_kind == "stage":
        board = create_board(
            db,
            workspace_id=ws.id,
            name="Marketing",
            stages=[
                options,
                {"name": "Doing", "kind": "committed", "wip_limit": LIMIT, "wip_mode": "block"},
                done,
            ],
        )
        finding, says = "stage_wip", f"Doing has {LIMIT} of {LIMIT} items (its WIP limit)"
        owner = None
    elif limit_kind == "lane":
        # Two unlimited committed stages: only the lane's count, which spans both, is full.
        board = create_board(
            db,
            workspace_id=ws.id,
            name="Marketing",
            stages=[
                options,
                {"name": "Doing", "kind": "committed"},
                {"name": "Review", "kind": "committed"},
                done,
            ],
            lanes=[
                {"name": "Standard", "class_of_service": "standard", "wip_limit": LIMIT, "wip_mode": "block"}
            ],
        )
        finding = "lane_wip"
        says = f"The Standard lane has {LIMIT} of {LIMIT} items in progress"
        owner = None
    elif limit_kind == "person":
        board = create_board(
            db,
            workspace_id=ws.id,
            name="Marketing",
            stages=[
                options,
                {"name": "Doing", "kind": "committed"},
                {"name": "Review", "kind": "committed"},
                done,
            ],
            person_wip_limit=LIMIT,
            person_wip_mode="block",
        )
        finding = "person_wip"
        says = f"Alice Adams already has {LIMIT} items in progress (personal limit {LIMIT})"
        owner = alice.id
    else:
        raise AssertionError(limit_kind)
    by_name = {s.name: s.id for s in board.stages}
    targets = tuple(by_name[n] for n in ("Doing", "Review") if n in by_name)
    item_ids = tuple(
        create_item(db, actor_id=alice.id, board_id=board.id, title=f"Item {n}", owner_id=owner).item.id
        for n in range(ITEMS)
    )
    return Race(board.id, by_name["Options"], targets, item_ids, finding, says)


def _pull(db: Database, race: Race, item_id: int) -> tuple:
    """One pull, as a picklable outcome: (item_id, outcome, finding codes, message)."""
    try:
        move_item(db, actor_id=None, item_id=item_id, to_stage_id=race.target_for(item_id))
    except PullRefused as e:
        return item_id, "refused", tuple(f.code for f in e.decision.findings), e.message
    except Exception as e:  # noqa: BLE001 - any other failure is reported, not swallowed
        return item_id, "error", (), f"{type(e).__name__}: {e}"
    return item_id, "moved", (), ""


def _race_in_threads(db: Database, race: Race, shares: list[tuple[int, ...]], barrier) -> list:
    """Each thread waits at `barrier`, then pulls its share; all threads share `db`."""
    results: list[tuple] = []

    def puller(share: tuple[int, ...]) -> None:
        try:
            barrier.wait(timeout=BARRIER_TIMEOUT_S)
        except threading.BrokenBarrierError:
            results.extend((i, "error", (), "the barrier broke") for i in share)
            return
        for item_id in share:
            results.append(_pull(db, race, item_id))

    threads = [threading.Thread(target=puller, args=(share,), daemon=True) for share in shares]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=JOIN_TIMEOUT_S)
    assert not any(t.is_alive() for t in threads), "a puller did not finish in time"
    return results


def _process_main(url: str, race: Race, share: tuple[int, ...], barrier, queue) -> None:
    """A separate server process: its own Database, THREADS_PER_PROCESS pullers."""
    db = Database(url)
    try:
        with db.read() as session:  # connect before the start line, not after
            session.execute(select(1))
        shares = [share[i::THREADS_PER_PROCESS] for i in range(THREADS_PER_PROCESS)]
        queue.put(_race_in_threads(db, race, shares, barrier))
    except BaseException as e:  # noqa: BLE001 - report to the parent rather than hang it
        queue.put([(i, "error", (), f"{type(e).__name__}: {e}") for i in share])
    finally:
        db.dispose()


def _check(db: Database, race: Race, results: list[tuple]) -> None:
    assert sorted(r[0] for r in results) == sorted(race.item_ids), "every item was tried once"
    errors = [r for r in results if r[1] == "error"]
    assert errors == []
    moved = {r[0] for r in results if r[1] == "moved"}
    refused = [r for r in results if r[1] == "refused"]
    assert len(moved) == LIMIT
    assert len(refused) == ITEMS - LIMIT
    for _, _, codes, message in refused:
        assert codes == (race.finding,)
        assert message.startswith("This pull is not allowed: ")
        assert race.says in message, message

    with db.read() as session:
        in_targets = set(
            session.scalars(
                select(ItemRow.id).where(
                    ItemRow.board_id == race.board_id, ItemRow.stage_id.in_(race.targets)
                )
            )
        )
        left = session.scalar(select(func.count()).where(ItemRow.stage_id == race.options_id))
        log = session.execute(
            select(
                TransitionRow.kind,
                TransitionRow.item_id,
                TransitionRow.from_stage_id,
                TransitionRow.to_stage_id,
            ).where(TransitionRow.board_id == race.board_id)
        ).all()
    assert in_targets == moved
    assert left == ITEMS - LIMIT
    moves = [row for row in log if row.kind == "moved"]
    assert len(moves) == LIMIT
    assert {row.item_id for row in moves} == moved
    assert all(row.from_stage_id == race.options_id for row in moves)
    assert all(row.to_stage_id == race.target_for(row.item_id) for row in moves)
    assert sorted(row.kind for row in log) == ["created"] * ITEMS + ["moved"] * LIMIT

    view = read_board(db, race.board_id)
    counts = {sv.stage.id: sv.count for sv in view.stages}
    assert sum(counts[s] for s in race.targets) == LIMIT
    assert counts[race.options_id] == ITEMS - LIMIT
    on_board = {i.id for sv in view.stages if sv.stage.id in race.targets for i in sv.items}
    assert on_board == moved


@pytest.mark.parametrize("limit_kind", ["stage", "lane", "person"])
def test_32_threads_race_for_a_limit_of_5(db: Database, limit_kind: str) -> None:
    race = _set_up(db, limit_kind)
    shares = [race.item_ids[i::THREADS] for i in range(THREADS)]
    results = _race_in_threads(db, race, shares, threading.Barrier(THREADS))
    _check(db, race, results)


def test_4_processes_race_for_a_limit_of_5(database_url: str) -> None:
    """Every kind of limit is counted under the same lock, so one kind is enough here."""
    db = Database(database_url)
    try:
        upgrade(db)
        race = _set_up(db, "stage")
        ctx = multiprocessing.get_context("spawn")
        barrier = ctx.Barrier(THREADS)  # every thread of every process starts together
        queue = ctx.Queue()
        processes = [
            ctx.Process(
                target=_process_main,
                args=(database_url, race, race.item_ids[p::PROCESSES], barrier, queue),
                daemon=True,
            )
            for p in range(PROCESSES)
        ]
        for p in processes:
            p.start()
        try:
            results = [r for _ in processes for r in queue.get(timeout=JOIN_TIMEOUT_S)]
            for p in processes:
                p.join(timeout=JOIN_TIMEOUT_S)
                assert p.exitcode == 0, f"process {p.pid} exited with {p.exitcode}"
        finally:
            for p in processes:
                if p.is_alive():
                    p.kill()
                    p.join(timeout=5)
        _check(db, race, results)
    finally:
        db.dispose()
