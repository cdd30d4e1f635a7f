"""The stress runner: fixed-size chunks, joblib (loky or Dask), metrics per variant.

Case i always lives in chunk i // CHUNK with draws from SeedSequence(seed, spawn_key=
(chunk,)). Each task returns, per variant, a `Tally` (counts, sums, a histogram) and —
only when asked — its per-case results; tallies are merged in chunk order, so the metrics
are identical for any --jobs and on a Dask cluster, and memory stays flat however many
cases run. Every task plays all variants on the same draws (common random numbers).
Dask runs through joblib's dask backend: one code path.

``player="population"`` plays each case with one practitioner type of a mix
(`sim.population`) instead of one scripted player.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from sim.calendar import WorkingCalendar
from sim.metrics import Metric, Tally
from sim.population import DEFAULT_MIX, PLAYER_OF, TYPES, Mix, assign, scatter, type_uniforms
from sim.race_model import (
    CHUNK,
    ChunkResult,
    RaceModel,
    compile_model,
    prepare,
    raw_draws,
    task_draws,
)
from sim.whatif import Variant

ENGINES = ("simpy", "fast")
PLAYERS = ("population", "perfect", "late", "passive")
KEEP_CASES_LIMIT = 1_000_000  # per-case results are kept up to this many cases × variants
FAST_BLOCK = 10  # chunks per task for the numpy engine (24,000 cases: arrays stay in cache)
Task = list[tuple[int, int]]  # (chunk index, cases used from it)


@dataclass
class StressRun:
    variants: list[Variant]
    models: list[RaceModel]  # one per variant (a population's first model)
    results: list[ChunkResult] | None  # per-case results, when kept (see keep_cases)
    metrics: list[Metric]
    cases: int
    seed: int
    engine: str
    player: str
    jobs: int
    elapsed_s: float
    tallies: list[Tally] | None = None
    mixes: list[dict[str, float]] | None = None  # population shares per variant

    def season(self) -> list[Metric]:
        """Breach shares by start month, every variant (not part of `metrics`)."""
        labels = [v.label for v in self.variants] if len(self.variants) > 1 else [None]
        return [m for model, tally, label in zip(self.models, self.tallies or [], labels,
                                                 strict=False)
                for m in tally.season(model, label)]

    @property
    def cases_per_s(self) -> float:
        return self.cases * len(self.variants) / self.elapsed_s if self.elapsed_s else math.inf


def plan(cases: int, engine: str) -> list[Task]:
    """Chunks grouped into tasks; grouping never changes a case's draws or its result."""
    chunks = [(c, min(CHUNK, cases - c * CHUNK)) for c in range(math.ceil(cases / CHUNK))]
    size = FAST_BLOCK if engine == "fast" else 1
    return [chunks[i:i + size] for i in range(0, len(chunks), size)]


def run_task(models: list[RaceModel | Mix], seed: int, task: Task, engine: str
             ) -> list[ChunkResult]:
    """Play the task's chunks under every variant; one result per variant."""
    return _run_task(models, seed, task, engine)[0]


@functools.cache
def _month_of_day(start_year: int) -> np.ndarray:
    """Month (1–12) of each working-day index of ``model.start_midnights``' year."""
    days = [date(start_year, 1, 1) + timedelta(d) for d in range(366)]
    return np.array([d.month for d in days if d.year == start_year], dtype=np.int64)


def start_months(model: RaceModel, u: np.ndarray) -> np.ndarray:
    """The month each case starts in, from its first uniform (as `prepare` picks the day)."""
    days = model.start_midnights
    index = np.minimum((u[:, 0] * len(days)).astype(np.int64), len(days) - 1)
    epoch = WorkingCalendar.EPOCH.toordinal()
    first = date(model.run.start_year, 1, 1).toordinal() - epoch
    return _month_of_day(model.run.start_year)[(days[index] // 1440).astype(np.int64) - first]


def _run_task(models: list[RaceModel | Mix], seed: int, task: Task, engine: str
              ) -> tuple[list[ChunkResult], list[np.ndarray]]:
    """Results per variant, and each variant's start month per case."""
    k_steps = models[0].n_steps
    mixed = any(isinstance(m, Mix) for m in models)
    if engine == "fast":
        u, z = task_draws(seed, task, k_steps)
        ut = (np.concatenate([type_uniforms(seed, c)[:n] for c, n in task]) if mixed
              else None)
        return ([_play(m, u, z, ut, engine) for m in models],
                [start_months(_first(m), u) for m in models])
    parts: list[list[ChunkResult]] = [[] for _ in models]
    months: list[list[np.ndarray]] = [[] for _ in models]
    for chunk, n in task:
        u, z = raw_draws(seed, chunk, k_steps)
        u, z = u[:n], z[:n]
        ut = type_uniforms(seed, chunk)[:n] if mixed else None
        for v, model in enumerate(models):
            parts[v].append(_play(model, u, z, ut, engine))
            months[v].append(start_months(_first(model), u))
    return ([ChunkResult.concat(p) for p in parts],
            [np.concatenate(m) for m in months])


def _play(model: RaceModel | Mix, u: np.ndarray, z: np.ndarray, ut: np.ndarray | None,
          engine: str) -> ChunkResult:
    """One variant on some cases' draws; a population splits them by practitioner type."""
    if isinstance(model, Mix):
        kinds = assign(model.shares, ut)
        parts = []
        for t, sub in enumerate(model.models):
            rows = np.flatnonzero(kinds == t)
            if rows.size:
                parts.append((rows, _play(sub, u[rows], z[rows], None, engine)))
        first = model.model
        return scatter(parts, len(u), len(first.stages), len(first.roles), len(first.items))
    if engine == "fast":
        from sim.fast_race import run_block

        return run_block(model, prepare(model, u, z, len(u), lazy=True), verdicts=False)
    from sim.race import run_chunk

    return run_chunk(model, prepare(model, u, z, len(u)), verdicts=False)


def run_task_tallied(models: list[RaceModel | Mix], seed: int, task: Task, engine: str,
                     keep: bool) -> tuple[list[Tally], list[ChunkResult] | None]:
    """`run_task` reduced to a tally per variant; per-case results only when ``keep``."""
    results, months = _run_task(models, seed, task, engine)
    tallies = [Tally.of(_first(m), r, mo)
               for m, r, mo in zip(models, results, months, strict=True)]
    return tallies, (results if keep else None)


def _first(model: RaceModel | Mix) -> RaceModel:
    return model.model if isinstance(model, Mix) else model


def compile_variant(variant: Variant, player: str) -> RaceModel | Mix:
    """A variant's model, or one model per practitioner type for a population."""
    if player == "population":
        shares = variant.mix or dict(DEFAULT_MIX)
        return Mix(shares, [compile_model(variant.policy, PLAYER_OF[t], variant.run)
                            for t in TYPES])
    return compile_model(variant.policy, player, variant.run)


def run_stress(variants: list[Variant], cases: int, seed: int, *, engine: str = "simpy",
               player: str = "perfect", jobs: int = 1, scheduler: str | None = None,
               progress: Callable[[int], None] | None = None,
               keep_cases: bool | None = None) -> StressRun:
    """Run every variant on the same cases and return results with metrics.

    ``keep_cases`` keeps per-case results (tests, plots of a small run); by default they
    are kept up to `KEEP_CASES_LIMIT` cases × variants, and metrics always come from
    streamed tallies.
    """
    if cases < 1:
        raise ValueError(f"cases must be at least 1, got {cases}")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if player not in PLAYERS:
        raise ValueError(f"unknown player {player!r}; expected one of {', '.join(PLAYERS)}")
    if keep_cases is None:
        keep_cases = cases * len(variants) <= KEEP_CASES_LIMIT
    began = time.perf_counter()
    compiled = [compile_variant(v, player) for v in variants]
    models = [_first(m) for m in compiled]
    tasks = plan(cases, engine)
    tallies, kept = _execute(compiled, seed, tasks, engine, jobs, scheduler, progress,
                             keep_cases)
    labels = [v.label for v in variants] if len(variants) > 1 else [None]
    metrics = [metric for model, tally, label in zip(models, tallies, labels, strict=True)
               for metric in tally.metrics(model, label)]
    results = ([ChunkResult.concat([t[v] for t in kept]) for v in range(len(models))]
               if keep_cases else None)
    elapsed = time.perf_counter() - began
    mixes = [m.shares for m in compiled] if player == "population" else None
    return StressRun(variants, models, results, metrics, cases, seed, engine, player, jobs,
                     elapsed, tallies, mixes)


def _execute(models: list[RaceModel | Mix], seed: int, tasks: list[Task], engine: str,
             jobs: int, scheduler: str | None, progress: Callable[[int], None] | None,
             keep: bool) -> tuple[list[Tally], list[list[ChunkResult]]]:
    """Run the tasks and merge their tallies in task order as they arrive (flat memory)."""
    from joblib import Parallel, delayed, parallel_config

    calls = (delayed(run_task_tallied)(models, seed, task, engine, keep) for task in tasks)
    tallies: list[Tally] | None = None
    kept: list[list[ChunkResult]] = []
    client = None
    if scheduler:
        from distributed import Client

        client = Client(scheduler, timeout="10s")
    try:
        backend = "dask" if client is not None else ("loky" if jobs > 1 else "sequential")
        n_jobs = -1 if client is not None else jobs
        with parallel_config(backend=backend, n_jobs=n_jobs):
            for task, (part, results) in zip(tasks, Parallel(return_as="generator")(calls),
                                             strict=True):
                tallies = part if tallies is None else [
                    a.merge(b) for a, b in zip(tallies, part, strict=True)]
                if results is not None:
                    kept.append(results)
                if progress is not None:
                    progress(sum(n for _, n in task))
    finally:
        if client is not None:
            client.close()
    assert tallies is not None
    return tallies, kept
