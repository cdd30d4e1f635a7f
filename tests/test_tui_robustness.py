"""300 seeded random key presses on every screen raise no exception."""

from __future__ import annotations

import random

import pytest
from textual import events

from sim import actions as A
from tui import store
from tui.app import DEFAULT_SCENARIO, build_app
from tui.pilot_driver import perform, play_through, settle

KEYS = [*"abcdefghijklmnopqrstuvwxyz0123456789", "up", "down", "left", "right", "enter",
        "escape", "tab", "shift+tab", "space", "backspace", "home", "end", "pageup",
        "pagedown", "ctrl+s", "ctrl+f", "ctrl+t", "ctrl+c", "f3", "colon", "minus", "plus"]
PRESSES = 300


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DIR, str(tmp_path))


async def _to_briefing(pilot) -> None:
    await settle(pilot)


async def _to_picker(pilot) -> None:
    await settle(pilot)
    await pilot.press("s")


async def _to_case(pilot) -> None:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def _to_form(pilot) -> None:
    await _to_case(pilot)
    await pilot.press("l", "down", "enter")


async def _to_policy(pilot) -> None:
    await _to_case(pilot)
    await pilot.press("p")


async def _to_debrief(pilot) -> None:
    await _to_case(pilot)
    await perform(pilot, A.Contact(role="cs.social_worker"))
    await play_through(pilot, "passive")


CHARS = {"space": " ", "colon": ":", "minus": "-", "plus": "+"}


async def blast(pilot, keys: list[str]) -> None:
    """Send keys as fast as a paste would (Pilot's press idles ~60 ms after each key)."""
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else CHARS.get(key))
        event.set_sender(pilot.app)
        pilot.app._driver.send_message(event)
    await settle(pilot)


SCREENS = {"briefing": _to_briefing, "picker": _to_picker, "case": _to_case,
           "record_form": _to_form, "policy": _to_policy, "debrief": _to_debrief}


@pytest.mark.parametrize("screen", list(SCREENS))
async def test_random_keys_raise_nothing(screen):
    rng = random.Random(f"keys-{screen}")
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await SCREENS[screen](pilot)
        await settle(pilot)
        for _ in range(0, PRESSES, 20):
            await blast(pilot, rng.choices(KEYS, k=20))
        assert app.is_running
    assert app.return_code in (None, 0)
