"""What-if variants: change any numeric policy or run parameter by its dotted path.

Paths walk the policy as YAML spells it. Lists are selected by id (ids may contain dots:
``roles.cs.team_manager.capacity``) or by index; maps by key (``behaviour.resolve_chance
.stage2``, or a step id). ``run.*`` addresses the stress run itself (``run.cases_per_year``,
``run.horizon_days``). Every change is re-validated through the pydantic `Policy`, so a
wrong path or value becomes one `WhatIfError` line, never a traceback.

A policy file writes each deadline once (`escalate check` refuses a step deadline that
repeats its stage's), and a stage's last step is held to the stage's deadline
(`sim.verdicts.governing`), so moving a stage's deadline moves that step's too. A policy
built in code without the check may still repeat it: the copy is moved with the stage's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from pydantic import ValidationError

from scenarios.policy_schema import Policy
from sim.deadlines import with_reading
from sim.population import SETTABLE, MixError, normalise
from sim.race_model import RunParams

MAX_SWEEP_VALUES = 50
OPEN_MAPS = {("behaviour", "resolve_chance"), ("behaviour", "category_factor")}


class WhatIfError(ValueError):
    """A bad --set/--sweep: the message is one line for the user."""


@dataclass
class Variant:
    label: str
    policy: Policy
    run: RunParams
    settings: dict[str, float] = field(default_factory=dict)
    swept: float | None = None
    mix: dict[str, float] | None = None  # population shares (player "population")


def parse_assignment(text: str) -> tuple[str, float]:
    path, sep, value = text.partition("=")
    if not sep or not path.strip() or not value.strip():
        raise WhatIfError(f"--set expects PATH=VALUE, got {text!r}")
    return path.strip(), _number(value, text)


def parse_sweep(text: str) -> tuple[str, list[float]]:
    """``PATH=START:STOP:STEP``, both ends included."""
    path, sep, spec = text.partition("=")
    parts = spec.split(":")
    if not sep or not path.strip() or len(parts) != 3:
        raise WhatIfError(f"--sweep expects PATH=START:STOP:STEP, got {text!r}")
    start, stop, step = (_number(p, text) for p in parts)
    if step <= 0:
        raise WhatIfError(f"--sweep step must be positive, got {text!r}")
    if stop < start:
        raise WhatIfError(f"--sweep STOP must not be below START, got {text!r}")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > MAX_SWEEP_VALUES:
        raise WhatIfError(f"--sweep gives {count} values; at most {MAX_SWEEP_VALUES}")
    return path.strip(), [round(start + i * step, 10) for i in range(count)]


def _number(text: str, whole: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise WhatIfError(f"expected a number in {whole!r}, got {text.strip()!r}") from None
    if not math.isfinite(value):
        raise WhatIfError(f"expected a finite number in {whole!r}")
    return value


def apply(policy: Policy, run: RunParams, path: str, value: float) -> tuple[Policy, RunParams]:
    """The policy and run with one numeric parameter changed, validated."""
    parts = path.split(".")
    if parts[0] == "run":
        return policy, _apply_run(run, parts[1:], path, value)
    data = policy.model_dump(mode="python")
    container, key, where = _locate(data, parts, path)
    old = container[key]
    new = _coerce(old, value, path)
    container[key] = new
    if len(where) == 4 and where[0] == "stages" and where[2] == "deadline":
        _move_linked(data, where[1], where[3], old, new)
    _check_maps(policy, data, path)
    try:
        return Policy.model_validate(data), run
    except ValidationError as exc:
        error = exc.errors()[0]
        raise WhatIfError(f"{path}={value:g}: {error['msg']}") from None


def _apply_run(run: RunParams, parts: list[str], path: str, value: float) -> RunParams:
    names = {f.name: f for f in fields(RunParams)}
    if len(parts) != 1 or parts[0] not in names:
        raise WhatIfError(f"unknown path '{path}' (run parameters: "
                          f"{', '.join('run.' + n for n in names)})")
    new = replace(run, **{parts[0]: _coerce(getattr(run, parts[0]), value, path)})
    try:
        new.check()
    except ValueError as exc:
        raise WhatIfError(str(exc)) from None
    return new


def _locate(data: Any, parts: list[str], path: str) -> tuple[Any, Any, list[Any]]:
    """The container and key a path points at; ``where`` is the path with ids resolved."""
    node, i, where = data, 0, []
    trail: list[str] = []
    while True:
        key, used = _select(node, parts[i:], tuple(trail))
        if key is None:
            here = ".".join(parts[: i + 1])
            raise WhatIfError(f"unknown path '{path}': nothing at '{here}'"
                              f"{_known(node)}")
        where.append(node[key]["id"] if isinstance(node, list) and
                     isinstance(node[key], dict) and "id" in node[key] else key)
        trail.append(str(where[-1]))
        i += used
        if i >= len(parts):
            return node, key, where
        node = node[key]
        if not isinstance(node, dict | list):
            raise WhatIfError(f"unknown path '{path}': '{'.'.join(parts[:i])}' has no fields")


def _select(node: Any, rest: list[str], trail: tuple[str, ...]) -> tuple[Any, int]:
    """Match the longest run of path parts to a key or list id (ids may contain dots)."""
    if isinstance(node, dict) and trail in OPEN_MAPS:
        node.setdefault(".".join(rest), None)
        return ".".join(rest), len(rest)
    for used in range(len(rest), 0, -1):
        name = ".".join(rest[:used])
        if isinstance(node, dict) and name in node:
            return name, used
        if isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, dict) and item.get("id") == name:
                    return index, used
    if isinstance(node, list) and rest[0].isdigit() and int(rest[0]) < len(node):
        return int(rest[0]), 1
    return None, 0


def _known(node: Any) -> str:
    if isinstance(node, dict):
        names = list(node)
    elif isinstance(node, list):
        names = [str(item.get("id")) for item in node if isinstance(item, dict)]
    else:
        return ""
    shown = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
    return f" (expected one of: {shown})" if names else ""


def _coerce(old: Any, value: float, path: str) -> Any:
    if isinstance(old, bool) or not (old is None or isinstance(old, int | float)):
        kinds = {dict: "a group of fields", list: "a list", str: "text"}
        kind = kinds.get(type(old), "not a number")
        raise WhatIfError(f"'{path}' is not a numeric parameter (it is {kind})")
    if isinstance(old, int):
        if value != int(value):
            raise WhatIfError(f"'{path}' takes a whole number, got {value:g}")
        return int(value)
    return float(value)


def _move_linked(data: dict, stage_id: str, name: str, old: Any, new: Any) -> None:
    stage = next(s for s in data["stages"] if s["id"] == stage_id)
    for step in stage["steps"]:
        deadline = step.get("deadline")
        if deadline is not None and deadline.get(name) == old and _same(deadline, stage):
            deadline[name] = new


def _same(deadline: dict, stage: dict) -> bool:
    """A step deadline written as the stage's (ignoring the field being moved)."""
    keys = ("unit", "after", "asap")
    return all(deadline.get(k) == stage["deadline"].get(k) for k in keys)


def _check_maps(policy: Policy, data: dict, path: str) -> None:
    behaviour = data["behaviour"]
    ids = {s.id for s in policy.stages} | {step.id for _, step in policy.steps()}
    for key, chance in behaviour["resolve_chance"].items():
        if key not in ids:
            raise WhatIfError(f"unknown path '{path}': '{key}' is not a stage or step id")
        if chance is None or not 0 <= chance <= 1:
            raise WhatIfError(f"{path}: a resolution chance must be between 0 and 1")
    categories = {c.id for c in policy.categories}
    for key, factor in behaviour["category_factor"].items():
        if key not in categories:
            raise WhatIfError(f"unknown path '{path}': '{key}' is not a category id")
        if factor is None or factor < 0:
            raise WhatIfError(f"{path}: a category factor must be 0 or more")


def _apply_mix(mix: dict[str, float], path: str, value: float) -> dict[str, float]:
    """``population.prompt`` / ``population.stretched``; typical is the remainder."""
    name = path.split(".", 1)[1] if "." in path else ""
    if name == "typical":
        raise WhatIfError("population.typical is the remainder (1 - prompt - stretched); "
                          "set population.prompt or population.stretched")
    if name not in SETTABLE:
        raise WhatIfError(f"unknown path '{path}' (population shares: population.prompt, "
                          "population.stretched)")
    try:
        return normalise({**mix, name: value})
    except MixError as exc:
        raise WhatIfError(str(exc)) from None


def build_variants(policy: Policy, sets: list[str], sweep: str | None,
                   reading: str | None, run: RunParams | None = None) -> list[Variant]:
    """The variants of one stress run: --set on all, then one per reading × swept value."""
    run = run or RunParams()
    settings: dict[str, float] = {}
    mix = normalise({})
    for text in sets:
        path, value = parse_assignment(text)
        if path.split(".")[0] == "population":
            mix = _apply_mix(mix, path, value)
        else:
            policy, run = apply(policy, run, path, value)
        settings[path] = value
    readings = {"working": ["working_days"], "calendar": ["calendar_days"],
                "both": ["working_days", "calendar_days"]}.get(reading or "", [None])
    sweep_path, values = parse_sweep(sweep) if sweep else (None, [None])
    variants = []
    for unit in readings:
        base = with_reading(policy, unit) if unit else policy
        for value in values:
            varied, varied_run, varied_mix, label = base, run, mix, "base"
            if sweep_path is not None and value is not None:
                if sweep_path.split(".")[0] == "population":
                    varied_mix = _apply_mix(mix, sweep_path, value)
                else:
                    varied, varied_run = apply(base, run, sweep_path, value)
                label = f"{sweep_path}={value:g}"
            if reading == "both":
                label = unit if label == "base" else f"{unit} {label}"
            variants.append(Variant(label, varied, varied_run, dict(settings), value,
                                    dict(varied_mix)))
    return variants
