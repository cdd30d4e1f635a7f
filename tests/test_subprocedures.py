"""Sub-procedures with their own clock from an event are played, said, judged and checked.

Issue #13: `procedures` validated but nothing honoured them (a conference-dissent clock never
came due). The fixture (tests/fixtures/policies/conference-dissent.yaml, written from
scratch, own rule ids) has a two-stage ladder and a dissent procedure started by the event
'conference_held': raise the dissent with the chair "within 72 hours of the conference"
(clock hours, CD3), then put it in writing "within 2 working days of raising it" (CD4).
The fixture case starts Fri 13 Mar 2026 09:30; the conference ends at 10:00 that Friday.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import yaml

from scenarios.checks import check_policy, unhonoured
from scenarios.loader import load_policy
from scenarios.policy_schema import Policy
from scenarios.scenario_schema import Scenario
from scoring import evaluate
from sim import actions as A
from sim.players import play
from sim.session import Session
from sim.verdicts import BREACHED, MET, PENDING, procedure_verdicts
from tui.cli import main

POLICY = Path("tests/fixtures/policies/conference-dissent.yaml")
SCENARIO = Path("tests/fixtures/scenarios/conference-dissent.yaml")
FRIDAY_10 = datetime(2026, 3, 13, 10, 0)
MONDAY_10 = datetime(2026, 3, 16, 10, 0)  # 72 clock hours on, over the weekend
TOLD = ("Deadline passed: Dissent at a child protection conference (raise the dissent with "
        "the conference chair) was due by Mon 16 Mar 10:00 (within 72 hours of the "
        "conference).")


def scenario(**changes) -> Scenario:
    data = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    data.update(changes)
    return Scenario.model_validate(data)


def session(**changes) -> Session:
    return Session(scenario(**changes), 1, load_policy(POLICY))


def rules_of(played: Session) -> set[str]:
    return {f.rule for f in evaluate(played).findings}


def test_check_passes_and_says_when_stress_cannot_test_the_clock(capsys):
    assert check_policy(load_policy(POLICY)) == []
    assert main(["check", "--no-lint", str(POLICY)]) == 0
    assert "note:" not in capsys.readouterr().out  # behaviour.events models the conference
    data = load_policy(POLICY).model_dump()
    data["behaviour"]["events"] = {}
    notes = unhonoured(Policy.model_validate(data))
    assert notes == ["sub-procedure 'Dissent at a child protection conference' (starts on "
                     "'conference_held') is played and judged, but no generated case holds "
                     "'conference_held', so `stress` cannot test its clock: add "
                     "behaviour.events.conference_held (how often, how long after the "
                     "concern)"]


def test_deadlines_lists_the_procedure_from_its_event(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one row per line
    assert main(["deadlines", str(POLICY), "--start", "2026-03-13T09:30",
                 "--event-at", "2026-03-13T10:00", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["procedures"]
    due = {r["step"]: r["due"] for r in rows}
    # 72 clock hours from Fri 10:00 is Mon 10:00 (the weekend counts: they are clock hours).
    # Taken at that moment, "2 working days of raising it" ends at close on Wed 18 (Tue is
    # the first working day after Monday, Wed the second).
    assert due == {"raise_dissent": "2026-03-16T10:00:00",
                   "dissent_in_writing": "2026-03-18T17:00:00"}
    assert {r["event_at"] for r in rows} == {"2026-03-13T10:00:00"}
    assert main(["deadlines", str(POLICY), "--start", "2026-03-13T09:30"]) == 0
    table = capsys.readouterr().out
    assert "own clock from event" in table and "'conference_held'" in table


def test_the_clock_starts_at_the_event_and_not_before():
    case = session()
    assert case.procedures_started == {}
    assert [v[2] for v in procedure_verdicts(case)] == [PENDING, PENDING]
    case.act(A.Wait(until=datetime(2026, 3, 13, 10, 5)))
    assert case.procedures_started == {"dissent": FRIDAY_10}
    procedure = case.policy.procedures[0]
    first = procedure.stages[0].steps[0]
    assert case.procedure_due(procedure, first.deadline) == MONDAY_10
    said = [e.text for e in case.timeline if e.data.get("procedure") == "dissent"]
    assert said == ["Dissent at a child protection conference starts: Raise the dissent with "
                    "the conference chair, by Mon 16 Mar 10:00 (within 72 hours of the "
                    "conference)."]


def test_passive_is_told_and_gets_findings_citing_the_fixture_rules():
    played = play(session(), "passive")
    told = [e for e in played.timeline if e.kind == "deadline"]
    assert [e.at for e in told if e.text == TOLD] == [MONDAY_10]
    findings = [f for f in evaluate(played).findings if f.rule == "CD3"]
    [finding] = findings
    assert finding.at == MONDAY_10
    assert "within 72 hours of the conference" in finding.expected
    assert finding.observed.startswith("Not done before the exercise ended")
    assert finding.citation.startswith("Dissent from a conference decision")
    # The written step's clock runs from raising the dissent, which never happened: pending,
    # not held against the trainee twice. The ladder's own duty is judged beside it.
    assert rules_of(played) >= {"CD1", "CD3"}
    assert "CD4" not in rules_of(played)


def test_perfect_takes_both_steps_on_time_and_scores_100():
    played = play(session(), "perfect")
    report = evaluate(played)
    assert report.findings == [] and report.score == 100
    taken = played.procedure_taken
    assert FRIDAY_10 <= taken["raise_dissent"] <= taken["dissent_in_writing"] < MONDAY_10
    assert taken["dissent_stage"] == taken["dissent_in_writing"]
    assert [v[2] for v in procedure_verdicts(played)] == [MET, MET]
    chair = [a for _, a in played.actions
             if isinstance(a, A.Contact) and a.role == "conference_chair"]
    assert [a.channel for a in chair] == ["phone", "email"]  # the written step by e-mail
    assert not [e for e in played.timeline if e.kind == "deadline" and "Dissent" in e.text]


def test_a_dissent_raised_after_the_weekend_is_late_and_restarts_the_written_clock():
    case = session()
    case.act(A.Contact(role="social_worker"))
    tuesday = datetime(2026, 3, 17, 9, 0)
    case.act(A.Wait(until=tuesday))
    case.act(A.Contact(role="conference_chair"))
    procedure = case.policy.procedures[0]
    written = procedure.stages[0].steps[1]
    # Raised Tue 09:00: two working days after it end at close on Thu 19 Mar.
    assert case.procedure_due(procedure, written.deadline) == datetime(2026, 3, 19, 17, 0)
    case.act(A.Contact(role="conference_chair", channel="email"))
    case.act(A.Finish())
    verdicts = {item: state for _, item, state, _, _ in procedure_verdicts(case)}
    assert verdicts == {"raise_dissent": BREACHED, "dissent_in_writing": MET}
    [late] = [f for f in evaluate(case).findings if f.rule == "CD3"]
    assert late.observed == "Done Tue 17 Mar 2026 09:00, after the deadline."
    assert TOLD in [e.text for e in case.timeline]


def test_ending_before_raising_the_dissent_is_a_finding():
    case = session()
    case.act(A.Contact(role="social_worker"))
    case.act(A.Wait(until=datetime(2026, 3, 13, 11, 0)))
    case.act(A.Finish())
    [left] = [f for f in evaluate(case).findings if f.rule == "CD3"]
    assert "before taking this step" in left.observed


def test_no_event_no_procedure_clock():
    played = play(session(events=[]), "passive")
    assert played.procedures_started == {}
    assert not rules_of(played) & {"CD3", "CD4"}
    assert TOLD not in [e.text for e in played.timeline]


def test_an_event_kind_starts_it_too():
    policy = load_policy(POLICY)
    policy.procedures[0].starts_on = "conference_dissent"  # the event's kind, not its id
    case = Session(scenario(), 1, policy)
    case.act(A.Wait(until=datetime(2026, 3, 13, 10, 5)))
    assert case.procedures_started == {"dissent": FRIDAY_10}


def test_a_procedure_deadline_no_duty_cites_is_refused_with_file_and_line(tmp_path, capsys):
    text = POLICY.read_text(encoding="utf-8")
    unjudged = text.replace("            rules: [CD4]\n", "")
    assert unjudged != text
    path = tmp_path / "unjudged.yaml"
    path.write_text(unjudged, encoding="utf-8")
    assert main(["check", "--no-lint", str(path)]) != 0
    out = capsys.readouterr()
    said = out.out + out.err
    rows = unjudged.splitlines()
    after = next(i for i, row in enumerate(rows) if "after: raise_dissent" in row)
    line = max(i for i in range(after) if rows[i].strip() == "deadline:") + 1  # its key
    assert f"{path}:{line}:" in said
    assert "procedures[0].stages[0].steps[1].deadline" in said
    assert "'dissent_in_writing' is never judged" in said


def test_procedure_ids_must_not_reuse_ladder_ids():
    data = load_policy(POLICY).model_dump()
    data["procedures"][0]["stages"][0]["steps"][0]["id"] = "talk_step"
    from scenarios.policy_schema import Policy

    problems = check_policy(Policy.model_validate(data))
    assert (("procedures", 0, "stages", 0, "steps", 0, "id")
            in [where for where, _ in problems])


def test_event_anchors_reach_the_ladder_and_the_procedure():
    data = load_policy(POLICY).model_dump()
    # The procedure's first step counted from the event's kind, the ladder's first stage
    # from the event's id: both are "event:NAME" anchors.
    data["procedures"][0]["stages"][0]["steps"][0]["deadline"]["after"] = (
        "event:conference_dissent")
    data["stages"][0]["deadline"] = {"within": 1, "unit": "working_days",
                                     "after": "event:conference_held",
                                     "text": "within a working day of the conference"}
    from scenarios.policy_schema import Policy

    policy = Policy.model_validate(data)
    assert check_policy(policy) == []
    played = play(Session(scenario(), 1, policy), "passive")
    procedure = played.policy.procedures[0]
    assert played.procedure_due(procedure, procedure.stages[0].steps[0].deadline) == MONDAY_10
    # Fri 10:00 + 1 working day: close of office on Monday (the weekend is not working time).
    assert played.due(policy.stages[0].deadline) == datetime(2026, 3, 16, 17, 0)
    told = [e.text for e in played.timeline if e.kind == "deadline"]
    assert TOLD in told
    assert ("Deadline passed: Practitioner to practitioner was due by Mon 16 Mar 17:00 "
            "(within a working day of the conference).") in told


def test_a_guide_within_a_procedure_is_a_note_not_a_finding():
    """The advisory vocabulary holds inside a sub-procedure too: a passed guide is reported
    in the debrief's notes and costs nothing."""
    from scenarios.policy_schema import Policy

    data = load_policy(POLICY).model_dump()
    for procedure in data["procedures"]:
        for stage in procedure["stages"]:
            for step in stage["steps"]:
                if step.get("deadline"):
                    step["deadline"]["advisory"] = True
            if stage.get("deadline"):
                stage["deadline"]["advisory"] = True
    guided = Policy.model_validate(data)
    passive = play(Session(scenario(), 1, guided), "passive")
    assert passive.procedures_started  # the conference happened: the guide's clock ran
    assessment = evaluate(passive)
    procedure_rules = {rule for p in guided.procedures for stage in p.stages
                       for step in stage.steps for rule in step.rules}
    assert not [f for f in assessment.findings if f.rule in procedure_rules
                and f.stage is None and "Not done before" in f.observed]
    assert any("Not done before" in note.observed for note in assessment.notes)
