"""One authority for what a deadline means: the deadline bar, the debrief and the stress
engines reach the same verdict on every dated duty (`sim.verdicts`)."""

from __future__ import annotations

import pytest

from scenarios.loader import bundled_scenarios
from scoring import evaluate
from sim.players import play
from sim.session import Session
from sim.verdicts import BREACHED, MET, MOOT, OPEN, PENDING, verdict

DEADLINE_JUDGES = ("stage_deadline", "discussion", "consider_meeting")


def test_verdict_rules_in_order():
    assert verdict(None, None, None, None, 10) == PENDING  # anchor not reached
    assert verdict(5, 5, None, None, 10) == MET  # done at the due minute
    assert verdict(5, 4, 3, 2, 10) == MET  # done before closing or risk
    assert verdict(5, 6, 5, None, 10) == MOOT  # closed by the due minute
    assert verdict(5, None, None, 5, 10) == MOOT  # immediate risk known by then
    assert verdict(5, None, 6, 6, 4) == OPEN  # not yet due
    assert verdict(5, 6, 7, None, 10) == BREACHED  # concluded late
    assert verdict(5, None, None, None, 10, in_reach=False) == PENDING  # not reached


def _judged_items(session: Session) -> dict[str, set[str]]:
    """Dated items the debrief judges: those listing a rule a deadline-judging duty cites."""
    rules = {d.rule for d in session.policy.duties if d.judge in DEADLINE_JUDGES}
    items: dict[str, set[str]] = {}
    for stage, step in session.ladder:
        items[step.id] = rules & set(step.rules)
        items[stage.id] = rules & set(stage.rules)
    return items


@pytest.mark.parametrize("player", ["perfect", "late"])
@pytest.mark.parametrize("scenario_id", sorted(bundled_scenarios()))
def test_the_deadline_bar_says_what_the_debrief_says(scenario_id, player):
    """At the end of the exercise, a deadline the bar shows missed is a finding in the
    debrief at that due time, and every deadline finding is shown missed on the bar."""
    session = play(Session.from_scenario(scenario_id, seed=1), player)
    judged = _judged_items(session)
    rules = {r for rs in judged.values() for r in rs}
    bar = {(v.stage, v.due) for v in session.observe().deadlines
           if v.state == BREACHED and judged[v.item]}
    debrief = {(f.stage, f.at) for f in evaluate(session).findings
               if f.rule in rules and f.theme == "timeliness"}
    assert bar == debrief
    states = {v.state for v in session.observe().deadlines}
    assert states <= {MET, BREACHED, OPEN, MOOT, PENDING}
