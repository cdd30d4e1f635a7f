"""Score model, rule table, and the perfect player's 100 on bundled and generated cases."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from scenarios.loader import bundled_scenarios, get_policy, get_scenario
from scoring import Finding, evaluate, judgeable
from scoring.context import Ctx
from scoring.lint import lint_scenario
from scoring.score import CRITICAL_CAP, PENALTY, overall, theme_scores
from sim import actions as A
from sim.players import play
from sim.session import Session

POLICIES = ("liverpool-lscb", "bs3-early-years")


def finding(severity: str, theme: str = "recording") -> Finding:
    return Finding(rule="L3", severity=severity, at=None, stage=None, expected="e",
                   observed="o", citation="c", theme=theme)


@pytest.mark.parametrize("scenario_id", sorted(bundled_scenarios()))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_perfect_player_scores_100_on_every_bundled_scenario(scenario_id, seed):
    assessment = evaluate(play(Session.from_scenario(scenario_id, seed), "perfect"))
    assert assessment.score == 100.0, [(f.rule, f.observed) for f in assessment.findings]
    assert not assessment.problems


@pytest.mark.parametrize("policy_id", POLICIES)
def test_perfect_player_scores_100_on_generated_cases(policy_id):
    scores = [evaluate(play(Session.generate(policy_id, seed), "perfect")).score
              for seed in range(40)]
    assert scores == [100.0] * 40


@pytest.mark.parametrize("policy_id", POLICIES)
def test_passive_player_scores_below_the_perfect_one(policy_id):
    for seed in range(5):
        passive = evaluate(play(Session.generate(policy_id, seed), "passive"))
        assert passive.score < 100 and passive.findings


def test_every_catalogue_rule_of_both_policies_has_a_check():
    for policy_id in POLICIES:
        policy = get_policy(policy_id)
        assert {r.id for r in policy.rules} <= judgeable(policy)


def test_only_the_policys_own_rules_run():
    bs3 = evaluate(play(Session.generate("bs3-early-years", 1), "passive"))
    assert all(r.startswith("B") for r in bs3.rules_checked)
    lscb = evaluate(play(Session.from_scenario("talk-first-school-dsl", 1), "passive"))
    assert all(r.startswith("L") for r in lscb.rules_checked)


def test_l15_only_for_school_staff_outside_the_safeguarding_team():
    dsl = get_scenario("talk-first-school-dsl")
    assert "L15" not in evaluate(Session(dsl, 1)).rules_checked
    teacher = dsl.model_copy(update={"seat": dsl.seat.model_copy(
        update={"role": "school.class_teacher", "title": "Class teacher"})})
    session = play(Session(teacher, 1), "passive")
    result = evaluate(session)
    assert "L15" in result.rules_checked and "L15" in result.rule_ids


def test_penalties_add_up_per_theme_and_overall():
    findings = [finding("major"), finding("minor"), finding("major", "timeliness")]
    themes = theme_scores(findings)
    assert themes["recording"] == 100 - PENALTY["major"] - PENALTY["minor"]
    assert themes["timeliness"] == 100 - PENALTY["major"]
    score, capped = overall(findings)
    assert score == 100 - sum(100 - v for v in themes.values()) and not capped


def test_a_critical_finding_caps_the_score():
    score, capped = overall([finding("critical", "safety")])
    assert capped and score == CRITICAL_CAP


def test_good_practice_notes_never_lower_the_score():
    notes = [finding("good_practice", "right_person")] * 5
    assert overall(notes) == (100.0, False)
    assert theme_scores(notes)["right_person"] == 100.0


def test_timeliness_comes_from_the_policy_calendar_not_the_code():
    """The same late line-manager step judged against session.due of the policy's deadline."""
    scenario = get_scenario("talk-first-school-dsl").model_copy(
        update={"fixed": get_scenario("talk-first-school-dsl").fixed.model_copy(
            update={"agree_at": "never"})})
    session = Session(scenario, 1)
    session.act(A.Contact(role="cs.social_worker"))
    session.act(A.Wait(until=datetime(2026, 3, 20, 10, 0)))
    session.act(A.Escalate())
    session.act(A.Finish())
    l4 = [f for f in evaluate(session).findings if f.rule == "L4"]
    stage = session.policy.stage("stage1")  # Day 2, written once on the stage
    assert stage.steps[1].deadline is None
    assert l4 and l4[0].at == session.due(stage.deadline)


def test_no_literal_day_counts_in_rule_code():
    """Rules take timescales from the policy; no `days=N` or `Day N` literals in scoring/."""
    for path in Path("scoring").glob("*.py"):
        text = path.read_text()
        assert not re.search(r"days\s*=\s*\d|Day \d", text), path


def test_assessment_serialises_to_json():
    data = evaluate(play(Session.generate("liverpool-lscb", 3), "skipper")).to_dict()
    again = json.loads(json.dumps(data))
    assert set(again) >= {"score", "themes", "findings", "capped"}
    assert set(again["themes"]) == {"safety", "timeliness", "right_person", "recording",
                                    "communication"}
    for item in again["findings"]:
        assert {"rule", "severity", "expected", "observed", "citation"} <= set(item)


@pytest.mark.parametrize("scenario_id", sorted(bundled_scenarios()))
def test_bundled_scenarios_pass_the_lint(scenario_id):
    assert lint_scenario(get_scenario(scenario_id)) == []


def test_lint_reports_what_the_passive_player_is_not_caught_by_and_unknown_rules():
    scenario = get_scenario("talk-first-school-dsl")
    uncaught = scenario.model_copy(update={"teaches": ["L2", "L5"]})
    assert any("L5" in p and "passive" in p for p in lint_scenario(uncaught))
    unknown = scenario.model_copy(update={"teaches": ["B1"]})
    assert any("B1" in p for p in lint_scenario(unknown))


def test_lint_catches_a_scenario_the_perfect_player_cannot_ace():
    """A scenario whose policy rule cannot be met by the perfect player is reported."""
    scenario = get_scenario("talk-first-school-dsl")
    objectives = [o.model_copy(update={"rules": ["L99"]}) for o in scenario.objectives]
    problems = lint_scenario(scenario.model_copy(update={"objectives": objectives}))
    assert problems and all("L99" in p for p in problems)


def test_risk_just_before_close_rung_through_in_one_run_is_on_time():
    scenario = get_scenario("talk-first-school-dsl").model_copy(update={
        "start": datetime(2026, 3, 10, 16, 55), "immediate_risk_at_start": True})
    session = Session(scenario, 1)
    session.act(A.Refer(role="cs.front_door"))
    session.act(A.Refer(role="police.emergency"))  # lands at 17:15, after the cutoff
    session.act(A.Finish())
    assert "L1" not in evaluate(session).rule_ids


def test_risk_referral_the_next_day_is_critical():
    scenario = get_scenario("talk-first-school-dsl").model_copy(update={
        "immediate_risk_at_start": True})
    session = Session(scenario, 1)
    session.act(A.Wait(until=datetime(2026, 3, 11, 10, 0)))
    session.act(A.Refer(role="cs.front_door"))
    session.act(A.Refer(role="police.emergency"))
    session.act(A.Finish())
    result = evaluate(session)
    assert result.capped and {f.severity for f in result.findings if f.rule == "L1"} == {
        "critical"}


@pytest.mark.parametrize("scenario_id, rule_id", [
    ("talk-first-school-dsl", "L2"), ("one-call-health-visitor-early-years", "B7")])
def test_ending_at_once_with_the_disagreement_open_costs_points(scenario_id, rule_id):
    """No deadline has passed yet, but walking away from an open disagreement before taking
    it up is not a clean sheet."""
    session = Session.from_scenario(scenario_id, 1)
    session.act(A.Finish())
    result = evaluate(session)
    assert rule_id in result.rule_ids and result.score < 100
    assert any("before taking it up" in f.observed for f in result.findings)


def test_ending_after_taking_it_up_is_judged_only_on_what_was_due():
    session = Session.from_scenario("talk-first-school-dsl", 1)
    right = sorted(Ctx(session).right_roles(0))
    session.act(A.Contact(role=right[0], channel="phone"))
    session.act(A.Finish())
    assert not any("before taking it up" in f.observed for f in evaluate(session).findings)


def _out_of_hours_risk(scenario_id: str, start: datetime) -> Session:
    scenario = get_scenario(scenario_id).model_copy(update={
        "start": start, "immediate_risk_at_start": True})
    return Session(scenario, 1)


@pytest.mark.parametrize("scenario_id, rule_id", [
    ("talk-first-school-dsl", "L1"), ("friday-pickup-early-years", "B2")])
def test_out_of_hours_risk_cannot_wait_for_the_next_working_day(scenario_id, rule_id):
    """Friday 19:00: the same-working-day cut-off would be Monday 17:00; out of hours the
    route's own limit (2 hours, a listed assumption) is the outer limit and "immediately"
    (within the hour, also listed) governs."""
    friday_evening = datetime(2026, 3, 13, 19, 0)
    session = _out_of_hours_risk(scenario_id, friday_evening)
    duty = session.emergency_duty()
    assert duty.limit("outer").due == datetime(2026, 3, 13, 21, 0)
    assert session.risk_due() == datetime(2026, 3, 13, 20, 0)
    assert duty.governing.name == "immediately"
    session.act(A.Wait(until=datetime(2026, 3, 14, 9, 0)))
    session.act(A.Refer(role="cs.edt"))
    session.act(A.Refer(role="police.emergency"))
    session.act(A.Finish())
    late = [f for f in evaluate(session).findings if f.rule == rule_id]
    assert late and {f.severity for f in late} == {"critical"}

    prompt = _out_of_hours_risk(scenario_id, friday_evening)
    prompt.act(A.Refer(role="cs.edt"))
    prompt.act(A.Refer(role="police.emergency"))
    prompt.act(A.Finish())
    assert rule_id not in evaluate(prompt).rule_ids


def test_in_hours_risk_is_due_immediately_within_the_same_working_day():
    """10:00: due within the hour; "the same working day" is only the outer limit, and it
    runs to the end of the day (the EDT answers after close), not to 17:00."""
    session = _out_of_hours_risk("talk-first-school-dsl", datetime(2026, 3, 13, 10, 0))
    assert session.risk_due() == datetime(2026, 3, 13, 11, 0)
    assert session.emergency_duty().limit("outer").due == datetime(2026, 3, 14, 0, 0)
