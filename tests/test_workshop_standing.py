"""The live dashboard shows what a facilitator can act on: each trainee on track, behind or
at risk, judged only on what is due so far (`scoring.standing`) — not a score that drops
after one correct call, or to the cap the moment an inject of immediate risk lands."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable, Static

from scenarios.loader import bundled_scenarios
from scoring import evaluate
from scoring.standing import standing
from sim import actions as A
from sim.players import PLAYERS
from sim.session import Session
from tui.pilot_driver import settle
from tui.workshop.dashboard import COLUMNS, Dashboard
from tui.workshop.service.facilitator import Facilitator, create
from tui.workshop.service.participant import WorkshopParticipant
from tui.workshop.service.store import Store

SCENARIO = "front-door-early-help-health-visitor"
BRUISE = "The child arrives with a new bruise"


def steps(session: Session, kind: str):
    """Each moment of a scripted player's case, as it is played."""
    for action in PLAYERS[kind](session):
        if session.finished:
            return
        session.act(action)
        yield action


@pytest.mark.parametrize("scenario_id", sorted(bundled_scenarios()))
def test_the_model_answer_is_on_track_at_every_moment(scenario_id):
    session = Session(bundled_scenarios()[scenario_id], 1)
    for action in steps(session, "perfect"):
        where = standing(session)
        assert where.verdict == "on track", (action, session.now, where.reason)


def test_an_inject_of_immediate_risk_is_due_not_missed_until_its_time_passes():
    session = Session.from_scenario(SCENARIO, 5)
    session.act(A.Contact(role="cs.social_worker"))
    assert standing(session).verdict == "on track"
    session.act(A.Inject(text=BRUISE, immediate_risk=True))
    where = standing(session)
    assert evaluate(session).capped, "as things stand the score is already capped"
    assert where.verdict == "on track" and where.overdue == ()
    assert where.reason.startswith("immediate risk: refer by ")
    due = session.risk_due()
    assert due is not None and f"{due:%H:%M}" in where.reason
    session.act(A.Wait(until=due + timedelta(minutes=5)))
    where = standing(session)
    assert where.verdict == "at risk" and where.reason.startswith("L1 ")
    assert all(f.at is not None and f.at < session.now for f in where.overdue)


def test_a_trainee_late_for_a_deadline_is_behind_and_says_which():
    session = Session.from_scenario(SCENARIO, 5)
    verdicts = [standing(session).verdict for _ in steps(session, "late")]
    assert verdicts[0] == "on track" and "behind" in verdicts and "at risk" not in verdicts
    first = verdicts.index("behind")
    assert set(verdicts[first:]) == {"behind"}, "a missed deadline stays missed"


def test_a_finished_case_is_judged_on_everything():
    session = Session.from_scenario(SCENARIO, 5)
    session.act(A.Finish())
    where = standing(session)
    assert where.verdict == "behind" and where.reason.startswith("L")
    assert set(where.overdue) == set(evaluate(session).problems)


async def test_the_dashboard_shows_on_track_behind_and_at_risk_not_a_score(tmp_path):
    store = Store(tmp_path / "w.sqlite3")
    made = create(store, SCENARIO, "Standing", seed=5)
    facilitator = Facilitator(store, made.code, made.key)
    facilitator.start()
    asha = WorkshopParticipant.join(store, made.code, "Asha")
    asha.act(A.Contact(role="cs.social_worker"))  # one correct call: still on track
    ben = WorkshopParticipant.join(store, made.code, "Ben")
    ben.act(A.Wait(until=ben.session.start + timedelta(days=6)))  # deadlines passed
    facilitator.inject(BRUISE, immediate_risk=True)
    cara = WorkshopParticipant.join(store, made.code, "Cara")
    cara.act(A.Wait(hours=3))  # the inject lands first; no referral by its due time
    dara = WorkshopParticipant.join(store, made.code, "Dara")
    assert dara.poll().delivered  # the inject lands: the referral is due, not yet missed
    expected = {asha.trainee_id: "on track", ben.trainee_id: "behind",
                cara.trainee_id: "at risk", dara.trainee_id: "on track"}

    app = Dashboard(Facilitator(store, made.code, made.key), interval=0.1)
    async with app.run_test(size=(160, 30)) as pilot:
        table = app.query_one("#trainees", DataTable)
        for _ in range(60):
            await settle(pilot)
            if table.row_count == 4:
                break
            await pilot.pause(0.05)
        assert "Score" not in COLUMNS
        progress, why = COLUMNS.index("Progress"), COLUMNS.index("Why")
        shown = {int(key.value): str(table.get_row(key)[progress]) for key in table.rows}
        assert shown == expected
        assert str(table.get_row(str(dara.trainee_id))[why]).startswith(
            "immediate risk: refer by")
        assert str(table.get_row(str(cara.trainee_id))[why]).startswith("L1 ")
        assert str(table.get_row(str(asha.trainee_id))[why]).startswith("next: ")
        bar = str(app.query_one("#state", Static).render())
        assert "2 on track" in bar and "1 behind" in bar and "1 at risk" in bar


def test_workshop_status_shows_each_trainees_standing_in_80_columns(tmp_path, capsys):
    import json

    from tui.cli import main

    db = tmp_path / "w.sqlite3"
    store = Store(db)
    made = create(store, SCENARIO, "A group with a long name for the status line", seed=5)
    facilitator = Facilitator(store, made.code, made.key)
    facilitator.start()
    late = WorkshopParticipant.join(store, made.code, "Someone with a long name indeed")
    late.act(A.Wait(until=late.session.start + timedelta(days=6)))
    WorkshopParticipant.join(store, made.code, "Asha").act(A.Contact(role="cs.social_worker"))
    base = ["workshop", "status", made.code, "--key", made.key, "--db", str(db)]
    assert main(base) == 0
    out = capsys.readouterr().out
    assert "progress" in out and "score" not in out
    assert all(len(line) <= 80 for line in out.splitlines()), out
    assert "behind" in out and "on track" in out
    assert main([*base, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["trainees"]
    assert [r["standing"] for r in rows] == ["behind", "on track"]
    assert rows[0]["reason"].startswith("L") and rows[1]["reason"].startswith("next: ")
