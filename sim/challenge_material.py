"""What a trainee can put in a challenge: the concerns on offer and the dated facts.

An authored scenario lists its own; a case without them (a generated case, or a scenario
written before conversations) gets a general set: the concern named from the case's
category, a vague and a personal way of putting it, and dated facts drawn from a keyed
stream of the seed (so no other draw of the case moves).
"""

from __future__ import annotations

from datetime import timedelta

from scenarios.conversation_schema import Concern, Fact
from scenarios.policy_schema import Policy
from scenarios.scenario_schema import Scenario
from sim.rng import stream

# (id, text, relevant): facts any case file might hold; {name} is the child's first name.
GENERAL_FACTS = (
    ("missed-appointments", "{name} was not brought to two health appointments", True),
    ("seen-hungry", "{name} arrived hungry and asked staff for food", True),
    ("unexplained-mark", "Staff saw an unexplained mark on {name}'s arm", True),
    ("attendance-fell", "{name}'s attendance fell to 82% this term", True),
    ("parent-struggling", "A parent told staff they were not coping", True),
    ("late-pickup", "{name} was collected late from the setting", False),
    ("uniform", "{name} came in without the right uniform", False),
)
FACTS_IN_CASE = 5


def general_concerns(scenario: Scenario, policy: Policy) -> list[Concern]:
    category = next((c for c in policy.categories if c.id == scenario.category), None)
    named = category.text if category else "how best to keep the child safe"
    return [
        Concern(id="named", text=f"The decision leaves the child at risk: {named}"),
        Concern(id="vague", text="I'm not happy with how this is going", explicit=False),
        Concern(id="personal", text="Your service never listens to us", explicit=False),
    ]


def general_facts(scenario: Scenario, seed: int, first_name: str) -> list[Fact]:
    """Dated facts for a case without its own, from the seed's keyed 'case/facts' stream."""
    rng = stream(seed, "case", "facts")
    picks = rng.choice(len(GENERAL_FACTS), size=FACTS_IN_CASE, replace=False)
    facts = []
    for index in sorted(int(i) for i in picks):
        fact_id, text, relevant = GENERAL_FACTS[index]
        days = int(rng.integers(2, 30))
        facts.append(Fact(id=fact_id, on=(scenario.start - timedelta(days=days)).date(),
                          text=text.format(name=first_name), relevant=relevant))
    return sorted(facts, key=lambda f: f.on)


def concerns_for(scenario: Scenario, policy: Policy) -> list[Concern]:
    if scenario.conversation is not None:
        return list(scenario.conversation.concerns)
    return general_concerns(scenario, policy)


def facts_for(scenario: Scenario, seed: int, first_name: str) -> list[Fact]:
    """Every fact of the case, hidden ones included (the session shows only those known)."""
    return list(scenario.facts) or general_facts(scenario, seed, first_name)
