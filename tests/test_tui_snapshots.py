"""Layout snapshots of the picker, case screen, a record form and the debrief at 80×24 and
120×40. Seeds are fixed, the cursor does not blink and nothing shows wall-clock time."""

from __future__ import annotations

import pytest
from textual.widgets import Input, TextArea

from sim import actions as A
from tui import store
from tui.app import DEFAULT_SCENARIO, build_app
from tui.pilot_driver import perform, play_through, settle

SIZES = [(80, 24), (120, 40)]


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DIR, str(tmp_path))


async def still(pilot) -> None:
    """Settle, then stop every cursor blinking so the frame is the same each run."""
    await settle(pilot)
    for screen in pilot.app.screen_stack:
        for widget in screen.query(Input):
            widget.cursor_blink = False
        for widget in screen.query(TextArea):
            widget.cursor_blink = False
    await pilot.pause()


async def into_case(pilot) -> None:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    await perform(pilot, A.Contact(role="cs.social_worker", channel="phone"))
    await perform(pilot, A.Wait(hours=1))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_picker(snap_compare, size):
    """Filtered to one scenario, so the library growing does not change the picture."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press(*"talk first")
        await still(pilot)

    assert snap_compare(build_app(None, 1, prompt_resume=False), terminal_size=size,
                        run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_case_screen(snap_compare, size):
    async def run_before(pilot) -> None:
        await into_case(pilot)
        await still(pilot)

    assert snap_compare(build_app(DEFAULT_SCENARIO, 1, prompt_resume=False),
                        terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_record_form(snap_compare, size):
    async def run_before(pilot) -> None:
        await into_case(pilot)
        await pilot.press("l", "down", "enter")
        await still(pilot)

    assert snap_compare(build_app(DEFAULT_SCENARIO, 1, prompt_resume=False),
                        terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_debrief(snap_compare, size):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await play_through(pilot, "perfect")
        await still(pilot)

    assert snap_compare(build_app(DEFAULT_SCENARIO, 1, prompt_resume=False),
                        terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("tab", ["policy-text", "policy-ladder", "policy-assumptions"])
def test_policy_screen_80x24(snap_compare, tab):
    """The policy as a trainee reads it at the smallest supported size: its text (no raw
    HTML), the ladder for their agency, and what the trainer assumes."""
    from textual.widgets import TabbedContent

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        pilot.app.screen.query_one(TabbedContent).active = tab
        await still(pilot)

    assert snap_compare(build_app(DEFAULT_SCENARIO, 1, prompt_resume=False),
                        terminal_size=(80, 24), run_before=run_before)
