"""How simulated times and small facts are written on screen (one place, one style)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def clock(when: datetime) -> str:
    return f"{when:%a %d %b %Y %H:%M}"


def stamp(when: datetime) -> str:
    """Short form for lists: weekday, day, month and time."""
    return f"{when:%a %d %b %H:%M}"


def audience(values: list[str]) -> str:
    names = {"induction": "induction", "dsl_refresher": "DSL refresher", "workshop": "workshop"}
    return ", ".join(names.get(v, v) for v in values)


class PlainNotify:
    """App mixin: every toast shows its message as text, never as markup.

    Toasts carry names, inject texts and exception messages; `Widget.notify` passes
    ``markup=True`` by default, so the app forces it off here, in one place.
    """

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        super().notify(str(message), title=str(title), severity=severity,  # type: ignore[misc]
                       timeout=timeout, markup=False)
