"""Cases: a scenario made concrete, or a whole scenario generated from a seed.

Stress runs and quick practice need cases nobody wrote by hand; generating them as
`Scenario` objects keeps one code path from YAML scenario to `Session`.
"""

from __future__ import annotations

import textwrap
from datetime import datetime, time, timedelta

import numpy as np

from scenarios.policy_schema import Policy
from scenarios.scenario_schema import Child, Objective, Scenario, Seat
from sim.deadlines import calendar_for
from sim.people import synthetic_child, synthetic_family
from sim.rng import stream

LEVELS = ("early_help", "s17", "s47", "universal")
LEVEL_WEIGHTS = (0.35, 0.35, 0.2, 0.1)
PLANS = ("none", "CPP", "CLA")
PLAN_WEIGHTS = (0.75, 0.15, 0.1)


def frontline_agencies(policy: Policy) -> list[str]:
    """Agencies with a named role at the first step: the ones a case can be between."""
    first = policy.stages[0].steps[0].representation
    return [a.id for a in policy.agencies if a.id in first]


def child_for(scenario: Scenario, seed: int) -> Child:
    """The scenario's child, or a synthetic one drawn from the seed."""
    return scenario.child or synthetic_child(stream(seed, "case"))


def generate_scenario(policy: Policy, seed: int, seat_agency: str | None = None) -> Scenario:
    """A random but plausible disagreement under a policy, reproducible from the seed."""
    rng = stream(seed, "case")
    agencies = frontline_agencies(policy)
    seat_agency = seat_agency or str(rng.choice(agencies))
    others = [a for a in agencies if a != seat_agency] or agencies
    other_agency = str(rng.choice(others))
    first = policy.stages[0].steps[0]
    child = synthetic_child(rng)
    category = policy.categories[int(rng.integers(len(policy.categories)))]
    level = str(rng.choice(LEVELS, p=LEVEL_WEIGHTS))
    plan = str(rng.choice(PLANS, p=PLAN_WEIGHTS))
    other_title = policy.agency(other_agency).name
    return Scenario(
        id=f"generated-{policy.id}-{seed}",
        version=1,
        title=f"Generated case: {textwrap.shorten(category.text, 70, placeholder='…')}",
        policy=policy.id,
        seat=Seat(agency=seat_agency, role=first.roles_for(seat_agency)[0]),
        other=Seat(agency=other_agency, role=first.roles_for(other_agency)[0]),
        audience=["dsl_refresher"],
        difficulty="intermediate",
        minutes=20,
        objectives=[Objective(text="Resolve the disagreement at the lowest stage, on time",
                              rules=_first_rules(policy))],
        briefing=(f"You disagree with a decision of {other_title} about {child.name} "
                  f"({child.age_text})."),
        worry=category.text,
        start=_start_time(policy, rng),
        child=child,
        family=synthetic_family(rng, child),
        level_of_need=level,
        plan_status=plan,
        category=category.id,
    )


def _first_rules(policy: Policy) -> list[str]:
    stage = policy.stages[0]
    rules = [*stage.rules, *(r for step in stage.steps for r in step.rules)]
    return rules[:3] or [policy.rules[0].id]


def _start_time(policy: Policy, rng: np.random.Generator) -> datetime:
    """A start on any day of 2026, mostly in office hours, sometimes after close."""
    cal = calendar_for(policy)
    day = datetime(2026, 1, 1) + timedelta(days=int(rng.integers(0, 365)))
    if not cal.is_working_day(day.date()):
        day = datetime.combine(cal.next_working_day(day.date()), time())
    minute = int(rng.integers(8 * 60, 19 * 60))
    return day + timedelta(minutes=minute)
