"""Senior roles reply in about half their stage's allowance, in the Session's own world.

docs/evidence.md: "A lognormal with a median around half the stage allowance is a reasonable
default". The policy files scale each role's reply (``behaviour.reply_factor_by_role``) and
`sim.world.World.reply` applies it; here the allowance is worked out from each policy's own
deadlines (Stage N due minus Stage N-1 due, in working hours), not copied from the files, and
the median of many replies drawn by the World must sit near half of it for every role the
table names at Stages 2-4.
"""

from __future__ import annotations

import statistics
from datetime import datetime

import pytest

from scenarios.loader import bundled_scenarios, get_policy
from scenarios.scenario_schema import FixedDraws
from sim.deadlines import calendar_for, policy_deadlines
from sim.world import World

MONDAY = datetime(2026, 3, 2, 9, 0)  # no bank holiday for the next seven weeks
DRAWS = 801


def stage_allowances(policy_id: str) -> dict[str, float]:
    """Working hours each stage adds to the one before, if each uses its full allowance."""
    policy = get_policy(policy_id)
    cal = calendar_for(policy)
    due = {i.stage: i.due for i in policy_deadlines(policy, MONDAY)
           if i.step is None and i.due is not None}
    out: dict[str, float] = {}
    for before, stage in zip(policy.stages, policy.stages[1:], strict=False):
        out[stage.id] = cal.working_minutes_between(due[before.id], due[stage.id]) / 60
    return out


def senior_roles(policy_id: str) -> list[tuple[str, str, bool]]:
    """(stage, role, convenes) for every role a step at Stage 2 or above names."""
    policy = get_policy(policy_id)
    out = []
    for stage in policy.stages[1:]:
        for step in stage.steps:
            convenes = step.kind in ("meeting", "panel")
            for roles in step.representation.values():
                out += [(stage.id, r, convenes) for r in roles
                        if (stage.id, r, convenes) not in out]
    return out


def median_reply_hours(policy_id: str, role: str, convenes: bool) -> float:
    policy = get_policy(policy_id)
    scenario = next(s for s in bundled_scenarios().values() if s.policy == policy_id)
    scenario = scenario.model_copy(update={"fixed": FixedDraws()})
    behaviour = policy.behaviour.model_copy(update={"absence_chance": 0.0})
    cal = calendar_for(policy)
    world = World(policy, scenario, behaviour, 7, cal, cal.to_minutes(MONDAY))
    hours = []
    for _ in range(DRAWS):
        reply = world.reply(role, "email", convenes=convenes)
        if reply.at is None:  # the far tail (over 250 working days): never, for the median
            hours.append(float("inf"))
            continue
        hours.append(cal.working_minutes_between(MONDAY, cal.from_minutes(reply.at)) / 60)
    return statistics.median(hours)


CASES = [(p, stage, role, convenes) for p in ("liverpool-lscb", "bs3-early-years")
         for stage, role, convenes in senior_roles(p)]


def test_the_allowances_are_the_policies_own():
    """Liverpool: Day 2 → 9 → 16 → 23, seven working days a stage; BS3 (assumed ladder):
    a further 5 working days a stage."""
    assert stage_allowances("liverpool-lscb") == {"stage2": 56, "stage3": 56, "stage4": 56}
    assert stage_allowances("bs3-early-years") == {"stage2": 40, "stage3": 40}


@pytest.mark.parametrize(("policy_id", "stage", "role", "convenes"), CASES,
                         ids=[f"{p}-{r}" for p, _, r, _ in CASES])
def test_senior_roles_reply_in_about_half_their_stage_allowance(policy_id, stage, role,
                                                                convenes):
    half = stage_allowances(policy_id)[stage] / 2
    median = median_reply_hours(policy_id, role, convenes)
    assert half * 0.85 <= median <= half * 1.15, (role, median, half)


def test_front_line_staff_reply_faster_than_senior_roles():
    """The front line keeps the one-working-day default; the Stage 2 tier is slower."""
    front = median_reply_hours("liverpool-lscb", "cs.social_worker", False)
    senior = median_reply_hours("liverpool-lscb", "cs.service_manager", False)
    assert front < 10 and senior > 2 * front
