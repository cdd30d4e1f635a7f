"""Where a partnership's policy is silent, national practice is judged, and said to be.

Practice principles 3 and 5 (docs/practice.md): escalation never replaces referral; doing
nothing is never neutral. A policy without duties of that shape gets them (basis: guidance),
listed as an assumption; a policy with its own keeps its own, so the bundled policies are
unchanged.
"""

from __future__ import annotations

from pathlib import Path

from scenarios.loader import load_policy
from scenarios.policy_schema import Policy
from scoring import evaluate
from sim.players import play
from sim.session import Session

MINIMAL = Path("tests/fixtures/policies/minimal.yaml")
EXAMPLE = Path("docs/examples/riverside-partnership.yaml")
BUNDLED = sorted(Path("scenarios/policies").glob("*.yaml"))


def implied(policy: Policy) -> set[str]:
    return {rule.id for rule in policy.rules if rule.id.startswith("PRACTICE")}


def test_the_bundled_policies_state_both_duties_themselves():
    for path in BUNDLED:
        policy = load_policy(path)
        assert implied(policy) == set(), path
        assert "implied_practice" not in {a.id for a in policy.assumptions}


def test_a_policy_silent_on_both_gets_both_as_guidance_and_an_assumption():
    policy = load_policy(MINIMAL)
    assert implied(policy) == {"PRACTICE3", "PRACTICE5"}
    for rule_id in ("PRACTICE3", "PRACTICE5"):
        rule = policy.rule(rule_id)
        assert rule.basis == "guidance"
        assert "the policy is silent" in rule.clause
    assumption = next(a for a in policy.assumptions if a.id == "implied_practice")
    assert "doing nothing" in assumption.text
    assert "significant harm" in assumption.text


def test_a_policy_with_its_own_engage_duty_gets_only_the_fresh_referral():
    # The worked example states "engage" (R7) but says nothing of new information.
    assert implied(load_policy(EXAMPLE)) == {"PRACTICE3"}


def test_adding_is_idempotent_across_a_round_trip():
    policy = load_policy(MINIMAL)
    again = Policy.model_validate(policy.model_dump())
    assert [d.id for d in again.duties] == [d.id for d in policy.duties]
    assert [a.id for a in again.assumptions].count("implied_practice") == 1


def test_a_passive_trainee_is_told_they_never_engaged_citing_the_guidance():
    policy = load_policy(MINIMAL)
    findings = evaluate(play(Session.generate(policy, 3), "passive")).findings
    engage = [f for f in findings if f.rule == "PRACTICE5"]
    assert len(engage) == 1
    assert engage[0].citation == policy.rule("PRACTICE5").quote
    assert engage[0].severity == "major"


def test_an_engaged_trainee_owes_nothing_to_the_implied_engage_duty():
    policy = load_policy(MINIMAL)
    findings = evaluate(play(Session.generate(policy, 3), "perfect")).findings
    assert not [f for f in findings if f.rule == "PRACTICE5"]
