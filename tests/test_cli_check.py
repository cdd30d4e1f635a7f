"""`escalate check FILE...`: exit codes and clean messages, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
MINIMAL = FIXTURES / "policies" / "minimal.yaml"
BAD = FIXTURES / "bad"
ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_valid_policy_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--no-lint", str(MINIMAL)]) == 0
    out, err = capsys.readouterr()
    assert f"{MINIMAL}: ok (policy 'minimal-test')" in out
    assert err == ""


def test_broken_file_exits_one_with_file_and_line() -> None:
    bad = BAD / "unknown_unit.yaml"
    result = run_cli("check", "--no-lint", str(bad))
    assert result.returncode == 1
    assert f"{bad}:72:11: stages[1].steps[0].deadline.unit:" in result.stderr
    assert "'fortnights'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("name", sorted(p.stem for p in BAD.glob("*.yaml")))
def test_every_bad_fixture_is_reported_cleanly(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = BAD / f"{name}.yaml"
    assert main(["check", "--no-lint", str(path)]) == 1
    out, err = capsys.readouterr()
    assert err.startswith(f"{path}:")
    first_line = err.splitlines()[0]
    assert first_line.split(":")[1].isdigit()  # file:LINE:column
    assert "Traceback" not in err
    assert "ok (" not in out


def test_mixed_files_report_each_and_fail(capsys: pytest.CaptureFixture[str]) -> None:
    bad = BAD / "deadline_backwards.yaml"
    assert main(["check", "--no-lint", str(MINIMAL), str(bad)]) == 1
    out, err = capsys.readouterr()
    assert f"{MINIMAL}: ok" in out
    assert f"{bad}:77:7: stages[1].deadline.day: deadline goes backwards" in err


def test_missing_file_is_a_clean_message(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-policy.yaml"
    result = run_cli("check", "--no-lint", str(missing))
    assert result.returncode == 1
    assert result.stderr.strip() == f"{missing}: (file): no such file"
    assert "Traceback" not in result.stderr


def test_directory_is_a_clean_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--no-lint", str(tmp_path)]) == 1
    _out, err = capsys.readouterr()
    assert err.startswith(f"{tmp_path}: (file): cannot read")
    assert "Traceback" not in err


def test_without_no_lint_a_policy_still_checks(capsys: pytest.CaptureFixture[str]) -> None:
    # The lint only plays scenarios; a policy passes straight through it.
    assert main(["check", str(MINIMAL)]) == 0
    assert "ok (policy" in capsys.readouterr().out


def test_bare_escalate_opens_the_default_briefing_and_play_opens_the_picker(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`escalate` alone is the README's main job: it must reach `play` with the briefing
    of the bundled default, while `escalate play` shows the picker."""
    import tui.commands.play as play

    seen: list[bool] = []
    monkeypatch.setattr(play, "run", lambda args: seen.append(args.bare) or 0)
    assert main([]) == 0
    assert main(["play"]) == 0
    assert seen == [True, False]
