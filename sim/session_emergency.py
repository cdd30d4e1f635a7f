"""A Session's immediate-risk route: which route and services the case owes, and when it
was taken."""

from __future__ import annotations

from datetime import datetime

from scenarios.conditions import facts_of, route_for
from scenarios.home_authority import swapped_route
from sim.emergency import emergency_duty


class EmergencyMixin:
    """The emergency route, for `sim.session.Session`."""

    @property
    def emergency_route(self):
        """The case's immediate-risk route: the first the policy lists whose condition the
        case meets (its plan, allocated social worker, level of need, and whether the facts
        state a crime once the risk is known), with the home authority's desks where the
        child lives in another authority."""
        route = route_for(self.policy, facts_of(self.scenario, self.police_matter))
        return swapped_route(route, self.redirects) if route else None

    def expected_referrals(self, when: datetime | None = None) -> list[str]:
        """Whom the immediate-risk route needs at ``when`` (now): the desk open then and the
        services the duty requires (the police only where the policy or facts call for it)."""
        route = self.emergency_route
        if route is None:
            return []
        when = when or self.now
        duty = self.emergency_duty() or emergency_duty(self.policy, route, when, [],
                                                       self.police_matter)
        return duty.required_roles(self.cal, when)

    def emergency_route_taken(self) -> bool:
        """The right referrals for when the risk was known, or for now (the office may
        have closed in between, making the out-of-hours route the right one)."""
        return any(self.referred_to(self.expected_referrals(when))
                   for when in (self.risk_known_at, self.now))

    def route_done_at(self) -> datetime | None:
        """When the immediate-risk route was complete: every leg the duty requires answered
        (None if never, or no risk)."""
        duty = self.emergency_duty()
        if duty is None:
            return None
        legs = duty.required_legs
        done: set[str] = set()
        for event in self.timeline:
            if event.kind != "referred" or not event.data.get("answered") \
                    or event.at < duty.known:
                continue
            done |= {leg.name for leg in legs if event.data.get("role") in leg.roles}
            if len(done) == len(legs):
                return event.at
        return None

    def closed_at(self) -> datetime | None:
        """When the staged process stopped running: resolution, or the risk route done."""
        resolved = next((e.at for e in self.timeline if e.kind == "resolved"), None)
        times = [t for t in (resolved, self.route_done_at()) if t is not None]
        return min(times) if times else None

    def referred_to(self, roles: list[str]) -> bool:
        made = {e.data.get("role") for e in self.timeline
                if e.kind == "referred" and e.data.get("answered")}
        # This area's desk took an immediate-risk referral for a child who lives elsewhere
        # (the child is found here): it stands for the home authority's desk.
        made |= {self.redirects[r] for r in made if r in self.redirects}
        return all(role in made for role in roles)
