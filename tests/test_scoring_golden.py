"""Golden action logs (tests/golden/*.json): each replays to an exact set of rule ids.

The logs are data, written by hand from the policy; the scenario bases below pin every
random draw that matters (fixed replies, no random risk), so the findings are the rules' work.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from scenarios.citations import missing_part, normalise
from scenarios.loader import get_scenario, source_text
from scenarios.scenario_schema import Scenario
from scoring import evaluate
from sim import actions as A
from sim.session import Session

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(GOLDEN.glob("*.json"))
QUIET = {"reply_hours": {"dist": "fixed", "median": 1}, "phone_answer_chance": 0,
         "absence_chance": 0, "risk_per_working_day": 0}
COMMON = dict(version=1, title="Golden case", audience=["induction"], difficulty="introductory",
              minutes=10, briefing="b", worry="w", start="2026-03-10T09:30:00",
              child={"first_name": "Ruby", "last_name": "Penrose", "age_years": 4,
                     "pronoun": "she"},
              level_of_need="s17", category="decision_making", behaviour=QUIET)
BASES: dict[str, dict[str, Any]] = {
    "liverpool": dict(
        COMMON, id="golden-liverpool", policy="liverpool-lscb",
        seat={"agency": "school", "role": "school.dsl"},
        other={"agency": "childrens_services", "role": "cs.social_worker"},
        referrer={"agency": "school", "role": "school.class_teacher", "title": "Class teacher"},
        objectives=[{"text": "Talk first", "rules": ["L2"]}]),
    "bs3": dict(
        COMMON, id="golden-bs3", policy="bs3-early-years",
        seat={"agency": "early_years", "role": "early_years.practitioner"},
        other={"agency": "health", "role": "health.frontline", "title": "Health visitor"},
        referrer={"agency": "early_years", "role": "early_years.practitioner",
                  "title": "Key person (baby room)"},
        objectives=[{"text": "Resolve close to origin", "rules": ["B7"]}]),
}


def scenario_for(case: dict[str, Any]) -> Scenario:
    base = case["base"]
    if base.startswith("bundled:"):
        scenario = get_scenario(base.removeprefix("bundled:"))
        return scenario.model_copy(update=case.get("scenario", {}))
    data = json.loads(json.dumps(BASES[base]))
    for key, value in case.get("scenario", {}).items():
        data[key] = {**data[key], **value} if isinstance(value, dict) and key in data else value
    return Scenario.model_validate(data)


def replay(case: dict[str, Any]) -> Session:
    session = Session(scenario_for(case), case["seed"])
    for action in case["actions"]:
        session.act(A.parse_action(action))
    return session


@pytest.fixture(params=CASES, ids=[p.stem for p in CASES])
def case(request) -> dict[str, Any]:
    return json.loads(request.param.read_text())


def test_at_least_twelve_golden_logs():
    assert len(CASES) >= 12


def test_golden_log_finds_exactly_its_rules(case):
    assessment = evaluate(replay(case))
    found = sorted(assessment.rule_ids)
    detail = [(f.rule, f.severity, f.observed) for f in assessment.findings]
    assert found == case["rules"], detail
    if "score" in case:
        assert assessment.score == case["score"]
    if "capped" in case:
        assert assessment.capped is case["capped"]
    if not case["rules"]:
        assert assessment.score == 100.0


def test_every_citation_is_verbatim_in_the_source(case):
    session = replay(case)
    text = _norm(source_text(session.policy))
    for finding in evaluate(session).findings:
        rule = session.policy.rule(finding.rule)
        assert finding.citation in (rule.quote, *rule.extra_quotes)
        if rule.basis == "guidance":
            continue  # national guidance where the policy is silent, named in the clause
        assert missing_part(finding.citation, text) is None, finding.rule


def test_findings_say_what_was_expected_and_what_happened(case):
    for finding in evaluate(replay(case)).findings:
        assert finding.expected and finding.observed and finding.theme
        assert isinstance(finding.at, datetime)
        assert finding.severity in ("critical", "major", "minor", "good_practice")


def _norm(text: str) -> str:
    """Plain text on one line (Markdown emphasis and heading marks dropped), as quotes are
    compared with their source."""
    return normalise(text)
