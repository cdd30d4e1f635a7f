"""A scenario may name its partnership's own policy file by path, not only a bundled id (#13):
checked, played, scored and opened in the trainer from anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from textual.widgets import Static

from scenarios.loader import load_scenario, policy_of
from scenarios.yaml_source import LoadError
from scoring import evaluate
from sim import actions as A
from sim.players import play
from sim.session import Session
from tui import store
from tui.app import build_app
from tui.cli import main
from tui.pilot_driver import perform, settle
from tui.screens.case import CaseScreen

SCENARIO = Path("tests/fixtures/scenarios/conference-dissent.yaml")
POLICY = Path("tests/fixtures/policies/conference-dissent.yaml")


def test_the_path_is_read_from_the_scenarios_folder_and_held_absolute():
    scenario = load_scenario(SCENARIO)
    assert scenario.policy == str(POLICY.resolve())
    assert policy_of(scenario).id == "conference-dissent-test"


def test_played_and_scored_under_its_own_policy_from_any_folder(monkeypatch, tmp_path):
    scenario = load_scenario(SCENARIO.resolve())
    monkeypatch.chdir(tmp_path)
    perfect = play(Session.from_scenario(scenario, 1), "perfect")
    assert evaluate(perfect).score == 100
    passive = evaluate(play(Session.from_scenario(scenario, 1), "passive"))
    assert {"CD1", "CD3"} <= {f.rule for f in passive.findings}


def test_check_and_autoplay_take_the_scenario(capsys):
    assert main(["check", str(SCENARIO)]) == 0
    assert "ok (scenario 'fixture-conference-dissent')" in capsys.readouterr().out
    assert main(["autoplay", str(SCENARIO), "--player", "passive"]) == 0
    assert "CD3" in capsys.readouterr().out


def test_a_policy_that_is_neither_id_nor_file_is_refused_at_its_line(tmp_path, capsys):
    data = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    data["policy"] = "../nowhere/policy.yaml"
    path = tmp_path / "lost.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(LoadError) as error:
        load_scenario(path)
    problem = error.value.problems[0]
    line = 1 + path.read_text(encoding="utf-8").splitlines().index(
        "policy: ../nowhere/policy.yaml")
    assert problem.line == line and "policy" in problem.field
    assert "not a bundled id" in problem.message and "nowhere" in problem.message
    assert main(["check", str(path)]) == 1
    assert f"lost.yaml:{line}" in capsys.readouterr().err


def test_a_broken_policy_file_is_reported_as_itself(tmp_path, capsys):
    broken = tmp_path / "policy.yaml"
    broken.write_text(POLICY.read_text(encoding="utf-8").replace("level: 0", "level: ten", 1),
                      encoding="utf-8")
    data = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    data["policy"] = "policy.yaml"
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "policy.yaml:" in err and "level" in err and "Traceback" not in err


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DIR, str(tmp_path))
    return tmp_path


async def test_the_trainer_opens_it_and_the_bar_shows_the_dissent_clock(data_dir):
    app = build_app(str(SCENARIO), 1, prompt_resume=False)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        also = app.screen.query_one("#dl-also", Static)
        assert not also.display  # nothing due beside the ladder before the conference
        await perform(pilot, A.Wait(hours=1))
        assert also.display
        shown = str(also.render())
        # 72 clock hours from the conference ending Fri 13 Mar 10:00: Mon 16 Mar 10:00.
        assert "Also Mon 16 Mar" in shown and "Dissent at a child protection" in shown
        await perform(pilot, A.Contact(role="conference_chair", channel="phone"))
        assert "put the dissent in writing" in str(also.render())
        await perform(pilot, A.Contact(role="conference_chair", channel="email"))
        assert not also.display
