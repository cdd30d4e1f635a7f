"""How simulated times and small facts are written on screen (one place, one style)."""

from __future__ import annotations

from datetime import datetime


def clock(when: datetime) -> str:
    return f"{when:%a %d %b %Y %H:%M}"


def stamp(when: datetime) -> str:
    """Short form for lists: weekday, day, month and time."""
    return f"{when:%a %d %b %H:%M}"


def audience(values: list[str]) -> str:
    names = {"induction": "induction", "dsl_refresher": "DSL refresher", "workshop": "workshop"}
    return ", ".join(names.get(v, v) for v in values)

