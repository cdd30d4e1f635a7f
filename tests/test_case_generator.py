"""Generated cases: plausible, reproducible, and made of invented people."""

from __future__ import annotations

from scenarios.checks import check_scenario
from scenarios.loader import get_policy
from sim.case import frontline_agencies, generate_scenario
from sim.people import ADULTS, BOYS, GIRLS, SURNAMES
from sim.rng import SOURCES, stream

POLICY = get_policy("liverpool-lscb")


def test_same_seed_same_case_and_different_seeds_vary():
    assert generate_scenario(POLICY, 7) == generate_scenario(POLICY, 7)
    cases = [generate_scenario(POLICY, seed) for seed in range(40)]
    assert len({c.category for c in cases}) >= 6
    assert len({c.seat.agency for c in cases}) == len(frontline_agencies(POLICY))
    assert {c.plan_status for c in cases} == {"none", "CPP", "CLA"}
    assert len({c.level_of_need for c in cases}) >= 3


def test_generated_cases_pass_the_scenario_checks():
    for seed in range(30):
        scenario = generate_scenario(POLICY, seed)
        assert check_scenario(scenario, POLICY) == []
        assert scenario.seat.agency != scenario.other.agency


def test_people_are_drawn_from_invented_lists_and_carry_no_address():
    for seed in range(30):
        scenario = generate_scenario(POLICY, seed)
        child = scenario.child
        assert child.first_name in GIRLS + BOYS and child.last_name in SURNAMES
        assert 0 <= child.age_years <= 15
        for person in scenario.family:
            assert person.name.split()[0] in ADULTS
        dumped = scenario.model_dump_json().lower()
        for marker in ("street", "road", "@", "postcode", "date of birth"):
            assert marker not in dumped


def test_seat_is_pinned_when_asked():
    scenario = generate_scenario(POLICY, 3, seat_agency="police")
    assert scenario.seat.agency == "police"
    assert scenario.seat.role in POLICY.stages[0].steps[0].roles_for("police")


def test_streams_are_independent_of_use_order():
    a = stream(1, "reply", "cs.team_manager").random(3)
    stream(1, "reply", "school.dsl").random(100)
    b = stream(1, "reply", "cs.team_manager").random(3)
    assert (a == b).all()
    draws = {source: stream(1, source).random() for source in SOURCES}
    assert len(set(draws.values())) == len(SOURCES)
