"""The trainer shows what it assumes: the policy file's assumptions (with what each
affects), every rule judged from national guidance, and what the policy says is done at each
step (its `guidance`), on the policy screen and in `escalate policy show`.

Issue #13: fields that validate must be honoured; these had no reader but the schema.
"""

from __future__ import annotations

import pytest

from scenarios.loader import get_policy, load_policy
from tui import store
from tui.app import DEFAULT_SCENARIO, build_app
from tui.cli import main
from tui.ladder_table import assumption_lines, step_guidance_lines
from tui.pilot_driver import settle
from tui.screens.policy import PolicyScreen


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DIR, str(tmp_path))
    return tmp_path


def test_assumption_lines_list_the_files_assumptions_then_guidance_rules():
    policy = get_policy("bs3-early-years")
    lines = assumption_lines(policy)
    # B10 (fresh referral) and B33 (the LADO) rest on guidance
    assert [r.id for r in policy.rules if r.basis == "guidance"] == ["B10", "B33"]
    assert len(lines) == len(policy.assumptions) + 2
    categories = next(a for a in policy.assumptions if a.affects == ["categories"])
    assert lines[policy.assumptions.index(categories)].endswith("(affects: categories)")
    assert lines[-2].startswith("B10 ")
    assert "Working Together to Safeguard Children 2023" in lines[-2]
    assert lines[-1].startswith("B33 ") and "Keeping Children Safe in Education" in lines[-1]


def test_a_silent_policy_shows_the_practice_duties_it_was_given():
    lines = assumption_lines(load_policy("tests/fixtures/policies/minimal.yaml"))
    assert any(line.startswith("PRACTICE5 ") for line in lines)
    assert any("policy is silent on doing nothing" in line for line in lines)


def test_step_guidance_is_each_steps_own_words():
    policy = get_policy("liverpool-lscb")
    lines = step_guidance_lines(policy)
    assert len(lines) == sum(1 for _, step in policy.steps() if step.guidance)
    first = " ".join(policy.stages[0].steps[0].guidance.split())
    assert lines[0] == f"{policy.stages[0].name} · Attempt resolution: {first}"


def test_policy_show_prints_guidance_and_assumptions(capsys):
    assert main(["policy", "show", "liverpool-lscb"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "What is done at each step" in out
    assert "Assumptions" in out
    assert "L17 New information suggesting significant harm" in out


async def press_through(pilot, *keys: str) -> None:
    """From the briefing of the default case: each key, then let the app settle."""
    await settle(pilot)
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def test_the_policy_screen_has_an_assumptions_tab():
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await press_through(pilot, "enter", "p")
        screen = app.screen
        assert isinstance(screen, PolicyScreen)
        shown = str(screen.query_one("#assumptions").render())
        assert "L18 Keep the person who raised the concern informed" in shown
        guidance = str(screen.query_one("#guidance").render())
        assert "Escalation Summary Log" in guidance


async def test_the_case_file_names_roles_by_their_short_labels():
    # `Role.short` is "for narrow screens": the case file is the narrow panel. The default
    # case seats the school's DSL, whose short label is "DSL".
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await press_through(pilot, "enter")
        screen = app.screen
        obs = screen.session.observe()
        text = screen._casefile(obs).plain
        policy = screen.session.policy
        assert policy.role("school.dsl").label == "DSL"
        mine = ", ".join(policy.role(r).label for r in obs.your_roles)
        assert f"Your agency: {mine}\n" in text
        assert "DSL" in mine
