"""Which parts of a policy apply to a case: conditional steps, stages and routes.

A policy may say a step applies "only where the child is on a child protection plan" or
that the chair differs where no social worker is allocated (`Condition`). The Session
builds each case's ladder from the steps that apply (`case_ladder`), and a case's
immediate-risk route is the first route whose condition matches (`route_for`), so scoring,
the deadline bar and the players, which all read the Session's ladder and route, follow.
`every_case` enumerates every combination of facts a condition can read, for `check`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import product
from typing import get_args

from scenarios.policy_schema import (
    Condition,
    EmergencyRoute,
    LevelOfNeed,
    PlanStatus,
    Policy,
    Stage,
    Step,
)
from scenarios.scenario_schema import Scenario

# Assumption (basis: guidance, flagged in docs/policies.md): where a scenario does not say,
# a child on a plan, looked after, or assessed under s17/s47 has an allocated social
# worker (Working Together 2023, chapter 3: a social worker leads the assessment and the
# plan); a child at early help or universal level has none.
ALLOCATED_LEVELS = frozenset({"s17", "s47"})


@dataclass(frozen=True)
class CaseFacts:
    """The facts of a case a condition can read."""

    plan_status: str = "none"
    allocated_social_worker: bool = True
    level_of_need: str = "s17"
    police_matter: bool = False

    def meets(self, condition: Condition | None) -> bool:
        return condition is None or condition.matches(
            self.plan_status, self.allocated_social_worker, self.level_of_need,
            self.police_matter)


# The case the stress engines compile their ladder and route for (they draw no plan or
# allocation per case): a child in need with an allocated social worker and no plan.
ENGINE_CASE = CaseFacts()


def social_worker_allocated(scenario: Scenario) -> bool:
    """The scenario's own answer, else the reading above (`ALLOCATED_LEVELS`)."""
    if scenario.allocated_social_worker is not None:
        return scenario.allocated_social_worker
    return scenario.plan_status != "none" or scenario.level_of_need in ALLOCATED_LEVELS


def facts_of(scenario: Scenario, police_matter: bool = False) -> CaseFacts:
    return CaseFacts(scenario.plan_status, social_worker_allocated(scenario),
                     scenario.level_of_need, police_matter)


def ladder_for(policy: Policy, facts: CaseFacts) -> list[tuple[Stage, Step]]:
    """The case's ladder: the stages and steps whose ``only_if`` the facts meet, in order.

    A stage keeps only its steps that apply (a copy, so "the stage's last step" is the last
    that applies); a stage none of whose steps apply is left out whole."""
    if not any(stage.only_if or any(s.only_if for s in stage.steps) for stage in policy.stages):
        return policy.steps()  # the common case: nothing conditional, the policy's own
    out: list[tuple[Stage, Step]] = []
    for stage in policy.stages:
        if not facts.meets(stage.only_if):
            continue
        steps = [step for step in stage.steps if facts.meets(step.only_if)]
        if not steps:
            continue
        kept = stage if len(steps) == len(stage.steps) else stage.model_copy(
            update={"steps": steps})
        out += [(kept, step) for step in steps]
    return out


def case_ladder(policy: Policy, scenario: Scenario) -> list[tuple[Stage, Step]]:
    return ladder_for(policy, facts_of(scenario))


def route_for(policy: Policy, facts: CaseFacts) -> EmergencyRoute | None:
    """The case's immediate-risk route: the first listed whose condition it meets."""
    return next((r for r in policy.emergency_routes if facts.meets(r.only_if)), None)


def every_case() -> Iterator[CaseFacts]:
    """Every combination of facts a condition reads (3 plans × 2 × 4 levels × 2)."""
    for plan, allocated, level, police in product(
            get_args(PlanStatus), (True, False), get_args(LevelOfNeed), (False, True)):
        yield CaseFacts(plan, allocated, level, police)

