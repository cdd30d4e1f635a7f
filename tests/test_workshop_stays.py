"""A trainee who joined a workshop stays in it: the window never wanders off into a solo
scenario (the picker, another case, a solo resume), where the facilitator could no longer
see them; it says why instead."""

from __future__ import annotations

import pytest

from sim import actions as A
from sim.session import Session
from tui.app import build_app
from tui.pilot_driver import perform, settle
from tui.screens.briefing import BriefingScreen
from tui.screens.case import CaseScreen
from tui.screens.picker import PickerScreen
from tui.workshop.service.facilitator import Facilitator, create
from tui.workshop.service.participant import WorkshopParticipant
from tui.workshop.service.store import DB_ENV, Store
from tui.workshop_join import opening

SCENARIO = "front-door-early-help-health-visitor"
OTHER = "talk-first-school-dsl"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ESCALATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(DB_ENV, str(tmp_path / "w.sqlite3"))
    return tmp_path / "data"


def solo_saves(data_dir) -> list:
    return [p for p in data_dir.rglob("*.json") if "workshop-tokens" not in p.name]


async def wait_for(pilot, condition, tries: int = 60) -> None:
    for _ in range(tries):
        await settle(pilot)
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition never became true")


def warned(app) -> bool:
    return any("belongs to workshop" in str(n.message) for n in app._notifications)


async def test_a_workshop_window_never_leaves_for_a_solo_scenario(data_dir):
    store = Store()
    made = create(store, SCENARIO, "Stay", seed=3)
    facilitator = Facilitator(store, made.code, made.key)
    facilitator.start()
    me = WorkshopParticipant.join(store, made.code, "Asha")
    app = build_app(opening=opening(store, made.code, "Asha", me))
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # the note with the rejoin key
        await wait_for(pilot, lambda: isinstance(app.screen, BriefingScreen))
        assert app.workshop == made.code
        await pilot.press("s")  # "Scenarios" from the briefing: refused, with the reason
        await settle(pilot)
        assert isinstance(app.screen, BriefingScreen) and warned(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BriefingScreen)
        # another case (e.g. from a stale screen) or a solo resume is refused the same way
        app.start_case(Session.from_scenario(OTHER, 1), None)
        app.resume(None)
        await settle(pilot)
        assert isinstance(app.screen, BriefingScreen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseScreen))
        await perform(pilot, A.Contact(role="cs.social_worker"))
        facilitator.end()
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DebriefScreen")
        await pilot.press("n")  # "Another scenario" from the debrief
        await settle(pilot)
        assert type(app.screen).__name__ == "DebriefScreen"
        assert not any(isinstance(s, PickerScreen) for s in app.screen_stack)
    assert solo_saves(data_dir) == [], "no solo case was started or saved"
    # everything the trainee did is in the workshop, where the facilitator sees it
    assert [r.actions for r in facilitator.progress()] == [2]  # the call, and the end


async def test_a_solo_window_still_goes_back_to_the_scenarios(data_dir):
    app = build_app(OTHER, 1, prompt_resume=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, BriefingScreen) and app.workshop is None
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen))
