"""Cases: a scenario made concrete, or a whole scenario generated from a seed.

Stress runs and quick practice need cases nobody wrote by hand; generating them as
`Scenario` objects keeps one code path from YAML scenario to `Session`.
"""

from __future__ import annotations

import math
import textwrap
from datetime import datetime, time, timedelta

import numpy as np

from scenarios.policy_schema import Category, Policy
from scenarios.scenario_schema import Child, Objective, Scenario, ScriptedEvent, Seat
from sim.deadlines import calendar_for
from sim.people import synthetic_child, synthetic_family
from sim.rng import stream
from sim.world import draw_hours

LEVELS = ("early_help", "s17", "s47", "universal")
LEVEL_WEIGHTS = (0.35, 0.35, 0.2, 0.1)
PLANS = ("none", "CPP", "CLA")
PLAN_WEIGHTS = (0.75, 0.15, 0.1)
# A child in need (s17) or under s47 enquiries without a plan usually has an allocated social
# worker; some wait for allocation (an invented share for generated cases, a model default).
ALLOCATED_CHANCE = 0.85


# A policy need not list categories (the schema makes them optional); a case generated
# from one that has none is about a disagreement in general.
GENERAL_CATEGORY = Category(id="general", text="A professional disagreement about how best "
                            "to keep a child safe.")


def frontline_seats(policy: Policy) -> dict[str, str]:
    """Agency → the role a case between agencies seats there: its first role the first step
    names for it ("*" names roles for every agency, so each agency takes its own), in the
    policy's agency order.

    A first step that names no role of any agency (its roles all act for someone else)
    still leaves a case to play: every agency with roles, at its front-line (lowest-level)
    role.
    """
    first = policy.stages[0].steps[0]
    agency_of = {r.id: r.agency for r in policy.roles}
    seats: dict[str, str] = {}
    for agency in policy.agencies:
        own = [r for r in first.roles_for(agency.id) if agency_of.get(r) == agency.id]
        if own:
            seats[agency.id] = own[0]
    if not seats:
        seats = {a.id: role for a in policy.agencies
                 if (role := lowest_role(policy, a.id)) is not None}
    return seats


def lowest_role(policy: Policy, agency: str) -> str | None:
    """The agency's front-line role: the lowest level, first in the file on a tie."""
    roles = [r for r in policy.roles if r.agency == agency]
    return min(roles, key=lambda r: r.level).id if roles else None


def frontline_agencies(policy: Policy) -> list[str]:
    """Agencies with a named role at the first step: the ones a case can be between."""
    return list(frontline_seats(policy))


def child_for(scenario: Scenario, seed: int) -> Child:
    """The scenario's child, or a synthetic one drawn from the seed."""
    return scenario.child or synthetic_child(stream(seed, "case"))


def generate_scenario(policy: Policy, seed: int, seat_agency: str | None = None) -> Scenario:
    """A random but plausible disagreement under a policy, reproducible from the seed."""
    rng = stream(seed, "case")
    seats = frontline_seats(policy)
    agencies = list(seats)
    seat_agency = seat_agency or str(rng.choice(agencies))
    seat_role = seats.get(seat_agency) or lowest_role(policy, seat_agency)
    if seat_role is None:
        raise ValueError(f"agency '{seat_agency}' has no role to seat the trainee in")
    others = [a for a in agencies if a != seat_agency] or agencies
    other_agency = str(rng.choice(others))
    other_role = seats[other_agency]
    if other_agency == seat_agency:
        # One agency only at the first step: the disagreement is inside it, with another
        # role the step names there if it has one.
        first = policy.stages[0].steps[0].roles_for(seat_agency)
        other_role = next((r for r in first if r != seat_role
                           and policy.role(r).agency == seat_agency), seat_role)
    child = synthetic_child(rng)
    category = (policy.categories[int(rng.integers(len(policy.categories)))]
                if policy.categories else GENERAL_CATEGORY)
    level = str(rng.choice(LEVELS, p=LEVEL_WEIGHTS))
    plan = str(rng.choice(PLANS, p=PLAN_WEIGHTS))
    other_title = policy.agency(other_agency).name
    return Scenario(
        id=f"generated-{policy.id}-{seed}",
        version=1,
        title=f"Generated case: {textwrap.shorten(category.text, 70, placeholder='…')}",
        policy=policy.id,
        seat=Seat(agency=seat_agency, role=seat_role),
        other=Seat(agency=other_agency, role=other_role),
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
        allocated_social_worker=_allocated(seed, level, plan),
        category=category.id,
        priority=draw_priority(policy, seed),
        events=model_events(policy, seed),
        alongside=alongside_matters(policy, seed),
    )


def draw_priority(policy: Policy, seed: int) -> str | None:
    """A generated case's priority, drawn from ``behaviour.priority_mix`` on a stream of its
    own (so adding priorities to a policy leaves every other draw of a seed as it was);
    None (the default priority) without a mix."""
    mix = {k: v for k, v in policy.behaviour.priority_mix.items() if v > 0}
    if not mix:
        return None
    ids = sorted(mix)
    shares = np.array([mix[k] for k in ids], dtype=float)
    return ids[int(stream(seed, "priority").choice(len(ids), p=shares / shares.sum()))]


def model_events(policy: Policy, seed: int) -> list[ScriptedEvent]:
    """The events `behaviour.events` models (a conference held), each drawn on a stream of
    its own, so a policy without them generates exactly the cases it always did."""
    events = []
    for name, model in sorted(policy.behaviour.events.items()):
        rng = stream(seed, "events", name)
        happens = rng.random() < model.chance
        hours = draw_hours(model.after_hours, rng)
        if happens and math.isfinite(hours):
            events.append(ScriptedEvent(id=name, after_hours=round(hours, 2), text=model.text,
                                        referral_needed=model.referral_needed,
                                        matter=model.matter))
    return events


def alongside_matters(policy: Policy, seed: int) -> list[str]:
    """The alongside matters `behaviour.alongside` says apply to a generated case, each
    drawn on a stream of its own (a policy without them draws nothing new)."""
    return [matter for matter, share in sorted(policy.behaviour.alongside.items())
            if stream(seed, "alongside", matter).random() < share]


def _allocated(seed: int, level: str, plan: str) -> bool:
    """Whether a generated case's child has an allocated social worker: always on a plan or
    looked after, never at early help or universal level, usually at s17/s47. Drawn from
    its own stream, so adding it moved no other draw of the case."""
    if plan != "none":
        return True
    if level not in ("s17", "s47"):
        return False
    return bool(stream(seed, "allocation").random() < ALLOCATED_CHANCE)


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
