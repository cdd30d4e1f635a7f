"""The workshop's two Textual faces driven with Pilot: the facilitator dashboard (live rows,
clock buttons, injects, debrief export) and the trainee app (name screen, rejoin key,
briefing, acting, live injects, pause refusals, rejoin after closing)."""

from __future__ import annotations

import pytest
from textual.widgets import Button, DataTable, Input, Static

from sim import actions as A
from tui.app import build_app
from tui.pilot_driver import perform, settle
from tui.screens.briefing import BriefingScreen
from tui.screens.case import CaseScreen
from tui.workshop.dashboard import Dashboard
from tui.workshop.service.facilitator import Facilitator, create
from tui.workshop.service.participant import WorkshopParticipant
from tui.workshop.service.store import DB_ENV, Store
from tui.workshop.trainee import JoinedNote, JoinScreen
from tui.workshop_join import opening, prepare, remembered

SCENARIO = "talk-first-school-dsl"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ESCALATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(DB_ENV, str(tmp_path / "w.sqlite3"))
    return tmp_path / "data"


@pytest.fixture
def workshop(tmp_path):
    store = Store()
    made = create(store, SCENARIO, "Pilot group", seed=4)
    return store, made, Facilitator(store, made.code, made.key)


async def wait_for(pilot, condition, tries: int = 40) -> None:
    for _ in range(tries):
        await settle(pilot)
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition never became true")


async def test_dashboard_shows_trainees_live_and_runs_the_clock(workshop, data_dir):
    store, made, facilitator = workshop
    asha = WorkshopParticipant.join(Store(store.path), made.code, "Asha")
    app = Dashboard(Facilitator(store, made.code, made.key), interval=0.1)
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.query_one("#trainees", DataTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        assert "LOBBY" in str(app.query_one("#state", Static).render())
        assert app.query_one("#do-pause", Button).disabled
        await pilot.press("s")
        await wait_for(pilot, lambda: facilitator.state == "running")
        WorkshopParticipant.join(Store(store.path), made.code, "Ben")
        asha.act(A.Contact(role="cs.social_worker"))
        await wait_for(pilot, lambda: table.row_count == 2)
        row = [str(c) for c in table.get_row(str(asha.trainee_id))]
        assert row[0] == "Trainee 1: Asha" and row[5] == "1"
        await pilot.press("a")  # anonymise for projecting
        assert str(table.get_row(str(asha.trainee_id))[0]) == "Trainee 1"
        await pilot.click("#do-pause")
        await wait_for(pilot, lambda: facilitator.state == "paused")
        # a free-text inject from the input, with the immediate-risk box ticked
        await pilot.press("i")
        await pilot.press(*"The child arrives with a new bruise")
        app.query_one("#inject-risk").value = True
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(facilitator.info().injects) == 1)
        assert facilitator.info().injects[0] == (1, "The child arrives with a new bruise",
                                                 True)
        assert asha.poll().delivered[0].text == "The child arrives with a new bruise"
        await wait_for(pilot, lambda: str(table.get_row(str(asha.trainee_id))[6]) == "1/1")
        await pilot.click("#do-resume")
        await wait_for(pilot, lambda: facilitator.state == "running")
        await pilot.press("d")
        exports = data_dir / "exports"
        await wait_for(pilot, lambda: len(list(exports.glob(f"cohort-{made.code}*"))) == 3)
        page = (exports / f"cohort-{made.code}.html").read_text(encoding="utf-8")
        assert "Trainee 2" in page and "Asha" not in page
        await pilot.press("e")  # asks first; n keeps the workshop going
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmEnd")
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ != "ConfirmEnd")
        assert facilitator.state == "running"
        await pilot.press("e")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmEnd")
        await pilot.press("y")
        await wait_for(pilot, lambda: facilitator.state == "ended")
        assert all(app.query_one(f"#do-{c}", Button).disabled
                   for c in ("start", "pause", "resume", "end"))


async def test_a_trainee_joins_by_name_acts_gets_injects_and_is_refused_while_paused(
        workshop):
    store, made, facilitator = workshop
    facilitator.start()
    participant, problem = prepare(store, made.code, None)
    assert participant is None and problem == ""
    app = build_app(opening=opening(store, made.code, None, None))
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, JoinScreen)
        await pilot.press(*"Sam K", "enter")
        await settle(pilot)
        assert isinstance(app.screen, JoinedNote)
        token = str(app.screen.query_one("#joined-token", Static).render())
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BriefingScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        me = app.play.participant  # type: ignore[union-attr]
        assert me.token in token
        await perform(pilot, A.Contact(role="cs.social_worker"))
        rows = facilitator.progress()
        assert rows[0].name == "Sam K" and rows[0].actions == 1
        facilitator.inject("A parent phones, angry")
        await wait_for(pilot, lambda: "A parent phones" in str(
            app.screen.query_one("#inbox-text", Static).render()))
        assert "Workshop" in app.sub_title
        facilitator.pause()
        await wait_for(pilot, lambda: "paused" in app.sub_title)
        now = me.session.now
        await pilot.press("i")  # inform the referrer: refused, clock stopped
        await settle(pilot)
        assert me.session.now == now and facilitator.progress()[0].actions == 2
        facilitator.resume()
        await wait_for(pilot, lambda: "running" in app.sub_title)
        await pilot.press("i")
        await settle(pilot)
        assert facilitator.progress()[0].actions == 3
    # the terminal remembered the rejoin key: rejoining by name resumes the case
    assert remembered(made.code, "sam k") == me.token
    again, _ = prepare(store, made.code, "Sam K")
    assert again is not None and again.session.to_dict() == me.session.to_dict()
    app = build_app(opening=opening(store, made.code, "Sam K", again))
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        facilitator.end()
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DebriefScreen")


async def test_a_taken_name_without_the_key_is_asked_for_it(workshop, monkeypatch):
    store, made, _ = workshop
    monkeypatch.setenv("ESCALATE_WORKSHOP_SERVED", "1")  # as in a browser: nothing remembered
    first = WorkshopParticipant.join(store, made.code, "Asha")
    participant, problem = prepare(store, made.code, "Asha")
    assert participant is None and "rejoin key" in problem
    app = build_app(opening=opening(store, made.code, "Asha", None, problem))
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, JoinScreen)
        assert "rejoin key" in str(app.screen.query_one("#join-problem", Static).render())
        await pilot.press(*"WRON-GKEY", "enter")
        await settle(pilot)
        assert isinstance(app.screen, JoinScreen)
        app.screen.query_one("#join-token", Input).value = first.token
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BriefingScreen)  # no actions yet: the briefing


async def test_a_poll_landing_as_the_dashboard_closes_is_ignored(workshop, data_dir):
    """The poll runs in a worker; its result can arrive after the widgets are gone (seen
    as a crash at exit in CI). It must be dropped, not raise."""
    store, made, _ = workshop
    facilitator = Facilitator(store, made.code, made.key)
    app = Dashboard(facilitator, interval=60)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.info is not None)
        await app.query_one("#state", Static).remove()
        app.post_message(Dashboard.Refreshed(facilitator.info(), facilitator.progress()))
        await settle(pilot)
        assert app.is_running


async def test_the_dashboard_shows_the_highlighted_trainees_challenge(workshop):
    """Issue #15: the facilitator sees each trainee's challenge text, as they put it, and
    how it was answered, live on the dashboard (the cohort debrief shows every one)."""
    from scenarios.conversation_schema import Challenge

    store, made, facilitator = workshop
    facilitator.start()
    asha = WorkshopParticipant.join(Store(store.path), made.code, "Asha")
    WorkshopParticipant.join(Store(store.path), made.code, "Ben")
    put = Challenge(concern="neglect-closed", facts=("weight-loss",), asks_rationale=True,
                    ask="reconsider", tone="curious", free_text="Can we talk today?")
    asha.act(A.Contact(role="cs.social_worker", challenge=put))
    app = Dashboard(Facilitator(store, made.code, made.key), interval=0.1)
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.query_one("#trainees", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        panel = app.query_one("#challenge", Static)
        table.move_cursor(row=table.get_row_index(str(asha.trainee_id)))
        await wait_for(pilot, lambda: "Can we talk today?" in str(panel.render()))
        shown = str(panel.render())
        assert shown.startswith("Trainee 1: Asha challenged: ")
        await pilot.press("down")
        await wait_for(pilot, lambda: "has put no challenge yet" in str(panel.render()))
        await pilot.press("a")  # anonymised for projecting: no names
        await pilot.press("up")
        await wait_for(pilot, lambda: str(panel.render()).startswith("Trainee 1 challenged"))
