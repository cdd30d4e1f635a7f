"""Fictional cases never happen at the real organisation whose policy is used (issue 14,
item 16): the adopter is named as the source on the policy screen only; debriefs and
exports say "your school" / "the setting" unless the scenario names the organisation. Each
policy carries its document date and a "check your current local procedure" note."""

from __future__ import annotations

import html
import json
import re

import pytest

from scenarios.citations import normalise
from scenarios.loader import get_policy, get_scenario, source_raw
from scoring.debrief import debrief_html, debrief_markdown
from scoring.exports import (
    appendix1_csv,
    appendix2_markdown,
    findings_csv,
    xapi,
)
from sim import actions as A
from sim.session import Session

# The real organisations in the two sources: the adopters and the providers they run.
REAL = {"liverpool-lscb": ["Barlows"], "bs3-early-years": ["BS3"]}
CASES = [("talk-first-school-dsl", "your school"),
         ("one-call-health-visitor-early-years", "your setting"),
         ("non-mobile-baby-bruise-health-visitor", None)]


def _played(scenario_id: str) -> Session:
    session = Session(get_scenario(scenario_id), 1)
    policy = session.policy
    for record in policy.records:
        session.act(A.Record(record=record.id, text="Noted"))
    session.act(A.Finish())
    return session


def _exports(session: Session) -> dict[str, str]:
    out = {"markdown": debrief_markdown(session), "html": debrief_html(session),
           "findings": findings_csv(session),
           "xapi": json.dumps(xapi(session, "trainee-1"))}
    kinds = {r.kind for r in session.policy.records}
    if "summary_log" in kinds:
        out["appendix1"] = appendix1_csv(session)
    if "stage_report" in kinds:
        out["appendix2"] = appendix2_markdown(session)
    return out


@pytest.mark.parametrize(("scenario_id", "own"), CASES)
def test_debriefs_and_exports_never_name_the_real_organisation(scenario_id, own):
    session = _played(scenario_id)
    policy = session.policy
    for kind, text in _exports(session).items():
        for title in (policy.title, html.escape(policy.title)):  # the policy's title cites it
            text = text.replace(title, "(policy title)")
        for name in (*REAL[policy.id], policy.source.adopted_by or "-"):
            assert name not in text, (kind, name)
    if own:
        assert f"({own})" in debrief_markdown(session)


def test_a_name_the_scenario_gives_is_used():
    scenario = get_scenario("talk-first-school-dsl")
    seat = scenario.seat.model_copy(update={"organisation": "Hillside Primary"})
    session = Session(scenario.model_copy(update={"seat": seat}), 1)
    session.act(A.Record(record="escalation_log", text="Noted"))
    session.act(A.Finish())
    assert "Designated Safeguarding Lead (Hillside Primary)" in debrief_markdown(session)
    assert "Hillside Primary / talk-first-school-dsl" in appendix1_csv(session)


def test_agency_names_in_the_policies_are_generic():
    assert get_policy("liverpool-lscb").agency("school").name == "School"
    assert get_policy("bs3-early-years").agency("early_years").name == "Early years setting"


@pytest.mark.parametrize(("policy_id", "words"), [
    ("liverpool-lscb", ["11 th November 2019", "Autumn 2020"]),
    ("bs3-early-years", ["Reviewed October 2020"]),
])
def test_each_policy_carries_its_document_date_from_the_source(policy_id, words):
    policy = get_policy(policy_id)
    assert policy.source.date
    text = normalise(source_raw(policy))
    for phrase in words:
        assert phrase in text
        digits = re.sub(r"\s*th\b", "", phrase).replace("Reviewed ", "")
        assert digits.lower() in policy.source.date.lower(), (digits, policy.source.date)


@pytest.mark.parametrize("scenario_id", ["talk-first-school-dsl",
                                         "one-call-health-visitor-early-years"])
def test_the_debrief_says_to_check_the_local_procedure(scenario_id):
    session = _played(scenario_id)
    policy = session.policy
    for text in (debrief_markdown(session), debrief_html(session)):
        assert "check your current local procedure" in text.lower()
        assert policy.source.date in text
        for role in policy.roles:
            if role.phone:
                assert role.phone in text
