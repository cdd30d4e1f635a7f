"""The challenge builder in the trainer, keyboard only, at 80×24 and 120×40: contacting the
social worker opens it, the challenge built by keys goes with the call, the reply is shown."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from scenarios.conversation_schema import Challenge
from sim import actions as A
from tui import store
from tui.app import DEFAULT_SCENARIO, build_app
from tui.pilot_driver import challenge, perform, pick, settle
from tui.screens.challenge import ChallengeScreen

SIZES = [(80, 24), (120, 40)]
MODEL = Challenge(concern="neglect-closed",
                  facts=("weight-loss", "bruise-forearm", "two-breakfasts"),
                  asks_rationale=True, ask="reconsider", tone="curious",
                  free_text="Thank you for calling back.")


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DIR, str(tmp_path))


async def open_builder(pilot) -> None:
    """From the briefing: c, children's services, the social worker, by phone."""
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("c")
    await pilot.pause()
    dialog = pilot.app.screen
    await pick(pilot, list(dialog.by_agency).index("childrens_services"))
    roles = [o.action.role for o in dialog.by_agency["childrens_services"]]
    await pick(pilot, roles.index("cs.social_worker"))
    await pick(pilot, 0)  # by phone
    await settle(pilot)


async def still(pilot) -> None:
    await settle(pilot)
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_challenge_built_by_keys_reaches_the_best_ending(size):
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=size) as pilot:
        await open_builder(pilot)
        assert isinstance(app.screen, ChallengeScreen)
        await challenge(pilot, A.Contact(role="cs.social_worker", challenge=MODEL))
        await settle(pilot)
        session = app.play.session
        _, contact = session.actions[-1]
        assert contact.challenge == MODEL  # every part arrived from the keys
        await perform(pilot, A.Wait())
        talk = session.conversations[-1]
        assert talk["path"] == ["open", "rationale", "reopen"]
        assert session.status == "resolved"
        inbox = str(app.screen.query_one("#inbox-text").render())
        assert "reopen it as child in need" in inbox


async def test_escape_in_the_builder_calls_without_a_challenge():
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_builder(pilot)
        await pilot.press("escape")
        await settle(pilot)
        _, contact = app.play.session.actions[-1]
        assert isinstance(contact, A.Contact) and contact.challenge is None


async def test_a_weak_challenge_by_keys_gets_pushback_and_the_case_stays_open():
    weak = Challenge(concern="not-happy", facts=("pe-kit",), tone="accusatory")
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_builder(pilot)
        await challenge(pilot, A.Contact(role="cs.social_worker", challenge=weak))
        await perform(pilot, A.Wait())
        session = app.play.session
        assert session.conversations[-1]["path"] == ["open", "defensive"]
        assert session.status == "open"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_the_builder(snap_compare, size):
    async def run_before(pilot) -> None:
        await open_builder(pilot)
        await pilot.press("enter", "tab", "space", "down", "space", "tab", "space")
        await still(pilot)

    assert snap_compare(build_app(DEFAULT_SCENARIO, 1, prompt_resume=False),
                        terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_the_reply(snap_compare, size):
    async def run_before(pilot) -> None:
        await open_builder(pilot)
        await challenge(pilot, A.Contact(role="cs.social_worker", challenge=MODEL))
        await perform(pilot, A.Wait())
        await still(pilot)

    assert snap_compare(build_app(DEFAULT_SCENARIO, 1, prompt_resume=False),
                        terminal_size=size, run_before=run_before)


async def test_markup_in_a_fact_or_concern_is_shown_as_written():
    """Scenario text reaches the builder as plain text, never as Rich/Textual markup."""
    from scenarios.loader import get_scenario
    from sim.session import Session

    scenario = get_scenario(DEFAULT_SCENARIO)
    facts = [f.model_copy(update={"text": "Saw [b]bold[/b] and [link=x]a link[/link]"})
             if f.id == "weight-loss" else f for f in scenario.facts]
    concerns = [c.model_copy(update={"text": "[red]Worried[/red]"})
                for c in scenario.conversation.concerns]
    changed = scenario.model_copy(update={
        "facts": facts,
        "conversation": scenario.conversation.model_copy(update={"concerns": concerns})})
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await app.push_screen(ChallengeScreen(Session(changed, 1), "cs.social_worker"))
        await settle(pilot)
        shown = app.screen.query_one("#facts").get_option_at_index(0).prompt
        assert "[b]bold[/b]" in str(shown)
        from textual.widgets import RadioButton

        assert "[red]Worried[/red]" in str(app.screen.query(RadioButton).first().label)
