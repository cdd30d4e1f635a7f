"""Practice judgements for issue 14 item 15, written by hand from the clauses.

- Liverpool, Escalation - Principles: "Practitioners should respect the views of others,
  whatever their level of experience, the role they fulfil or agency they represent."
  A sound decision is heard (by asking) and accepted; pushing on after hearing it, or
  accepting without ever asking, is a finding.
- Liverpool, Escalation - Principles: "This procedure is not designed to replace complaint
  processes established within individual partner agencies." A complaint is signposted,
  never escalated; doing nothing is a finding too (the complaint goes unheard).
- Where the policies are silent (guidance; flagged as an assumption): an allegation against
  someone who works with children goes to the LADO within one working day (Working
  Together; KCSIE Part four), not up the disagreement ladder. "One working day" is read as 8
  working hours (office 09:00-17:00, Mon-Fri): Fri 15:10 -> Mon 15:10; Sat -> Mon 17:00.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from pydantic import ValidationError

from scenarios.loader import get_policy, get_scenario
from scenarios.scenario_schema import Scenario
from scoring import evaluate
from scoring.debrief import debrief_markdown
from scoring.lint import lint_scenario, unperformed_duties
from scoring.model import Assessment
from sim import actions as A
from sim.players import play as autoplay
from sim.session import Session, SessionError

SOUND = "sound-closure-health-visitor"
LADO = "allegation-lado-school-dsl"
COMPLAINT = "complaint-not-disagreement-school-dsl"
RESPECT = ("Practitioners should respect the views of others, whatever their level of "
           "experience, the role they fulfil or agency they represent.")
CHALLENGE = ("Where professionals consider that the practice, or the decision making of other "
             "professionals is placing children at risk of harm, they must be assertive act "
             "swiftly and ensure that they challenge any relevant professionals in line with "
             "this policy.")
COMPLAINTS = ("This procedure is not designed to replace complaint processes established "
              "within individual partner agencies.")
SW = "cs.social_worker"
REASON = "Hospital admission, dietitian's letter and early help explain the weight and visits."


def at(text: str) -> A.Wait:
    return A.Wait(until=datetime.fromisoformat(text))


def play(scenario: Scenario | str, actions: list[A.Action], seed: int = 1) -> Session:
    if isinstance(scenario, str):
        scenario = get_scenario(scenario)
    session = Session(scenario, seed)
    for action in actions:
        session.act(action)
    if not session.finished:
        session.act(A.Finish())
    return session


def judged(scenario: Scenario | str, actions: list[A.Action]) -> Assessment:
    return evaluate(play(scenario, actions))


def found(assessment: Assessment, rule: str) -> list[tuple[str, str]]:
    return [(f.severity, f.observed) for f in assessment.findings if f.rule == rule]


def variant(scenario_id: str, **changes: Any) -> Scenario:
    data = get_scenario(scenario_id).model_dump(mode="json", exclude_none=True)
    data.update(changes)
    return Scenario.model_validate(data)


# The trainee's own words on the log (a row saved with a note only is no record).
RECORDS = [A.Record(record="escalation_log", fields={
               "Concern": "21/04/2026: Freya's weight has fallen two centile lines, with "
                          "missed appointments.",
               "Summary of Professional Disagreement": "The social worker decided to close "
                                                       "the case; we questioned the decision.",
               "Actions Undertaken Towards Resolution": "Phoned the social worker, "
                                                        "21/04/2026.",
               "Outcome of Resolution": "Resolved: their reasons accepted. We will keep "
                                        "weighing Freya weekly."}),
           A.Record(record="case_file", text="Reasons heard and accepted; weekly weighing.")]


# --------------------------------------------------------------------- 1. hear and accept


def test_hearing_the_reasons_and_accepting_them_is_clean():
    session = play(SOUND, [A.Contact(role=SW), A.AcceptView(reason=REASON), *RECORDS])
    assert session.status == "resolved" and session.resolved_at == "stage1.attempt"
    assert session.rationale_heard_at == datetime(2026, 4, 21, 10, 0)
    accepted = [e for e in session.timeline if e.data.get("reason") == REASON]
    assert accepted and "You accept the view of Social worker" in accepted[0].text
    assert evaluate(session).findings == []


def test_pushing_on_up_the_ladder_after_hearing_the_reasons_cites_respect():
    a = judged(SOUND, [A.Contact(role=SW), A.Escalate(), *RECORDS])
    l31 = [f for f in a.findings if f.rule == "L31"]
    assert [f.severity for f in l31] == ["major"]
    assert l31[0].citation == RESPECT
    assert "pushed on up the ladder after hearing their reasons (Tue 21 Apr 2026 10:00)" \
        in l31[0].observed


def test_ringing_your_own_line_manager_after_the_reasons_is_pushing_on_too():
    a = judged(SOUND, [A.Contact(role=SW), A.Contact(role="health.ssp"), *RECORDS])
    assert ("major", "You pushed on up the ladder after hearing their reasons "
            "(Tue 21 Apr 2026 10:00).") in found(a, "L31")


def test_accepting_without_ever_asking_is_a_finding():
    a = judged(SOUND, [A.AcceptView(reason="They must know best."), *RECORDS])
    assert found(a, "L31") == [
        ("major", "You accepted their view without ever hearing their reasons.")]
    # ... and, never having discussed it, the disagreement was never engaged with (L16).
    assert a.rule_ids == {"L31", "L16"} and a.score == 70


def test_hearing_the_reasons_then_leaving_it_open_is_a_finding():
    a = judged(SOUND, [A.Contact(role=SW), at("2026-04-23T12:00:00")])
    assert ("major", "You heard their reasons but left the disagreement open.") in found(a, "L31")
    assert a.score < 100


def test_accepting_a_view_that_is_not_sound_cites_the_duty_to_challenge():
    """talk-first-school-dsl: the school is right; letting the closure stand drops it."""
    a = judged("talk-first-school-dsl", [A.Contact(role=SW), A.AcceptView(reason="Fine."),
                                         *RECORDS])
    l31 = [f for f in a.findings if f.rule == "L31"]
    assert [(f.severity, f.theme) for f in l31] == [("major", "safety")]
    assert l31[0].citation == CHALLENGE


def test_bs3_accepting_without_asking_is_judged_by_its_own_clause():
    a = judged("one-call-health-visitor-early-years", [A.AcceptView(reason="Fine.")])
    b31 = [f for f in a.findings if f.rule == "B31"]
    assert b31 and b31[0].citation.startswith("In reaching resolution it is essential")


def test_accepting_is_offered_only_where_the_policy_judges_it():
    session = Session(get_scenario(SOUND), 1)
    assert any(o.group == "accept" for o in session.observe().options)
    policy = get_policy("liverpool-lscb")
    bare = policy.model_copy(update={"duties": [d for d in policy.duties
                                                if d.judge != "respect_views"]})
    plain = Session(get_scenario(SOUND), 1, bare)
    assert not any(o.group == "accept" for o in plain.observe().options)
    with pytest.raises(SessionError, match="no step for accepting"):
        plain.act(A.AcceptView(reason="Fine."))


def test_accepting_needs_a_reason_and_an_open_disagreement():
    with pytest.raises(ValidationError):
        A.parse_action({"kind": "accept_view", "reason": ""})
    session = play(SOUND, [A.Contact(role=SW), A.AcceptView(reason=REASON)])
    assert session.finished
    open_again = Session(get_scenario(SOUND), 1)
    open_again.act(A.AcceptView(reason=REASON))
    with pytest.raises(SessionError, match="already resolved"):
        open_again.act(A.AcceptView(reason=REASON))


def test_the_model_answer_hears_and_accepts_and_the_debrief_says_so():
    good = autoplay(Session(get_scenario(SOUND), 1), "perfect")
    kinds = [type(a).__name__ for _, a in good.actions]
    assert kinds[:2] == ["Contact", "AcceptView"]
    assert "Escalate" not in kinds and evaluate(good).score == 100
    text = debrief_markdown(play(SOUND, [A.Contact(role=SW), A.Escalate()]))
    assert RESPECT in text


# --------------------------------------------------------------------- 2. the LADO


LADO_ROUTE = A.UseRoute(route="lado")


def test_lado_at_once_is_clean_and_ends_the_case_outside_the_ladder():
    session = play(LADO, [LADO_ROUTE, A.Wait(hours=2)])
    assert session.status == "routed"
    assert evaluate(session).score == 100
    replies = [e.text for e in session.timeline if e.kind == "reply"]
    assert replies and replies[0].startswith(
        "Local Authority Designated Officer: the allegation is logged")
    assert not [e for e in session.timeline if e.kind == "deadline"]  # no ladder clock


@pytest.mark.parametrize(("when", "expected"), [
    # Known Fri 13 Mar 2026 15:10: one working day (8 working hours) -> Mon 16 Mar 15:10.
    ("2026-03-16T15:00:00", []),
    ("2026-03-16T15:30:00", [("major", "Done only Mon 16 Mar 2026 15:30, after "
                              "Mon 16 Mar 2026 15:10.")]),
])
def test_lado_over_a_weekend_is_due_monday_at_the_same_time(when, expected):
    a = judged(LADO, [at(when), LADO_ROUTE])
    assert found(a, "L33") == expected


@pytest.mark.parametrize(("start", "ok", "late"), [
    # Saturday 11:00: the working day is Monday, all of it -> Mon 17:00.
    ("2026-03-14T11:00:00", "2026-03-16T16:45:00", "2026-03-16T17:30:00"),
    # Thursday 16:00: one hour Thursday, seven on Friday -> Fri 16:00 (no weekend).
    ("2026-03-12T16:00:00", "2026-03-13T15:50:00", "2026-03-13T16:30:00"),
])
def test_lado_deadline_checked_by_hand(start, ok, late):
    scenario = variant(LADO, start=start)
    assert found(judged(scenario, [at(ok), LADO_ROUTE]), "L33") == []
    assert [s for s, _ in found(judged(scenario, [at(late), LADO_ROUTE]), "L33")] == ["major"]


def test_never_referring_the_allegation_is_critical_and_only_that():
    a = judged(LADO, [A.Wait()])
    assert found(a, "L33") == [("critical", "Never done: refer the allegation to the LADO.")]
    assert a.capped and a.rule_ids == {"L33"}  # the ladder's duties do not apply


def test_ringing_the_nurse_first_is_investigating_not_the_lado_route():
    a = judged(LADO, [A.Contact(role="health.frontline"), LADO_ROUTE])
    l33 = [f for f in a.findings if f.rule == "L33"]
    assert [f.severity for f in l33] == ["major"]
    assert l33[0].observed.startswith("Took it up the ladder instead: contacted School nurse")
    assert "within one working day" in l33[0].citation and not a.capped


def test_escalating_the_allegation_instead_is_two_findings():
    a = judged(LADO, [A.Escalate()])
    assert sorted(s for s, _ in found(a, "L33")) == ["critical", "major"]


def test_ringing_your_own_head_teacher_is_consultation_not_escalation():
    a = judged(LADO, [A.Contact(role="school.head_teacher"), LADO_ROUTE])
    assert found(a, "L33") == []


def test_lado_is_guidance_flagged_as_an_assumption_in_both_policies():
    for policy_id, rule_id in (("liverpool-lscb", "L33"), ("bs3-early-years", "B33")):
        policy = get_policy(policy_id)
        rule = policy.rule(rule_id)
        assert rule.basis == "guidance"
        assert "Keeping Children Safe in Education, Part four" in (rule.guidance or "")
        route = next(r for r in policy.outside_routes if r.id == "lado")
        assert route.matter == "allegation_against_staff" and route.rule == rule_id
        assumption = next(a for a in policy.assumptions if a.id == "lado")
        assert "outside_routes.lado" in assumption.affects


def test_bs3_allegation_goes_to_the_lado_too():
    scenario = variant("office-hours-disclosure-early-years", matter="allegation_against_staff",
                       events=[], immediate_risk_at_start=False,
                       fixed={"risk_after_hours": "never"})
    assert judged(scenario, [A.Wait()]).rule_ids == {"B33"}
    assert evaluate(autoplay(Session(scenario, 1), "perfect")).score == 100


def mid_case_allegation() -> Scenario:
    """A real disagreement (talk-first-school-dsl, Tue 10 Mar 2026 09:30) during which, at
    09:50, a pupil makes an allegation against a breakfast-club volunteer."""
    return variant("talk-first-school-dsl", events=[{
        "id": "allegation", "after_minutes": 20, "kind": "message",
        "matter": "allegation_against_staff",
        "text": "A Year 3 pupil tells you the breakfast-club volunteer grabbed her arm hard "
                "and told her not to tell."}],
        fixed={"agree_at": "stage1", "risk_after_hours": "never",
               "reply_hours": {SW: 3}})


def test_an_allegation_made_known_mid_case_is_owed_beside_the_disagreement():
    good = autoplay(Session(mid_case_allegation(), 1), "perfect")
    routes = [at for at, a in good.actions if isinstance(a, A.UseRoute) and a.route == "lado"]
    assert routes and routes[0] >= datetime(2026, 3, 10, 9, 50)
    assert good.status == "resolved"  # the LADO route does not end the disagreement
    assert evaluate(good).score == 100 and unperformed_duties(good) == []


@pytest.mark.parametrize(("when", "expected"), [
    # Known Tue 09:50: one working day -> Wed 11 Mar 09:50.
    ("2026-03-11T09:40:00", []),
    ("2026-03-11T10:00:00", ["major"]),
    (None, ["critical"]),
])
def test_a_mid_case_allegation_is_due_one_working_day_after_it_is_known(when, expected):
    actions: list[A.Action] = [A.Contact(role=SW)]
    actions += [at(when), LADO_ROUTE] if when else [at("2026-03-11T12:00:00")]
    a = judged(mid_case_allegation(), actions)
    assert [s for s, _ in found(a, "L33")] == expected  # the contact is not "instead"


# --------------------------------------------------------------------- 3. a complaint


SIGNPOST = A.UseRoute(route="complaints")


def test_signposting_the_complaint_is_clean():
    session = play(COMPLAINT, [SIGNPOST, A.Record(record="case_file", text="Signposted.")])
    assert session.status == "routed" and evaluate(session).score == 100


def test_doing_nothing_with_a_complaint_is_a_finding_and_not_100():
    """Signposting is a duty: without it the complaint goes unheard (assumption complaints)."""
    a = judged(COMPLAINT, [A.Wait()])
    assert found(a, "L32") == [
        ("major", "Never done: signpost the complaint.")]
    assert a.score == 85 and a.rule_ids == {"L32"}


@pytest.mark.parametrize("first", [A.Contact(role=SW), A.Escalate()])
def test_opening_a_professional_disagreement_about_a_complaint_cites_the_sentence(first):
    a = judged(COMPLAINT, [first, SIGNPOST])
    l32 = [f for f in a.findings if f.rule == "L32"]
    assert [f.severity for f in l32] == ["major"]
    assert l32[0].citation == COMPLAINTS
    assert l32[0].observed.startswith("Took it up the ladder instead")


def test_routes_are_offered_in_every_case_and_unknown_ones_refused():
    session = Session(get_scenario("talk-first-school-dsl"), 1)
    offered = {o.action.route for o in session.observe().options if o.group == "route"}
    assert offered == {"lado", "complaints"}
    with pytest.raises(SessionError, match="unknown route 'ombudsman'"):
        session.act(A.UseRoute(route="ombudsman"))


def test_a_route_for_another_matter_does_not_end_a_disagreement():
    session = Session(get_scenario("talk-first-school-dsl"), 1)
    session.act(A.UseRoute(route="complaints"))
    assert session.status == "open"


# --------------------------------------------------------------------- lint, saves


@pytest.mark.parametrize("scenario_id", [SOUND, LADO, COMPLAINT])
def test_new_cases_pass_the_lint_and_replay_identically(scenario_id):
    scenario = get_scenario(scenario_id)
    assert lint_scenario(scenario) == []
    good = autoplay(Session(scenario, 2), "perfect")
    again = Session.from_dict(good.to_dict())
    assert [e.to_dict() for e in again.timeline] == [e.to_dict() for e in good.timeline]


def test_lint_names_a_model_answer_that_skips_the_route_or_the_acceptance():
    lado = play(LADO, [])
    assert unperformed_duties(lado) == [
        "the model answer never takes the case's own route (lado)"]
    sound = play(SOUND, [A.Contact(role=SW)])
    assert unperformed_duties(sound) == [
        "the model answer never accepts the other professional's sound view"]


def test_a_matter_without_a_route_or_a_sound_view_without_reasons_fails_check():
    from scenarios.checks import check_scenario

    bs3 = get_policy("bs3-early-years")
    complaint = variant(COMPLAINT, policy="bs3-early-years", seat={
        "agency": "early_years", "role": "early_years.practitioner"},
        other={"agency": "childrens_services", "role": "cs.social_worker"})
    problems = dict(check_scenario(complaint, bs3))
    assert problems[("matter",)] == ("policy 'bs3-early-years' has no route for 'complaint' "
                                     "(outside_routes)")
    told = variant("one-call-health-visitor-early-years", events=[{
        "id": "complaint", "after_minutes": 5, "matter": "complaint", "text": "A complaint."}])
    assert dict(check_scenario(told, bs3))[("events", 0, "matter")] == (
        "policy 'bs3-early-years' has no route for 'complaint' (outside_routes)")
    silent = variant(SOUND, events=[])
    problems = dict(check_scenario(silent, get_policy("liverpool-lscb")))
    assert "rationale" in problems[("other_view_sound",)]


# --------------------------------------------------------------------- the TUI


async def test_accept_and_route_are_reachable_by_keys():
    from textual.widgets import Input

    from tui.app import build_app
    from tui.pilot_driver import perform, play_through, settle
    from tui.screens.case import CaseScreen

    app = build_app(SOUND, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        case = app.screen
        assert isinstance(case, CaseScreen)
        await perform(pilot, A.Contact(role=SW))
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("enter")  # an empty reason is refused, the dialog stays
        await settle(pilot)
        assert case.session.accepted_at is None and app.screen is not case
        app.screen.query_one("#note", Input).value = REASON
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is case and case.session.status == "resolved"
        assert case.session.actions[-1][1] == A.AcceptView(reason=REASON)

    app = build_app(LADO, 1, prompt_resume=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        session = app.screen.session
        await play_through(pilot, "perfect")
        assert session.status == "routed" and evaluate(session).score == 100
