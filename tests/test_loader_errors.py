"""Loader errors a policy author can act on: file, line, column, field path, what was expected.

Every bad fixture in ``tests/fixtures/bad`` is the valid ``minimal.yaml`` with one thing
broken (line 1 says what); the expected line numbers below were checked by hand against
the files. A hypothesis test then throws malformed documents at the loader and checks that
nothing but `LoadError` ever escapes.
"""

from __future__ import annotations

import copy
import random
import tempfile
from datetime import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios.loader import load_any, load_policy
from scenarios.yaml_source import LoadError, parse

FIXTURES = Path(__file__).parent / "fixtures"
MINIMAL = FIXTURES / "policies" / "minimal.yaml"
BAD = FIXTURES / "bad"


def problems_of(path: Path) -> LoadError:
    with pytest.raises(LoadError) as info:
        load_policy(path)
    return info.value


# name → (line, column, field path, words the message must contain)
CASES: dict[str, tuple[int, int, str, list[str]]] = {
    "syntax_error": (69, 22, "(syntax)", ["YAML syntax", "expected ',' or ']'", "line 68"]),
    "tab_indent": (30, 1, "(syntax)", ["YAML syntax", "'\\t'"]),
    "unknown_key": (75, 5, "stages[1].dealine", ["unknown key 'dealine'", "deadline"]),
    "hyphen_key": (75, 5, "stages[1].dead-line", ["unknown key 'dead-line'", "deadline"]),
    "wrong_type": (34, 5, "roles[2].level", ["valid integer", "'senior'"]),
    "unknown_role": (
        69,
        20,
        "stages[1].steps[0].representation.school[0]",
        ["unknown role 'deputy_head'", "expected one of: dsl, front_door"],
    ),
    "unknown_anchor": (
        74,
        11,
        "stages[1].steps[0].deadline.after",
        ["unknown step 'discus'", "expected 'start', 'event:NAME' or a step/stage id"],
    ),
    "duplicate_id": (31, 5, "roles[2].id", ["duplicate role id 'dsl'"]),
    "deadline_backwards": (
        77,
        7,
        "stages[1].deadline.day",
        ["goes backwards", "Day 2 for 'stage2'", "Day 9 for 'stage1'"],
    ),
    "missing_quote": (95, 5, "rules[1].quote", ["required field 'quote' is missing"]),
    "stage_without_rule": (61, 5, "stages[1].rules", ["missing citation", "cite no rule"]),
    "unknown_unit": (
        72,
        11,
        "stages[1].steps[0].deadline.unit",
        ["'asap'", "'working_days'", "'calendar_days'", "'fortnights'"],
    ),
    "duplicate_key": (29, 5, "roles[1].title", ["duplicate key 'title'"]),
    "unknown_rule": (49, 13, "stages[0].rules[0]", ["unknown rule 'T9'", "T1, T2, T3"]),
    "unknown_agency": (25, 5, "roles[0].agency", ["unknown agency 'nursery'", "school"]),
    "unknown_route_role": (
        83,
        20,
        "emergency_routes[0].out_of_hours[0]",
        ["unknown role 'edt'"],
    ),
    "deadline_two_forms": (75, 5, "stages[1].deadline", ["either 'day' or 'within' + 'unit'"]),
    "bad_time": (14, 3, "office_hours.end", ["valid time", "'25:00'"]),
    "empty": (1, 1, "(document)", ["empty"]),
    "comments_only": (1, 1, "(document)", ["empty"]),
    "top_level_list": (2, 1, "(document)", ["expected a mapping", "found list"]),
}


def test_every_bad_fixture_has_a_case() -> None:
    assert {p.stem for p in BAD.glob("*.yaml")} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_fixture_names_file_line_field_and_expectation(name: str) -> None:
    line, column, field, words = CASES[name]
    path = BAD / f"{name}.yaml"
    error = problems_of(path)
    first = error.problems[0]
    assert first.file == str(path)
    assert (first.line, first.column) == (line, column), str(error)
    assert first.field == field
    text = str(first)
    assert text.startswith(f"{path}:{line}:{column}: {field}: ")
    for word in words:
        assert word in first.message, (word, first.message)
    assert str(path) in str(error)
    assert "Traceback" not in str(error)


def test_bad_fixture_comment_describes_the_fault() -> None:
    for path in BAD.glob("*.yaml"):
        text = path.read_text()
        assert not text or text.startswith(f"# BAD ({path.stem}):"), path


def test_duplicate_id_reports_both_consequences() -> None:
    # Renaming social_worker to dsl also leaves a reference dangling: both are reported.
    error = problems_of(BAD / "duplicate_id.yaml")
    fields = [p.field for p in error.problems]
    assert fields == ["roles[2].id", "stages[0].steps[0].representation.social_care[0]"]
    assert error.problems[1].line == 55


def test_missing_file_is_a_load_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(LoadError, match="no such file") as info:
        load_policy(missing)
    assert info.value.problems[0].file == str(missing)


def test_directory_and_bad_encoding_are_load_errors(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="cannot read"):
        load_policy(tmp_path)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"id: caf\xe9\n")
    with pytest.raises(LoadError, match="cannot read"):
        load_policy(latin)


# ---------------------------------------------------------------- the valid fixture


def test_minimal_fixture_loads() -> None:
    policy = load_policy(MINIMAL)
    assert policy.id == "minimal-test"
    assert [a.id for a in policy.agencies] == ["school", "social_care"]
    assert [s.id for s in policy.stages] == ["stage1", "stage2"]
    assert [s.deadline.day for s in policy.stages if s.deadline] == [2, 9]
    assert policy.emergency_routes[0].in_hours == ["front_door"]
    assert all(len(rule.quote) >= 10 for rule in policy.rules)
    assert policy.records[0].id == "case_file"
    assert load_any(MINIMAL) == policy


def test_yaml_11_traps_are_handled(tmp_path: Path) -> None:
    policy = load_policy(MINIMAL)
    # `17:00` would be the sexagesimal integer 1020 under YAML 1.1.
    assert policy.office_hours.end == time(17, 0)
    assert policy.office_hours.start == time(9, 0)
    # The public phone number stays text, not a number.
    assert policy.role("front_door").phone == "0100 000 0000"
    data, _ = parse(
        "on: 1\noff: no\nyes: y\nt: 17:00\nv: 010\nd: 2024-01-01\nb: true\nf: 1.5\n", "x.yaml"
    )
    assert data == {
        "on": 1,
        "off": "no",
        "yes": "y",
        "t": "17:00",
        "v": "010",
        "d": "2024-01-01",
        "b": True,
        "f": 1.5,
    }
    # A title that looks like a date stays a title.
    text = MINIMAL.read_text().replace(
        "title: Minimal test escalation procedure", "title: 2024-01-01"
    )
    path = tmp_path / "dated.yaml"
    path.write_text(text)
    assert load_policy(path).title == "2024-01-01"


# The first line after the minimal fixture: where an appended suffix starts.
END = len(MINIMAL.read_text().splitlines()) + 1


@pytest.mark.parametrize(
    ("suffix", "line", "field", "words"),
    [
        # a list used as a key
        ("? [a, b]\n: c\n", END, "(document)", ["key must be plain text"]),
        # keys that YAML 1.1 would read as null, a number or a date are kept as written
        ("~: 1\n", END, "~", ["unknown key '~'"]),
        ("2024-01-01: 1\n", END, "2024-01-01", ["unknown key '2024-01-01'"]),
        ("7: 1\n", END, "7", ["unknown key '7'"]),
        # a self-referencing alias must not loop forever
        ("assumptions: &a\n  - *a\n", END, "(limits)", ["refers to a value that contains it"]),
        # a control character
        ("x: \x07\n", END, "(syntax)", ["not allowed"]),
        # explicit tags that cannot be constructed
        ("x: !!int abc\n", END, "x", ["cannot read 'abc' as int"]),
        ("x: !!bool maybe\n", END, "x", ["cannot read 'maybe' as bool"]),
        ("x: !!python/object:os.system y\n", END, "(syntax)", ["constructor"]),
        # a second document
        ("---\nid: again\n", END, "(syntax)", ["single document", "another document"]),
    ],
)
def test_awkward_yaml_is_a_located_load_error(
    tmp_path: Path, suffix: str, line: int, field: str, words: list[str]
) -> None:
    path = tmp_path / "awkward.yaml"
    path.write_text(MINIMAL.read_text() + suffix)
    error = problems_of(path)
    first = error.problems[0]
    assert (first.file, first.line, first.field) == (str(path), line, field), str(error)
    for word in words:
        assert word in first.message


def test_huge_number_and_deep_nesting(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(MINIMAL.read_text().replace("version: 1", "version: " + "9" * 5000))
    error = problems_of(path)
    assert (error.problems[0].line, error.problems[0].field) == (3, "version")
    assert "too long" in error.problems[0].message
    path.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested too deeply" in str(problems_of(path))


# ---------------------------------------------------------------- property test

_VALID = yaml.safe_load(MINIMAL.read_text())
_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.sampled_from(["17:00", "on", "Day 9", "start", "teacher", "stage1", "asap", "T1", "*"]),
)


def _slots(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into the document, containers included."""
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _slots(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _slots(value, (*path, index))
    return out


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


@st.composite
def mutated_documents(draw: st.DrawFn) -> str:
    data = yaml.safe_load(MINIMAL.read_text())  # a fresh copy each time
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        slots = _slots(data)
        path = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(["delete", "replace", "insert", "swap", "wrap"]))
        if not path:
            if action in ("replace", "wrap"):
                data = draw(_JUNK) if action == "replace" else [data]
            continue
        parent, last = _get(data, path[:-1]), path[-1]
        if action == "delete":
            del parent[last]
        elif action == "replace":
            parent[last] = draw(_JUNK)
        elif action == "wrap":
            parent[last] = [parent[last]]
        elif action == "insert":
            target = parent[last]
            if isinstance(target, dict):
                target[draw(st.text(min_size=1, max_size=8))] = draw(_JUNK)
            elif isinstance(target, list):
                target.insert(draw(st.integers(0, len(target))), draw(_JUNK))
            else:
                parent[last] = draw(_JUNK)
        elif action == "swap":
            other = draw(st.sampled_from(slots))
            if other and other[: len(path)] != path and path[: len(other)] != other:
                # A copy: a shared node could later be swapped into itself (a cycle).
                parent[last] = copy.deepcopy(_get(data, other))
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    # Sometimes garble the text too: truncate, splice in junk, or flip indentation.
    garble = draw(st.sampled_from(["none", "none", "truncate", "splice", "indent"]))
    if garble == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif garble == "splice":
        at = draw(st.integers(0, len(text)))
        junk = draw(st.text(alphabet=":-[]{}#&*!|>'\"%@`\t\n ,?abc19", max_size=6))
        text = text[:at] + junk + text[at:]
    elif garble == "indent":
        lines = text.splitlines(keepends=True)
        if lines:
            index = draw(st.integers(0, len(lines) - 1))
            lines[index] = draw(st.sampled_from(["", " ", "   ", "\t"])) + lines[index].lstrip()
            text = "".join(lines)
    return text


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=mutated_documents())
def test_malformed_documents_raise_only_load_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            load_policy(path)
        except LoadError as error:
            assert error.problems
            for problem in error.problems:
                assert problem.file == str(path)
                assert str(problem).startswith(str(path))
                assert problem.field
                assert problem.message
                if problem.line is not None:
                    assert 1 <= problem.line <= text.count("\n") + 2


def test_mutation_smoke_is_deterministic() -> None:
    # A fixed handful of mutations outside hypothesis, so a regression shows up even
    # when hypothesis's database happens to skip it.
    rng = random.Random(7)
    lines = MINIMAL.read_text().splitlines(keepends=True)
    for _ in range(200):
        copy = list(lines)
        index = rng.randrange(len(copy))
        copy[index] = rng.choice(["", "- ", ": x\n", "  bogus: 1\n", "[\n", "\t\n"]) + copy[index]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "m.yaml"
            path.write_text("".join(copy))
            try:
                load_policy(path)
            except LoadError as error:
                assert all(p.file == str(path) for p in error.problems)


def test_validator_crash_becomes_load_error(tmp_path: Path) -> None:
    # Found by the property test: `end: 1020` is read by pydantic as 1020 seconds past
    # midnight UTC, and comparing it with the naive `start` raised TypeError inside the
    # schema's validator. The loader must still answer with a LoadError naming the file.
    path = tmp_path / "seconds.yaml"
    path.write_text(MINIMAL.read_text().replace("end: 17:00", "end: 1020"))
    error = problems_of(path)
    assert error.problems[0].file == str(path)
    assert str(error).startswith(str(path))


def _bundled_files() -> list[Path]:
    root = Path(__file__).resolve().parents[1] / "scenarios"
    return sorted([*root.glob("policies/*.yaml"), *root.glob("library/*.yaml")])


@pytest.mark.parametrize("path", _bundled_files(), ids=lambda p: p.name)
def test_libyaml_and_pure_python_parsers_read_bundled_files_alike(path: Path) -> None:
    """The fast parser is only a speed-up: same values, same positions for messages."""
    from scenarios import yaml_source

    text = path.read_text(encoding="utf-8")
    assert yaml_source._fast_parser_is_safe(text)
    fast = yaml_source._parse(text, str(path), yaml_source._FastLoader)
    pure = yaml_source._parse(text, str(path), yaml_source._Loader)
    assert fast[0] == pure[0]
    assert fast[1].positions == pure[1].positions


def test_deep_nesting_never_reaches_libyaml() -> None:
    """libyaml recurses in C and would crash the interpreter on hostile nesting."""
    from scenarios import yaml_source

    deep = "[" * 100_000 + "]" * 100_000
    assert not yaml_source._fast_parser_is_safe(deep)
    with pytest.raises(LoadError, match="nested too deeply"):
        parse(deep, "deep.yaml")
