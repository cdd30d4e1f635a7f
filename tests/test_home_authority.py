"""A scenario's home authority: the child lives across the boundary, so referrals go to that
authority's front door (scenarios.home_authority). Data-driven: any scenario of any policy
with an emergency route can name one."""

from __future__ import annotations

from datetime import datetime

from scenarios.checks import check_scenario
from scenarios.home_authority import HOME_FRONT_DOOR, HOME_OUT_OF_HOURS, with_home_authority
from scenarios.loader import get_policy, get_scenario
from scenarios.scenario_schema import HomeAuthority, Scenario
from scoring import evaluate
from sim import actions as A
from sim.session import Session

BRACKENMOOR = HomeAuthority(name="Brackenmoor", front_door="Brackenmoor front door (MASH)")


def test_no_home_authority_leaves_the_policy_untouched():
    policy = get_policy("liverpool-lscb")
    assert with_home_authority(policy, None) == (policy, {})


def test_the_policy_gains_the_home_desks_and_its_own_desks_swap_to_them():
    policy = get_policy("liverpool-lscb")
    changed, swap = with_home_authority(policy, BRACKENMOOR)
    assert swap == {"cs.front_door": HOME_FRONT_DOOR, "cs.edt": HOME_OUT_OF_HOURS}
    assert changed.role(HOME_FRONT_DOOR).title == "Brackenmoor front door (MASH)"
    assert changed.role(HOME_OUT_OF_HOURS).title == "Brackenmoor Emergency Duty Team"
    assert changed.role(HOME_OUT_OF_HOURS).hours == "out_of_hours"
    assert changed.role(HOME_FRONT_DOOR).hours == "office"
    assert policy.role_ids() < changed.role_ids()  # the bundled policy is not changed
    assert changed.emergency_routes == policy.emergency_routes  # the Session swaps them


def test_applying_it_twice_adds_nothing_more():
    """The model answer is built from the trainee session's policy: same roles, same swap."""
    policy = get_policy("bs3-early-years")
    once, swap = with_home_authority(policy, BRACKENMOOR)
    twice, again = with_home_authority(once, BRACKENMOOR)
    assert [r.id for r in twice.roles] == [r.id for r in once.roles] and again == swap


def test_any_scenario_can_name_one_and_its_route_follows():
    """A Liverpool case moved across a boundary: no scenario id is special."""
    data = get_scenario("non-mobile-baby-bruise-health-visitor").model_dump(mode="json")
    data["home_authority"] = BRACKENMOOR.model_dump()
    session = Session(Scenario.model_validate(data), 1)
    assert session.emergency_route.in_hours[0] == HOME_FRONT_DOOR
    session.act(A.Wait(until=datetime(2026, 3, 4, 10, 45)))
    session.act(A.Refer(role=HOME_FRONT_DOOR))
    assert session.status == "referred"
    assert "L1" not in evaluate(session).rule_ids


def test_the_session_saves_and_replays_identically():
    session = Session.from_scenario("cross-boundary-referral-early-years", 2)
    session.act(A.Contact(role="cs.social_worker", channel="phone"))
    session.act(A.Wait(until=datetime(2026, 10, 19, 9, 30)))
    session.act(A.Refer(role="cs.front_door"))
    session.act(A.Refer(role=HOME_FRONT_DOOR))
    again = Session.from_dict(session.to_dict())
    assert [e.to_dict() for e in again.timeline] == [e.to_dict() for e in session.timeline]


def test_a_policy_with_no_emergency_route_cannot_take_a_home_authority():
    scenario = get_scenario("cross-boundary-referral-early-years")
    policy = get_policy(scenario.policy).model_copy(update={"emergency_routes": []})
    problems = check_scenario(scenario, policy)
    assert any(path == ("home_authority",) and "no emergency route" in message
               for path, message in problems)
