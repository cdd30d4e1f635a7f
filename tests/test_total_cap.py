"""A policy's total cap ("no more than N working days in all") is judged, said and checked.

Issue #13: `total_cap` validated but nothing honoured it. Now `escalate check` wants the rule
that states it (`total_cap_rules`, read by a deadline duty); the Session says when it passes;
scoring finds a disagreement still open at the cap, whatever stage it had reached.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from scenarios.checks import check_policy
from scenarios.loader import load_policy
from scenarios.policy_schema import Policy
from scoring import evaluate
from sim.players import play
from sim.session import Session

MINIMAL = Path("tests/fixtures/policies/minimal.yaml")
CAP = {"within": 5, "unit": "working_days", "text": "No more than 5 working days in all"}
NOBODY_ANSWERS = {"reply_hours": {"dist": "never"}, "phone_answer_chance": 0.0,
                  "risk_per_working_day": 0.0}


def capped(**changes: Any) -> Policy:
    data = load_policy(MINIMAL).model_dump()
    data["behaviour"].update(NOBODY_ANSWERS)
    data.update({"total_cap": CAP, "total_cap_rules": ["T2"], **changes})
    return Policy.model_validate(data)


def cap_findings(session: Session) -> list:
    return [f for f in evaluate(session).findings if "whole procedure" in f.observed]


def test_check_wants_the_rule_that_states_the_cap():
    assert check_policy(capped()) == []
    problems = check_policy(capped(total_cap_rules=[]))
    assert [where for where, _ in problems] == [("total_cap",)]
    assert "never judged" in problems[0][1]
    # A rule no deadline duty reads does not judge it either (T3 is judged by `records`).
    assert [w for w, _ in check_policy(capped(total_cap_rules=["T3"]))] == [("total_cap",)]
    unknown = check_policy(capped(total_cap_rules=["T9"]))
    assert ("total_cap_rules", 0) in [where for where, _ in unknown]
    stray = check_policy(capped(total_cap=None))
    assert [where for where, _ in stray] == [("total_cap_rules",)]


def test_the_cap_is_five_working_days_from_the_start_checked_by_hand():
    # Seed 1 starts Mon 16 Nov 2026 12:39: five working days on is Mon 23 Nov, by close of
    # office (17:00). No bank holiday in between.
    session = Session.generate(capped(), 1)
    assert session.start == datetime(2026, 11, 16, 12, 39)
    assert session.due(session.policy.total_cap) == datetime(2026, 11, 23, 17, 0)


def test_a_late_trainee_still_open_at_the_cap_has_a_finding_and_was_told():
    session = play(Session.generate(capped(), 1), "late")
    assert session.status == "open"
    [finding] = cap_findings(session)
    assert finding.rule == "T2"
    assert finding.at == datetime(2026, 11, 23, 17, 0)
    assert "No more than 5 working days in all" in finding.expected
    # The case had reached Managers: the finding says where it stood.
    assert finding.observed.startswith("Still unresolved at Managers")
    told = [e.text for e in session.timeline if e.kind == "deadline"]
    assert ("Deadline passed: The whole procedure was due by Mon 23 Nov 17:00 "
            "(No more than 5 working days in all).") in told


def test_a_case_resolved_before_the_cap_owes_nothing_to_it():
    answers = {**NOBODY_ANSWERS, "phone_answer_chance": 1.0,
               "resolve_chance": {"stage1": 1.0, "stage2": 1.0}}
    policy = capped(behaviour={**load_policy(MINIMAL).behaviour.model_dump(), **answers})
    session = play(Session.generate(policy, 1), "perfect")
    assert session.status == "resolved"
    assert cap_findings(session) == []
    assert not [e for e in session.timeline if "whole procedure" in e.text]


def test_without_a_cap_nothing_is_said_of_one():
    data = load_policy(MINIMAL).model_dump()
    data["behaviour"].update(NOBODY_ANSWERS)
    session = play(Session.generate(Policy.model_validate(data), 1), "late")
    assert cap_findings(session) == []
    assert not [e for e in session.timeline if "whole procedure" in e.text]
