"""Stress-engine speed, measured in one run and printed as ratios.

    uv run python benchmarks/bench_engine.py [--cases 48000] [--fast-cases 2400000]

1. SimPy engine, one core: the full model (Liverpool, perfect player, calendar, deadlines,
   role desks, risk) against a minimal bare-SimPy stage race (a lognormal reply and a coin
   per stage, nothing else) in the same process, as a ratio.
2. The runner with --jobs 1 and --jobs 2 (loky; the pool is warmed first): speed-up.
3. The numpy engine, one core: cases/s and its ratio to the SimPy engine, for the
   perfect player and for the default population of practitioners.
4. Cold runs of the command a user types, `escalate stress liverpool-lscb --jobs 2`
   (default population player), at 100,000 and 1,000,000 cases, SimPy and numpy engines:
   wall-clock seconds of a new process, imports and worker start-up included.

Timings on a shared 2-core machine are noisy: each figure is the best of --repeat runs.
The numpy engine is also timed in CPU seconds (`time.process_time`, which other processes'
load disturbs less than the wall clock) beside a control measured in the same run: a fixed
numpy workload of the same shape (elementwise maths and table lookups on 24,000-case
arrays), so a ratio to the control can be compared across runs on a loaded machine. The
load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import simpy

from scenarios.loader import get_policy
from sim.montecarlo import run_stress, run_task
from sim.race_model import CHUNK, compile_model
from sim.whatif import build_variants


def bare_simpy(cases: int, seed: int = 0) -> float:
    """Cases/s of the smallest honest stage race: 4 stages, a reply delay and a coin each."""
    rng = np.random.default_rng(seed)
    delays = (480 * np.exp(rng.standard_normal((cases, 4)))).tolist()
    coins = (rng.random((cases, 4)) < np.array([0.75, 0.6, 0.7, 1.0])).tolist()
    outcome = [0] * cases
    env = simpy.Environment()

    def case(i: int):
        yield env.timeout(i * 0.1)
        for stage in range(4):
            yield env.timeout(delays[i][stage])
            if coins[i][stage]:
                outcome[i] = stage + 1
                return

    began = time.perf_counter()
    for i in range(cases):
        env.process(case(i))
    env.run()
    return cases / (time.perf_counter() - began)


def full_simpy(cases: int, seed: int = 0) -> float:
    """Cases/s of the full SimPy model on one core (chunks played in this process)."""
    model = compile_model(get_policy("liverpool-lscb"), "perfect")
    chunks = [(c, CHUNK) for c in range(max(1, cases // CHUNK))]
    run_task([model], seed, chunks[:1], "simpy")  # warm the deadline caches
    began = time.perf_counter()
    run_task([model], seed, chunks, "simpy")
    return len(chunks) * CHUNK / (time.perf_counter() - began)


def runner(cases: int, jobs: int, engine: str = "simpy", player: str = "perfect") -> float:
    variants = build_variants(get_policy("liverpool-lscb"), [], None, None)
    return run_stress(variants, cases, seed=1, engine=engine, jobs=jobs, player=player,
                      keep_cases=False).cases_per_s


def cold(cases: int, engine: str, duty_cases: int = 0) -> tuple[float, float]:
    """Wall-clock seconds of a fresh `escalate stress --jobs 2` process, and the cases/s
    the command itself reports. The engines alone by default (``--duty-cases 0``); the
    every-dated-duty table's Session-played cases are timed on a line of their own."""
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "stress", "liverpool-lscb", "--jobs", "2",
         "--engine", engine, "--cases", str(cases), "--json",
         "--duty-cases", str(duty_cases)],
        capture_output=True, text=True, check=True)
    wall = time.perf_counter() - began
    return wall, json.loads(done.stdout)["cases_per_s"]


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def control(jobs: int) -> float:
    """Tasks/s of a pure-Python loop under joblib: the speed-up the machine allows now."""
    from joblib import Parallel, delayed

    began = time.perf_counter()
    Parallel(n_jobs=jobs)(delayed(_burn)(1_000_000) for _ in range(16))
    return 16 / (time.perf_counter() - began)


def fast_cpu(cases: int, player: str = "perfect") -> float:
    """Cases per CPU second of the numpy engine on one core (the runner, in process)."""
    variants = build_variants(get_policy("liverpool-lscb"), [], None, None)
    began = time.process_time()
    run_stress(variants, cases, seed=1, engine="fast", jobs=1, player=player,
               keep_cases=False)
    return cases / (time.process_time() - began)


def numpy_control(blocks: int = 20) -> float:
    """Blocks per CPU second of a fixed numpy workload shaped like one engine block: 150
    elementwise operations and 30 table lookups on arrays of 24,000 cases."""
    rng = np.random.default_rng(0)
    x, table = rng.uniform(0, 1e6, CHUNK * 10), rng.uniform(0, 1, 6000)
    began = time.process_time()
    for _ in range(blocks):
        y = x
        for _ in range(30):
            y = np.minimum(y * 1.0001, 2e6) + 1.0
            key = (y % 6000).astype(np.int64)
            y = np.where(y > 5e5, y, table[key]) - np.floor(y / 3.0)
    return blocks / (time.process_time() - began)


def best(repeat: int, measure, *args) -> float:
    return max(measure(*args) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=48_000)
    parser.add_argument("--fast-cases", type=int, default=2_400_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fast-only", action="store_true",
                        help="only the numpy engine lines and their control")
    args = parser.parse_args()
    if args.fast_only:
        return fast_only(args)

    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores)")
    bare = best(args.repeat, bare_simpy, args.cases)
    full = best(args.repeat, full_simpy, args.cases)
    print(f"SimPy engine, one core (Liverpool, perfect): {full:12,.0f} cases/s  (target 10,000)")
    print(f"bare SimPy stage race, same process:        {bare:12,.0f} cases/s")
    print(f"full model / bare SimPy:                    {full / bare:12.2f}")

    runner(4 * CHUNK, 2)  # start and warm the loky pool: time the work, not the spawning
    one = best(args.repeat, runner, 2 * args.cases, 1)
    two = best(args.repeat, runner, 2 * args.cases, 2)
    print(f"runner --jobs 1:                            {one:12,.0f} cases/s")
    print(f"runner --jobs 2:                            {two:12,.0f} cases/s")
    print(f"speed-up with 2 jobs:                       {two / one:12.2f}x  (target 1.7x)")
    allowed = best(args.repeat, control, 2) / best(args.repeat, control, 1)
    print(f"control: pure-Python loop, 2 jobs / 1 job:  {allowed:12.2f}x  "
          "(what the machine allows right now)")

    runner(CHUNK * 10, 1, "fast")
    fast = best(args.repeat, runner, args.fast_cases, 1, "fast")
    print(f"fast (numpy) engine, one core:              {fast:12,.0f} cases/s  "
          "(target 1,000,000)")
    print(f"fast engine / SimPy engine:                 {fast / full:12.1f}x")
    mixed = best(args.repeat, runner, args.fast_cases, 1, "fast", "population")
    print(f"fast engine, population of practitioners:   {mixed:12,.0f} cases/s  "
          "(target 1,000,000)")
    cpu = best(args.repeat, fast_cpu, args.fast_cases)
    ctrl = best(args.repeat, numpy_control)
    print(f"fast engine, CPU time, one core:            {cpu:12,.0f} cases/CPU s")
    print(f"numpy control (same run):                   {ctrl:12.1f} blocks/CPU s")
    print(f"fast engine / control:                      {cpu / ctrl:12,.0f} cases per "
          "control block")

    for engine in ("simpy", "fast"):
        for cases in (100_000, 1_000_000):
            wall, rate = cold(cases, engine)
            print(f"cold escalate stress --jobs 2 --engine {engine:5} {cases:>9,} cases: "
                  f"{wall:6.1f} s wall ({rate:,.0f} cases/s inside the run)")
    bare, _ = cold(100_000, "fast")
    table, _ = cold(100_000, "fast", 1_000)
    print(f"every-dated-duty table, 1,000 Session-played cases: {table - bare:6.1f} s "
          f"({1_000 / max(table - bare, 1e-9):,.0f} cases/s; the default of every run)")
    print(f"load average at end: {os.getloadavg()[0]:.2f} (2 cores)")


def fast_only(args: argparse.Namespace) -> None:
    """The numpy engine beside its control, quickly (to compare two versions of the code)."""
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores)")
    runner(CHUNK * 10, 1, "fast")
    fast = best(args.repeat, runner, args.fast_cases, 1, "fast")
    cpu = best(args.repeat, fast_cpu, args.fast_cases)
    ctrl = best(args.repeat, numpy_control)
    print(f"fast (numpy) engine, one core:              {fast:12,.0f} cases/s  "
          "(target 1,000,000)")
    print(f"fast engine, CPU time, one core:            {cpu:12,.0f} cases/CPU s")
    print(f"numpy control (same run):                   {ctrl:12.1f} blocks/CPU s")
    print(f"fast engine / control:                      {cpu / ctrl:12,.0f} cases per "
          "control block")
    print(f"load average at end: {os.getloadavg()[0]:.2f} (2 cores)")


if __name__ == "__main__":
    main()
