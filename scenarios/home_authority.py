"""A child who lives in another local authority: referrals go to that authority's front door.

A partnership's procedure names its own front door (Careline, First Response) because its
children live in its area. A child who goes to school, nursery or a GP here but lives across
the boundary is referred to the children's services of the authority where they live (the
"home" authority): the Children Act 1989, section 47, places the duty to enquire on the
authority where a child "lives, or is found", and Working Together 2023 expects the home
authority to take the referral. The policies are silent, so this is an assumption resting on
guidance (each bundled policy lists it as ``home_authority``).

`with_home_authority` turns that into data the rest of the model already reads: the policy
in play gains the home authority's front door and out-of-hours service as roles, and
`swapped_route` lists them on the immediate-risk route in place of the partnership's own
desks (the Session's route). The Session's refer options, the emergency duty
(`sim.emergency`), the fresh-referral desk and the scoring then follow with no special case;
the partnership's own desks stay on offer and redirect the referral.
"""

from __future__ import annotations

from scenarios.policy_schema import EmergencyRoute, Policy
from scenarios.scenario_schema import HomeAuthority

HOME_FRONT_DOOR = "cs.home_front_door"
HOME_OUT_OF_HOURS = "cs.home_edt"


def with_home_authority(policy: Policy, home: HomeAuthority | None
                        ) -> tuple[Policy, dict[str, str]]:
    """The policy with the home authority's desks as roles, and the swap: each of the
    partnership's own desks → the home authority's desk that takes its referrals.

    Idempotent (a policy that already has the home desks gains nothing), so a session built
    from another session's policy (the model answer) gets the same. Without a home authority
    or an emergency route the policy is returned as is, with no swap.
    """
    if home is None:
        return policy, {}
    own = _own_desks(policy)
    in_office = next((r for r in own if policy.role(r).hours == "office"), None)
    after = next((r for r in own if policy.role(r).hours == "out_of_hours"), None)
    wanted = {HOME_FRONT_DOOR: (in_office, home.front_door),
              HOME_OUT_OF_HOURS: (after, home.out_of_hours
                                  or f"{home.name} Emergency Duty Team")}
    swap = {desk: new for new, (desk, _) in wanted.items() if desk is not None}
    have = policy.role_ids()
    added = [policy.role(desk).model_copy(update={
        "id": new, "title": title, "short": None, "phone": None})
        for new, (desk, title) in wanted.items() if desk is not None and new not in have]
    if not added:
        return policy, swap
    changed = policy.model_copy(update={"roles": [*policy.roles, *added]})
    changed.model_post_init(None)  # steps learn the new roles' agencies
    return changed, swap


def swapped_route(route: EmergencyRoute, swap: dict[str, str]) -> EmergencyRoute:
    """The route with the home authority's desks in place of the partnership's own."""
    if not swap:
        return route
    return route.model_copy(update={
        "in_hours": [swap.get(r, r) for r in route.in_hours],
        "out_of_hours": [swap.get(r, r) for r in route.out_of_hours]})


def _own_desks(policy: Policy) -> list[str]:
    """The children's-services desks the routes list (never the always-open police)."""
    out: list[str] = []
    for route in policy.emergency_routes:
        always = set(route.in_hours) & set(route.out_of_hours)
        for role_id in (*route.in_hours, *route.out_of_hours):
            if role_id not in always and role_id not in out:
                out.append(role_id)
    return out
