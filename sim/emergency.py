"""The immediate-risk duty: whom to refer to, by when, which limit governs, met or not.

Immediate risk means now (Working Together 2023: refer *immediately*). A policy's "same
working day" or "do not wait" is an outer limit, never permission to wait, so the duty is
due at the soonest of three limits:

- ``immediately``: the tolerance the policy file states for "immediately" (minutes);
- ``child_unsafe``: the moment the child is next with the person who may harm them (a
  scenario event such as a collection time);
- ``outer``: the policy's own deadline for the route (in hours "the same working day" runs
  to the end of that day, since the out-of-hours service answers after close; out of hours
  the route's out-of-hours deadline).

Which children's-services desk answers follows the clock (First Response in office hours,
the Emergency Duty Team outside them): any desk that takes the referral meets that leg.
Roles the route lists as ``only_if_police_matter`` (e.g. a 999 call under a policy that
names no police) are required only where the facts state a crime or an emergency.

Session, scripted players, scoring and `escalate deadlines` all ask this module, so there
is one answer to "what is due".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from scenarios.policy_schema import EmergencyRoute, Policy
from sim.calendar import WorkingCalendar
from sim.deadlines import DueItem, calendar_for, due_at

# A late referral is critical when it came after the child was back with the person who may
# harm them, or after the policy's outer limit; otherwise it is late but the child was still
# protected (major).
LATE_BUT_SAFE = "major"
UNSAFE = "critical"


@dataclass(frozen=True)
class Limit:
    """One arm of "whichever is sooner": its name, due instant and the words that justify it."""

    name: str  # "immediately" | "child_unsafe" | "outer"
    due: datetime
    text: str


@dataclass(frozen=True)
class Leg:
    """One service the route asks for, and the roles that meet it."""

    name: str  # "always:<role>", "desk_in_hours" or "desk_out_of_hours"
    title: str
    roles: frozenset[str]
    required: bool


@dataclass(frozen=True)
class LegVerdict:
    leg: Leg
    first: datetime | None  # first answered referral that meets the leg
    severity: str | None  # None when met; else LATE_BUT_SAFE or UNSAFE
    reason: str


@dataclass(frozen=True)
class EmergencyDuty:
    route: EmergencyRoute
    known: datetime
    in_office: bool
    limits: tuple[Limit, ...]
    legs: tuple[Leg, ...]

    @property
    def governing(self) -> Limit:
        return min(self.limits, key=lambda limit: limit.due)

    @property
    def due(self) -> datetime:
        return self.governing.due

    def limit(self, name: str) -> Limit | None:
        return next((lim for lim in self.limits if lim.name == name), None)

    @property
    def required_legs(self) -> list[Leg]:
        return [leg for leg in self.legs if leg.required]

    def required_roles(self, cal: WorkingCalendar, when: datetime) -> list[str]:
        """Whom to call at ``when``: the desk open then and every required always-open role."""
        required = {role for leg in self.required_legs for role in leg.roles}
        always = [r for r in always_open(self.route) if r in required]
        return desks(self.route, cal.is_office_hours(when)) + always

    def expected(self, titles: dict[str, str], leg: Leg) -> str:
        """What good looks like for one leg, with every limit named."""
        parts = [f"Immediate risk known {_fmt(self.known)}: refer to {leg.title} immediately"]
        unsafe = self.limit("child_unsafe")
        now = self.limit("immediately")
        if now is not None:
            parts.append(f" ({now.text}, by {_fmt(now.due)})")
        if unsafe is not None:
            parts.append(f" and before {unsafe.text} at {_fmt(unsafe.due)}")
        outer = self.limit("outer")
        if outer is not None:
            parts.append(f"; the policy's outer limit: {outer.text} ({_fmt(outer.due)})")
        return "".join(parts) + "."

    def judge(self, referrals: list[tuple[str, datetime, bool]],
              on_time: set[int] | None = None) -> list[LegVerdict]:
        """Each required leg met, late or missing, from (role, when, answered) referrals.

        ``on_time`` holds indexes of referrals in a run begun by the due time: each call costs
        time, so a run of calls started on time counts as on time.
        """
        on_time = on_time or set()
        verdicts = []
        for leg in self.required_legs:
            hits = [(i, when) for i, (role, when, answered) in enumerate(referrals)
                    if answered and role in leg.roles and when >= self.known]
            if not hits:
                verdicts.append(LegVerdict(leg, None, UNSAFE, f"No referral to {leg.title}."))
                continue
            index, first = hits[0]
            if first <= self.due or index in on_time:
                verdicts.append(LegVerdict(leg, first, None, ""))
                continue
            unsafe = self.limit("child_unsafe")
            outer = self.limit("outer")
            if unsafe is not None and first > unsafe.due:
                why = f" — after {unsafe.text} at {_fmt(unsafe.due)}"
                verdicts.append(LegVerdict(leg, first, UNSAFE,
                                           f"Referred to {leg.title} only at {_fmt(first)}{why}."))
            elif outer is not None and first > outer.due:
                verdicts.append(LegVerdict(
                    leg, first, UNSAFE, f"Referred to {leg.title} only at {_fmt(first)}, after "
                    f"the policy's outer limit ({outer.text})."))
            else:
                verdicts.append(LegVerdict(
                    leg, first, LATE_BUT_SAFE, f"Referred to {leg.title} only at "
                    f"{_fmt(first)}: later than immediately, though before the child was "
                    "back with the person who may harm them."))
        return verdicts


def emergency_duty(policy: Policy, route: EmergencyRoute, known: datetime,
                   child_unsafe: list[tuple[datetime, str]] | None = None,
                   police_matter: bool = False,
                   found_here: frozenset[str] = frozenset()) -> EmergencyDuty:
    """Compile the route for a risk known at ``known``.

    ``child_unsafe`` lists (when, what) moments the child is next with the person who may
    harm them; the first at or after ``known`` is a limit. ``found_here`` names desks that
    also meet the children's-services leg without being the route's own: this area's front
    door when the child lives in another authority (Children Act 1989 s47: the authority
    where a child "lives, or is found").
    """
    cal = calendar_for(policy)
    in_office = cal.is_office_hours(known)
    limits: list[Limit] = []
    if route.immediately is not None:
        limits.append(Limit("immediately", known + timedelta(
            minutes=route.immediately.within_minutes), route.immediately.text))
    upcoming = sorted((when, what) for when, what in (child_unsafe or []) if when >= known)
    if upcoming:
        limits.append(Limit("child_unsafe", upcoming[0][0], upcoming[0][1]))
    deadline = route.deadline_for(in_office)
    if in_office and deadline.unit == "same_working_day":
        outer = datetime.combine(known.date() + timedelta(days=1), time(0))
    else:
        outer = due_at(deadline, policy, {"start": known}) or known
    limits.append(Limit("outer", outer, deadline.text or "the policy's timescale"))
    legs = _legs(policy, route, in_office, police_matter, found_here)
    return EmergencyDuty(route, known, in_office, tuple(limits), tuple(legs))


def always_open(route: EmergencyRoute) -> list[str]:
    """Services the route lists both in and out of hours (the police)."""
    return [r for r in route.in_hours if r in route.out_of_hours]


def desks(route: EmergencyRoute, in_office: bool | None = None) -> list[str]:
    """The route's children's-services desks: those that answer at that hour (in or out of
    office hours), or every one of them (``None``)."""
    listed = ([*route.in_hours, *route.out_of_hours] if in_office is None
              else route.roles_for(in_office))
    always = set(always_open(route))
    return list(dict.fromkeys(r for r in listed if r not in always))


def _legs(policy: Policy, route: EmergencyRoute, in_office: bool,
          police_matter: bool, found_here: frozenset[str] = frozenset()) -> list[Leg]:
    legs = [Leg(f"always:{r}", policy.role(r).title, frozenset({r}),
                police_matter or r not in route.only_if_police_matter)
            for r in always_open(route)]
    desks_now = desks(route, in_office)
    every_desk = frozenset(desks(route)) | found_here
    if desks_now:
        name = "desk_in_hours" if in_office else "desk_out_of_hours"
        title = " / ".join(policy.role(r).title for r in desks_now)
        legs.append(Leg(name, title, every_desk, True))
    return legs


def _fmt(when: datetime) -> str:
    return f"{when:%a %d %b %Y %H:%M}"


def emergency_deadlines(policy: Policy, start: datetime) -> list[DueItem]:
    """What `escalate deadlines` shows for immediate risk known at ``start``: whom to call at
    that hour and the governing due time, with every limit named (as the Session judges)."""
    items = []
    for route in policy.emergency_routes:
        police = bool(route.only_if and route.only_if.police_matter)
        duty = emergency_duty(policy, route, start, police_matter=police)
        cal = calendar_for(policy)
        roles = duty.required_roles(cal, start)
        label = "Immediate risk: " + " and ".join(policy.role(r).title for r in roles)
        advice = [policy.role(r).title for r in route.only_if_police_matter
                  if r in route.roles_for(duty.in_office)]
        if advice:
            label += f" ({' and '.join(advice)} where a crime or an emergency)"
        where = route.only_if.words if route.only_if is not None else None
        if where:
            label += f" ({where})"  # the case's route is the first whose condition it meets
        words = "; ".join(f"{lim.text} ({_fmt(lim.due)})" for lim in duty.limits)
        items.append(DueItem(route.id, None, label, words, duty.due, only_if=where))
    return items
