"""`escalate autoplay`: scenarios and policies by id or path; JSON with score and findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.loader import LIBRARY_DIR, POLICY_DIR
from tui.cli import main


def run_json(capsys, *args: str) -> dict:
    capsys.readouterr()
    assert main(["autoplay", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_has_score_findings_and_timeline(capsys):
    data = run_json(capsys, "talk-first-school-dsl", "--player", "passive", "--seed", "1")
    assert {"scenario", "seed", "player", "status", "resolved_at", "timeline", "score",
            "findings", "themes"} <= set(data)
    assert isinstance(data["score"], float) and data["score"] < 100
    assert {f["rule"] for f in data["findings"]} >= {"L2", "L3"}
    for finding in data["findings"]:
        assert {"rule", "severity", "expected", "observed", "citation"} <= set(finding)


def test_perfect_player_json_scores_100(capsys):
    data = run_json(capsys, "talk-first-school-dsl", "--player", "perfect", "--seed", "3")
    assert data["score"] == 100 and data["findings"] == []


@pytest.mark.parametrize("ref", ["liverpool-lscb", str(POLICY_DIR / "bs3-early-years.yaml"),
                                 str(LIBRARY_DIR / "talk-first-school-dsl.yaml")])
def test_policies_and_paths_are_accepted(capsys, ref):
    data = run_json(capsys, ref, "--seed", "4")
    assert data["seed"] == 4 and data["timeline"]


def test_save_then_report_gives_the_same_score(tmp_path, capsys):
    saved = tmp_path / "s.json"
    scenario = str(LIBRARY_DIR / "talk-first-school-dsl.yaml")
    data = run_json(capsys, scenario, "--player", "skipper", "--seed", "2", "--save",
                    str(saved))
    assert main(["report", str(saved), "--format", "xapi"]) == 0
    statement = json.loads(capsys.readouterr().out)
    assert statement["result"]["score"]["raw"] == data["score"]


def test_text_output_lists_the_timeline(capsys):
    assert main(["autoplay", "liverpool-lscb", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "score" in out and "start" in out


def test_unknown_case_exits_1(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["autoplay", "no-such-thing"])
    assert exit_info.value.code == 1
    assert "Traceback" not in capsys.readouterr().err


def test_bad_yaml_exits_1(tmp_path, capsys):
    bad = Path(tmp_path / "bad.yaml")
    bad.write_text("seat: [unclosed\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["autoplay", str(bad)])
    assert exit_info.value.code == 1


def test_unknown_player_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["autoplay", "liverpool-lscb", "--player", "genius"])
    assert exit_info.value.code == 2
