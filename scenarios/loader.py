"""Load policies and scenarios from YAML into validated models.

The only exception that leaves this module is `LoadError`, whose problems each name the
file, the line and column, the field path and what was expected.
"""

from __future__ import annotations

import functools
import typing
from pathlib import Path as FsPath
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from scenarios.checks import check_policy, check_scenario
from scenarios.policy_schema import Policy
from scenarios.scenario_schema import Scenario
from scenarios.yaml_source import LoadError, Path, Problem, SourceMap, parse

PACKAGE_DIR = FsPath(__file__).resolve().parent
POLICY_DIR = PACKAGE_DIR / "policies"
LIBRARY_DIR = PACKAGE_DIR / "library"
SOURCES_DIR = PACKAGE_DIR / "sources"

M = TypeVar("M", bound=BaseModel)


def _read(path: FsPath) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LoadError([Problem(str(path), None, None, "(file)", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError([Problem(str(path), None, None, "(file)", f"cannot read: {exc}")]) from None


def _validate(model: type[M], data: Any, source: SourceMap) -> M:
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise LoadError([source.problem((), f"expected a mapping of fields, found {kind}")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise LoadError([_explain(model, error, source) for error in exc.errors()]) from None


def _explain(model: type[BaseModel], error: Any, source: SourceMap) -> Problem:
    loc = _clean_loc(error["loc"])
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        message = f"unknown key '{loc[-1]}'"
        if allowed:
            message += f" (expected one of: {', '.join(allowed)})"
    elif error["type"] == "missing":
        message = f"required field '{loc[-1]}' is missing"
    elif "input" in error and not isinstance(error["input"], dict | list):
        message += f" (got {error['input']!r})"
    return source.problem(loc, message)


def _clean_loc(loc: tuple[Any, ...]) -> Path:
    """Drop pydantic's union/validator tags so the path matches the YAML."""
    return tuple(p for p in loc if isinstance(p, int) or not any(c in p for c in "[]()-"))


def _fields_at(model: type[BaseModel], loc: Path) -> list[str]:
    """Names of the fields allowed at a path, to suggest when a key is unknown."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[-1] if args else None
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            current = field.annotation if field else None
        else:
            args = typing.get_args(current)
            current = args[-1] if args else None
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """Optional[X] → X, so lookups see the model inside."""
    args = typing.get_args(annotation)
    models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
    if models and typing.get_origin(annotation) not in (list, dict):
        return models[0]
    return annotation


def _raise_findings(findings: list[tuple[Path, str]], source: SourceMap) -> None:
    if findings:
        raise LoadError([source.problem(path, message) for path, message in findings])


def load_policy(path: str | FsPath) -> Policy:
    path = FsPath(path)
    data, source = parse(_read(path), str(path))
    policy = _validate(Policy, data, source)
    _raise_findings(check_policy(policy), source)
    return policy


def load_scenario(path: str | FsPath) -> Scenario:
    path = FsPath(path)
    data, source = parse(_read(path), str(path))
    scenario = _validate(Scenario, data, source)
    try:
        policy = get_policy(scenario.policy)
    except KeyError:
        known = ", ".join(sorted(bundled_policies()))
        message = f"unknown policy '{scenario.policy}' (expected one of: {known})"
        raise LoadError([source.problem(("policy",), message)]) from None
    _raise_findings(check_scenario(scenario, policy), source)
    return scenario


def load_any(path: str | FsPath) -> Policy | Scenario:
    """Load a file as a scenario if it names a seat, otherwise as a policy."""
    path = FsPath(path)
    data, _source = parse(_read(path), str(path))
    if isinstance(data, dict) and "seat" in data:
        return load_scenario(path)
    return load_policy(path)


@functools.cache
def bundled_policies() -> dict[str, Policy]:
    policies = [load_policy(p) for p in sorted(POLICY_DIR.glob("*.yaml"))]
    return {p.id: p for p in policies}


@functools.cache
def bundled_scenarios() -> dict[str, Scenario]:
    scenarios = [load_scenario(p) for p in sorted(LIBRARY_DIR.glob("*.yaml"))]
    return {s.id: s for s in scenarios}


def get_policy(policy_id: str) -> Policy:
    """A bundled policy by id (KeyError when unknown)."""
    return bundled_policies()[policy_id]


def get_scenario(scenario_id: str) -> Scenario:
    return bundled_scenarios()[scenario_id]


def resolve_policy(ref: str) -> Policy:
    """A policy by bundled id or by path to a YAML file."""
    if ref in bundled_policies():
        return bundled_policies()[ref]
    return load_policy(ref)


def source_text(policy: Policy) -> str:
    """The bundled copy of the policy's source document (``sources/<policy id>.txt``)."""
    return (SOURCES_DIR / f"{policy.id}.txt").read_text(encoding="utf-8")
