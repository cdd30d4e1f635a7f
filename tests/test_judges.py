"""The generic judges: every kind the schema offers is judged, and a policy that is not
bundled is judged by its own duties, citing its own rule ids (never a silent 100)."""

from __future__ import annotations

import typing
from pathlib import Path

from scenarios.loader import load_policy
from scenarios.policy_schema import JudgeKind
from scoring import evaluate, judgeable
from scoring.judges import JUDGES
from sim.players import play
from sim.session import Session

MINIMAL = Path(__file__).parent / "fixtures" / "policies" / "minimal.yaml"


def test_every_judge_kind_of_the_schema_has_a_judge():
    assert set(JUDGES) == set(typing.get_args(JudgeKind))


def test_a_new_partnerships_policy_is_judged_by_its_own_duties():
    policy = load_policy(MINIMAL)
    assert {r.id for r in policy.rules} <= judgeable(policy)
    passive = evaluate(play(Session.generate(policy, 1), "passive"))
    assert passive.score < 100
    # Its own rules, and the practice duty it is silent on (doing nothing: PRACTICE5).
    assert {f.rule for f in passive.findings} == {"T2", "PRACTICE5"}
    quotes = {r.id: r.quote for r in policy.rules}
    assert all(f.citation == quotes[f.rule] for f in passive.findings)
    perfect = evaluate(play(Session.generate(policy, 1), "perfect"))
    assert perfect.score == 100, [(f.rule, f.observed) for f in perfect.findings]
