"""A quick read of the bundled library for the trainer's first screen.

The picker and the bare-`escalate` briefing show titles, seats and briefings. Reading them
straight from the YAML (libyaml, no pydantic) lets that first screen paint before the schema
is even imported; the chosen scenario is validated (`loader.load_scenario`) in the
background while the trainee reads. Only bundled files are read this way — the test suite
validates every one of them and holds each card equal to `Card.of` its validated scenario.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scenarios.yaml_source import LoadError, parse

if TYPE_CHECKING:
    from scenarios.scenario_schema import Scenario

PACKAGE_DIR = Path(__file__).resolve().parent
POLICY_DIR = PACKAGE_DIR / "policies"
LIBRARY_DIR = PACKAGE_DIR / "library"


_UNREADABLE = (LoadError, KeyError, TypeError, ValueError, AttributeError, OSError)


@dataclass(frozen=True)
class Card:
    """What the picker and the briefing show of a scenario, before it is validated."""

    id: str
    path: Path | None
    title: str
    policy: str
    seat_role: str
    seat_title: str | None
    seat_agency: str
    other_agency: str
    difficulty: str
    audience: tuple[str, ...]
    minutes: int
    start: datetime
    briefing: str
    worry: str
    known: tuple[str, ...]
    objectives: tuple[str, ...]

    @classmethod
    def of(cls, scenario: Scenario, path: Path | None = None) -> Card:
        """The card of a validated scenario (any scenario, bundled or not)."""
        return cls(
            id=scenario.id, path=path, title=scenario.title, policy=scenario.policy,
            seat_role=scenario.seat.role, seat_title=scenario.seat.title,
            seat_agency=scenario.seat.agency, other_agency=scenario.other.agency,
            difficulty=scenario.difficulty, audience=tuple(scenario.audience),
            minutes=scenario.minutes, start=scenario.start, briefing=scenario.briefing,
            worry=scenario.worry, known=tuple(scenario.known),
            objectives=tuple(o.text for o in scenario.objectives))

    @property
    def seat(self) -> str:
        """The picker's "role, agency" text (names from the bundled policy, read on first
        use: the briefing never needs them)."""
        agencies, roles = _policy_names().get(self.policy, ({}, {}))
        role = self.seat_title or roles.get(self.seat_role, self.seat_role)
        agency = agencies.get(self.seat_agency)
        return f"{role}, {agency}" if agency else role


def _raw(path: Path) -> dict[str, Any]:
    data, _ = parse(path.read_text(encoding="utf-8"), str(path))
    if not isinstance(data, dict):
        raise LoadError([])
    return data


@functools.cache
def _policy_names() -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """Per bundled policy id: agency names and role titles by id."""
    out = {}
    for path in sorted(POLICY_DIR.glob("*.yaml")):
        try:
            data = _raw(path)
            agencies = {a["id"]: a["name"] for a in data.get("agencies", [])}
            roles = {r["id"]: r["title"] for r in data.get("roles", [])}
            out[data["id"]] = (agencies, roles)
        except _UNREADABLE:
            continue  # the picker falls back to role ids; `escalate check` reports the file
    return out


def _card(path: Path) -> Card:
    data = _raw(path)
    seat, other = data["seat"], data["other"]
    return Card(
        id=data["id"], path=path, title=data["title"], policy=data["policy"],
        seat_role=seat["role"], seat_title=seat.get("title"), seat_agency=seat["agency"],
        other_agency=other["agency"], difficulty=data["difficulty"],
        audience=tuple(data["audience"]), minutes=int(data["minutes"]),
        start=datetime.fromisoformat(str(data["start"])), briefing=data["briefing"],
        worry=data["worry"], known=tuple(data.get("known") or ()),
        objectives=tuple(o["text"] for o in data["objectives"]))


@functools.cache
def bundled_cards() -> dict[str, Card]:
    """Cards of the bundled scenarios by id, in file order.

    A file that cannot be read this way (it would also fail validation) is left out here;
    `escalate check` and the test suite report it.
    """
    cards = {}
    for path in sorted(LIBRARY_DIR.glob("*.yaml")):
        try:
            card = _card(path)
        except _UNREADABLE:
            continue
        cards[card.id] = card
    return cards


def bundled_card(scenario_id: str) -> Card | None:
    """One bundled scenario's card, reading only its own file when it is named after its id
    (the usual case), else looking through the whole library."""
    path = LIBRARY_DIR / f"{scenario_id}.yaml"
    if path.is_file():
        try:
            card = _card(path)
        except _UNREADABLE:
            card = None
        if card is not None and card.id == scenario_id:
            return card
    return bundled_cards().get(scenario_id)
