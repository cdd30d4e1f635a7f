"""`escalate stress --target`: the shortest timescale that meets a target, by search.

A target names a metric, a comparison and a share: ``stage2.breach<=0.10`` (or
``breach.stage2<=0.10``, ``resolved_by_final_deadline>=0.9``). The searched parameter is
a numeric policy path — by default the deadline of the stage the metric names (its ``day``
or ``within``), which is also the deadline of the stage's last step. Every candidate
value plays the *same* cases (common random numbers), so the metric is monotone in the
value up to the rare case whose path changes; the search is a bisection on a grid.

Three answers come out of one search, each the smallest grid value at which:

* ``value``  — the estimate meets the target;
* ``low``    — the optimistic end of the 95% CI meets it (the timescale cannot be shorter);
* ``high``   — the pessimistic end meets it (this timescale meets it with 95% confidence).

``[low, high]`` is the confidence interval of the shortest timescale.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from scenarios.policy_schema import Policy
from sim.metrics import Metric
from sim.race_model import RunParams
from sim.whatif import WhatIfError, apply, build_variants

OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}
_PATTERN = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(<=|>=|<|>)\s*([0-9.]+%?)\s*$")


@dataclass(frozen=True)
class Target:
    metric: str  # a metric name, e.g. breach.stage2
    op: str
    value: float
    stage: str | None = None  # the stage whose deadline is searched by default

    def met(self, x: float) -> bool:
        return not math.isnan(x) and OPS[self.op](x, self.value)

    @property
    def text(self) -> str:
        return f"{self.metric} {self.op} {self.value:.0%}"


def parse_target(text: str, policy: Policy) -> Target:
    """``stage2.breach<=0.10``, ``breach.stage2<=10%``; a one-line WhatIfError if bad."""
    match = _PATTERN.match(text)
    if not match:
        raise WhatIfError(f"--target expects METRIC<=SHARE such as 'stage2.breach<=0.10', "
                          f"got {text!r}")
    name, op, raw = match.groups()
    value = float(raw.rstrip("%")) / (100 if raw.endswith("%") else 1)
    if not 0 <= value <= 1:
        raise WhatIfError(f"--target share must be between 0 and 1 (or 0–100%), got {raw}")
    stages = {s.id for s in policy.stages}
    first, _, rest = name.partition(".")
    if first in stages and rest:  # stage2.breach -> breach.stage2
        name = f"{rest}.{first}"
    _kind, _, stage = name.partition(".")
    if stage not in stages and name != "resolved_by_final_deadline":
        raise WhatIfError(f"--target metric {name!r} is not a stage share (e.g. "
                          f"breach.stage2, resolved.stage1, resolved_by_final_deadline)")
    return Target(name, op, value, stage if stage in stages else None)


def default_path(policy: Policy, target: Target) -> str:
    """The deadline amount of the stage the target names (or of the last stage)."""
    stage = policy.stage(target.stage) if target.stage else policy.stages[-1]
    if stage.deadline is None:
        raise WhatIfError(f"stage {stage.id} has no deadline to search; give --target-path")
    field_name = "day" if stage.deadline.day is not None else "within"
    if getattr(stage.deadline, field_name) is None:
        raise WhatIfError(f"stage {stage.id}'s deadline has no number to search; "
                          "give --target-path")
    return f"stages.{stage.id}.deadline.{field_name}"


@dataclass
class Probe:
    value: float
    metric: Metric


@dataclass
class SearchResult:
    target: Target
    path: str
    grid: tuple[float, float, float]  # lo, hi, step
    value: float | None  # shortest grid value whose estimate meets the target
    low: float | None  # ... whose optimistic CI end meets it
    high: float | None  # ... whose pessimistic CI end meets it
    probes: list[Probe] = field(default_factory=list)
    unit: str | None = None  # the searched deadline's unit ("working_days"), if it has one

    def at(self, value: float | None) -> Metric | None:
        return next((p.metric for p in self.probes if p.value == value), None)

    def to_dict(self) -> dict:
        at = self.at(self.value)
        return {"target": self.target.text, "metric": self.target.metric,
                "op": self.target.op, "share": self.target.value, "path": self.path,
                "grid": list(self.grid), "value": self.value, "ci_low": self.low,
                "ci_high": self.high, "at_value": at.to_dict() if at else None,
                "probes": [{"value": p.value, **p.metric.to_dict()} for p in self.probes]}


def search(policy: Policy, target: Target, evaluate: Callable[[list], list[Metric]],
           path: str | None = None, lo: float | None = None, hi: float | None = None,
           step: float = 1.0, run: RunParams | None = None,
           sets: list[str] | None = None) -> SearchResult:
    """Bisect the grid lo, lo+step, …, hi for the three shortest values (see module).

    ``evaluate(variants)`` plays variants on the same cases and returns their metrics.
    """
    path = path or default_path(policy, target)
    current = current_value(policy, run, path)
    lo = lo if lo is not None else step
    hi = hi if hi is not None else max(current * 3, current + 10 * step)
    if hi < lo or step <= 0:
        raise WhatIfError("--target range needs LO <= HI and a positive step")
    count = math.floor((hi - lo) / step + 1e-9) + 1
    grid = [round(lo + i * step, 10) for i in range(count)]
    cache: dict[float, Metric] = {}

    def probe(value: float) -> Metric:
        if value not in cache:
            sweep_sets = [*(sets or []), f"{path}={value:g}"]
            variants = build_variants(policy, sweep_sets, None, None, run)
            metric = next(m for m in evaluate(variants) if m.name == target.metric)
            cache[value] = metric
        return cache[value]

    def shortest(key: Callable[[Metric], float]) -> float | None:
        if not target.met(key(probe(grid[-1]))):
            return None
        a, b = 0, len(grid) - 1  # grid[b] meets; find the first index that meets
        if target.met(key(probe(grid[0]))):
            return grid[0]
        while b - a > 1:
            mid = (a + b) // 2
            if target.met(key(probe(grid[mid]))):
                b = mid
            else:
                a = mid
        return grid[b]

    less = target.op in ("<=", "<")
    value = shortest(lambda m: m.mean)
    optimistic = shortest(lambda m: m.ci_low if less else m.ci_high)
    pessimistic = shortest(lambda m: m.ci_high if less else m.ci_low)
    probes = [Probe(v, cache[v]) for v in sorted(cache)]
    return SearchResult(target, path, (lo, hi, step), value, optimistic, pessimistic, probes,
                        _unit(policy, path))


def _unit(policy: Policy, path: str) -> str | None:
    """The unit of a searched ``stages.<id>.deadline.within`` (None for anything else)."""
    parts = path.split(".")
    if len(parts) == 4 and parts[0] == "stages" and parts[2:] == ["deadline", "within"]:
        stage = next((s for s in policy.stages if s.id == parts[1]), None)
        if stage is not None and stage.deadline is not None:
            return stage.deadline.unit
    return None


def current_value(policy: Policy, run: RunParams | None, path: str) -> float:
    """The parameter's present value (checks the path as a side effect)."""
    parts = path.split(".")
    node: object = policy.model_dump(mode="python")
    apply(policy, run or RunParams(), path, 1.0)  # raises WhatIfError for a bad path
    i = 0
    while i < len(parts):
        for used in range(len(parts) - i, 0, -1):
            name = ".".join(parts[i:i + used])
            if isinstance(node, dict) and name in node:
                node, i = node[name], i + used
                break
            if isinstance(node, list):
                item = next((x for x in node if isinstance(x, dict) and x.get("id") == name),
                            None)
                if item is not None:
                    node, i = item, i + used
                    break
        else:
            return 1.0
    return float(node) if isinstance(node, int | float) else 1.0
