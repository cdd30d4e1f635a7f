"""Findings cite the sentence they judge (issue 14, item 13)."""

from __future__ import annotations

from scenarios.loader import get_policy, get_scenario
from scoring import evaluate
from sim import actions as A
from sim.session import Session

MEETING = "Line Managers must always consider convening a professionals meeting if necessary."


def _line_manager_without_meeting() -> Session:
    session = Session(get_scenario("talk-first-school-dsl"), 1)
    session.act(A.Escalate(to_step="stage1.line_manager"))
    session.act(A.Wait(hours=24 * 5))
    session.act(A.Finish())
    return session


def test_the_professionals_meeting_finding_cites_its_own_sentence():
    findings = [f for f in evaluate(_line_manager_without_meeting()).findings
                if f.rule == "L4"]
    meeting = [f for f in findings if "professionals meeting" in f.expected]
    assert meeting and all(f.citation == MEETING for f in meeting)
    others = [f for f in findings if f not in meeting]
    assert all(f.citation == get_policy("liverpool-lscb").rule("L4").quote for f in others)


def test_l13_quotes_the_representation_table_rows_not_its_header():
    rule = get_policy("liverpool-lscb").rule("L13")
    assert "School Health Children's Services Merseyside Police" not in rule.quote
    rows = " ".join(rule.extra_quotes)
    for cells in ("Stage 1 Attempt resolution Designated Safeguarding Lead",
                  "Escalate to line manager Designated Safeguarding Lead / Head Teacher",
                  "Stage 2 Escalate to agency safeguarding representative Senior School",
                  "Stage 3 LSCB Representative LSCB Representative Designated Nurse",
                  "Stage 4 Escalation to LSCB Chair"):
        assert cells in rows, cells
