"""The random world around the trainee: who answers, when, and whether they agree.

Every draw comes from a stream keyed by source (and role), so the same seed gives the
same replies whatever order the trainee contacts people in. Delays are drawn in working
hours and laid onto the calendar; only roles that work out of hours (EDT, police) answer
at night.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import simpy

from scenarios.policy_schema import Behaviour, Distribution, Policy, Role, Stage, Step
from scenarios.scenario_schema import Scenario
from sim.calendar import WorkingCalendar
from sim.rng import stream

CONVERSATION_MINUTES = 15.0
MEETING_MINUTES = 60.0


@dataclass(frozen=True)
class Reply:
    """When a contact gets its answer, and how."""

    at: float | None  # calendar minute; None = never
    answered_now: bool
    absent: bool


def draw_hours(dist: Distribution, rng: np.random.Generator) -> float:
    """One delay in working hours; always consumes one normal and one uniform draw."""
    z, u = rng.standard_normal(), rng.random()
    if dist.dist == "never":
        return math.inf
    if dist.dist == "fixed":
        return dist.median
    if dist.dist == "exponential":
        mean = dist.mean if dist.mean is not None else dist.median / math.log(2)
        return -mean * math.log1p(-u)
    return dist.median * math.exp(dist.sigma * z)


def step_chance(behaviour: Behaviour, stage: Stage, step: Step, category: str) -> float:
    """Chance of agreement at one step, shared by the Session and the Monte Carlo engines.

    A stage's chance is for the whole stage, so with n steps each step gets
    1 - (1 - p)^(1/n): "75% resolve at Stage 1" stays 75% however many steps it has.
    A step id in ``resolve_chance`` sets that step's chance directly.
    """
    chances = behaviour.resolve_chance
    if step.id in chances:
        base = chances[step.id]
    else:
        stage_p = min(1.0, max(0.0, chances.get(stage.id, 0.5)))
        base = 1.0 - (1.0 - stage_p) ** (1.0 / len(stage.steps))
    factor = behaviour.category_factor.get(category, 1.0)
    return min(1.0, max(0.0, base * factor))


class RoleDesk:
    """A role as a SimPy resource: capacity, office hours and its own random stream."""

    def __init__(self, env: simpy.Environment, role: Role, seed: int) -> None:
        self.role = role
        self.resource = simpy.Resource(env, capacity=role.capacity)
        self.rng = stream(seed, "reply", role.id)
        self.contacts = 0

    def answers_now(self, in_office: bool) -> bool:
        hours = self.role.hours
        return hours == "always" or (hours == "out_of_hours") != in_office


class World:
    """Draws and clock arithmetic for one case; owns the SimPy environment."""

    def __init__(self, policy: Policy, scenario: Scenario, behaviour: Behaviour,
                 seed: int, calendar: WorkingCalendar, start_minute: float) -> None:
        self.policy = policy
        self.scenario = scenario
        self.behaviour = behaviour
        self.seed = seed
        self.cal = calendar
        self.env = simpy.Environment(initial_time=start_minute)
        self.desks = {role.id: RoleDesk(self.env, role, seed) for role in policy.roles}
        self.day_minutes = (
            (calendar.office_end.hour - calendar.office_start.hour) * 60
            + calendar.office_end.minute - calendar.office_start.minute
        )

    def in_office(self, minute: float | None = None) -> bool:
        return self.cal.is_office_minute(self.env.now if minute is None else minute)

    def reply(self, role_id: str, channel: str, start: float | None = None,
              convenes: bool = False) -> Reply:
        """When a contact by this channel is answered. Draws are made in a fixed order.

        ``start`` (a calendar minute, default now) is when the message reaches the role: a
        manager passing the concern on sends it when their own reply lands, not now.
        """
        desk = self.desks[role_id]
        desk.contacts += 1
        rng = desk.rng
        picked_up = rng.random() < self.behaviour.phone_answer_chance
        absent = rng.random() < self.behaviour.absence_chance
        # A step that is a meeting or a panel is answered by convening it, however it was
        # asked for (as in the stress engines): a Chair does not rule an hour after an e-mail.
        meeting = channel == "meeting" or convenes
        dist = self.behaviour.meeting_hours if meeting else self.behaviour.reply_hours
        # Senior roles take about half their stage's allowance (docs/evidence.md), as in the
        # stress engines: the same draw, scaled by the role's factor.
        hours = draw_hours(dist, rng) * self.behaviour.reply_factor_by_role.get(role_id, 1.0)
        fixed = self.scenario.fixed.reply_hours.get(role_id)
        if fixed is not None:
            hours, absent = fixed, False
        now = self.env.now if start is None else start
        if desk.role.hours != "office":
            if not desk.answers_now(self.in_office(now)):
                return Reply(None, False, False)
            delay = self.behaviour.out_of_hours_reply_minutes if channel != "phone" else 0
            return Reply(now + CONVERSATION_MINUTES + delay, channel == "phone", False)
        if channel == "phone" and picked_up and not absent and self.in_office(now) \
                and not meeting:
            return Reply(now + CONVERSATION_MINUTES, True, False)
        if math.isinf(hours):
            return Reply(None, False, absent)
        working = hours * 60 + (self.behaviour.absence_days * self.day_minutes if absent else 0)
        if working > 250 * self.day_minutes:  # a year away (a long lognormal tail): never
            return Reply(None, False, absent)
        extra = MEETING_MINUTES if channel == "meeting" else 0.0
        at = math.ceil(self.cal.add_working_minutes_m(now, working) + extra)
        return Reply(at, False, absent)

    def risk_minute(self) -> float | None:
        """When the hidden risk trajectory turns into immediate risk (None: never)."""
        fixed = self.scenario.fixed.risk_after_hours
        rng = stream(self.seed, "risk")
        u = rng.random()
        if any(e.immediate_risk for e in self.scenario.events) or fixed == "never":
            return None
        if fixed is not None:
            return math.ceil(self.cal.add_working_minutes_m(self.env.now, fixed * 60))
        hazard = self.behaviour.risk_per_working_day
        if hazard <= 0:
            return None
        days = -math.log1p(-u) / hazard
        if days > 250:
            return None
        return math.ceil(self.cal.add_working_minutes_m(self.env.now, days * self.day_minutes))

    def after_working_hours(self, hours: float) -> float:
        return self.cal.add_working_minutes_m(self.env.now, hours * 60)
