"""Stage vocabulary, on a policy written from scratch (#13 item 4).

tests/fixtures/policies/auto-escalation.yaml (Brookvale, invented): Stage 1 escalates by
itself when it is not resolved within 2 working days (`on_timeout: escalate`, its clause
AE2), Stage 2 owes a notify-only copy to the Partnership Safeguarding Adviser
(`notifications[].at_stage`, AE3), and at Stage 3 only the Head of Service decides
(`decided_by`, AE4). "Day 1" is the day the difference is raised.

Dates are worked by hand on England's bank holidays: 25 Dec 2026 (Fri), 28 Dec 2026 (Mon,
Boxing Day substitute) and 1 Jan 2027 (Fri).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from three_ways import three_ways

from scenarios.checks import check_policy, unhonoured
from scenarios.loader import load_policy
from scenarios.policy_schema import Policy
from scoring import evaluate
from sim import actions as A
from sim.case import generate_scenario
from sim.deadlines import policy_deadlines
from sim.observation import deadline_views
from sim.players import PLAYERS, perfect, play
from sim.session import Session
from sim.verdicts import BREACHED, MET, session_verdicts
from tui.cli import main

FIXTURE = Path("tests/fixtures/policies/auto-escalation.yaml")
AE2 = ("If no response is received within 2 working days the matter automatically "
       "escalates to Stage 2.")
CHRISTMAS_EVE = datetime(2026, 12, 24, 10, 0)  # a Thursday


def policy(**behaviour: object) -> Policy:
    data = load_policy(FIXTURE).model_dump()
    data["behaviour"].update(behaviour)
    return Policy.model_validate(data)


def silent() -> Policy:
    """Nobody ever answers (so only the policy moves the case)."""
    return policy(reply_hours={"dist": "never"}, phone_answer_chance=0.0)


def session_at(pol: Policy, start: datetime = CHRISTMAS_EVE) -> Session:
    """A class teacher (school) disagreeing with a social worker, from ``start``."""
    scenario = generate_scenario(pol, 1, "school")
    return Session(scenario.model_copy(update={"start": start}), 1, pol)


def raise_and_wait(until: datetime):
    def player(session: Session):
        yield A.Contact(role="social_worker", channel="email")
        yield A.Wait(until=until)
        yield A.Finish()
    return player


# ---------------------------------------------------------------------- the fixture


def test_check_passes(capsys):
    assert check_policy(load_policy(FIXTURE)) == []
    assert main(["check", "--no-lint", str(FIXTURE)]) == 0
    assert ": ok (policy 'auto-escalation-test')" in capsys.readouterr().out


def test_deadlines_lists_every_dated_duty_with_the_automatic_escalation(capsys):
    items = {(i.stage, i.step): i for i in policy_deadlines(load_policy(FIXTURE),
                                                            CHRISTMAS_EVE)}
    # Day 1 Thu 24 Dec; Fri 25 and Mon 28 Dec are bank holidays: Day 2 is Tue 29 Dec.
    local = items[("local", None)]
    assert local.due == datetime(2026, 12, 29, 17, 0)
    assert "escalates automatically" in local.label
    # 3 working days after Tue 29 Dec: Wed 30, Thu 31 Dec, (Fri 1 Jan a bank holiday) Mon 4 Jan.
    assert items[("managers", None)].due == datetime(2027, 1, 4, 17, 0)
    copy = items[("managers", "copy-adviser")]
    assert copy.due == datetime(2027, 1, 4, 17, 0) and "Partnership Safeguarding" in copy.label
    # 5 working days after Mon 4 Jan: Tue 5 … Mon 11 Jan.
    assert items[("decision", None)].due == datetime(2027, 1, 11, 17, 0)
    assert "escalates automatically" not in items[("decision", None)].label
    assert main(["deadlines", str(FIXTURE), "--start", "2026-12-24T10:00", "--json"]) == 0
    out = capsys.readouterr().out
    assert "\"step\": \"copy-adviser\"" in out and "2027-01-04T17:00:00" in out


def test_passive_gets_findings_citing_the_fixture_and_is_never_escalated_for():
    session = play(Session.generate(load_policy(FIXTURE), 1), "passive")
    findings = evaluate(session).findings
    [stage1] = [f for f in findings if f.rule == "AE1"]
    assert stage1.citation == "Stage 1 is concluded within 2 working days."
    # Never raised with anyone: no request went unanswered, so nothing escalates by itself.
    assert session.step_index == 0
    assert not [e for e in session.timeline if e.data.get("auto_escalation")]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_perfect_scores_100(seed):
    session = play(Session.generate(load_policy(FIXTURE), seed), "perfect")
    assessment = evaluate(session)
    assert assessment.score == 100, [(f.rule, f.observed) for f in assessment.findings]


# ---------------------------------------------------------------------- A: auto-escalation


def test_unanswered_stage_1_escalates_itself_at_its_deadline_over_christmas():
    session = play(session_at(silent()), raise_and_wait(datetime(2027, 1, 5, 9, 0)))
    [auto] = [e for e in session.timeline if e.data.get("auto_escalation")]
    assert auto.at == datetime(2026, 12, 29, 17, 0)  # Day 2, bank holidays skipped
    assert auto.kind == "message"  # in the trainee's inbox
    assert auto.text.startswith("Stage 1 - practitioner discussion was not resolved by "
                                "Tue 29 Dec 17:00 (Stage 1 is concluded within 2 working "
                                "days): the matter escalates automatically to Stage 2")
    assert f'AE2: "{AE2}"' in auto.text
    [moved] = [e for e in session.timeline if e.kind == "stage"]
    assert moved.at == auto.at and moved.data["reason"] == "auto"
    assert moved.data["skipped"] == []
    # The automatic move concludes Stage 1 in time: met, not "Deadline passed".
    assert session.concluded["local"] == auto.at
    states = {item: state for item, state, _ in session_verdicts(session)}
    assert states["local"] == MET
    told = [e.text for e in session.timeline if e.kind == "deadline"]
    assert not [t for t in told if "Stage 1 - practitioner discussion was due" in t]
    # Stage 2's clock runs from the automatic escalation: Mon 4 Jan 17:00, and it passed.
    assert states["managers"] == BREACHED
    assert ("Deadline passed: Stage 2 - manager review was due by Mon 04 Jan 17:00 "
            "(within 3 working days of Stage 1 ending).") in told
    views = {v.item: v for v in deadline_views(session)}
    assert views["local"].state == "met" and "(escalates automatically)" in views["local"].label
    findings = evaluate(session).findings
    assert {f.stage for f in findings if f.rule == "AE1"} == {"managers"}
    # Stage 2 does not escalate by itself: the case waits there.
    assert session.stage.id == "managers"


def test_a_stage_resolved_in_time_does_not_escalate():
    pol = policy(reply_hours={"dist": "fixed", "median": 2.0}, phone_answer_chance=0.0,
                 resolve_chance={"local": 1.0})
    session = play(session_at(pol), raise_and_wait(datetime(2027, 1, 5, 9, 0)))
    assert session.status == "resolved" and session.resolved_at == "talk"
    assert not [e for e in session.timeline if e.data.get("auto_escalation")]


def test_the_late_player_is_moved_on_by_the_policy_not_twice():
    session = play(session_at(silent()), "late")
    stages = [e.data["stage"] for e in session.timeline if e.kind == "stage"]
    assert stages[0] == "managers" and stages.count("managers") == 1
    [auto] = [e for e in session.timeline if e.data.get("auto_escalation")]
    assert auto.at == datetime(2026, 12, 29, 17, 0)
    assert not [f for f in evaluate(session).findings if f.stage == "local"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_player_survives_the_policy_moving_the_case_mid_action(seed):
    """Deadlines of a quarter of a working hour: the policy escalates while a player is
    still writing records or making calls, up to the last stage; nobody escalates twice."""
    data = load_policy(FIXTURE).model_dump()
    quarter = {"within": 0.25, "unit": "working_hours", "text": "within 15 minutes"}
    data["stages"][0]["deadline"] = quarter
    data["stages"][1] |= {"deadline": {**quarter, "after": "local"}, "on_timeout": "escalate",
                          "on_timeout_rule": "AE2"}
    data["records"] = [{"id": "file", "title": "Case file", "kind": "case_file"}]
    pol = Policy.model_validate(data)
    assert check_policy(pol) == []
    for name in PLAYERS:
        session = play(Session.generate(pol, seed), name)
        moves = [e.data["stage"] for e in session.timeline if e.kind == "stage"]
        assert len(moves) == len(set(moves)) and session.finished, name
        evaluate(session)


def _three_ways(pol: Policy, player: str, cases: int = 60):
    for p in three_ways(pol, player, cases, seed=11):
        yield p.session, p.mine, p.simpy, p.numpy


def test_the_stress_engines_escalate_automatically_as_the_session_does():
    pol = policy(resolve_chance={"local": 0.0, "managers": 0.0, "decision": 0.5})
    waiting = Policy.model_validate({**pol.model_dump(), "stages": [
        {**s.model_dump(), "on_timeout": "wait", "on_timeout_rule": None}
        for s in pol.stages]})
    auto_breached = wait_breached = agreed = 0
    for (_, mine, simpy_, numpy_), (_, _, w_simpy, w_numpy) in zip(
            _three_ways(pol, "late"), _three_ways(waiting, "late"), strict=True):
        assert simpy_ == numpy_ and w_simpy == w_numpy
        agreed += mine == simpy_
        auto_breached += simpy_[0] == BREACHED
        wait_breached += w_simpy[0] == BREACHED
    # The late player waits out each deadline: without automatic escalation Stage 1 is
    # breached in every case; with it, the policy moves the case on in time.
    assert wait_breached == 60 and auto_breached == 0
    assert agreed == 60  # the Session reaches the engines' verdict on every stage


def test_stress_approximation_of_a_multi_step_stage_is_said():
    assert unhonoured(load_policy(FIXTURE)) == []  # one step: stress moves it exactly
    data = load_policy(FIXTURE).model_dump()
    data["stages"][0]["steps"].append({**data["stages"][0]["steps"][0], "id": "talk_again"})
    [note] = unhonoured(Policy.model_validate(data))
    assert "stage 'local' escalates automatically from any of its 2 steps" in note


# ---------------------------------------------------------------------- B: who decides


def climb_to_stage_3(contact: list[str], until: datetime):
    def player(session: Session):
        yield A.Escalate(to_step="senior_review")
        for role in contact:
            yield A.Contact(role=role, channel="email")
            yield A.Wait(hours=4)
        yield A.Wait(until=until)
        yield A.Finish()
    return player


def agreeable() -> Policy:
    return policy(reply_hours={"dist": "fixed", "median": 2.0}, phone_answer_chance=0.0,
                  resolve_chance={"local": 1.0, "managers": 1.0, "decision": 1.0})


def test_at_stage_3_only_the_head_of_service_resolves():
    start = datetime(2026, 3, 2, 10, 0)  # a Monday
    session = play(session_at(agreeable(), start),
                   climb_to_stage_3(["service_manager", "head_of_service"],
                                    datetime(2026, 3, 3, 12, 0)))
    [entered] = [e for e in session.timeline if e.kind == "stage"]
    assert entered.text.endswith("The decision at this stage rests with Head of Service.")
    replies = [e for e in session.timeline if e.kind == "reply"]
    assert replies[0].actor == "service_manager" and replies[0].data["undecided"]
    assert "the decision rests with Head of Service" in replies[0].text
    resolved = next(e for e in session.timeline if e.kind == "resolved")
    assert replies[1].actor == "head_of_service" and replies[1].at == resolved.at
    # Each reply lands 2 working hours after its e-mail (a fixed turnaround): the Service
    # Manager's at 12:10 changes nothing; the Head of Service's at 16:25 resolves it.
    assert replies[0].at == datetime(2026, 3, 2, 12, 10)
    assert resolved.at == datetime(2026, 3, 2, 16, 25)
    assert not [f for f in evaluate(session).findings if f.rule == "AE4"]
    views = {v.item: v for v in deadline_views(session)}
    assert "(decided by Head of Service)" in views["decision"].label


def test_the_head_of_service_is_the_right_role_at_stage_3():
    """The table names the Head teacher (own side) at Stage 3; the decider is right to contact too,
    so the model answer is never told it went to the wrong person."""
    data = load_policy(FIXTURE).model_dump()
    data["rules"].append({"id": "AE6", "title": "Go to the named role", "clause": "Invented",
                          "quote": "Contact the role the table names at each stage."})
    data["duties"].append({"id": "table", "rule": "AE6", "judge": "right_role"})
    pol = Policy.model_validate(data)
    session = play(Session.generate(pol, 1), "perfect")
    assert session.resolved_at == "senior_review"
    assert evaluate(session).score == 100
    wrong = play(session_at(pol, datetime(2026, 3, 2, 10, 0)),
                 climb_to_stage_3(["adviser"], datetime(2026, 3, 3, 9, 0)))
    assert not [f for f in evaluate(wrong).findings if f.rule == "AE6"]  # not a ladder role
    wrong = play(session_at(pol, datetime(2026, 3, 2, 10, 0)),
                 climb_to_stage_3(["team_manager"], datetime(2026, 3, 3, 9, 0)))
    [finding] = [f for f in evaluate(wrong).findings if f.rule == "AE6"]
    assert "contact Head of Service or Head teacher" in finding.expected


def test_never_bringing_the_head_of_service_in_is_a_finding_at_the_stage_deadline():
    start = datetime(2026, 3, 2, 10, 0)  # Monday; Stage 3 entered at once
    session = play(session_at(agreeable(), start),
                   climb_to_stage_3(["service_manager"], datetime(2026, 3, 20, 9, 0)))
    assert session.status == "open"
    [finding] = [f for f in evaluate(session).findings if f.rule == "AE4"]
    assert finding.observed == "Never brought to Head of Service."
    assert finding.citation == "At Stage 3 the Head of Service's decision is final."
    # Stage 3's deadline counts 5 working days from Stage 2's conclusion (the jump, Mon 2
    # Mar 10:00): Tue 3 … Mon 9 Mar, close of office.
    assert finding.at == datetime(2026, 3, 9, 17, 0)


def test_accepting_a_view_at_stage_3_without_the_head_of_service_is_a_finding():
    data = agreeable().model_dump()
    data["behaviour"]["resolve_chance"]["decision"] = 0.0  # the Service Manager says no
    data["rules"].append({"id": "AE6", "title": "Hear their reasons", "clause": "Invented",
                          "quote": "Hear the other practitioner's reasons before deciding."})
    data["duties"].append({"id": "views", "rule": "AE6", "judge": "respect_views"})
    pol = Policy.model_validate(data)

    def accept_from_the_service_manager(session: Session):
        yield A.Escalate(to_step="senior_review")
        yield A.Contact(role="service_manager", channel="email")
        yield A.Wait(hours=4)
        yield A.AcceptView(reason="The Service Manager's reasons answer my concern.")
        yield A.Finish()

    session = play(session_at(pol, datetime(2026, 3, 2, 10, 0)),
                   accept_from_the_service_manager)
    assert session.status == "resolved" and session.resolved_at == "senior_review"
    [finding] = [f for f in evaluate(session).findings if f.rule == "AE4"]
    assert finding.observed.startswith("Treated as resolved at Stage 3 - Head of Service "
                                       "decision")
    assert finding.observed.endswith("without the decision of Head of Service.")


# ---------------------------------------------------------------------- C: stage copies


def test_the_copy_counts_only_when_sent_at_stage_2():
    early = []

    def copy_at_stage_1(session: Session):
        yield A.Notify(notification="copy-adviser")  # too soon: the case is at Stage 1
        early.append(session.stage.id)
        yield A.Escalate()
        yield A.Wait(until=datetime(2027, 1, 6, 9, 0))
        yield A.Finish()

    session = play(session_at(silent()), copy_at_stage_1)
    assert early == ["local"]
    [copy] = [f for f in evaluate(session).findings if f.rule == "AE3"]
    assert copy.observed == ("No copy was sent to the Partnership Safeguarding Adviser at "
                             "Stage 2 - manager review.")
    assert copy.stage == "managers"


def test_perfect_sends_the_copy_on_reaching_stage_2_and_not_before():
    session = play(session_at(silent()), perfect)
    notes = [at for at, a in session.actions if isinstance(a, A.Notify)]
    assert len(notes) == 1
    assert notes[0] >= session.entered["managers"]
    assert not [f for f in evaluate(session).findings if f.rule == "AE3"]


def test_a_case_resolved_at_stage_1_owes_no_copy():
    pol = policy(reply_hours={"dist": "fixed", "median": 2.0}, phone_answer_chance=0.0,
                 resolve_chance={"local": 1.0})
    session = play(session_at(pol), raise_and_wait(datetime(2027, 1, 5, 9, 0)))
    assert session.resolved_at == "talk"
    assert not [f for f in evaluate(session).findings if f.rule == "AE3"]


# ---------------------------------------------------------------------- check refuses


@pytest.mark.parametrize(("old", "new", "field", "words"), [
    ("decided_by: [head_of_service]", "decided_by: [chief]", "stages[2].decided_by[0]",
     "unknown role 'chief'"),
    ("    at_stage: managers", "    at_stage: panel", "notifications[0].at_stage",
     "unknown stage 'panel'"),
    ("    on_timeout_rule: AE2", "    on_timeout_rule: AE9", "stages[0].on_timeout_rule",
     "unknown rule 'AE9'"),
    ("    decided_by: [head_of_service]",
     "    decided_by: [head_of_service]\n    on_timeout: escalate\n    on_timeout_rule: AE2",
     "stages[2].on_timeout", "is the last stage"),
])
def test_check_refuses_with_file_line_and_field(tmp_path, capsys, old, new, field, words):
    text = FIXTURE.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(old, new), encoding="utf-8")
    (tmp_path / "auto-escalation.txt").write_text(
        FIXTURE.with_suffix(".txt").read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["check", "--no-lint", str(bad)]) == 1
    err = capsys.readouterr()
    out = err.out + err.err
    assert f"{bad}:" in out and field in out and words in out


def test_check_refuses_auto_escalation_without_a_deadline_or_a_rule():
    data = load_policy(FIXTURE).model_dump()
    data["stages"][0]["deadline"] = None
    data["stages"][0]["on_timeout_rule"] = None
    problems = dict(check_policy(Policy.model_validate(data)))
    assert "no dated deadline" in problems[("stages", 0, "on_timeout")]
    assert "name the rule" in problems[("stages", 0, "on_timeout_rule")]


def test_check_refuses_a_decider_no_duty_judges():
    data = load_policy(FIXTURE).model_dump()
    data["duties"] = [d for d in data["duties"] if d["judge"] != "decider"]
    data["rules"] = [r for r in data["rules"] if r["id"] != "AE4"]
    data["stages"][2]["rules"] = ["AE1"]
    problems = dict(check_policy(Policy.model_validate(data)))
    assert "never judged" in problems[("stages", 2, "decided_by")]


def test_the_policy_ladder_says_who_decides_and_what_escalates_itself():
    from rich.console import Console

    from tui.ladder_table import ladder_table

    console = Console(width=200, record=True)
    console.print(ladder_table(load_policy(FIXTURE)))
    text = console.export_text()
    assert "Decided by: Head of Service" in text
    assert text.count("If no response: escalates automatically") == 1


def test_stress_counts_the_decider_and_the_copy_among_the_dated_duties():
    from scoring.duty_rates import case_states, dated_duties

    rows = {(r.duty, r.item): r for r in dated_duties(load_policy(FIXTURE))}
    decider = rows[("head-of-service-decides", "decision")]
    copy = rows[("copy-adviser", "copy-adviser")]
    assert decider.kind == "decider" and copy.kind == "notification"
    start = datetime(2026, 3, 2, 10, 0)
    never = play(session_at(agreeable(), start),
                 climb_to_stage_3(["service_manager"], datetime(2026, 3, 20, 9, 0)))
    asked = play(session_at(agreeable(), start),
                 climb_to_stage_3(["service_manager", "head_of_service"],
                                  datetime(2026, 3, 3, 12, 0)))
    assert case_states(never, [decider])[decider] == (True, True)
    assert case_states(asked, [decider])[decider] == (True, False)
    # Jumped straight past Stage 2: no copy was owed there.
    assert case_states(never, [copy])[copy] == (False, False)


def test_a_conditional_stage_the_case_does_not_owe_is_passed_over_by_the_automatic_move():
    """With Stage 2 owed only where the child is on a plan, a case with no plan escalates
    from Stage 1 straight to Stage 3 (found by the policy fuzz: the move looked for the
    stage numbered next and found none in the case's ladder)."""
    data = silent().model_dump()
    data["stages"][1]["only_if"] = {"plan_status": ["CPP"]}
    data["stages"][2]["steps"][0]["deadline"] = None  # anchored on Stage 2 no longer
    pol = Policy.model_validate(data)
    session = Session(generate_scenario(pol, 1, "school").model_copy(
        update={"start": CHRISTMAS_EVE, "plan_status": "none"}), 1, pol)
    assert [st.id for st, _ in session.ladder] == ["local", "decision"]
    play(session, raise_and_wait(datetime(2027, 1, 5, 9, 0)))
    [auto] = [e for e in session.timeline if e.data.get("auto_escalation")]
    assert auto.at == datetime(2026, 12, 29, 17, 0) and auto.data["to_stage"] == "decision"
    assert session.stage.id == "decision"
