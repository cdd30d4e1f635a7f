"""The quick catalogue behind the first screen agrees with the validated library."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scenarios.catalogue import Card, bundled_card, bundled_cards
from scenarios.loader import bundled_scenarios, get_policy

ROOT = Path(__file__).resolve().parent.parent


def test_every_bundled_scenario_has_a_card_equal_to_its_validated_self():
    cards, scenarios = bundled_cards(), bundled_scenarios()
    assert list(cards) == list(scenarios)
    for scenario_id, scenario in scenarios.items():
        assert cards[scenario_id] == Card.of(scenario, cards[scenario_id].path)
        assert bundled_card(scenario_id) == cards[scenario_id]


def test_seat_text_uses_the_policys_agency_and_role_names():
    card = bundled_cards()["talk-first-school-dsl"]
    policy = get_policy(card.policy)
    assert card.seat == f"{card.seat_title}, {policy.agency(card.seat_agency).name}"
    untitled = Card.of(bundled_scenarios()["talk-first-school-dsl"].model_copy(
        update={"seat": bundled_scenarios()["talk-first-school-dsl"].seat.model_copy(
            update={"title": None})}))
    assert untitled.seat.startswith(policy.role(card.seat_role).title)


def test_unknown_ids_have_no_card():
    assert bundled_card("no-such-scenario") is None


def test_the_first_screen_needs_no_schema():
    """The point of the catalogue: the default briefing's facts come without pydantic."""
    code = ("import sys; from tui.app import default_scenario; card = default_scenario(); "
            "print(card.id, 'pydantic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.split()
    assert out == ["talk-first-school-dsl", "False"]
