"""Issue #13: any policy that validates can be played by every scripted player and scored.

`policy_strategies.valid_policies()` draws policies that pass pydantic and `escalate check`;
each is played with a generated case by every player in `sim.players.PLAYERS`, then scored.
No exception; a score in [0, 100]; every finding cites a rule of that policy, verbatim.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from policy_strategies import valid_policies

from scenarios.checks import check_policy
from scenarios.loader import load_policy
from scenarios.policy_schema import Policy
from scoring import evaluate
from sim.players import PLAYERS, play
from sim.session import Session

FUZZ = settings(max_examples=500, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def play_and_score(policy: Policy, seed: int) -> None:
    quotes = {rule.id: rule.quote for rule in policy.rules}
    for name in PLAYERS:
        session = play(Session.generate(policy, seed), name)
        assessment = evaluate(session)
        assert 0 <= assessment.score <= 100, (name, assessment.score)
        for finding in assessment.findings:
            assert finding.rule in quotes, (name, finding.rule)
            assert finding.citation == quotes[finding.rule], (name, finding.rule)


@FUZZ
@given(policy=valid_policies(), seed=st.integers(0, 2**16))
def test_every_valid_policy_plays_and_scores(policy, seed):
    play_and_score(policy, seed)


# ---------------------------------------------------------------------- found by the fuzz

MINIMAL = Path("tests/fixtures/policies/minimal.yaml")


def minimal(**changes: Any) -> Policy:
    """The minimal fixture policy with top-level fields replaced (still valid)."""
    policy = Policy.model_validate({**load_policy(MINIMAL).model_dump(), **changes})
    assert check_policy(policy) == []
    return policy


# Nobody ever answers, and immediate risk comes within a working day or so: the risk lands
# while the player waits at a step.
@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail, rather than hang CI, if a player loops without acting (Unix only)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def stop(*_: object) -> None:
        raise TimeoutError(f"still playing after {seconds} s: a player loops without acting")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


RISKY = {"resolve_chance": {"stage1": 0.0, "stage2": 0.0}, "risk_per_working_day": 1.0,
         "reply_hours": {"dist": "never"}, "phone_answer_chance": 0.0}


def one_agency_first_step() -> list[dict[str, Any]]:
    """The minimal ladder with only the school named at the first step: a generated case is
    then inside the school, with no one else at that step to talk to."""
    stages = load_policy(MINIMAL).model_dump()["stages"]
    stages[0]["steps"][0]["representation"] = {"school": ["teacher"]}
    return stages


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_risk_under_a_policy_with_no_emergency_route(seed):
    # The perfect (and late) player looped for ever without acting: immediate risk stopped
    # the staged process, but with no route there was no one to refer to (found by the fuzz).
    policy = minimal(emergency_routes=[], behaviour=RISKY, stages=one_agency_first_step())
    with time_limit(60):
        play_and_score(policy, seed)
    assert Session.generate(policy, seed).scenario.other.role == "teacher"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_risk_on_a_route_that_requires_no_one(seed):
    # Every role of the route is needed only for a police matter: the route requires no
    # referral, yet the risk still stopped the ladder (the same endless loop).
    route = {"id": "immediate_risk", "deadline": {"unit": "same_working_day"},
             "in_hours": ["front_door"], "out_of_hours": ["front_door"],
             "only_if_police_matter": ["front_door"], "rules": ["T1"]}
    policy = minimal(emergency_routes=[route], behaviour=RISKY)
    with time_limit(60):
        play_and_score(policy, seed)
    session = play(Session.generate(policy, seed), "perfect")
    assert session.status == ("referred" if session.immediate_risk else "open")


# ---------------------------------------------------------------------- never a silent 100

# A passive player is held at least to engaging at all: by the policy's own duty, or by the
# practice duty `scenarios.implied` adds where the policy is silent; and `escalate check`
# refuses a deadline no deadline-reading duty cites.


@settings(max_examples=200, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(policy=valid_policies(), seed=st.integers(0, 2**16))
def test_passive_player_is_never_a_silent_100(policy, seed):
    session = play(Session.generate(policy, seed), "passive")
    assert evaluate(session).findings


def has_stage_deadline(policy: Policy) -> bool:
    return any(stage.deadline is not None for stage in policy.stages)


def passive_findings(policy: Policy, seed: int = 1) -> list:
    assert has_stage_deadline(policy)
    return evaluate(play(Session.generate(policy, seed), "passive")).findings


def minimal_duties(**judges: str) -> list[dict[str, Any]]:
    duties = load_policy(MINIMAL).model_dump()["duties"]
    for duty in duties:
        duty.update(judges.get(duty["rule"], {}))
    return duties


def test_check_refuses_a_deadline_no_deadline_duty_cites():
    """Cause A (~2/3 of silent cases in the fuzz, fixed): the rule the stages cite was
    judged, but by a kind that never reads a deadline (here notify), so nothing judged the
    Day 2 / Day 9 deadlines. `escalate check` now refuses such a policy, naming the place."""
    duties = minimal_duties(T2={"judge": "notify"})
    policy = Policy.model_validate({**load_policy(MINIMAL).model_dump(), "duties": duties})
    problems = check_policy(policy)
    assert [where for where, _ in problems] == [("stages", 0, "deadline"),
                                                ("stages", 1, "steps", 0, "deadline"),
                                                ("stages", 1, "deadline")]
    assert all("never judged" in message and "stage_deadline" in message
               for _, message in problems)


def test_a_stage_deadline_repeated_on_its_step_is_refused():
    # Liverpool once wrote "Day 2" on Stage 1 and again on its line-manager step: one
    # deadline written twice, told and shown twice. Each deadline is written once now.
    stages = load_policy(MINIMAL).model_dump()["stages"]
    stages[1]["steps"][0]["deadline"] = {**stages[1]["deadline"], "text": "other words"}
    policy = Policy.model_validate({**load_policy(MINIMAL).model_dump(), "stages": stages})
    assert [(path, "repeats its stage's" in message) for path, message in check_policy(policy)
            ] == [(("stages", 1, "steps", 0, "deadline"), True)]


def practice_rules(findings: list) -> set[str]:
    return {f.rule for f in findings if f.rule.startswith("PRACTICE")}


def test_a_seat_that_owes_no_deadline_still_owes_engagement():
    """Cause B (fixed): the only deadline duty is owed by a 'representative' seat and a
    generated case seats the front line. The front line rightly owes no stage deadline, but
    doing nothing is never neutral (practice principle 5): a policy silent on it gets the
    implied engagement duty, so a passive front-line trainee has a finding."""
    duties = minimal_duties(T2={"judge": "stage_deadline", "seat": "representative"})
    assert practice_rules(passive_findings(minimal(duties=duties))) == {"PRACTICE5"}


def stage1_of_three_steps() -> list[dict[str, Any]]:
    stages = load_policy(MINIMAL).model_dump()["stages"]
    first = stages[0]["steps"][0]
    stages[0]["steps"] += [dict(first, id="discuss2", deadline=None, records=[]),
                           dict(first, id="discuss3", deadline=None, records=[])]
    return stages


def test_a_stage_deadline_is_judged_anywhere_in_the_stage():
    """Cause C (fixed): a stage's own deadline is in reach while the case is anywhere in
    that stage, not only at its last step (scoring and the Session's messages alike)."""
    assert passive_findings(minimal(stages=stage1_of_three_steps()))


def test_a_deadline_counted_from_a_step_never_held_still_catches_doing_nothing():
    """Cause D (fixed): a deadline counted from a step the passive player never concludes
    ('after: discuss') never falls due, as the policy's words say; the implied engagement
    duty is what a trainee who never holds the discussion breaches."""
    stages = load_policy(MINIMAL).model_dump()["stages"]
    stages[0]["deadline"] = {"within": 2, "unit": "working_days", "after": "discuss"}
    stages[0]["steps"][0]["deadline"] = None
    stages[1]["deadline"] = None
    findings = passive_findings(minimal(stages=stages))
    assert practice_rules(findings) == {"PRACTICE5"}
    assert not [f for f in findings if f.theme == "timeliness"]


def test_the_minimal_policy_catches_a_passive_player():
    # The control: the same policy with its own duties is never a silent 100.
    assert passive_findings(minimal())
