"""Delay has consequences (issue #15 item 3): a scenario's event with `unless` happens only
if, by its time, the trainee had not done that; the debrief says what happened because of
the delay, or that acting in time averted it; the lint holds the model answer to averting
every one; `check` refuses a condition the trainee could never meet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from scenarios.checks import check_scenario
from scenarios.loader import get_policy, get_scenario
from scenarios.scenario_schema import Scenario
from scoring.debrief import debrief_html, debrief_markdown
from scoring.delay import delay_consequences
from scoring.lint import lint_scenario
from sim.players import play
from sim.session import Session

NEGLECT = "neglect-assessment-early-years"


def played(player: str, scenario: Scenario | None = None, seed: int = 1) -> Session:
    return play(Session(scenario or get_scenario(NEGLECT), seed), player)


def test_waiting_at_stage_1_loses_sight_of_the_child():
    # The closure letter is Mon 19 Jan 2026; on Mon 2 Feb 09:15 the case has not left
    # Stage 1, so Nadia's mother withdraws her from the nursery.
    session = played("passive")
    [consequence] = delay_consequences(session)
    assert consequence.happened
    assert consequence.at == datetime(2026, 2, 2, 9, 15)
    assert consequence.text.startswith("Nadia's mother rings to say Nadia will not be coming")
    assert "had not left Stage 1" in consequence.because
    assert any(e.data.get("event") == "withdrawn-from-nursery" for e in session.timeline)


@pytest.mark.parametrize("player", ["perfect", "late"])
def test_escalating_in_time_averts_it(player):
    session = played(player)
    [consequence] = delay_consequences(session)
    assert not consequence.happened
    assert consequence.because == ("Averted: you had taken it to Stage 2 – Line managers "
                                   "(assumed) in time.")
    assert not any(e.data.get("event") == "withdrawn-from-nursery" for e in session.timeline)


def test_the_debrief_says_what_the_delay_cost():
    session = played("passive")
    markdown = debrief_markdown(session)
    assert "## What happened because of the delay" in markdown
    assert "**Mon 02 Feb 09:15** Nadia's mother rings" in markdown
    assert "What happened because of the delay</h2>" in debrief_html(session)
    assert "This did not happen" in debrief_markdown(played("perfect"))


def variant(**event: Any) -> Scenario:
    data = get_scenario(NEGLECT).model_dump()
    data["events"].append({"id": "drift", "kind": "message", "text": "The case drifts.",
                           **event})
    return Scenario.model_validate(data)


@pytest.mark.parametrize("unless, at, averted_by", [
    ("contact:cs.social_worker", "2026-01-28T10:00:00", "perfect"),  # rung at once
    ("referred", "2026-01-28T10:00:00", None),  # nobody in this case refers
    ("resolved", "2026-03-02T10:00:00", "perfect"),  # agreed at Stage 2 in February
])
def test_each_condition(unless, at, averted_by):
    scenario = variant(at=at, unless=unless)
    assert check_scenario(scenario, get_policy(scenario.policy)) == []
    passive = dict(played("passive", scenario).consequences)
    assert passive["drift"] is True
    if averted_by:
        good = played(averted_by, scenario)
        assert dict(good.consequences).get("drift", False) is False
        assert [c.happened for c in delay_consequences(good)
                if c.text == "The case drifts."] == [False]


def test_the_lint_wants_the_model_answer_to_avert_every_consequence():
    # Nobody refers in this case, so a consequence "unless referred" befalls the model too.
    scenario = variant(at="2026-01-28T10:00:00", unless="referred")
    assert any("lets 'drift' happen" in p for p in lint_scenario(scenario))
    assert lint_scenario(get_scenario(NEGLECT)) == []


@pytest.mark.parametrize("event, expected", [
    ({"at": "2026-01-28T10:00:00", "unless": "contact:nobody"}, "unknown role 'nobody'"),
    ({"at": "2026-01-28T10:00:00", "unless": "stage:stage9"}, "unknown stage 'stage9'"),
    ({"at": "2026-01-28T10:00:00", "unless": "waited"}, "expected 'contact:ROLE'"),
    ({"on": "resolved", "unless": "resolved"}, "happens at a time"),
    ({"at": "2026-01-28T10:00:00", "because": "Why."}, "give 'unless' too"),
])
def test_check_refuses_a_consequence_that_cannot_be_judged(event, expected):
    scenario = variant(**event)
    problems = check_scenario(scenario, get_policy(scenario.policy))
    assert any(expected in message for _, message in problems), problems


def test_a_looked_after_childs_drift_ends_in_hospital_if_nobody_moves_it():
    # Tue 21 Apr 2026: Day 9 is Fri 1 May; on Thu 30 Apr the passive nurse's case is still
    # at Stage 1, and Kai has been hurt.
    lac = get_scenario("looked-after-drift-lac-nurse")
    [harm] = delay_consequences(played("passive", lac))
    assert harm.happened and harm.at == datetime(2026, 4, 30, 8, 40)
    assert "needed stitches" in harm.text
    [averted] = delay_consequences(played("late", lac))
    assert not averted.happened
