"""Benchmark of the throughput forecasts, side by side with FlowPulse and a bare numpy loop.
Not a test: it prints figures.

On one seeded history (180 days of Poisson(2.5) daily throughput) and 10,000 trials it
asks two questions, *how many items in 30 days* and *when will 200 items be done*, of:

* pullplan's exact distribution (``how_many``/``when``, the default method),
* pullplan's Monte Carlo (``method="monte_carlo"``),
* a bare numpy sampling loop: ``rng.choice(history, (trials, days)).sum(1)``, and for
  *when* a cumulative sum over a fixed horizon and ``argmax`` of the first day past N,
* FlowPulse (PyPI ``flowpulse``: ``MonteCarloService.how_many`` / ``.when``, pure-Python
  loops over ``random.randint``), called the way its ``main`` calls it.

It prints the time of each (best and median of several runs), trial-days simulated per
second, and the 50/70/85/95th percentiles read the same way for all ("P% chance of at
least K items", "P% chance of done within D days"), then checks the targets: pullplan's
Monte Carlo within 1.5x of the bare loop, pullplan's exact forecasts at least 100x faster
than FlowPulse on both questions. It ends with a million Monte Carlo trials, in chunks.

FlowPulse is never a dependency of pullplan. Install it in a separate virtual environment:

    python3 -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install flowpulse

The bench runs with the project's Python and calls FlowPulse in that environment as a
subprocess (``--flowpulse-python``, default /tmp/bench-venv/bin/python, or
$FLOWPULSE_PYTHON); if FlowPulse is importable from the project's Python it is called
directly. Without it, the bench says so and compares the rest.

    python bench/forecast_bench.py [--trials 10000] [--repeat 7] [--flowpulse-python PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

SEED = 2024
HISTORY_DAYS = 180
RATE = 2.5
DAYS = 30
ITEMS = 200
PS = (50, 70, 85, 95)
TODAY = dt.date(2025, 6, 2)


def history() -> np.ndarray:
    return np.random.Generator(np.random.PCG64(SEED)).poisson(RATE, HISTORY_DAYS)


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """(best, median) seconds of `repeat` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), result


# --------------------------------------------------------------------------- contenders


def bare_how_many(h: np.ndarray, trials: int, seed: int) -> dict:
    rng = np.random.Generator(np.random.PCG64(seed))
    totals = rng.choice(h, (trials, DAYS)).sum(1)
    # "P% chance of at least K": the nearest-rank percentile counted from the top.
    pct = {p: int(-np.percentile(-totals, p, method="inverted_cdf")) for p in PS}
    return {"percentiles": pct, "trial_days": trials * DAYS}


def bare_when(h: np.ndarray, trials: int, seed: int, horizon: int) -> dict:
    rng = np.random.Generator(np.random.PCG64(seed))
    cum = rng.choice(h, (trials, horizon)).cumsum(1)
    reached = cum >= ITEMS
    days = reached.argmax(1) + 1
    days[~reached[:, -1]] = horizon + 1
    pct = {p: int(np.percentile(days, p, method="inverted_cdf")) for p in PS}
    return {"percentiles": pct, "trial_days": trials * horizon, "unfinished": int((~reached[:, -1]).sum())}


def flowpulse_run(h: list[int], trials: int, seed: int, repeat: int) -> dict:
    """Run FlowPulse's how_many and when on `h` (oldest day first); needs flowpulse."""
    import random

    os.environ.setdefault("MPLBACKEND", "Agg")
    from importlib.metadata import version

    from flowpulse.services.MonteCarloService import MonteCarloService

    # FlowPulse's history is {date: items closed that day}, the last `history_in_days`
    # days ending today; day i of its data set is today - i.
    closed = {TODAY - dt.timedelta(days=len(h) - 1 - k): int(n) for k, n in enumerate(h) if n}
    out = {"version": version("flowpulse")}
    with tempfile.TemporaryDirectory() as charts:
        service = MonteCarloService(len(h), charts, today=TODAY, trials=trials)
        for name, call in (
            ("how_many", lambda: service.how_many(TODAY + dt.timedelta(days=DAYS), closed)),
            ("when", lambda: service.when(ITEMS, closed)),
        ):
            times, result = [], None
            for _ in range(repeat):
                random.seed(seed)
                with contextlib.redirect_stdout(io.StringIO()):
                    t0 = time.perf_counter()
                    result = call()
                    times.append(time.perf_counter() - t0)
            if name == "how_many":
                pct = dict(zip(PS, [int(v) for v in result], strict=True))
            else:
                pct = dict(zip(PS, [(d - TODAY).days for d in result[:4]], strict=True))
            out[name] = {"best": min(times), "median": statistics.median(times), "percentiles": pct}
    return out


def _int_keys(fp: dict) -> dict:
    """JSON made the percentiles' keys strings."""
    for q in ("how_many", "when"):
        fp[q]["percentiles"] = {int(k): v for k, v in fp[q]["percentiles"].items()}
    return fp


def flowpulse(h: np.ndarray, trials: int, seed: int, repeat: int, python: str | None) -> dict | str:
    """FlowPulse's figures, or why there are none."""
    try:
        import flowpulse  # noqa: F401

        return flowpulse_run(h.tolist(), trials, seed, repeat)
    except ImportError:
        pass
    if not python or not Path(python).exists():
        return (
            "FlowPulse is not installed; to compare with it: python3 -m venv /tmp/bench-venv && "
            "/tmp/bench-venv/bin/pip install flowpulse"
        )
    job = json.dumps({"history": h.tolist(), "trials": trials, "seed": seed, "repeat": repeat})
    done = subprocess.run(
        [python, __file__, "--flowpulse-worker"],
        input=job,
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"FlowPulse could not run with {python}: {last}"
    return _int_keys(json.loads(done.stdout))


# --------------------------------------------------------------------------- report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--flowpulse-repeat", type=int, default=3)
    parser.add_argument(
        "--flowpulse-python",
        default=os.environ.get("FLOWPULSE_PYTHON", "/tmp/bench-venv/bin/python"),
        help="a Python with flowpulse installed",
    )
    parser.add_argument("--flowpulse-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.flowpulse_worker:
        job = json.loads(sys.stdin.read())
        print(json.dumps(flowpulse_run(job["history"], job["trials"], job["seed"], job["repeat"])))
        return

    from pullplan.analytics import how_many, simulate_finish_days, simulate_totals, when
    from pullplan.analytics.montecarlo import empirical

    h = history()
    trials, seed, rep = args.trials, SEED, args.repeat
    horizon = int(np.ceil(2 * ITEMS / h.mean()))  # the bare loop's fixed horizon for "when"
    print(f"pullplan forecast benchmark - Python {platform.python_version()}, numpy {np.__version__}")
    print(
        f"history: {HISTORY_DAYS} days of Poisson({RATE}) throughput (seed {SEED}): mean "
        f"{h.mean():.3f}/day, {int((h == 0).sum())} zero days; {trials:,} trials; best and median "
        f"of {rep} runs (FlowPulse: {args.flowpulse_repeat})\n"
    )

    # Warm up numpy's code paths once so that the first contender pays no start-up cost.
    how_many(h, DAYS), when(h, ITEMS), bare_how_many(h, 100, seed)

    fp = flowpulse(h, trials, seed, args.flowpulse_repeat, args.flowpulse_python)
    results: dict[str, dict] = {"how_many": {}, "when": {}}

    best, med, f = timed(lambda: how_many(h, DAYS), rep)
    results["how_many"]["pullplan exact"] = (best, med, {r.percent: r.value for r in f.percentiles}, None)
    best, med, f = timed(lambda: how_many(h, DAYS, method="monte_carlo", trials=trials, seed=seed), rep)
    results["how_many"]["pullplan Monte Carlo"] = (
        best,
        med,
        {r.percent: r.value for r in f.percentiles},
        trials * DAYS,
    )
    best, med, r = timed(lambda: bare_how_many(h, trials, seed), rep)
    results["how_many"]["bare numpy loop"] = (best, med, r["percentiles"], r["trial_days"])

    best, med, f = timed(lambda: when(h, ITEMS), rep)
    results["when"]["pullplan exact"] = (best, med, {r.percent: r.value for r in f.percentiles}, None)
    best, med, f = timed(lambda: when(h, ITEMS, method="monte_carlo", trials=trials, seed=seed), rep)
    finish = simulate_finish_days(empirical(h), ITEMS, trials=trials, seed=seed)
    results["when"]["pullplan Monte Carlo"] = (
        best,
        med,
        {r.percent: r.value for r in f.percentiles},
        int(finish.sum()),
    )
    best, med, r = timed(lambda: bare_when(h, trials, seed, horizon), rep)
    # Trial-days are the days simulated until each trial's answer, the same for every
    # method (the bare loop draws more: a fixed horizon for every trial).
    results["when"]["bare numpy loop"] = (best, med, r["percentiles"], int(finish.sum()))
    if r["unfinished"]:
        print(f"note: {r['unfinished']} bare-loop trials did not finish within {horizon} days")

    if isinstance(fp, dict):
        label = f"FlowPulse {fp['version']}"
        for q in ("how_many", "when"):
            trial_days = trials * DAYS if q == "how_many" else int(finish.sum())
            results[q][label] = (fp[q]["best"], fp[q]["median"], fp[q]["percentiles"], trial_days)

    titles = {
        "how_many": f'how many items in {DAYS} days? "P% chance of at least K items"',
        "when": f'when will {ITEMS} items be done? "P% chance of done within D days"',
    }
    for q, rows in results.items():
        print(titles[q])
        print(
            f"  {'method':<22}{'best ms':>10}{'median ms':>11}{'trial-days/s':>15}   "
            + "  ".join(f"p{p:<3}" for p in PS)
        )
        for name, (b, m, pct, work) in rows.items():
            rate = f"{work / b / 1e6:,.1f} M" if work else "exact"
            cells = "  ".join(f"{pct[p]!s:<4}" for p in PS)
            print(f"  {name:<22}{b * 1e3:>10.3f}{m * 1e3:>11.3f}{rate:>15}   {cells}")
        print()
    if q == "when":
        print(
            f"(the bare loop draws a fixed {horizon}-day horizon for every trial; pullplan draws a "
            "block of days, then more only for the trials not yet done)\n"
        )

    print("targets:")
    for q in ("how_many", "when"):
        mc, bare = results[q]["pullplan Monte Carlo"][0], results[q]["bare numpy loop"][0]
        verdict = "met" if mc <= 1.5 * bare else "NOT met"
        print(f"  {q}: pullplan Monte Carlo / bare numpy = {mc / bare:.2f}x (target <= 1.5x): {verdict}")
    if isinstance(fp, dict):
        for q in ("how_many", "when"):
            speedup = fp[q]["best"] / results[q]["pullplan exact"][0]
            verdict = "met" if speedup >= 100 else "NOT met"
            print(
                f"  {q}: pullplan exact is {speedup:,.0f}x faster than FlowPulse (target >= 100x): {verdict}"
            )
    else:
        print(f"  FlowPulse: not compared. {fp}")

    print("\na million Monte Carlo trials, in chunks:")
    for name, call in (
        (f"how many in {DAYS} days", lambda: simulate_totals(empirical(h), DAYS, trials=1_000_000, seed=1)),
        (
            f"when {ITEMS} items",
            lambda: simulate_finish_days(empirical(h), ITEMS, trials=1_000_000, seed=1, block=92),
        ),
    ):
        tracemalloc.start()
        t0 = time.perf_counter()
        call()
        took = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  {name}: {took:.2f} s, tracemalloc peak {peak / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
