"""Practice judgements (issue "Judge safeguarding practice right"), written by hand.

Each test scripts what a trainee does and states the judgement a safeguarding reviewer
expects, from the clause:
- BS3 Key Principles: "If a child is at risk of immediate harm then do not wait to escalate
  concerns and contact First Response and the Police."
- Liverpool Escalation - Principles: "... ESCALATED ON THE SAME WORKING DAY USING ESTABLISHED
  SAFEGUARDING PROCEDURES." (an outer limit, never permission to wait; no police named)
- Where the policies are silent, Working Together 2023 / KCSIE / EYFS (shared PRACTICE.md):
  immediate risk means now, and never after the child is back with the person who may harm
  them; consulting your own DSL first is normal practice; police where a crime or an
  emergency is in the facts; disagreements always require resolution.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest

from scenarios.loader import get_policy, get_scenario, source_text
from scenarios.scenario_schema import Scenario
from scoring import evaluate
from scoring.debrief import debrief_markdown
from scoring.model import Assessment
from sim import actions as A
from sim.deadlines import due_at
from sim.session import Session

QUIET = {"reply_hours": {"dist": "fixed", "median": 1}, "phone_answer_chance": 1,
         "absence_chance": 0, "risk_per_working_day": 0}


def at(text: str) -> A.Wait:
    return A.Wait(until=datetime.fromisoformat(text))


def play(scenario: Scenario | str, actions: list[A.Action], seed: int = 1,
         finish: bool = True) -> Session:
    if isinstance(scenario, str):
        scenario = get_scenario(scenario)
    session = Session(scenario, seed)
    for action in actions:
        session.act(action)
    if finish and not session.finished:
        session.act(A.Finish())
    return session


def judged(scenario: Scenario | str, actions: list[A.Action], seed: int = 1) -> Assessment:
    return evaluate(play(scenario, actions, seed))


def severities(assessment: Assessment, rule: str) -> list[str]:
    return [f.severity for f in assessment.findings if f.rule == rule]


def variant(scenario_id: str, **changes: Any) -> Scenario:
    data = get_scenario(scenario_id).model_dump(mode="json", exclude_none=True)
    data.update(changes)
    return Scenario.model_validate(data)


def bs3_nursery(start: str, **changes: Any) -> Scenario:
    """A BS3 key person with immediate risk known at ``start`` (office hours 09:00-17:00)."""
    return variant("office-hours-disclosure-early-years", start=start, events=[],
                   immediate_risk_at_start=True, behaviour=QUIET, **changes)


FR, EDT, POLICE = "cs.front_door", "cs.edt", "police.emergency"


# --------------------------------------------------------------------- 1. do not wait


def test_1_bs3_disclosure_referred_after_the_abuser_collected_is_critical():
    """Disclosure 10:40, partner collects at 12:30; referral at 16:30 is far too late."""
    a = judged("office-hours-disclosure-early-years", [
        at("2026-02-12T16:30"), A.Refer(role=FR), A.Refer(role=POLICE)])
    assert "critical" in severities(a, "B1")
    assert a.capped and a.score <= 40
    text = " ".join(f.expected + f.observed for f in a.findings if f.rule == "B1")
    assert "12:30" in text  # the child went home with him: that is what made it critical


def test_1_bs3_disclosure_referred_at_once_is_clean():
    a = judged("office-hours-disclosure-early-years", [
        at("2026-02-12T10:45"), A.Refer(role=FR), A.Refer(role=POLICE)])
    assert not severities(a, "B1")


def test_1_a_referral_an_hour_late_but_before_collection_is_major_not_critical():
    """Later than 'immediately' but the child was still safe: a real failing, less than none."""
    late = judged("office-hours-disclosure-early-years", [
        at("2026-02-12T11:55"), A.Refer(role=FR), A.Refer(role=POLICE)])
    never = judged("office-hours-disclosure-early-years", [at("2026-02-12T16:30")])
    assert set(severities(late, "B1")) == {"major"}
    assert "critical" in severities(never, "B1")
    assert late.score > never.score


def test_1_liverpool_same_working_day_is_the_outer_limit_cited_as_such():
    """The baby's bruise at 10:40: referred at 16:30 the same day is still late."""
    a = judged("non-mobile-baby-bruise-health-visitor", [
        at("2026-03-04T16:30"), A.Refer(role=FR)])
    found = [f for f in a.findings if f.rule == "L1"]
    assert found and found[0].severity in ("major", "critical")
    assert "immediately" in found[0].expected.lower()
    assert "same working day" in found[0].expected.lower()  # the outer limit, named


# --------------------------------------------------------------------- 2. out of hours


def test_2_friday_evening_referral_after_father_took_the_baby_is_critical():
    a = judged("friday-pickup-early-years", [
        at("2026-03-06T19:30"), A.Refer(role=EDT), A.Refer(role=POLICE)])
    assert "critical" in severities(a, "B1") + severities(a, "B2")


def test_2_friday_evening_referral_before_collection_is_clean():
    a = judged("friday-pickup-early-years", [A.Refer(role=EDT), A.Refer(role=POLICE)])
    assert not severities(a, "B1") and not severities(a, "B2")


# --------------------------------------------------------------------- 3. own DSL first


def test_3_health_visitor_rings_her_safeguarding_lead_then_refers_40_minutes_later():
    a = judged("non-mobile-baby-bruise-health-visitor", [
        at("2026-03-04T10:40"), A.Contact(role="health.ssp", channel="phone"),
        at("2026-03-04T11:20"), A.Refer(role=FR)])
    assert not [f for f in a.findings if f.severity == "critical"], a.findings
    assert not severities(a, "L1")


def test_3_nursery_practitioner_rings_the_setting_dsl_first_then_refers():
    a = judged("office-hours-disclosure-early-years", [
        at("2026-02-12T10:40"), A.Contact(role="early_years.dsl", channel="phone"),
        A.Refer(role=FR), A.Refer(role=POLICE)])
    assert not [f for f in a.findings if f.severity == "critical"], a.findings


def test_3_baby_bruise_debrief_no_longer_calls_the_manager_first_a_trap():
    text = get_scenario("non-mobile-baby-bruise-health-visitor").debrief.lower()
    assert "the trap" not in text


# --------------------------------------------------------------------- 4. opening hours


def test_4_injury_seen_at_0830_referred_when_first_response_opens_at_0900():
    a = judged(bs3_nursery("2026-03-10T08:30:00"), [
        at("2026-03-10T09:00"), A.Refer(role=FR), A.Refer(role=POLICE)])
    assert not severities(a, "B1") and not severities(a, "B2")


def test_4_risk_known_at_1659_is_not_due_a_minute_later():
    session = play(bs3_nursery("2026-03-10T16:59:00"), [], finish=False)
    assert session.risk_due() is not None
    assert (session.risk_due() - datetime(2026, 3, 10, 16, 59)).total_seconds() >= 30 * 60
    a = judged(bs3_nursery("2026-03-10T16:59:00"), [
        at("2026-03-10T17:10"), A.Refer(role=EDT), A.Refer(role=POLICE)])
    assert not severities(a, "B1") and not severities(a, "B2")


def test_4_the_session_offers_the_services_open_now():
    session = play(bs3_nursery("2026-03-10T08:30:00"), [], finish=False)
    assert EDT in session.expected_referrals() and FR not in session.expected_referrals()
    session.act(at("2026-03-10T09:00"))
    assert FR in session.expected_referrals() and EDT not in session.expected_referrals()


# --------------------------------------------------------------------- 5. police


def test_5_liverpool_front_door_referral_without_999_is_not_critical():
    """'Established safeguarding procedures' names no police; the bruise is no crime in
    progress: a front-door referral is the duty."""
    a = judged("non-mobile-baby-bruise-health-visitor", [
        at("2026-03-04T10:45"), A.Refer(role=FR)])
    assert not [f for f in a.findings if f.severity == "critical"], a.findings


def test_5_bs3_requires_the_police_because_its_clause_names_them():
    a = judged("office-hours-disclosure-early-years", [
        at("2026-02-12T10:45"), A.Refer(role=FR)])
    assert severities(a, "B1")


def test_5_liverpool_requires_police_where_the_facts_state_an_emergency():
    base = get_scenario("non-mobile-baby-bruise-health-visitor")
    events = [e.model_dump(mode="json", exclude_none=True) for e in base.events]
    events[0]["police_matter"] = True
    a = judged(variant(base.id, events=events), [at("2026-03-04T10:45"), A.Refer(role=FR)])
    assert severities(a, "L1")


# --------------------------------------------------------------------- 6. events on time


def test_6_father_arrives_early_on_friday_evening_not_monday_morning():
    session = play("friday-pickup-early-years", [A.Wait(hours=1, stop_at_event=True)],
                   finish=False)
    early = [e for e in session.timeline if e.data.get("event") == "father-early"]
    assert early and early[0].at.date() == datetime(2026, 3, 6).date()
    assert early[0].at < datetime(2026, 3, 6, 18, 0)


def test_6_partner_in_from_the_car_on_the_bank_holiday_saturday():
    session = play("bank-holiday-out-of-hours-gp", [A.Wait(hours=1, stop_at_event=True)],
                   finish=False)
    came = [e for e in session.timeline if e.data.get("event") == "partner-at-door"]
    assert came and came[0].at.date() == datetime(2026, 5, 23).date()


# --------------------------------------------------------------------- 7. strategy case


def test_7_strategy_discussion_case_refers_before_kacey_goes_home():
    """The lesson is not 'resolved on Monday' after Kacey went home on Sunday."""
    from scoring.debrief import what_good_looked_like

    good = what_good_looked_like(Session.from_scenario("strategy-discussion-police", 1))
    unsafe = good.child_unsafe[0][0]
    referrals = [when for when, a in good.actions if isinstance(a, A.Refer)]
    assert referrals and referrals[0] < unsafe
    assert good.status == "referred"
    assert not any(e.kind == "resolved" for e in good.timeline)
    late = judged("strategy-discussion-police", [at("2026-03-16T09:30"), A.Refer(role=FR)])
    assert "critical" in severities(late, "L1")


# --------------------------------------------------------------------- 8. fresh referral


def test_8_christmas_eve_new_information_needs_a_fresh_referral_not_more_ladder():
    """Curtains closed three days, children unseen, Christmas Eve: escalation never
    replaces referral (WT2023; the policy is silent, so it is flagged as guidance)."""
    ladder_only = judged("christmas-support-school-dsl", [
        A.Contact(role="cs.social_worker", channel="phone"),
        at("2025-12-24T11:30"), A.Escalate(), A.Contact(role="cs.team_manager")])
    found = [f for f in ladder_only.findings if f.rule == "L17"]
    assert found and found[0].severity == "critical"
    assert "working together" in found[0].clause.lower()
    referred = judged("christmas-support-school-dsl", [
        A.Contact(role="cs.social_worker", channel="phone"),
        at("2025-12-24T11:05"), A.Refer(role=FR)])
    assert "L17" not in referred.rule_ids


def test_8_a_fresh_referral_has_consequences_in_the_world():
    session = play("christmas-support-school-dsl", [
        at("2025-12-24T11:05"), A.Refer(role=FR), A.Wait(hours=3)], finish=False)
    answers = [e for e in session.timeline if e.kind == "reply" and e.data.get("referral")]
    assert answers and "working day" in answers[0].text


def test_8_the_model_answer_re_refers():
    from scoring.debrief import what_good_looked_like

    for scenario_id in ("christmas-support-school-dsl", "home-education-stage3-school-dsl"):
        good = what_good_looked_like(Session.from_scenario(scenario_id, 1))
        harm = good.new_harm_known
        assert harm, scenario_id
        assert any(isinstance(a, A.Refer) and when >= harm[0] for when, a in good.actions)
        assert evaluate(good).score == 100


# --------------------------------------------------------------------- 11. in school


def test_11_a_teacher_who_refers_directly_scores_well():
    """KCSIE: anyone can make a referral; Liverpool L15: "All members of staff have the
    responsibility to escalate and refer concerns on to Children's Services"."""
    a = judged("in-school-class-teacher", [
        A.Contact(role="school.dsl", channel="phone"), A.Refer(role=FR),
        A.Record(record="case_file", text="Referred Tyler to First Response"),
        A.Wait(hours=8, stop_at_event=True)])
    assert "L15" not in a.rule_ids and "L17" not in a.rule_ids
    assert not [f for f in a.findings if f.severity == "critical"]


# --------------------------------------------------------------------- 17/18. model answer


def test_17_model_answer_uses_only_the_policys_own_steps():
    """Liverpool has no 'confirm in writing' step (that is BS3's B5)."""
    from scoring.debrief import what_good_looked_like

    good = what_good_looked_like(Session.from_scenario("talk-first-school-dsl", 1))
    assert not any(isinstance(a, A.ConfirmOutcome) for _, a in good.actions)
    bs3 = what_good_looked_like(Session.from_scenario("one-call-health-visitor-early-years", 1))
    assert any(isinstance(a, A.ConfirmOutcome) for _, a in bs3.actions)


def test_17_model_answer_makes_each_record_once_per_step():
    from scoring.debrief import what_good_looked_like

    for scenario_id in ("christmas-support-school-dsl", "office-hours-disclosure-early-years"):
        good = what_good_looked_like(Session.from_scenario(scenario_id, 1))
        keys = [(r["step"], r["record"]) for r in good.records]
        assert len(keys) == len(set(keys)), scenario_id


def test_14_no_appendix1_log_demanded_for_an_emergency_referral():
    a = judged("bank-holiday-out-of-hours-gp", [
        A.Refer(role=EDT), A.Refer(role=POLICE),
        A.Record(record="case_file", text="23/05/2026: Riley at immediate risk; referred "
                 "to the EDT and the police")])  # the case file dates the risk (chronology)
    assert not [f for f in a.findings if f.rule == "L3"], a.findings
    assert a.score == 100


def test_18_a_late_reply_says_which_step_it_answers():
    session = play("christmas-support-school-dsl", [
        A.Contact(role="cs.social_worker", channel="phone"), at("2025-12-22T09:30"),
        A.Escalate(), A.Contact(role="cs.team_manager"), at("2025-12-22T16:00"),
        A.Escalate(), A.Wait(hours=200)], finish=False)
    late = [e for e in session.timeline if e.kind == "reply" and "earlier approach" in e.text]
    assert late and all("changes nothing" in e.text for e in late)
    assert any("now at Stage 2" in e.text for e in late)
    assert not any("unresolved at Stage 1" in e.text for e in session.timeline
                   if e.kind == "reply" and e.at > session.entered["stage2"])


def test_deadline_messages_are_said_once_without_doubled_brackets():
    session = play("talk-first-school-dsl", [A.Wait(hours=24 * 40)], finish=False)
    texts = [e.text for e in session.timeline if e.kind == "deadline"]
    assert texts and len(texts) == len(set(texts))
    assert not any("((" in t or "))" in t for t in texts)


def test_18_the_front_door_carries_the_policys_own_name():
    assert "Careline" in get_policy("liverpool-lscb").role(FR).title


# --------------------------------------------------------------------- 9. passive


@pytest.mark.parametrize("scenario_id", ["one-call-health-visitor-early-years",
                                         "talk-first-school-dsl"])
def test_9_doing_nothing_is_a_finding_and_never_outscores_engaging(scenario_id):
    passive = play(scenario_id, [A.Wait(hours=24 * 60)])
    assessment = evaluate(passive)
    engage = [f for f in assessment.findings if f.severity in ("major", "critical")
              and "never" in f.observed.lower()]
    assert engage, assessment.findings
    scenario = get_scenario(scenario_id)
    other = scenario.other.role
    engaged = judged(scenario_id, [A.Contact(role=other, channel="phone"),
                                   A.Wait(hours=24 * 60)])
    assert assessment.score < engaged.score


def test_9_bs3_room_leader_who_goes_to_the_setting_dsl_beats_one_who_does_nothing():
    passive = judged("one-call-health-visitor-early-years", [A.Wait(hours=24 * 120)])
    dsl = judged("one-call-health-visitor-early-years", [
        A.Contact(role="early_years.dsl", channel="phone"),
        A.Record(record="case_file", text="Took it to the setting DSL"),
        A.Record(record="chronology", text="Concern discussed with DSL"),
        A.Wait(hours=24 * 120)])
    assert dsl.score > passive.score


# --------------------------------------------------------------------- 10. BS3 DSL


def test_10_going_to_the_setting_dsl_is_never_a_skip():
    a = judged("one-call-health-visitor-early-years", [
        A.Contact(role="early_years.dsl", channel="phone")])
    assert not [f for f in a.findings if "skip" in f.observed.lower()], a.findings
    policy = get_policy("bs3-early-years")
    assert "early_years.dsl" in policy.stages[0].steps[0].roles_for("early_years")


# --------------------------------------------------------------------- 12. IRO


def test_12_iro_duty_judged_when_the_trainee_jumps_ahead():
    a = judged("looked-after-drift-lac-nurse", [
        A.Escalate(to_step="stage2"), A.Wait(hours=24 * 30)])
    assert severities(a, "L5"), a.findings


# --------------------------------------------------------------------- 13. citations

SENTENCE_END = re.compile(r"[.!?:]$")


def _sentences_ok(quote: str, text: str) -> bool:
    """A quote is whole sentences of the source, or marked as an excerpt with '…'."""
    if "…" in quote:
        return all(part.strip() in text for part in quote.split("…") if part.strip())
    where = text.find(quote)
    if where < 0:
        return False
    before = text[:where].rstrip()
    starts = not before or before[-1] in ".!?:" or before.endswith(("•", "-", "–"))
    ends = bool(SENTENCE_END.search(quote.rstrip('"”)')))
    return starts and ends


@pytest.mark.parametrize("policy_id", ["liverpool-lscb", "bs3-early-years"])
def test_13_every_quote_is_whole_sentences_or_an_excerpt(policy_id):
    policy = get_policy(policy_id)
    text = " ".join(source_text(policy).split())
    bad = [(rule.id, q) for rule in policy.rules for q in (rule.quote, *rule.extra_quotes)
           if rule.basis == "policy" and not _sentences_ok(" ".join(q.split()), text)]
    assert not bad, bad


def test_13_l3_quote_says_it_must_always_be_recorded_on_the_case_record():
    quote = get_policy("liverpool-lscb").rule("L3").quote
    assert "must always be recorded on a child or young person's case records" in quote


def test_13_b2_quote_includes_the_phone_number():
    assert "01454 615 165" in get_policy("bs3-early-years").rule("B2").quote


# --------------------------------------------------------------------- 14. marks


def test_14_bs3_within_2_working_days_read_by_its_own_day_one():
    """Raised Fri 19 Dec 2025: Day 1 is Friday (the policy's stated reading), Day 2 is
    Monday 22 December, so 'within no more than 2 working days' ends Mon 22 Dec 17:00."""
    policy = get_policy("bs3-early-years")
    deadline = policy.stages[0].deadline  # written once, on the stage
    due = due_at(deadline, policy, {"start": datetime(2025, 12, 19, 10, 0)})
    assert due == datetime(2025, 12, 22, 17, 0)


def test_14_l14_severity_is_the_policy_files_own():
    policy = get_policy("liverpool-lscb")
    a = judged("talk-first-school-dsl", [A.Escalate(to_step="stage3")])
    found = [f for f in a.findings if f.rule == "L14"]
    assert found and all(f.severity == policy.rule("L14").severity for f in found)


def test_14_a_capped_score_is_explained_in_plain_words():
    session = play("office-hours-disclosure-early-years", [at("2026-02-12T16:30")])
    text = debrief_markdown(session)
    assert "no higher than 40" in text.lower()
    assert "each finding also costs points" in text.lower()


def test_14_an_objective_to_keep_the_teacher_informed_is_scored_by_a_duty():
    """Liverpool is silent; the practice reference (docs/practice.md, principle 7) is cited
    and flagged as guidance."""
    scenario = get_scenario("christmas-support-school-dsl")
    promise = next(o for o in scenario.objectives if "informed" in o.text)
    policy = get_policy("liverpool-lscb")
    assert any(d.judge == "inform_referrer" and d.rule in promise.rules for d in policy.duties)
    silent = judged("christmas-support-school-dsl", [
        A.Contact(role="cs.social_worker", channel="phone"), at("2025-12-22T09:30"),
        A.Escalate(), A.Contact(role="cs.team_manager")])
    assert "L18" in silent.rule_ids
    assert policy.rule("L18").basis == "guidance"


def test_lint_proves_the_model_answer_does_what_the_events_trigger():
    from scoring.lint import lint_scenario, unperformed_duties
    from sim.players import play as autoplay

    good = autoplay(Session.from_scenario("christmas-support-school-dsl", 1), "perfect")
    assert unperformed_duties(good) == []
    lazy = play("christmas-support-school-dsl", [A.Wait(hours=24 * 30)])
    assert any("fresh referral" in p for p in unperformed_duties(lazy))
    assert lint_scenario(get_scenario("christmas-support-school-dsl")) == []


def test_12_notify_the_iro_is_offered_in_every_case():
    """Whether the child is on a plan or not: knowing when it applies is the test."""
    for scenario_id in ("talk-first-school-dsl", "looked-after-drift-lac-nurse"):
        session = Session.from_scenario(scenario_id, 1)
        offered = [o for o in session.observe().options if o.group == "notify"]
        assert offered and "Independent Reviewing Officer" in offered[0].label


def test_12_the_stage4_chair_does_not_rule_an_hour_after_an_email():
    """A panel step is answered by convening it (meeting times, and the Chair's factor)."""
    waits = []
    for seed in range(1, 13):
        scenario = variant("talk-first-school-dsl", fixed={"agree_at": "stage4"},
                           behaviour={"risk_per_working_day": 0})
        session = Session(scenario, seed)
        session.act(A.Escalate(to_step="stage4.chair"))
        asked = session.now
        session.act(A.Contact(role="partnership.chair", channel="email"))
        session.act(A.Wait(hours=24 * 30, stop_at_event=False))
        resolved = next((e.at for e in session.timeline if e.kind == "resolved"), None)
        waits.append(session.cal.working_minutes_between(asked, resolved) / 60
                     if resolved else float("inf"))
    assert min(waits) >= 4 and sorted(waits)[len(waits) // 2] >= 16, waits
