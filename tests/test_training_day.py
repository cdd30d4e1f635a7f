"""A real training day in the trainer: the policy text reads as text, and a case that was
opened but never started is not offered for resume."""

from __future__ import annotations

import pytest

from tui import store
from tui.app import DEFAULT_SCENARIO, build_app
from tui.pilot_driver import settle
from tui.screens.case import CaseScreen
from tui.screens.policy import PolicyScreen, plain_text


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DIR, str(tmp_path))
    return tmp_path


def test_plain_text_drops_left_over_html():
    assert plain_text("<p>A</p> <p>B</p>\nC <i>(x)</i> &amp; D<br>E") == "A\nB\nC (x) & D\nE"


async def test_the_policy_panel_shows_text_not_html_tags():
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PolicyScreen)
        body = app.screen.query_one("#policy-body").text
        assert "Barlows Primary School Escalation Policy" in body
        for tag in ("<p>", "</p>", "<i>", "</i>"):
            assert tag not in body


async def test_a_case_opened_but_never_started_is_not_offered_for_resume(data_dir):
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
    # whatever the app saved on opening the case, there is nothing to resume
    assert store.saves() and all(s.actions == 0 for s in store.saves())
    assert store.latest_unfinished() is None
    again = build_app(None, 1, start="briefing")  # asks about resuming when there is a case
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert type(again.screen).__name__ != "ResumePrompt"


async def test_a_case_with_an_action_is_offered_for_resume(data_dir):
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("i")  # inform the referrer
        await settle(pilot)
    found = store.latest_unfinished()
    assert found is not None and found.actions == 1
    again = build_app(None, 1, start="briefing")
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert type(again.screen).__name__ == "ResumePrompt"
