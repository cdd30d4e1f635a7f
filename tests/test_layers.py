"""The import-linter contract, enforced in pytest: the model layers never import the UI.

`scenarios`, `sim` and `scoring` must work without a terminal, so none of them may import
`textual`, `textual_serve` or anything under `tui` — not directly, not through another
module. Checked twice: by importing every module in a fresh interpreter and looking at
`sys.modules`, and by scanning the source for import statements.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODEL_PACKAGES = ("scenarios", "sim", "scoring")
FORBIDDEN = ("tui", "textual", "textual_serve")

_PROBE = r"""
import importlib, json, pkgutil, sys
packages = sys.argv[1:]
imported, failed = [], {}
for name in packages:
    package = importlib.import_module(name)
    imported.append(name)
    for info in pkgutil.walk_packages(package.__path__, prefix=name + "."):
        try:
            importlib.import_module(info.name)
            imported.append(info.name)
        except Exception as exc:  # reported, not hidden
            failed[info.name] = f"{type(exc).__name__}: {exc}"
forbidden = sorted(
    m for m in sys.modules
    if m.split(".")[0] in ("tui", "textual", "textual_serve")
)
print(json.dumps({"imported": imported, "failed": failed, "forbidden": forbidden}))
"""


@pytest.fixture(scope="module")
def probe() -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *MODEL_PACKAGES],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_every_model_module_imports(probe: dict[str, object]) -> None:
    assert probe["failed"] == {}
    imported = set(probe["imported"])  # type: ignore[arg-type]
    assert {"scenarios.loader", "scenarios.yaml_source", "scenarios.checks"} <= imported
    # Every .py file under the model packages was reached.
    on_disk = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for package in MODEL_PACKAGES
        for path in (ROOT / package).rglob("*.py")
    }
    assert on_disk <= imported, sorted(on_disk - imported)


def test_model_layers_do_not_pull_in_the_ui(probe: dict[str, object]) -> None:
    assert probe["forbidden"] == []


_IMPORT = re.compile(
    r"^\s*(?:from\s+(?P<from>[\w.]+)\s+import\b|import\s+(?P<names>[\w.]+(?:\s*,\s*[\w.]+)*))",
    re.MULTILINE,
)
_DYNAMIC = re.compile(r"""import_module\(\s*["'](?P<name>[\w.]+)["']""")


def _imported_names(source: str) -> list[str]:
    names: list[str] = []
    for match in _IMPORT.finditer(source):
        if match["from"]:
            names.append(match["from"])
        else:
            names += [n.strip() for n in match["names"].split(",")]
    names += [m["name"] for m in _DYNAMIC.finditer(source)]
    return names


def test_source_has_no_ui_imports() -> None:
    offenders = []
    for package in MODEL_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for name in _imported_names(path.read_text(encoding="utf-8")):
                if name.split(".")[0] in FORBIDDEN:
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_the_scanner_sees_every_import_form() -> None:
    source = (
        "import textual\nfrom tui.cli import main\nimport os, tui.commands\n"
        "    from textual_serve import x\nimportlib.import_module('tui.app')\n"
    )
    assert [n for n in _imported_names(source) if n.split(".")[0] in FORBIDDEN] == [
        "textual",
        "tui.cli",
        "tui.commands",
        "textual_serve",
        "tui.app",
    ]
