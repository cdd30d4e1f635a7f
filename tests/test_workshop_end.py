"""Ending a workshop: it asks first, says who is mid-case and what happens to them, finishes
their cases where they stand, and the ended workshop can still be opened for review (a
read-only dashboard and the cohort debrief)."""

from __future__ import annotations

import sys

import pytest
from textual.widgets import Button, Checkbox, Input, Static

from scoring import evaluate
from sim import actions as A
from sim.players import PLAYERS
from tui.cli import main
from tui.pilot_driver import settle
from tui.workshop.confirm import ConfirmEnd
from tui.workshop.dashboard import Dashboard
from tui.workshop.review import CohortView
from tui.workshop.service.facilitator import Facilitator, create, end_warning
from tui.workshop.service.participant import WorkshopParticipant
from tui.workshop.service.sessions import rebuild
from tui.workshop.service.store import Store

SCENARIO = "front-door-early-help-health-visitor"


@pytest.fixture
def running(tmp_path):
    db = tmp_path / "w.sqlite3"
    store = Store(db)
    made = create(store, SCENARIO, "Ending", seed=5)
    facilitator = Facilitator(store, made.code, made.key)
    facilitator.start()
    done = WorkshopParticipant.join(store, made.code, "Asha")
    for action in PLAYERS["perfect"](done.session):
        if done.session.finished:
            break
        done.act(action)
    if not done.session.finished:
        done.act(A.Finish())
    mid = WorkshopParticipant.join(store, made.code, "Ben")
    mid.act(A.Contact(role="cs.social_worker"))
    return db, store, made, facilitator, done, mid


async def wait_for(pilot, condition, tries: int = 60) -> None:
    for _ in range(tries):
        await settle(pilot)
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition never became true")


def test_ending_finishes_every_case_still_being_played_where_it_stands(running):
    _db, store, made, facilitator, done, mid = running
    done_log = len(done.session.actions)
    where = mid.session.now
    facilitator.end()
    with store.read() as con:
        rows = {t: con.execute("SELECT * FROM actions WHERE trainee = ? ORDER BY seq",
                               (t,)).fetchall() for t in (done.trainee_id, mid.trainee_id)}
    assert len(rows[done.trainee_id]) == done_log, "a finished case is left as it was"
    assert [r["seq"] for r in rows[mid.trainee_id]] == [0, 1]
    assert '"finish"' in rows[mid.trainee_id][-1]["action_json"]
    assert rows[mid.trainee_id][-1]["at"] == where.isoformat(), "at their own time"
    finished = rebuild(facilitator.scenario, facilitator.seed, rows[mid.trainee_id])
    assert finished.finished and finished.finished_at == where
    # the trainee's own window catches up on its next poll and shows the finished case
    status = mid.poll()
    assert status.state == "ended" and status.caught_up and mid.session.finished
    assert mid.results().score == evaluate(finished).score
    # the dashboard, the cohort and the facilitator's own view all judge finished cases
    assert all(r.finished for r in facilitator.progress())
    assert all(t.finished for t in facilitator.cohort().trainees)
    fresh = Facilitator(store, made.code, made.key)
    assert [r.score for r in fresh.progress()] == [r.score for r in facilitator.progress()]


def test_the_warning_says_who_is_mid_case_and_what_happens_to_them(running):
    *_, made, facilitator, _, _ = running
    text = end_warning(made.code, facilitator.progress())
    assert "2 trainee(s) joined, 1 still mid-case" in text
    assert "Mid-case: Trainee 2." in text and "Ben" not in text
    assert "finishes where it stands" in text and "not done" in text
    assert "cannot be undone" in text and f"escalate workshop review {made.code}" in text
    assert "Trainee 2 (Ben)" in end_warning(made.code, facilitator.progress(), names=True)


def test_the_command_line_asks_with_the_same_warning(running, capsys, monkeypatch):
    db, store, made, *_ = running
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda q: asked.append(q) or "n")
    with pytest.raises(SystemExit):
        main(["workshop", "end", made.code, "--key", made.key, "--db", str(db)])
    assert "Mid-case: Trainee 2" in asked[0] and asked[0].endswith("[y/N] ")
    assert Facilitator(store, made.code, made.key).state == "running"


async def test_the_dashboard_confirms_then_stays_open_for_review(running):
    _db, store, made, facilitator, _done, _mid = running
    app = Dashboard(Facilitator(store, made.code, made.key), interval=0.1)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: len(app.rows) == 2)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmEnd))
        shown = str(app.screen.query_one("#confirm-text", Static).render())
        assert "1 still mid-case" in shown and "Trainee 2 (Ben)" in shown
        assert "finishes where it stands" in shown
        await pilot.press("y")
        await wait_for(pilot, lambda: facilitator.state == "ended")
        await wait_for(pilot, lambda: app.read_only and all(r.finished for r in app.rows))
        await wait_for(pilot, lambda: app.query_one("#inject-text", Input).disabled)
        assert "review only" in str(app.query_one("#state", Static).render())
        assert app.query_one("#inject-risk", Checkbox).disabled
        assert not app.query_one("#do-debrief", Button).disabled
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, CohortView))
        debrief = str(app.screen.query_one("#cohort-text", Static).render())
        assert "Findings by rule" in debrief and "ended" in debrief
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, CohortView))


async def test_review_opens_any_workshop_read_only(running, monkeypatch):
    db, store, made, facilitator, _, _ = running
    opened: list[bool] = []
    monkeypatch.setattr(Dashboard, "run", lambda self: opened.append(self.review))
    assert main(["workshop", "review", made.code, "--key", made.key, "--db", str(db)]) == 0
    assert opened == [True]
    app = Dashboard(Facilitator(store, made.code, made.key), interval=0.1, review=True)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: len(app.rows) == 2)
        await pilot.press("p")  # no clock in review
        await pilot.press("i", *"hello", "enter")  # no injects either
        await settle(pilot)
        assert facilitator.state == "running" and facilitator.info().injects == []
        assert app.query_one("#do-pause", Button).disabled
        assert "review only" in str(app.query_one("#state", Static).render())


async def test_an_ended_workshop_opens_for_review_with_the_debrief(running):
    """Days later: the facilitator opens the ended workshop and reads the cohort debrief."""
    _db, store, made, facilitator, _, _ = running
    facilitator.end()
    app = Dashboard(Facilitator(store, made.code, made.key), interval=0.1)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: len(app.rows) == 2 and app.read_only)
        await wait_for(pilot, lambda: "ENDED" in str(app.query_one("#state", Static).render()))
        await pilot.press("e")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmEnd)
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, CohortView))
