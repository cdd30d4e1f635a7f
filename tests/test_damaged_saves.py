"""Damaged autosaves are set aside (renamed, kept), the trainee is told in plain words, and
the app starts: `"ui": null`, a list, bad JSON, wrong types, an action that cannot replay."""

from __future__ import annotations

import json

import pytest

from scenarios.loader import get_scenario
from sim.session import Session
from tui import store
from tui.app import DEFAULT_SCENARIO, build_app
from tui.pilot_driver import settle
from tui.screens.dialogs import ResumePrompt


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DIR, str(tmp_path))
    return tmp_path


def good_save() -> dict:
    session = Session(get_scenario(DEFAULT_SCENARIO), 1)
    return {"session": session.to_dict(), "ui": {"format": 1, "title": "T"}}


def damaged() -> dict[str, str]:
    base = good_save()
    texts = {
        "ui-null": json.dumps({**base, "ui": None}),
        "a-list": json.dumps([1, 2, 3]),
        "not-json": "{\"session\": ",
        "empty": "",
        "session-null": json.dumps({"session": None}),
        "actions-text": json.dumps({**base, "session": {**base["session"], "actions": "x"}}),
        "seed-huge": json.dumps({**base, "session": {**base["session"], "seed": 1e400}}),
        "deep": "[" * 100_000 + "]" * 100_000,
    }
    return texts


@pytest.mark.parametrize("name", list(damaged()))
async def test_a_damaged_save_is_set_aside_and_the_app_starts(data_dir, name):
    folder = store.sessions_dir()
    folder.mkdir(parents=True)
    path = folder / f"{name}.json"
    path.write_text(damaged()[name], encoding="utf-8")
    app = build_app(DEFAULT_SCENARIO, 1)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.is_running and not isinstance(app.screen, ResumePrompt)
        toasts = [n.message for n in app._notifications]
        assert any("could not be read" in t and "set aside" in t for t in toasts), toasts
    assert not path.exists()
    kept = folder / f"{name}.json{store.DAMAGED_SUFFIX}"
    assert kept.read_text(encoding="utf-8") == damaged()[name]  # kept, byte for byte


async def test_a_save_whose_actions_cannot_replay_is_set_aside_on_resume(data_dir):
    data = good_save()
    data["session"]["actions"] = [{"kind": "no-such-action"}]
    folder = store.sessions_dir()
    folder.mkdir(parents=True)
    path = folder / "bad-action.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    app = build_app(DEFAULT_SCENARIO, 1)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ResumePrompt)
        await pilot.press("r")
        await settle(pilot)
        assert app.is_running
        toasts = [n.message for n in app._notifications]
        assert any("could not be reopened" in t and "set aside" in t for t in toasts), toasts
    assert not path.exists()
    assert (folder / f"bad-action.json{store.DAMAGED_SUFFIX}").exists()
    assert store.latest_unfinished() is None
