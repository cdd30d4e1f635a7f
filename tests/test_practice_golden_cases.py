"""Golden practice tests for the four newer cases, written by hand from the clauses.

Each scripts what a trainee does and states what a safeguarding reviewer expects:

- exploitation-missing-police (Liverpool): extra-familial harm. New information at 23:50 on a
  Friday (Callum found in a flat with adults, drugs and cash) is a fresh referral now, to the
  service that is open (the Emergency Duty Team) — L17, Working Together 2023, flagged as
  guidance: "…should do so immediately if there is a concern that the child is suffering
  significant harm or is likely to do so."
- disabled-child-bruises-early-years (BS3): fingertip bruises on a non-verbal child are not
  explained away by his disability; "If a child is at risk of immediate harm then do not wait
  to escalate concerns and contact First Response and the Police." (B1), before his father
  collects him.
- pre-birth-assessment-midwife (Liverpool): an unborn baby; the mother's account of being
  grabbed by her partner is a fresh referral (L17); Day 2 and Day 23 across the Easter and
  early May bank holidays.
- cross-boundary-referral-early-years (BS3): the child lives in another authority; referrals
  go to its front door (Children Act 1989 s47, Working Together 2023; an assumption, the
  policy is silent), and this area's First Response redirects.

Every date below was worked out by hand from the calendar (England bank holidays 2026: Good
Friday 3 Apr, Easter Monday 6 Apr, early May 4 May, summer 31 Aug).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scenarios.loader import get_policy, get_scenario
from scenarios.scenario_schema import Scenario
from scoring import evaluate
from scoring.debrief import what_good_looked_like
from scoring.model import Assessment
from sim import actions as A
from sim.session import Session
from sim.verdicts import governing

FR, EDT, POLICE = "cs.front_door", "cs.edt", "police.emergency"
HOME_FR, HOME_EDT = "cs.home_front_door", "cs.home_edt"

EXPLOIT = "exploitation-missing-police"
DISABLED = "disabled-child-bruises-early-years"
UNBORN = "pre-birth-assessment-midwife"
BOUNDARY = "cross-boundary-referral-early-years"


def at(text: str) -> A.Wait:
    return A.Wait(until=datetime.fromisoformat(text))


def play(scenario: Scenario | str, actions: list[A.Action], finish: bool = True) -> Session:
    if isinstance(scenario, str):
        scenario = get_scenario(scenario)
    session = Session(scenario, 1)
    for action in actions:
        session.act(action)
    if finish and not session.finished:
        session.act(A.Finish())
    return session


def judged(scenario: Scenario | str, actions: list[A.Action]) -> Assessment:
    return evaluate(play(scenario, actions))


def severities(assessment: Assessment, rule: str) -> list[str]:
    return [f.severity for f in assessment.findings if f.rule == rule]


def due(session: Session, step_id: str) -> datetime | None:
    stage, step = next((st, step) for st, step in session.ladder if step.id == step_id)
    return session.due(governing(stage, step))  # the stage's, at its last step


def variant(scenario_id: str, **changes: Any) -> Scenario:
    data = get_scenario(scenario_id).model_dump(mode="json", exclude_none=True)
    data.update(changes)
    return Scenario.model_validate(data)


# ------------------------------------------------------------------ extra-familial harm


def test_exploitation_found_at_midnight_needs_a_fresh_referral_not_more_ladder():
    ladder_only = judged(EXPLOIT, [
        A.Contact(role="cs.social_worker", channel="phone"), A.Escalate(),
        A.Contact(role="police.ds", channel="phone"), at("2026-09-12T01:00")])
    found = [f for f in ladder_only.findings if f.rule == "L17"]
    assert found and found[0].severity == "critical"
    assert "working together" in found[0].clause.lower()
    referred = judged(EXPLOIT, [
        A.Contact(role="cs.social_worker", channel="phone"), at("2026-09-12T00:10"),
        A.Refer(role=EDT)])
    assert "L17" not in referred.rule_ids


def test_exploitation_careline_is_closed_on_a_friday_night_so_a_call_there_is_no_referral():
    """Which service is open matters (practice principle 4): Careline does not answer at
    00:10 on a Saturday; a referral nobody took is no referral."""
    a = judged(EXPLOIT, [at("2026-09-12T00:10"), A.Refer(role=FR)])
    found = [f for f in a.findings if f.rule == "L17"]
    assert found and found[0].severity == "critical"
    assert "not taken" in found[0].observed and "no answer" in found[0].observed


def test_exploitation_referral_after_two_hours_is_late_not_missing():
    """Known 23:50; 'immediately' is read as 2 hours (01:50). The EDT at 02:30 is late."""
    a = judged(EXPLOIT, [at("2026-09-12T02:30"), A.Refer(role=EDT)])
    assert severities(a, "L17") == ["major"]


def test_exploitation_stage1_dates_cross_the_weekend():
    """Raised Fri 11 Sep 2026 (Day 1); Sat and Sun are not working days, so Day 2 — the
    line-manager deadline, and 'as soon as possible' read as close of the next working
    day — is Mon 14 Sep 17:00."""
    session = play(EXPLOIT, [], finish=False)
    assert due(session, "stage1.attempt") == datetime(2026, 9, 14, 17, 0)
    assert due(session, "stage1.line_manager") == datetime(2026, 9, 14, 17, 0)
    passive = judged(EXPLOIT, [A.Wait(hours=24 * 30)])
    assert {"L2", "L4", "L16", "L17"} <= passive.rule_ids


# ------------------------------------------------------------------ a disabled child


def test_disabled_child_referred_to_first_response_and_police_before_collection_is_clean():
    a = judged(DISABLED, [at("2026-09-01T10:30"), A.Refer(role=FR), A.Refer(role=POLICE)])
    assert not severities(a, "B1")


def test_disabled_child_referred_after_his_father_collected_him_is_critical():
    a = judged(DISABLED, [at("2026-09-01T15:45"), A.Refer(role=FR), A.Refer(role=POLICE)])
    assert "critical" in severities(a, "B1")
    text = " ".join(f.expected + f.observed for f in a.findings if f.rule == "B1")
    assert "15:30" in text


def test_disabled_child_first_response_alone_is_not_enough_under_bs3():
    """B1 names the police: 'contact First Response and the Police'."""
    a = judged(DISABLED, [at("2026-09-01T10:30"), A.Refer(role=FR)])
    assert severities(a, "B1")


def test_disabled_child_setting_dsl_first_then_referral_within_the_hour_is_clean():
    a = judged(DISABLED, [
        at("2026-09-01T10:15"), A.Contact(role="early_years.dsl", channel="phone"),
        at("2026-09-01T10:50"), A.Refer(role=FR), A.Refer(role=POLICE)])
    assert not [f for f in a.findings if f.severity == "critical"], a.findings


def test_disabled_child_stage_dates_step_over_the_august_bank_holiday():
    """Raised Thu 27 Aug (Day 1); Stage 1 'within no more than 2 working days' ends Fri 28
    Aug 17:00. Stage 2 is 'a further 5 working days': Mon 31 Aug is a bank holiday, so Tue 1,
    Wed 2, Thu 3, Fri 4, Mon 7 — Mon 7 Sep 17:00, not Fri 4 Sep."""
    session = play(DISABLED, [], finish=False)
    assert due(session, "stage1.practitioners") == datetime(2026, 8, 28, 17, 0)
    session.act(at("2026-08-28T16:30"))
    session.act(A.Escalate())  # Stage 1 concluded on Day 2
    assert session.due(session.policy.stage("stage2").deadline) == datetime(2026, 9, 7, 17, 0)


def test_disabled_child_passive_is_caught_for_waiting_and_for_the_risk():
    a = judged(DISABLED, [A.Wait(hours=24 * 30)])
    assert {"B7", "B9"} <= a.rule_ids
    assert "critical" in severities(a, "B1")


# ------------------------------------------------------------------ an unborn baby


def test_unborn_baby_ladder_only_after_the_triage_visit_misses_the_fresh_referral():
    ladder_only = judged(UNBORN, [
        A.Contact(role="cs.social_worker", channel="phone"), A.Escalate(),
        A.Contact(role="health.ssp", channel="phone"), at("2026-04-07T17:30")])
    assert "critical" in severities(ladder_only, "L17")
    referred = judged(UNBORN, [
        A.Contact(role="cs.social_worker", channel="phone"), at("2026-04-07T15:00"),
        A.Refer(role=FR)])
    assert "L17" not in referred.rule_ids


def test_unborn_baby_days_count_from_the_tuesday_after_easter():
    """Raised Tue 7 Apr 2026 (Day 1; Good Friday and Easter Monday already past): Day 2 is
    Wed 8 Apr. Day 23 steps over the early May bank holiday (Mon 4 May): Day 19 is Fri 1
    May, then Tue 5 (20), Wed 6 (21), Thu 7 (22), Fri 8 May (23)."""
    session = play(UNBORN, [], finish=False)
    assert due(session, "stage1.line_manager") == datetime(2026, 4, 8, 17, 0)
    assert session.due(session.policy.stage("stage4").deadline) == datetime(2026, 5, 8, 17, 0)


def test_unborn_baby_is_shown_as_unborn_not_zero_months_old():
    session = Session.from_scenario(UNBORN, 1)
    assert session.child.age_text == "unborn (30 weeks of pregnancy)"
    assert session.observe().facts["Child"] == "Baby Delacourt, unborn (30 weeks of pregnancy)"


# ------------------------------------------------------------------ across two authorities


def test_boundary_referral_to_this_areas_first_response_is_redirected_and_not_taken():
    session = play(BOUNDARY, [at("2026-10-19T09:30"), A.Refer(role=FR)])
    redirect = [e for e in session.timeline if e.data.get("redirected")]
    assert redirect and "Brackenmoor" in redirect[0].text
    assert not any(e.kind == "referred" for e in session.timeline)
    a = evaluate(session)
    found = [f for f in a.findings if f.rule == "B10"]
    assert found and found[0].severity == "critical"
    assert "Brackenmoor" in found[0].observed


def test_boundary_referral_to_the_home_authoritys_front_door_is_clean():
    a = judged(BOUNDARY, [at("2026-10-19T09:30"), A.Refer(role=HOME_FR)])
    assert "B10" not in a.rule_ids


def test_boundary_refer_options_offer_both_front_doors_and_expect_the_home_one():
    session = play(BOUNDARY, [], finish=False)
    offered = {o.action.role for o in session.observe().options if o.group == "refer"}
    assert {FR, HOME_FR, POLICE} <= offered
    assert session.expected_referrals() == [HOME_FR, POLICE]
    assert session.open_desk() == HOME_FR
    session.act(at("2026-10-19T18:00"))  # after close: the home authority's EDT
    assert session.open_desk() == HOME_EDT
    assert session.policy.role(HOME_EDT).title == "Brackenmoor Emergency Duty Team"


def test_boundary_stage1_is_due_on_monday_after_a_friday_start():
    """Raised Fri 16 Oct 2026 = Day 1; Day 2 is Mon 19 Oct (the weekend does not count)."""
    session = play(BOUNDARY, [], finish=False)
    assert due(session, "stage1.practitioners") == datetime(2026, 10, 19, 17, 0)


def test_boundary_immediate_risk_goes_to_the_home_front_door_and_the_police():
    """The emergency duty uses the home authority's desk too (same data, no special case)."""
    risky = variant(BOUNDARY, immediate_risk_at_start=True, events=[])
    session = play(risky, [], finish=False)
    assert session.expected_referrals() == [HOME_FR, POLICE]
    right = play(risky, [A.Refer(role=HOME_FR), A.Refer(role=POLICE)])
    assert right.status == "referred"
    assert not severities(evaluate(right), "B1")
    police_only = judged(risky, [A.Refer(role=POLICE)])
    assert "critical" in severities(police_only, "B1")


def test_boundary_child_at_immediate_risk_here_is_found_here_so_first_response_acts_too():
    """Children Act 1989 s47: the authority where a child "lives, or is found". At immediate
    risk at nursery, this area's First Response takes the referral (and tells Brackenmoor):
    marking it critical would teach the wrong thing. Without immediate risk it redirects."""
    risky = variant(BOUNDARY, immediate_risk_at_start=True, events=[])
    here = play(risky, [A.Refer(role=FR), A.Refer(role=POLICE)])
    taken = [e for e in here.timeline if e.kind == "referred" and e.data["role"] == FR]
    assert taken and "Brackenmoor" in taken[0].text
    assert here.status == "referred"
    assert not severities(evaluate(here), "B1")


def test_boundary_model_answer_refers_to_the_home_authority():
    good = what_good_looked_like(Session.from_scenario(BOUNDARY, 1))
    refers = [a.role for _, a in good.actions if isinstance(a, A.Refer)]
    assert refers == [HOME_FR]
    assert evaluate(good).score == 100


def test_every_new_case_model_answer_scores_100_and_passive_is_caught():
    for scenario_id in (EXPLOIT, DISABLED, UNBORN, BOUNDARY):
        good = what_good_looked_like(Session.from_scenario(scenario_id, 2))
        assert evaluate(good).score == 100, scenario_id
        passive = judged(scenario_id, [A.Wait(hours=24 * 40)])
        assert passive.findings and passive.score < 100, scenario_id
    assert get_policy("bs3-early-years").rule("B10").basis == "guidance"


def test_the_library_covers_an_unborn_baby_and_a_child_across_two_authorities():
    from scenarios.loader import bundled_scenarios

    library = bundled_scenarios().values()
    assert any(s.child and s.child.gestation_weeks for s in library)
    assert any(s.home_authority for s in library)
    assert {s.policy for s in library if s.id in (EXPLOIT, DISABLED, UNBORN, BOUNDARY)} == {
        "liverpool-lscb", "bs3-early-years"}
