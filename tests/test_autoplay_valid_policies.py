"""Issue #13: a policy that validates can be played and scored — never a traceback.

Each fixture here is a valid policy (`escalate check` passes) that once crashed
`escalate autoplay`; every scripted player must now play it to a score.
"""

from __future__ import annotations

import json

import pytest

from scenarios.checks import check_policy
from scenarios.loader import load_policy
from sim.case import frontline_seats, generate_scenario
from sim.players import PLAYERS
from tui.cli import main
from tui.commands.autoplay import PLAYER_NAMES

FIXTURES = "tests/fixtures/policies"
# (a) the first step names its roles only under "*" (every agency): no agency could be seated.
# (b) no `categories`: a generated case drew a category from an empty list.
CRASHERS = ["star-first-step.yaml", "no-categories.yaml"]


def test_the_cli_offers_every_player():
    assert set(PLAYER_NAMES) == set(PLAYERS)


@pytest.mark.parametrize("name", CRASHERS)
def test_fixture_is_a_valid_policy(name):
    assert check_policy(load_policy(f"{FIXTURES}/{name}")) == []


@pytest.mark.parametrize("player", sorted(PLAYERS))
@pytest.mark.parametrize("name", CRASHERS)
def test_autoplay_plays_and_scores(capsys, name, player):
    capsys.readouterr()
    code = main(["autoplay", f"{FIXTURES}/{name}", "--player", player, "--seed", "1", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert 0 <= data["score"] <= 100
    assert data["timeline"]
    policy = load_policy(f"{FIXTURES}/{name}")
    quotes = {r.id: r.quote for r in policy.rules}
    for finding in data["findings"]:
        assert finding["citation"] == quotes[finding["rule"]]


def test_star_row_seats_each_agency_at_its_own_role():
    policy = load_policy(f"{FIXTURES}/star-first-step.yaml")
    assert frontline_seats(policy) == {"school": "teacher", "social_care": "social_worker"}
    step = policy.stages[0].steps[0]
    assert step.roles_for("school") == ["teacher"]
    assert step.roles_for("social_care") == ["social_worker"]
    for seed in range(10):
        scenario = generate_scenario(policy, seed)
        assert scenario.seat.agency != scenario.other.agency
        assert policy.role(scenario.seat.role).agency == scenario.seat.agency
        assert policy.role(scenario.other.role).agency == scenario.other.agency


def test_a_star_row_of_someone_elses_roles_acts_for_every_agency():
    # Liverpool's last stage: "*": [partnership.chair] — the chair acts for everyone.
    from scenarios.loader import get_policy

    policy = get_policy("liverpool-lscb")
    step = next(s for _, s in policy.steps() if "*" in s.representation)
    assert step.roles_for("school") == step.representation["*"]


def test_no_categories_gives_a_general_case():
    policy = load_policy(f"{FIXTURES}/no-categories.yaml")
    assert policy.categories == []
    scenario = generate_scenario(policy, 1)
    assert scenario.category and scenario.worry
