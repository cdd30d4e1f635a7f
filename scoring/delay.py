"""What happened because of the trainee's delay, and what acting in time averted.

A scenario authors consequences as events with ``unless`` (sim.session: the event happens
only if, by its time, the trainee had not done that). The debrief lists each one, so the
cost of waiting is seen in the case, not only in a deadline finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sim.session import Session


@dataclass(frozen=True)
class Consequence:
    text: str  # what happened in the world (the event's text)
    because: str  # the scenario's words for why, or what the trainee had not done
    happened: bool  # False: the trainee acted in time and it was averted
    at: datetime | None


def condition_words(session: Session, condition: str) -> str:
    """'contact:cs.social_worker' → 'contacted the Social worker', for the debrief."""
    kind, _, ref = condition.partition(":")
    if kind == "contact":
        return f"contacted the {session.policy.role(ref).title}"
    if kind == "stage":
        return f"taken it to {session.policy.stage(ref).name}"
    if kind == "resolved":
        return "resolved the disagreement"
    return "made a referral a service took"


def delay_consequences(session: Session) -> list[Consequence]:
    events = {e.id: e for e in session.scenario.events}
    when = {e.data.get("event"): e.at for e in session.timeline if e.data.get("event")}
    out = []
    seen = [event_id for event_id, _ in session.consequences]
    # The exercise may end before a consequence's time: done by then, it was averted too.
    ended_first = [(e.id, False) for e in session.scenario.events
                   if e.unless is not None and e.id not in seen and session.done(e.unless)]
    for event_id, happened in [*session.consequences, *ended_first]:
        event = events[event_id]
        assert event.unless is not None  # only events with `unless` are consequences
        done = condition_words(session, event.unless)
        because = event.because or f"By then nobody had {done}."
        if not happened:
            because = f"Averted: you had {done} in time."
        out.append(Consequence(" ".join(event.text.split()), because, happened,
                               when.get(event_id) or session.event_time(event)))
    return out
