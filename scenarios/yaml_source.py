"""YAML parsing that remembers where every value came from.

Policy authors need errors that point at a line and column, so the document is composed
into nodes first and each key's position is kept by its field path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAX_DIGITS = 1000

# Bounds on the work one file may ask of the loader, whatever the PyYAML version: aliases
# and merge keys (`<<: [*a, *a, …]`) repeat what they point at, so nine levels of nine
# references ask for 9**9 values from a file of a few hundred bytes.
MAX_CHARS = 1_000_000  # the bundled policies are under 30 kB
MAX_VALUES = 50_000  # values after every alias and merge is expanded (bundled: < 5,000)
MAX_DEPTH = 64  # levels of nesting (bundled: < 10)


class _BadValue(Exception):
    """A scalar the constructor could not turn into a value (e.g. `!!int abc`)."""

    def __init__(self, node: yaml.Node, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


class _Refused(Exception):
    """The file asks for more work than the limits allow, or refers to itself."""

    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


class _Reading:
    """SafeLoader behaviour without YAML 1.1 surprises.

    `17:00` stays text, `on:`/`yes:` stay keys, `2024-01-01` stays text until the schema
    reads it as a date, and every mapping key is the text written in the file (so `1:` is
    the key "1"), which keeps the field paths in messages equal to what the author wrote.
    """

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        # The pure-Python composer recurses once per level: refuse before Python's own
        # recursion limit, at the line and column where the limit is crossed.
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[attr-defined]
                raise _Refused(mark, f"values are nested too deeply (more than {MAX_DEPTH} levels)")
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (yaml.YAMLError, _BadValue):
            raise
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError):
            shown = node.value if isinstance(node, yaml.ScalarNode) else node.tag
            raise _BadValue(node, f"cannot read {shown!r} as {_tag_name(node.tag)}") from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):  # e.g. `!!map [1, 2]`
            raise _BadValue(node, f"{_tag_name(node.tag)} needs a mapping (key: value)")
        self.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _BadValue(key_node, "a key must be plain text, not a list or mapping")
            mapping[key_node.value] = self.construct_object(value_node, deep=deep)
        return mapping


class _Loader(_Reading, yaml.SafeLoader):
    """The pure-Python parser: exact error messages, and safe on any nesting depth."""


_FastBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FastLoader(_Reading, _FastBase):  # type: ignore[misc, valid-type]
    """libyaml's parser (about 15 times faster) with the same reading of values."""


# libyaml composes nested nodes by C recursion: a hostile file nested deeply enough
# crashes the interpreter instead of raising. Nesting depth is at most the number of
# brackets plus the longest line (block levels need indentation or "- " on a line), so
# files under this bound go to libyaml and the rest to the pure-Python parser.
_FAST_DEPTH_LIMIT = 2000


def _fast_parser_is_safe(text: str) -> bool:
    if _FastBase is yaml.SafeLoader:
        return False
    longest = max((len(line) for line in text.splitlines()), default=0)
    return text.count("[") + text.count("{") + longest < _FAST_DEPTH_LIMIT


_BRACKETS = re.compile(r"[\[\]{}]")


def _flow_too_deep(text: str) -> int | None:
    """Where ``[``/``{`` nesting first goes past `MAX_DEPTH`, or None.

    PyYAML's pure-Python scanner reads ahead over every open bracket and re-checks each
    pending one per token, so deep flow nesting costs it time quadratic in the depth (5,000
    levels: over a second). Counting brackets (quotes and comments included, which only
    errs on the side of refusing 65 unclosed brackets in a string) is linear.
    """
    depth = 0
    for match in _BRACKETS.finditer(text):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return match.start()
        elif depth:
            depth -= 1
    return None


def _tag_name(tag: str) -> str:
    return tag.rsplit(":", 1)[-1] if tag.startswith("tag:yaml.org,2002:") else tag


for _cls in (_Loader, _FastLoader):
    _cls.yaml_implicit_resolvers = {
        first: [
            (tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT, _BOOL, _TIMESTAMP)
        ]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _cls.add_implicit_resolver(
        _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    _cls.add_implicit_resolver(
        _INT, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789")
    )
    _cls.add_implicit_resolver(
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
    node_paths: dict[int, Path] = field(default_factory=dict)

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
    """Parse one YAML document; syntax errors and duplicate keys become `LoadError`.

    libyaml reads well-formed files; a file it rejects is read again by the pure-Python
    parser, whose messages (line, column, what was expected) the error tests pin down.
    A file over `MAX_CHARS`, nested over `MAX_DEPTH` or expanding (through aliases and
    merge keys) to over `MAX_VALUES` values is refused before any value is built.
    """
    if len(text) > MAX_CHARS:
        line, column = _line_column(text, MAX_CHARS)
        message = f"the file is too long (over {MAX_CHARS:,} characters)"
        raise LoadError([Problem(file, line, column, "(file)", message)])
    deep_at = _flow_too_deep(text)
    if deep_at is not None:
        line, column = _line_column(text, deep_at)
        message = f"values are nested too deeply (more than {MAX_DEPTH} levels)"
        raise LoadError([Problem(file, line, column, "(limits)", message)])
    if _fast_parser_is_safe(text):
        try:
            return _parse(text, file, _FastLoader)
        except LoadError as error:
            if all(p.field != "(syntax)" for p in error.problems):
                raise
    return _parse(text, file, _Loader)


def _parse(text: str, file: str, kind: type) -> tuple[Any, SourceMap]:
    source = SourceMap(file, {})
    loader: Any = None
    try:
        loader = kind(text)
        node = loader.get_single_node()
        if node is None:
            raise LoadError([Problem(file, 1, 1, "(document)", "the file is empty")])
        source.positions[()] = Position(node.start_mark.line + 1, 1)
        _measure(node)
        problems: list[Problem] = []
        _walk(node, (), source, problems, {})
        if problems:
            raise LoadError(problems)
        return loader.construct_document(node), source
    except _Refused as exc:
        line, column = exc.mark.line + 1, exc.mark.column + 1
        raise LoadError([Problem(file, line, column, "(limits)", exc.message)]) from None
    except _BadValue as exc:
        mark = exc.node.start_mark
        path = source.node_paths.get(id(exc.node), ())
        raise LoadError(
            [Problem(file, mark.line + 1, mark.column + 1, format_path(path), exc.message)]
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        message = f"YAML syntax: {exc.problem or exc.context}"
        if exc.context and exc.problem and exc.context_mark and mark is exc.problem_mark:
            context = f"{exc.context} at line {exc.context_mark.line + 1}"
            if exc.problem.startswith("but "):
                message = f"YAML syntax: {context}, {exc.problem}"
            else:
                message += f" ({context})"
        raise LoadError([Problem(file, line, column, "(syntax)", message)]) from None
    except yaml.reader.ReaderError as exc:
        line, column = _line_column(text, exc.position)
        char = chr(exc.character) if isinstance(exc.character, int) else exc.character
        message = f"YAML syntax: character {char!r} is not allowed in a YAML file"
        raise LoadError([Problem(file, line, column, "(syntax)", message)]) from None
    except yaml.YAMLError as exc:
        raise LoadError([Problem(file, None, None, "(syntax)", f"YAML: {exc}")]) from None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError) as exc:
        # A constructor tripped over a shape it did not expect: still the file's fault.
        message = f"cannot read this file: {exc}"
        raise LoadError([Problem(file, 1, 1, "(document)", message)]) from None
    except RecursionError:
        message = "the document is nested too deeply to read"
        raise LoadError([Problem(file, None, None, "(document)", message)]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _measure(root: yaml.Node) -> None:
    """Refuse a node graph that refers to itself, nests too deeply or expands too far.

    Iterative and linear in the number of distinct nodes: each node's expanded size (every
    alias and merged mapping counted as often as it is used) and height are computed once.
    """
    sizes: dict[int, int] = {}
    heights: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            kids = _children(node)
            sizes[key] = size = 1 + sum(sizes[id(k)] for k in kids)
            heights[key] = height = 1 + max((heights[id(k)] for k in kids), default=0)
            open_.discard(key)
            if height > MAX_DEPTH:
                raise _Refused(node.start_mark,
                               f"values are nested too deeply (more than {MAX_DEPTH} levels)")
            if size > MAX_VALUES:
                raise _Refused(node.start_mark,
                               f"this expands to more than {MAX_VALUES:,} values (aliases "
                               "and merge keys '<<' repeat what they point at)")
            continue
        if key in sizes:
            continue
        if key in open_:
            raise _Refused(node.start_mark, "an alias refers to a value that contains it")
        open_.add(key)
        stack.append((node, True))
        stack.extend((kid, False) for kid in _children(node) if id(kid) not in sizes)


def _line_column(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def _walk(
    node: yaml.Node,
    path: Path,
    source: SourceMap,
    problems: list[Problem],
    seen_nodes: dict[int, yaml.Node],
) -> None:
    # An alias reuses a node: walk it once, which also stops `&a [*a]` from looping forever.
    if id(node) in seen_nodes:
        return
    seen_nodes[id(node)] = node
    source.node_paths[id(node)] = path
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            mark = key_node.start_mark
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(
                    Problem(source.file, mark.line + 1, mark.column + 1, format_path(path),
                            "a key must be plain text, not a list or mapping")
                )
                continue
            key = key_node.value
            here = (*path, key)
            if key in seen and key_node.tag != "tag:yaml.org,2002:merge":
                problems.append(
                    Problem(source.file, mark.line + 1, mark.column + 1, format_path(here),
                            f"duplicate key '{key}' (each key may appear once in a mapping)")
                )
            seen.add(key)
            source.positions.setdefault(here, Position(mark.line + 1, mark.column + 1))
            _walk(value_node, here, source, problems, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            here = (*path, index)
            source.positions[here] = Position(item.start_mark.line + 1, item.start_mark.column + 1)
            _walk(item, here, source, problems, seen_nodes)
    elif node.tag == _INT and len(node.value) > _MAX_DIGITS:
        mark = node.start_mark
        problems.append(
            Problem(source.file, mark.line + 1, mark.column + 1, format_path(path),
                    f"number too long ({len(node.value)} digits)")
        )
