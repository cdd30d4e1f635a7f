"""Synthetic children and families: names that look real but belong to nobody.

First names and surnames are drawn independently from common lists, so any pairing is
invented; no address, school or date of birth is ever generated beyond an age.
"""

from __future__ import annotations

import numpy as np

from scenarios.scenario_schema import Child, Person

GIRLS = ("Amelia", "Isla", "Maya", "Ruby", "Freya", "Aisha", "Zara", "Lily", "Evie", "Hana",
         "Poppy", "Nia", "Orla", "Sofia", "Ivy", "Layla", "Grace", "Imani", "Darcy", "Tia")
BOYS = ("Leo", "Noah", "Oscar", "Arlo", "Kai", "Yusuf", "Theo", "Alfie", "Reuben", "Jayden",
        "Finley", "Idris", "Mason", "Rory", "Kofi", "Harvey", "Eli", "Tomasz", "Zain", "Louie")
ADULTS = ("Jade", "Kelly", "Natasha", "Dean", "Craig", "Stacey", "Lee", "Amina", "Marcin",
          "Gemma", "Ryan", "Leanne", "Tariq", "Chantelle", "Wayne", "Shona")
SURNAMES = ("Harlow", "Penrose", "Maddox", "Okafor", "Whitlock", "Brannigan", "Castell",
            "Dunmore", "Everly", "Farrant", "Galloway", "Hensley", "Iqbal", "Jessop", "Kowal",
            "Lockett", "Marlow", "Nwosu", "Ormsby", "Pryce", "Quinlan", "Rourke", "Stanway",
            "Tulley", "Varga", "Winslow", "Yardley")


def synthetic_child(rng: np.random.Generator, min_age: int = 0, max_age: int = 15) -> Child:
    pronoun = "she" if rng.random() < 0.5 else "he"
    names = GIRLS if pronoun == "she" else BOYS
    age = int(rng.integers(min_age, max_age + 1))
    return Child(
        first_name=str(rng.choice(names)),
        last_name=str(rng.choice(SURNAMES)),
        age_years=age,
        age_months=int(rng.integers(1, 12)) if age == 0 else 0,
        pronoun=pronoun,
    )


def synthetic_family(rng: np.random.Generator, child: Child) -> list[Person]:
    parent = Person(name=f"{rng.choice(ADULTS)} {child.last_name}", relation="parent",
                    age=int(rng.integers(19, 45)))
    family = [parent]
    if rng.random() < 0.5:
        family.append(Person(name=f"{rng.choice(ADULTS)} {rng.choice(SURNAMES)}",
                             relation="parent's partner", age=int(rng.integers(20, 50))))
    return family
