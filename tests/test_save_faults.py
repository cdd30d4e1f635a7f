"""A save that cannot be written (read-only folder, full disk) warns, keeps the case in
memory, retries, and loses no action; a crash exits non-zero and still tries to save."""

from __future__ import annotations

import errno
import json

import pytest

from sim import actions as A
from tui import store
from tui.app import DEFAULT_SCENARIO, TrainerApp, build_app
from tui.cli import main
from tui.pilot_driver import perform, settle
from tui.screens.case import CaseScreen


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DIR, str(tmp_path))
    monkeypatch.setattr(TrainerApp, "SAVE_RETRY_SECONDS", 0.05)


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EROFS, errno.EACCES])
async def test_a_failing_disk_warns_retries_and_loses_nothing(monkeypatch, error):
    real_save = store.save
    broken = {"on": False}

    def save(path, session, ui=None):
        if broken["on"]:
            raise OSError(error, "simulated")
        real_save(path, session, ui)

    monkeypatch.setattr(store, "save", save)
    app = build_app(DEFAULT_SCENARIO, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        broken["on"] = True
        await perform(pilot, A.Contact(role="cs.social_worker"))
        await pilot.pause(0.2)  # retries fail meanwhile
        assert app.is_running and isinstance(app.screen, CaseScreen)
        toasts = [n.message for n in app._notifications]
        assert any("could not be saved" in t and "Nothing is lost" in t for t in toasts)
        assert sum("could not be saved" in t for t in toasts) == 1  # told once, not per retry
        assert app.play is not None and app.play.save_problem
        taken = len(app.play.session.actions)
        broken["on"] = False
        for _ in range(40):
            await pilot.pause(0.05)
            if app.play.save_problem is None:
                break
        assert app.play.save_problem is None
        saved = json.loads(app.play.save_path.read_text(encoding="utf-8"))
        assert len(saved["session"]["actions"]) == taken >= 1
        assert any("saved again" in n.message for n in app._notifications)


def test_a_crash_exits_non_zero_and_saves(monkeypatch, capsys):
    def boom(self) -> None:
        raise RuntimeError("simulated crash")

    real_run = TrainerApp.run
    monkeypatch.setattr(TrainerApp, "on_mount", boom)
    monkeypatch.setattr(TrainerApp, "run", lambda self, **kw: real_run(self, headless=True))
    code = main(["play", DEFAULT_SCENARIO, "--seed", "1"])
    assert code != 0
    assert "stopped on an error" in capsys.readouterr().err
