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


WIDE_KEYS = [*KEYS, "ctrl+p", "ctrl+q_", "ctrl+l", "ctrl+d", "ctrl+z", "ctrl+a", "ctrl+e",
             "ctrl+w", "ctrl+k", "ctrl+u", "ctrl+y", "f1", "delete", "insert", "shift+up",
             *"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", "é", "ß", "ж", "中", "🙂", "\u200b",
             "\u202e", "enter", "enter", "escape"]


async def _to_dialog(key: str):
    async def go(pilot) -> None:
        await _to_case(pilot)
        await pilot.press(key)
    return go


DIALOGS = {"contact": "c", "wait": "w", "record": "l", "refer": "r", "meeting": "m"}
WIDE_SCREENS = {**{name: SCREENS[name] for name in ("briefing", "picker", "case", "debrief")},
                **{f"dialog-{name}": key for name, key in DIALOGS.items()}}


def _key_event(key: str) -> events.Key:
    if key == "ctrl+q_":  # a ctrl+q that is not the binding: an unknown control name
        return events.Key("ctrl+shift+q", None)
    char = key if len(key) == 1 else CHARS.get(key)
    return events.Key(key, char)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("screen", list(WIDE_SCREENS))
async def test_wide_random_keys_and_bursts_raise_nothing(screen, seed):
    """Control keys (the command palette too), punctuation, unicode, in bursts of 1–40."""
    rng = random.Random(f"wide-{screen}-{seed}")
    app = build_app(DEFAULT_SCENARIO, seed, prompt_resume=False)
    target = WIDE_SCREENS[screen]
    async with app.run_test(size=(80, 24)) as pilot:
        if isinstance(target, str):
            await (await _to_dialog(target))(pilot)
        else:
            await target(pilot)
        await settle(pilot)
        sent = 0
        while sent < 100:
            size = rng.choice([1, 2, 5, 40])
            for key in rng.choices(WIDE_KEYS, k=size):
                if key == "ctrl+q":
                    continue  # quitting is the one thing a key may do
                event = _key_event(key)
                event.set_sender(app)
                app._driver.send_message(event)
            sent += size
            await settle(pilot)
            if not app.is_running:
                break  # the palette's own "Quit" command, typed by chance: a clean exit
    assert app.return_code in (None, 0)


@pytest.mark.parametrize("keys", [("ctrl+p", "pageup"), ("ctrl+p", "pagedown", "enter"),
                                  ("ctrl+p", "q", "u", "pageup", "down", "escape")])
async def test_the_command_palette_survives_keys_before_it_is_laid_out(keys):
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await blast(pilot, list(keys))
        assert app.is_running
