"""What every part of `sim.session.Session` shares: its error, and small wording helpers."""

from __future__ import annotations


class SessionError(Exception):
    """An action that cannot be taken now; the message says why, for the trainee."""


def first_clause(text: str) -> str:
    """A short phrase for a scripted moment, e.g. "Ryan arrives to collect Jaxon"."""
    return " ".join(text.split()).split(". ")[0].rstrip(".")


def channel_verb(channel: str) -> str:
    return {"phone": "phone", "email": "e-mail", "meeting": "ask for a meeting with"}[channel]
