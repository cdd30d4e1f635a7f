"""YAML parsing that remembers where every value came from.

Policy authors need errors that point at a line and column, so the document is composed
into nodes first and each key's position is kept by its field path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

Path = tuple[str | int, ...]

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"


class _Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1 surprises: `17:00` stays text, `on:` stays a key."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT, _BOOL)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    _INT, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(r"^[-+]?(?:[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[0-9]+[eE][-+]?[0-9]+)$"),
    list("-+0123456789"),
)


@dataclass(frozen=True)
class Position:
    line: int
    column: int


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, located precisely enough to fix without guessing."""

    file: str
    line: int | None
    column: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        return f"{where}: {self.field}: {self.message}"


class LoadError(Exception):
    """Every problem found in one file; the loader raises nothing else."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


@dataclass
class SourceMap:
    """Field path → position of the key (or item) that holds it."""

    file: str
    positions: dict[Path, Position]

    def locate(self, path: Path) -> Position | None:
        for cut in range(len(path), -1, -1):
            found = self.positions.get(tuple(path[:cut]))
            if found:
                return found
        return None

    def problem(self, path: Path, message: str) -> Problem:
        pos = self.locate(path)
        return Problem(
            self.file,
            pos.line if pos else None,
            pos.column if pos else None,
            format_path(path),
            message,
        )


def parse(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse one YAML document; syntax errors and duplicate keys become `LoadError`."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise LoadError([Problem(file, 1, 1, "(document)", "the file is empty")])
        source = SourceMap(file, {(): Position(node.start_mark.line + 1, 1)})
        problems: list[Problem] = []
        _walk(node, (), source, problems)
        if problems:
            raise LoadError(problems)
        return loader.construct_document(node), source
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        message = f"YAML syntax: {exc.problem or exc.context}"
        raise LoadError([Problem(file, line, column, "(syntax)", message)]) from None
    except yaml.YAMLError as exc:
        raise LoadError([Problem(file, None, None, "(syntax)", f"YAML: {exc}")]) from None
    finally:
        loader.dispose()


def _walk(node: yaml.Node, path: Path, source: SourceMap, problems: list[Problem]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            here = (*path, key)
            if key in seen:
                pos = Position(key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                problems.append(
                    Problem(source.file, pos.line, pos.column, format_path(here),
                            f"duplicate key '{key}'")
                )
            seen.add(key)
            mark = key_node.start_mark
            source.positions[here] = Position(mark.line + 1, mark.column + 1)
            _walk(value_node, here, source, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            here = (*path, index)
            source.positions[here] = Position(item.start_mark.line + 1, item.start_mark.column + 1)
            _walk(item, here, source, problems)
