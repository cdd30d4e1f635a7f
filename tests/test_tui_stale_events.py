"""Keys that arrive together: a dialog answers once, and a selection made in a list that
has since been refilled (the Contact dialog's agency → role → channel) is dropped."""

from __future__ import annotations

import pytest
from textual import events

from tui import store
from tui.app import DEFAULT_SCENARIO, build_app
from tui.pilot_driver import settle
from tui.screens.case import CaseScreen
from tui.screens.dialogs import ContactDialog


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DIR, str(tmp_path))


async def burst(pilot, *keys: str) -> None:
    """Queue keys with no pause between them, as a fast typist or a paste does."""
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(pilot.app)
        pilot.app._driver.send_message(event)
    await settle(pilot)


async def _case(pilot) -> CaseScreen:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CaseScreen)
    return pilot.app.screen


@pytest.mark.parametrize("enters", [2, 3, 4, 6])
async def test_enters_arriving_together_in_the_contact_dialog(enters):
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        case = await _case(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ContactDialog)
        await burst(pilot, *["enter"] * enters)
        assert app.is_running
        # Whatever was kept, the dialog is still usable or has closed once: finish it.
        for _ in range(3):
            if not isinstance(app.screen, ContactDialog):
                break
            await pilot.press("enter")
            await settle(pilot)
        assert app.screen is case
        assert sum(a["kind"] == "contact" for a in case.session.to_dict()["actions"]) <= 1


@pytest.mark.parametrize("keys", [("w", "enter", "enter"), ("c", "enter", "enter", "enter",
                                                           "enter", "escape", "escape"),
                                  ("l", "enter", "enter", "escape", "escape")])
async def test_a_dialog_answered_twice_does_not_close_the_case(keys):
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        case = await _case(pilot)
        await burst(pilot, *keys)
        assert app.is_running
        assert case in app.screen_stack


async def test_a_late_answer_after_the_case_closed_is_dropped():
    from sim import actions as A

    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        case = await _case(pilot)
        app.show_picker()  # the case goes away (as when a workshop ends) …
        await settle(pilot)
        case.perform(A.Contact(role="cs.social_worker"))  # … then a dialog answers
        await settle(pilot)
        assert app.is_running and not case.session.actions
