"""Load policies and scenarios from YAML into validated models.

The only exception that leaves this module is `LoadError`, whose problems each name the
file, the line and column, the field path and what was expected.
"""

from __future__ import annotations

import functools
import stat
import typing
from pathlib import Path as FsPath
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from scenarios.catalogue import LIBRARY_DIR, PACKAGE_DIR, POLICY_DIR
from scenarios.checks import check_policy, check_scenario
from scenarios.citations import plain
from scenarios.policy_schema import Policy
from scenarios.scenario_schema import Scenario
from scenarios.yaml_source import MAX_CHARS, LoadError, Path, Problem, SourceMap, parse

SOURCES_DIR = PACKAGE_DIR / "sources"

M = TypeVar("M", bound=BaseModel)


def _read(path: FsPath) -> str:
    """The file's text: at most `MAX_CHARS` bytes are read (``/dev/zero`` ends too), and
    bytes that are not UTF-8 are reported at their line and column."""
    name = str(path)
    try:
        if stat.S_ISFIFO(path.stat().st_mode) or stat.S_ISSOCK(path.stat().st_mode):
            message = "not a file (a pipe or socket would block the reader)"
            raise LoadError([Problem(name, None, None, "(file)", message)])
        with path.open("rb") as handle:
            raw = handle.read(MAX_CHARS + 1)
    except FileNotFoundError:
        raise LoadError([Problem(name, None, None, "(file)", "no such file")]) from None
    except OSError as exc:
        message = f"cannot read: {exc.strerror or exc}"
        raise LoadError([Problem(name, None, None, "(file)", message)]) from None
    if len(raw) > MAX_CHARS:
        message = f"the file is too long (over {MAX_CHARS:,} bytes)"
        raise LoadError([Problem(name, None, None, "(file)", message)])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        message = f"cannot read byte 0x{raw[exc.start]:02x} as UTF-8 text (save the file as UTF-8)"
        raise LoadError([Problem(name, line, column, "(file)", message)]) from None


def _validate(model: type[M], data: Any, source: SourceMap) -> M:
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise LoadError([source.problem((), f"expected a mapping of fields, found {kind}")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise LoadError([_explain(model, error, data, source) for error in exc.errors()]) from None
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        # A validator that tripped over an input it did not expect: still the file's fault.
        raise LoadError([_unexpected(source, "validated", exc)]) from None


def _unexpected(source: SourceMap, stage: str, exc: Exception) -> Problem:
    return source.problem((), f"the file could not be {stage}: {exc}")


def _explain(model: type[BaseModel], error: Any, data: Any, source: SourceMap) -> Problem:
    loc = _clean_loc(error["loc"], data)
    message = error["msg"].removeprefix("Value error, ")
    if not loc:
        pass
    elif error["type"] == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        message = f"unknown key '{loc[-1]}'"
        if allowed:
            message += f" (expected one of: {', '.join(allowed)})"
    elif error["type"] == "missing":
        message = f"required field '{loc[-1]}' is missing"
    elif "input" in error and not isinstance(error["input"], dict | list):
        message += f" (got {error['input']!r})"
    return source.problem(loc, message)


def _clean_loc(loc: tuple[Any, ...], data: Any) -> Path:
    """Drop pydantic's union/validator tags so the path matches the YAML.

    Walks the parsed data alongside the location: a part that names a key or index that is
    really there is kept (even `stage-1` or `[x]`); a part the data does not have is a tag
    (`function-after[...]`, `literal[...]`, `[key]`, a union member's type name) unless it
    is the last part, which names a missing or unknown field.
    """
    out: list[str | int] = []
    current: Any = data
    missing = False
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if missing:
            if isinstance(part, int) or not _looks_like_tag(part):
                out.append(part)
            continue
        if isinstance(current, dict):
            key = part if part in current else str(part)
            if key in current:
                out.append(key)
                current = current[key]
            elif last or not _looks_like_tag(str(part)):
                out.append(part)
                missing = True
        elif isinstance(current, list):
            if isinstance(part, int) and 0 <= part < len(current):
                out.append(part)
                current = current[part]
            elif isinstance(part, int) or not _looks_like_tag(str(part)):
                out.append(part)
                missing = True
        # On a scalar, every further part is a tag.
    return tuple(out)


def _looks_like_tag(part: str) -> bool:
    return any(c in part for c in "[]()") or part[:1].isupper() or part in _TYPE_TAGS


_TYPE_TAGS = {"str", "int", "float", "bool", "list", "dict", "none", "datetime", "date", "time"}


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


def _raise_findings(check: Any, source: SourceMap, *subjects: Any) -> None:
    try:
        findings = check(*subjects)
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        raise LoadError([_unexpected(source, "cross-checked", exc)]) from None
    if findings:
        raise LoadError([source.problem(path, message) for path, message in findings])


def load_policy(path: str | FsPath) -> Policy:
    path = FsPath(path)
    data, source = parse(_read(path), str(path))
    policy = _validate(Policy, data, source)
    document = source_document(path, policy)
    text = _read(document) if document is not None else None
    _raise_findings(check_policy, source, policy, text)
    return policy


def source_document(policy_path: FsPath, policy: Policy) -> FsPath | None:
    """The policy's source file, when present: ``source.file`` relative to the policy file's
    folder, or to the bundled package (``sources/…``, as the bundled policies give it)."""
    for base in (policy_path.parent, PACKAGE_DIR):
        candidate = base / policy.source.file
        if candidate.is_file():
            return candidate
    return None


def load_scenario(path: str | FsPath) -> Scenario:
    """A scenario file, checked against its policy: a bundled policy's id, or a partnership's
    own policy file by path (relative to the scenario's folder), which the scenario then
    holds as an absolute path so it plays from anywhere."""
    path = FsPath(path)
    data, source = parse(_read(path), str(path))
    scenario = _validate(Scenario, data, source)
    if scenario.policy not in bundled_policies():
        file = (path.parent / scenario.policy).resolve()
        if not file.is_file() or not scenario.policy.endswith((".yaml", ".yml")):
            known = ", ".join(sorted(bundled_policies()))
            message = (f"unknown policy '{scenario.policy}': not a bundled id ({known}) nor a "
                       f"policy YAML file (looked for {file})")
            raise LoadError([source.problem(("policy",), message)])
        _policy_file(str(file))  # a broken policy file is reported as itself, file and line
        scenario = scenario.model_copy(update={"policy": str(file)})
    _raise_findings(check_scenario, source, scenario, policy_of(scenario))
    return scenario


def policy_of(scenario: Scenario) -> Policy:
    """The policy a scenario is played under: bundled by id, or its own file by path."""
    if scenario.policy in bundled_policies():
        return bundled_policies()[scenario.policy]
    return _policy_file(str(FsPath(scenario.policy).resolve()))


@functools.lru_cache(maxsize=32)
def _policy_file(path: str) -> Policy:
    """A partnership's policy file, loaded once per process."""
    return load_policy(path)


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
    if not FsPath(ref).exists() and not ref.endswith((".yaml", ".yml")):
        known = ", ".join(sorted(bundled_policies()))
        message = f"unknown policy '{ref}': not a bundled id ({known}) nor a YAML file"
        raise LoadError([Problem(ref, None, None, "(policy)", message)])
    return load_policy(ref)


def source_text(policy: Policy) -> str:
    """The bundled policy's source document (``sources/<policy id>.txt``) as plain text: its
    Markdown emphasis and heading markers removed (`scenarios.citations.plain`), the words
    and line breaks as printed. Quotes are checked against this text."""
    return plain(source_raw(policy))


def source_raw(policy: Policy) -> str:
    """The bundled copy of the source document, byte for byte as shipped."""
    return (SOURCES_DIR / f"{policy.id}.txt").read_text(encoding="utf-8")
