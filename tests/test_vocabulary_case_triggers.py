"""Duties set off during the case, and duties owed by some seats only (#13).

tests/fixtures/policies/case-triggers.yaml (written from scratch, own rule ids TR1–TR5):
a school logs its escalation to managers within 1 working day of the case reaching them
(trigger `entered:managers`, owed by school seats only); the referrer is told of the team
manager's reply within 1 working day (`reply:team_manager`); a strategy meeting's outcome is
recorded within 1 working day (`event:strategy_meeting`, modelled in generated cases by
`behaviour.events`); a log not made on time owes its reason within a further working day
(`timed_out:log-the-escalation`). "Within 1 working day" ends at close of office on the
next working day.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from scenarios.checks import check_policy
from scenarios.loader import load_policy
from scenarios.policy_schema import Policy
from scenarios.scenario_schema import ScriptedEvent
from scoring import evaluate
from sim import actions as A
from sim.case import generate_scenario
from sim.session import Session
from tui.cli import main

FIXTURE = Path("tests/fixtures/policies/case-triggers.yaml")


def session(agency: str, start: datetime, events: list[ScriptedEvent] | None = None
            ) -> Session:
    policy = load_policy(FIXTURE)
    scenario = generate_scenario(policy, 1, agency).model_copy(
        update={"start": start, "events": events or []})
    return Session(scenario, 1, policy)


def escalate_at(played: Session, when: datetime) -> Session:
    other = "social_worker" if played.scenario.seat.agency == "school" else "teacher"
    played.act(A.Contact(role=other, channel="phone"))
    played.act(A.Wait(until=when))
    played.act(A.Escalate())
    return played


def findings(played: Session, rule: str) -> list:
    if not played.finished:
        played.act(A.Finish())
    return [f for f in evaluate(played).findings if f.rule == rule]


def test_check_passes_with_every_quote_found_in_the_source(capsys):
    assert check_policy(load_policy(FIXTURE)) == []
    assert main(["check", "--no-lint", str(FIXTURE)]) == 0
    out = capsys.readouterr().out
    assert ": ok (policy 'case-triggers-test')" in out and "quotes not checked" not in out


def test_reaching_managers_starts_the_school_log_clock_across_christmas():
    # Escalated Thu 24 Dec 2026 16:00. Fri 25 Dec and Mon 28 Dec (Boxing Day substitute)
    # are bank holidays, 26-27 the weekend: the next working day is Tue 29 Dec.
    played = escalate_at(session("school", datetime(2026, 12, 23, 10, 0)),
                         datetime(2026, 12, 24, 16, 0))
    assert played.entered["managers"] == datetime(2026, 12, 24, 16, 0)
    [late] = findings(played, "TR3")
    assert late.at == datetime(2026, 12, 29, 17, 0)
    assert late.observed == "The escalation to managers was never recorded on the log."
    assert late.citation.startswith("When a school escalates to managers")


def test_logging_it_next_working_day_meets_it():
    played = escalate_at(session("school", datetime(2026, 12, 23, 10, 0)),
                         datetime(2026, 12, 24, 16, 0))
    played.act(A.Wait(until=datetime(2026, 12, 29, 9, 30)))
    played.act(A.Record(record="log", text="Escalated to the team manager on 24 December."))
    assert findings(played, "TR3") == []


def test_a_log_never_made_sets_off_the_next_duty_when_its_deadline_passes():
    # TR3 due Tue 29 Dec 17:00 passes undone: TR6 ("the reason recorded within a further
    # working day") is owed from then, due at close on Wed 30 Dec.
    played = escalate_at(session("school", datetime(2026, 12, 23, 10, 0)),
                         datetime(2026, 12, 24, 16, 0))
    played.act(A.Wait(until=datetime(2026, 12, 29, 16, 0)))
    assert played.moments("timed_out:log-the-escalation") == []  # not yet
    played.act(A.Wait(until=datetime(2026, 12, 31, 9, 0)))
    assert played.moments("timed_out:log-the-escalation") == [datetime(2026, 12, 29, 17, 0)]
    [explain] = findings(played, "TR6")
    assert explain.at == datetime(2026, 12, 30, 17, 0)


def test_a_late_log_with_its_reason_is_one_minor_finding_and_no_second():
    played = escalate_at(session("school", datetime(2026, 12, 23, 10, 0)),
                         datetime(2026, 12, 24, 16, 0))
    played.act(A.Wait(until=datetime(2026, 12, 30, 10, 0)))
    played.act(A.Record(record="log", text="Escalated 24 Dec; logged late: off sick."))
    [late] = findings(played, "TR3")
    assert late.severity == "minor" and late.observed.startswith("Done only Wed 30 Dec")
    assert findings(played, "TR6") == []


@pytest.mark.parametrize(("trigger", "words"), [
    ("timed_out:nothing", "unknown dated action duty (judge: action, with by, seat: any) "
                          "'nothing'"),
    ("timed_out:explain-a-late-log", "go round in a circle"),
])
def test_check_refuses_a_timed_out_trigger_it_cannot_follow(trigger, words):
    data = load_policy(FIXTURE).model_dump()
    duty = next(d for d in data["duties"] if d["id"] == "explain-a-late-log")
    duty["trigger"] = trigger
    problems = check_policy(Policy.model_validate(data))
    assert any(words in message for _, message in problems), problems


def test_a_social_care_seat_does_not_owe_the_schools_log():
    played = escalate_at(session("social_care", datetime(2026, 12, 23, 10, 0)),
                         datetime(2026, 12, 24, 16, 0))
    assert findings(played, "TR3") == []
    rules = {f.rule for f in evaluate(played).findings}
    assert "TR3" not in rules and evaluate(played).rules_checked.count("TR3") == 0


def test_the_managers_reply_starts_the_referrer_clock():
    played = escalate_at(session("school", datetime(2026, 12, 17, 10, 0)),
                         datetime(2026, 12, 18, 16, 0))
    played.act(A.Contact(role="team_manager", channel="phone"))
    while not played.moments("reply:team_manager"):
        played.act(A.Wait(stop_at_event=True))
    [reply] = played.moments("reply:team_manager")
    assert reply.date() == datetime(2026, 12, 21).date()  # Monday, after the weekend
    [owed] = findings(played, "TR4")
    assert owed.at == datetime(2026, 12, 22, 17, 0)  # close of the next working day


def test_a_strategy_meeting_starts_its_own_clock_and_none_without_it():
    meeting = ScriptedEvent(id="strategy_meeting", at=datetime(2026, 12, 17, 14, 0),
                            text="A strategy meeting agrees a section 47 enquiry.")
    held = session("school", datetime(2026, 12, 17, 10, 0), [meeting])
    held.act(A.Wait(until=datetime(2026, 12, 21, 9, 0)))
    [missed] = findings(held, "TR5")
    assert missed.at == datetime(2026, 12, 18, 17, 0)
    quiet = session("school", datetime(2026, 12, 17, 10, 0))
    quiet.act(A.Wait(until=datetime(2026, 12, 21, 9, 0)))
    assert findings(quiet, "TR5") == []


@pytest.mark.parametrize(("plan", "owed"), [("CPP", True), ("none", False)])
def test_a_duty_owed_only_where_the_child_is_on_a_plan(plan, owed):
    data = load_policy(FIXTURE).model_dump()
    duty = next(d for d in data["duties"] if d["id"] == "pass-on-the-reply")
    duty["only_if"] = {"plan_status": ["CPP"], "text": "where the child has a plan"}
    policy = Policy.model_validate(data)
    assert check_policy(policy) == []
    scenario = generate_scenario(policy, 1, "school").model_copy(
        update={"start": datetime(2026, 12, 17, 10, 0), "plan_status": plan, "events": []})
    played = Session(scenario, 1, policy)
    escalate_at(played, datetime(2026, 12, 18, 16, 0))
    played.act(A.Contact(role="team_manager", channel="phone"))
    while not played.moments("reply:team_manager"):
        played.act(A.Wait(stop_at_event=True))
    shown = {v.item for v in played.observe().also_due}
    assert ("pass-on-the-reply" in shown) == owed  # the bar shows it only where owed
    assert bool(findings(played, "TR4")) == owed


def test_deadlines_lists_each_trigger_in_words(capsys):
    assert main(["deadlines", str(FIXTURE), "--start", "2026-12-24T16:00", "--json"]) == 0
    rows = {r["duty"]: r for r in json.loads(capsys.readouterr().out)["on_events"]}
    assert rows["log-the-escalation"]["rule"] == (
        "within 1 working days, from when the case reaches Managers review")
    assert rows["log-the-escalation"]["due"] == "2026-12-29T17:00:00"
    assert rows["pass-on-the-reply"]["rule"].endswith("the first reply from the Team manager")
    assert rows["record-strategy-meeting"]["rule"].endswith("'strategy meeting' happens")


@pytest.mark.parametrize(("field", "value", "words"), [
    ("trigger", "entered:nowhere", "unknown stage or step 'nowhere'"),
    ("trigger", "reply:chair", "unknown role 'chair'"),
    ("agencies", ["police"], "unknown agency 'police'"),
    ("roles", ["head"], "unknown role 'head'"),
])
def test_check_refuses_what_the_policy_does_not_have(tmp_path, capsys, field, value, words):
    data = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    data["duties"][2][field] = value
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert main(["check", "--no-lint", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"duties[2].{field}" in err and words in err and "bad.yaml:" in err


def test_a_trigger_of_no_known_form_is_refused_by_the_schema():
    data = load_policy(FIXTURE).model_dump()
    data["duties"][2]["trigger"] = "whenever"
    with pytest.raises(ValueError, match="trigger"):
        Policy.model_validate(data)
