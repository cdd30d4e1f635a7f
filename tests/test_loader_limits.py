"""The loader's work is bounded whatever the file holds: alias and merge-key bombs, deep
nesting, endless or undecodable input are refused quickly, at file:line:column."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from scenarios import yaml_source
from scenarios.loader import LoadError, load_any
from tui.cli import main

MINIMAL = Path(__file__).parent / "fixtures" / "policies" / "minimal.yaml"


def merge_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ["a0: &a0 {x: 1, y: 2}"]
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"a{i}: &a{i}\n  <<: [{refs}]\n  k{i}: 1")
    return "\n".join(lines) + "\n"


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ["a0: &a0 [x, y, z]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def only(error: LoadError) -> yaml_source.Problem:
    assert len(error.problems) == 1, error
    return error.problems[0]


@pytest.mark.parametrize("text", [merge_bomb(), alias_bomb(),
                                  # the bomb inside a real policy, under a field it validates
                                  MINIMAL.read_text() + merge_bomb().replace("a", "zz")])
def test_bombs_are_refused_fast_at_check(tmp_path, capsys, text):
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    start = time.perf_counter()
    assert main(["check", "--no-lint", str(path)]) == 1
    assert time.perf_counter() - start < 2.0
    err = capsys.readouterr().err
    assert f"{path}:" in err and "expands to more than" in err
    line = int(err.split(f"{path}:", 1)[1].split(":", 1)[0])
    assert line > 1


def test_a_merge_bomb_is_refused_whatever_the_pyyaml_version():
    """The bound is ours: it does not depend on PyYAML fixing `flatten_mapping`."""
    with pytest.raises(LoadError) as caught:
        yaml_source.parse(merge_bomb(levels=6, width=9), "m.yaml")
    problem = only(caught.value)
    assert (problem.file, problem.field) == ("m.yaml", "(limits)")
    assert problem.line is not None and problem.column is not None


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: {<<: *a}}\n"])
def test_self_reference_is_refused(text):
    with pytest.raises(LoadError, match="refers to a value that contains it") as caught:
        yaml_source.parse(text, "s.yaml")
    assert only(caught.value).line == 1


@pytest.mark.parametrize("text", ["a: " + "[" * 200 + "]" * 200 + "\n",
                                  "a: " + "{b: " * 200 + "1" + "}" * 200 + "\n",
                                  "a:\n" + "".join("  " * i + "- x:\n" for i in range(200)),
                                  "[" * 50_000 + "]" * 50_000])
def test_deep_nesting_is_refused_at_a_line_and_column(text):
    with pytest.raises(LoadError, match="nested too deeply") as caught:
        yaml_source.parse(text, "d.yaml")
    problem = only(caught.value)
    assert problem.line is not None and problem.column is not None


def test_a_long_file_and_dev_zero_are_refused(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("# x\n" * (yaml_source.MAX_CHARS // 4 + 1))
    with pytest.raises(LoadError, match="too long"):
        load_any(big)
    if Path("/dev/zero").exists():
        start = time.perf_counter()
        with pytest.raises(LoadError, match="too long"):
            load_any("/dev/zero")
        assert time.perf_counter() - start < 2.0


def test_undecodable_bytes_are_located(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"id: x\ntitle: caf\xe9 au lait\n")
    with pytest.raises(LoadError, match="as UTF-8 text") as caught:
        load_any(path)
    problem = only(caught.value)
    assert (problem.line, problem.column) == (2, 11)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(LoadError, match="pipe"):
        load_any(fifo)


def test_bundled_files_are_far_inside_the_limits():
    from scenarios.loader import bundled_policies, bundled_scenarios

    assert bundled_policies() and bundled_scenarios()  # they load under the limits


@pytest.mark.parametrize("opener", ["[", "{a: "])
def test_deep_flow_nesting_is_refused_in_linear_time(opener):
    """PyYAML's pure-Python scanner is quadratic in flow depth (5,000 levels took over a
    second); the bracket count refuses first, at the bracket that goes too deep."""
    text = "a: " + opener * 5000 + "1" + ("]" if opener == "[" else "}") * 5000 + "\n"
    start = time.perf_counter()
    with pytest.raises(LoadError, match="nested too deeply") as caught:
        yaml_source.parse(text, "d.yaml")
    assert time.perf_counter() - start < 0.2
    problem = only(caught.value)
    assert (problem.line, problem.column) == (1, 4 + len(opener) * yaml_source.MAX_DEPTH)
