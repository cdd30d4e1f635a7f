"""A CI-sized run of the YAML fuzz harness (benchmarks/fuzz_yaml.py): mutated bundled files
never crash or hang the loader, every refusal names file:line:column, and what `check`
accepts plays. Run the harness by hand for 10,000+ files."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parent.parent / "benchmarks" / "fuzz_yaml.py"


def _harness():
    spec = importlib.util.spec_from_file_location("fuzz_yaml", HARNESS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_yaml"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", [11, 12])
def test_mutated_bundled_files_break_no_rule(tmp_path, seed):
    fuzz = _harness()
    report = fuzz.fuzz(120, seed, tmp_path)
    assert report.files == 120
    assert not report.broken, "\n".join(report.broken[:5])
    assert report.outcomes["refused"] > 0


def test_the_named_bombs_are_refused_quickly(tmp_path):
    fuzz = _harness()
    report = fuzz.Report()
    for name, text in {"merge": fuzz.bomb(9, 9, merge=True),
                       "alias": fuzz.bomb(9, 9, merge=False)}.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        fuzz.check_one(path, report, play=False)
    assert report.outcomes == {"refused": 2} and report.slowest[0] < fuzz.SLOW_SECONDS
