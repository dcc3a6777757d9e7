"""Monte Carlo lead time of an aggregate: how long before its due date it must be committed
so that all its children are done in time (DESIGN §2, "for an aggregate, use a Monte Carlo
forecast of its children instead of one cycle time").

The model. Once the parent is committed, it is split and its children are pulled side by
side (by different people, each through the board's own queues), so the aggregate is
finished when its *slowest* child is. Child i, due `offset_i` days from the parent's due
date D, is sampled a cycle time CT_i from the finished items of its own type and class (the
board's pooled history when that cell has fewer than 20). Committed on day S, it is done on
S + CT_i − 1 and must be done by D + offset_i, so the parent needs a lead time of

    L = max_i (CT_i − offset_i)

days before D. One trial draws every child once; the aggregate's LT_p is the p-th
percentile (nearest rank, as everywhere) of L over the trials, and commit_by = D − LT_p −
buffer exactly as for a single item.

Why the maximum of the children's cycle times, not the throughput-based "when will m items
be done": each child's sampled cycle time already holds the waiting its kind of work meets
on the board (the queues, the WIP limits, the blocked time), and the question is when *these*
m children are done, not when the board finishes any m items (which would also count the
work already queued ahead of them and would not let each child have its own due date). The
maximum of independent samples grows with the number of children, so a big aggregate gets
an earlier commit-by date than one of its children would alone, as it should.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pullplan.analytics.percentiles import nearest_rank

DEFAULT_TRIALS = 10_000
DEFAULT_SEED = 0


@dataclass(frozen=True)
class AggregateLeadTime:
    days: int  # LT_p: the p-th percentile of L
    percentile: int
    trials: int
    children: int


def aggregate_lead_time(
    samples: Sequence[Sequence[int]],
    offsets: Sequence[int],
    p: int,
    *,
    trials: int = DEFAULT_TRIALS,
    seed: int = DEFAULT_SEED,
) -> AggregateLeadTime:
    """The p-th percentile of max_i(CT_i − offset_i), CT_i drawn (with replacement) from
    `samples[i]`, the cycle times (days, +1 convention) child i's kind of work took. The same
    seed gives the same answer."""
    if len(samples) != len(offsets):
        raise ValueError("one offset per child")
    if not samples:
        raise ValueError("an aggregate needs at least one child")
    if any(len(s) == 0 for s in samples):
        raise ValueError("every child needs cycle times to sample from")
    if trials < 1:
        raise ValueError("trials must be at least 1")
    rng = np.random.default_rng(seed)
    need = np.full(trials, np.iinfo(np.int64).min, dtype=np.int64)
    for values, offset in zip(samples, offsets, strict=True):
        history = np.asarray(values, dtype=np.int64)
        drawn = history[rng.integers(0, history.size, size=trials)]
        np.maximum(need, drawn - int(offset), out=need)
    need.sort()
    return AggregateLeadTime(
        days=int(need[nearest_rank(trials, p) - 1]), percentile=p, trials=trials, children=len(samples)
    )
