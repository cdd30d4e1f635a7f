"""The stress runner: fixed-size chunks, joblib (loky or Dask), metrics per variant.

Case i always lives in chunk i // CHUNK with draws from SeedSequence(seed, spawn_key=
(chunk,)), and results are concatenated in chunk order, so the metrics are identical for
any --jobs and on a Dask cluster. Every task plays all variants on the same draws
(common random numbers). Dask runs through joblib's dask backend: one code path.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.metrics import Metric, compute
from sim.race_model import CHUNK, ChunkResult, RaceModel, compile_model, prepare, raw_draws
from sim.whatif import Variant

ENGINES = ("simpy", "fast")
FAST_BLOCK = 10  # chunks per task for the numpy engine (24,000 cases: arrays stay in cache)
Task = list[tuple[int, int]]  # (chunk index, cases used from it)


@dataclass
class StressRun:
    variants: list[Variant]
    models: list[RaceModel]
    results: list[ChunkResult]
    metrics: list[Metric]
    cases: int
    seed: int
    engine: str
    player: str
    jobs: int
    elapsed_s: float

    @property
    def cases_per_s(self) -> float:
        return self.cases * len(self.variants) / self.elapsed_s if self.elapsed_s else math.inf


def plan(cases: int, engine: str) -> list[Task]:
    """Chunks grouped into tasks; grouping never changes a case's draws or its result."""
    chunks = [(c, min(CHUNK, cases - c * CHUNK)) for c in range(math.ceil(cases / CHUNK))]
    size = FAST_BLOCK if engine == "fast" else 1
    return [chunks[i:i + size] for i in range(0, len(chunks), size)]


def run_task(models: list[RaceModel], seed: int, task: Task, engine: str) -> list[ChunkResult]:
    """Play the task's chunks under every variant; one result per variant."""
    k_steps = models[0].n_steps
    if engine == "fast":
        from sim.fast_race import run_block

        raws = [raw_draws(seed, c, k_steps) for c, _ in task]
        u = np.concatenate([r[0][:n] for r, (_, n) in zip(raws, task, strict=True)])
        z = np.concatenate([r[1][:n] for r, (_, n) in zip(raws, task, strict=True)])
        return [run_block(m, prepare(m, u, z, len(u), lazy=True)) for m in models]
    from sim.race import run_chunk

    parts: list[list[ChunkResult]] = [[] for _ in models]
    for chunk, n in task:
        u, z = raw_draws(seed, chunk, k_steps)
        for v, model in enumerate(models):
            parts[v].append(run_chunk(model, prepare(model, u, z, n)))
    return [ChunkResult.concat(p) for p in parts]


def run_stress(variants: list[Variant], cases: int, seed: int, *, engine: str = "simpy",
               player: str = "perfect", jobs: int = 1, scheduler: str | None = None,
               progress: Callable[[int], None] | None = None) -> StressRun:
    """Run every variant on the same cases and return results with metrics."""
    if cases < 1:
        raise ValueError(f"cases must be at least 1, got {cases}")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    began = time.perf_counter()
    models = [compile_model(v.policy, player, v.run) for v in variants]
    tasks = plan(cases, engine)
    per_task = _execute(models, seed, tasks, engine, jobs, scheduler, progress)
    results = [ChunkResult.concat([t[v] for t in per_task]) for v in range(len(models))]
    labels = [v.label for v in variants] if len(variants) > 1 else [None]
    metrics = [metric for model, result, label in zip(models, results, labels, strict=True)
               for metric in compute(model, result, label)]
    elapsed = time.perf_counter() - began
    return StressRun(variants, models, results, metrics, cases, seed, engine, player, jobs,
                     elapsed)


def _execute(models: list[RaceModel], seed: int, tasks: list[Task], engine: str, jobs: int,
             scheduler: str | None, progress: Callable[[int], None] | None
             ) -> list[list[ChunkResult]]:
    from joblib import Parallel, delayed, parallel_config

    calls = (delayed(run_task)(models, seed, task, engine) for task in tasks)
    out: list[list[ChunkResult]] = []
    client = None
    if scheduler:
        from distributed import Client

        client = Client(scheduler, timeout="10s")
    try:
        backend = "dask" if client is not None else ("loky" if jobs > 1 else "sequential")
        n_jobs = -1 if client is not None else jobs
        with parallel_config(backend=backend, n_jobs=n_jobs):
            for task, result in zip(tasks, Parallel(return_as="generator")(calls), strict=True):
                out.append(result)
                if progress is not None:
                    progress(sum(n for _, n in task))
    finally:
        if client is not None:
            client.close()
    return out
