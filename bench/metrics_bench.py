"""Benchmark of the flow metrics: every metric of one board over a large transition log.
Not a test: it prints figures.

It generates a synthetic log for one board (default: 100,000 items, 1,000,000 transitions
over two years: items flow through Ideas → Ready → Doing → Review → Approved → Done →
Shipped, with blocks, rework, discards, overrides of WIP limits and items still in
progress), then times

* building the :class:`FlowLog` from columns (what a repository query returns), and
* ``flow_metrics``: WIP per day and stage, throughput per day and week, cycle times and
  their percentiles, work item ages and the aging chart's percentile lines, cumulative
  flow, flow efficiency, WIP-limit breaches and the Little's law check, plus one filtered
  pass (one class of service) of the same,

and reports the wall time and the peak memory (tracemalloc peak of numpy's allocations and
the process's maximum resident set size). Target: under 2 s and under 1 GB.

    python bench/metrics_bench.py [--items 100000] [--shuffle] [--repeat 3] [--working-days]

(``--working-days``: cycle times and ages counted in working days, Monday to Friday.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import platform
import resource
import time
import tracemalloc

import numpy as np

from pullplan.analytics import Breach, FlowLog, flow_metrics
from pullplan.analytics.flowlog import KIND_CODE
from pullplan.domain.calendar import WorkCalendar
from pullplan.domain.pull_policy import Finding, Severity

STAGES = [
    (1, "option", 1),  # Ideas
    (2, "option", 2),  # Ready
    (3, "committed", 3),  # Doing
    (4, "committed", 4),  # Review
    (5, "committed", 5),  # Approved
    (6, "done", 6),  # Done
    (7, "done", 7),  # Shipped
    (8, "discarded", 8),  # Discarded
]

C, M, B, U, OVR, E, A = (
    KIND_CODE[k] for k in ("created", "moved", "blocked", "unblocked", "override", "edited", "archived")
)

KINDS = {code: name for name, code in KIND_CODE.items()}

# Ten transitions per item, by the item's story: (kind, stage entered or -1).
STORIES = {
    "finished": [(C, 1), (M, 2), (M, 3), (B, -1), (U, -1), (M, 4), (M, 5), (M, 6), (M, 7), (E, -1)],
    "overridden": [(C, 1), (M, 2), (M, 3), (OVR, 3), (E, -1), (M, 4), (M, 5), (M, 6), (M, 7), (A, -1)],
    "reworked": [(C, 1), (M, 2), (M, 3), (M, 4), (M, 3), (M, 4), (M, 5), (M, 6), (B, -1), (U, -1)],
    "discarded": [(C, 1), (M, 2), (M, 3), (B, -1), (U, -1), (E, -1), (E, -1), (M, 8), (A, -1), (E, -1)],
    "in_progress": [(C, 1), (M, 2), (E, -1), (M, 3), (B, -1), (U, -1), (M, 4), (B, -1), (E, -1), (E, -1)],
}
SHARES = {"finished": 0.808, "overridden": 0.03, "reworked": 0.07, "discarded": 0.08, "in_progress": 0.012}
EVENTS_PER_ITEM = 10
START = int(dt.datetime(2024, 1, 1, tzinfo=dt.UTC).timestamp())


def synthetic_log(n_items: int, *, seed: int = 7, days: int = 730):
    """Columns of a board's log: item ids, UTC seconds, kind codes, stage ids; and the
    breaches of its override rows, and each item's class of service."""
    rng = np.random.Generator(np.random.PCG64(seed))
    names = list(STORIES)
    story = rng.choice(len(names), size=n_items, p=[SHARES[s] for s in names])
    kinds = np.array([[k for k, _ in STORIES[s]] for s in names], dtype=np.int8)
    stages = np.array([[st for _, st in STORIES[s]] for s in names], dtype=np.int64)
    now = days * 86_400
    arrival = rng.uniform(0, now - 2 * 86_400, size=n_items)
    # Items still in progress arrived lately (else WIP would pile up for two years).
    late = story == names.index("in_progress")
    arrival[late] = rng.uniform(now - 20 * 86_400, now - 2 * 86_400, size=int(late.sum()))
    gaps = rng.exponential(1.6 * 86_400, size=(n_items, EVENTS_PER_ITEM))
    gaps[:, 0] = 0
    t = arrival[:, None] + np.cumsum(gaps, axis=1)
    # Squeeze a story that would run past "now" into the time left, so every row exists.
    span = t[:, -1] - t[:, 0]
    room = now - t[:, 0]
    scale = np.where(span > room, room / np.maximum(span, 1), 1.0)
    t = t[:, :1] + (t - t[:, :1]) * scale[:, None]
    item_ids = np.repeat(np.arange(1, n_items + 1, dtype=np.int64), EVENTS_PER_ITEM)
    cos = np.array(["standard", "fixed_date", "expedite", "intangible"], dtype=object)[
        rng.choice(4, size=n_items, p=[0.7, 0.15, 0.05, 0.1])
    ]
    over = np.flatnonzero(story == names.index("overridden"))
    finding = Finding(
        "stage_wip", "Doing has 5 of 5 items (its WIP limit); this pull would make it 6.", Severity.REASON
    )
    reasons = ["Customer escalation", "Launch date moved", "CEO request"]
    breaches = [
        Breach(
            item_id=int(i + 1),
            at=dt.datetime.fromtimestamp(START + int(t[i, 3]), dt.UTC),
            day=int((START + t[i, 3]) // 86_400),
            from_stage_id=2,
            to_stage_id=3,
            overridden=True,
            reason=reasons[k % 3],
            findings=(finding,),
        )
        for k, i in enumerate(over)
    ]
    return (
        item_ids,
        START + t.ravel().astype(np.int64),
        kinds[story].ravel(),
        stages[story].ravel(),
        breaches,
        np.arange(1, n_items + 1),
        cos,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--shuffle", action="store_true", help="rows in random order (forces a sort)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--working-days", action="store_true", help="cycle times and ages in working days")
    parser.add_argument(
        "--from-rows", action="store_true", help="also time FlowLog.from_rows on the same log as tuples"
    )
    args = parser.parse_args()

    item_ids, at, kinds, to_stage, breaches, ids, cos = synthetic_log(args.items)
    calendar = WorkCalendar(use_working_days=True) if args.working_days else None
    if args.shuffle:
        order = np.random.default_rng(1).permutation(item_ids.size)
        item_ids, at, kinds, to_stage = item_ids[order], at[order], kinds[order], to_stage[order]
    print(
        f"pullplan flow metrics benchmark - {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()}"
    )
    print(
        f"log: {item_ids.size:,} transitions, {args.items:,} items, {len(breaches):,} overrides, "
        f"{'shuffled' if args.shuffle else 'sorted by item'} rows"
        f"{', cycle times in working days' if calendar else ''}\n"
    )

    times = []
    for run in range(args.repeat):
        gc.collect()
        tracemalloc.start()
        t0 = time.perf_counter()
        log = FlowLog.from_arrays(
            item_ids=item_ids, at=at, kinds=kinds, to_stage_ids=to_stage, stages=STAGES, breaches=breaches
        ).with_attributes(ids, class_of_service=cos)
        t1 = time.perf_counter()
        metrics = flow_metrics(log, calendar=calendar)
        t2 = time.perf_counter()
        standard = flow_metrics(log, items=log.select(class_of_service="standard"), calendar=calendar)
        t3 = time.perf_counter()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        times.append((t1 - t0, t2 - t1, t3 - t2, t2 - t0, peak))
        print(
            f"run {run + 1}: build {t1 - t0:.3f} s, all metrics {t2 - t1:.3f} s "
            f"(build + metrics {t2 - t0:.3f} s), filtered pass {t3 - t2:.3f} s, "
            f"tracemalloc peak {peak / 2**20:.0f} MiB"
        )
        del log

    best = min(times, key=lambda r: r[3])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        f"\nbest: build + all metrics {best[3]:.3f} s (target < 2 s) "
        f"[build {best[0]:.3f} s, metrics {best[1]:.3f} s]; filtered pass {best[2]:.3f} s"
    )
    print(
        f"peak memory: tracemalloc {max(r[4] for r in times) / 2**20:.0f} MiB, "
        f"max RSS of the process {rss:.0f} MiB (target < 1024 MiB)"
    )

    if args.from_rows:
        stage_of = to_stage.tolist()
        base = dt.datetime(1970, 1, 1)
        rows = [
            (i, base + dt.timedelta(seconds=t), KINDS[k], None if st < 0 else st)
            for i, t, k, st in zip(item_ids.tolist(), at.tolist(), kinds.tolist(), stage_of, strict=True)
        ]
        t0 = time.perf_counter()
        FlowLog.from_rows(rows, STAGES)
        took = time.perf_counter() - t0
        print(f"FlowLog.from_rows on {len(rows):,} tuples (datetime, kind name): {took:.2f} s")
        del rows

    m, s = metrics, standard
    ll = m.littles_law
    print("\nfigures (whole board | standard class):")
    print(f"  window {m.throughput.days[0]} .. {m.throughput.days[-1]} ({m.throughput.days.size} days)")
    print(
        f"  throughput {m.throughput.total:,} items, {m.throughput.average:.1f}/day | {s.throughput.total:,}"
    )
    print(f"  cycle time percentiles {m.cycle_times.percentiles} | {s.cycle_times.percentiles}")
    print(
        f"  WIP today {int(m.wip.committed[-1]):,}, average {m.wip.average:.1f}; "
        f"ages p85 {m.aging.ages.percentiles[85]} days"
    )
    print(f"  aging lines {m.aging.stage_percentiles}")
    print(f"  flow efficiency {m.flow_efficiency.overall:.1%}")
    print(f"  breaches {len(m.breaches.breaches):,}: {m.breaches.by_reason}")
    cfd = m.cumulative_flow
    last = dict(zip(cfd.stage_ids.tolist(), cfd.arrivals[-1].tolist(), strict=True))
    print(f"  CFD on the last day (stage id: items that reached it or a later stage) {last}")
    print(
        f"  Little's law: WIP {ll.average_wip:.1f} / throughput {ll.average_throughput:.2f} = "
        f"{ll.implied_cycle_time:.2f} days vs average cycle time {ll.average_cycle_time:.2f} days"
    )
    for a in ll.assumptions:
        print(f"    [{'ok' if a.holds else 'NO'}] {a.statement} {a.detail}")


if __name__ == "__main__":
    main()
