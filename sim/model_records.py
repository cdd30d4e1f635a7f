"""What a good record says, written from the case data: the model answer's records.

The `perfect` player writes its Escalation Summary Log rows, stage reports, case-file and
chronology entries with this, so "what good looked like" in the debrief shows records that
pass every recording check (`scoring/recording.py`): the concern with dated facts, the
decision challenged and the disagreement's category, the actions taken, the outcome and
the next steps, and a dated entry for each significant event. Everything comes from the
scenario and the timeline, never from a scenario id.
"""

from __future__ import annotations

from datetime import datetime

from scenarios.policy_schema import Policy
from sim import actions as A
from sim.session import Session
from sim.timeline import significant

ACTION_KINDS = ("contact", "refer", "escalate", "professionals_meeting", "notify")
LESSONS = ("Raising the concern early, by phone, with dated facts and the child's lived "
           "experience kept the discussion on the child.")


def write(session: Session, record_id: str, outcome: str, next_steps: str) -> A.Record:
    """The record ``record_id`` as a careful practitioner would write it now."""
    record = session.policy.record(record_id)
    fields: dict[str, str] = {}
    has_next = bool(record.written_keys("next_steps"))
    for key, part in record.written.items():
        value = _part(session, part, outcome, next_steps, has_next)
        if value:
            fields[key] = value
    text = "" if record.written else f"{outcome} {next_steps} {chronology(session)}".strip()
    return A.Record(record=record_id, fields=fields, text=text)


def _part(session: Session, part: str, outcome: str, next_steps: str, has_next: bool) -> str:
    if part == "concern":
        return concern(session)
    if part == "disagreement":
        return disagreement(session)
    if part == "actions":
        return actions_here(session) or f"Recorded at {session.stage.name}."
    if part == "outcome":
        return outcome if has_next else f"{outcome} {next_steps}"
    if part == "next_steps":
        return next_steps
    if part == "lessons":
        return LESSONS
    return ""


def _day(when: datetime) -> str:
    return f"{when:%d/%m/%Y}"


def concern(session: Session) -> str:
    """The worry, dated from the day it was raised, with what has happened since."""
    worry = " ".join(session.scenario.worry.split())
    known = " ".join(" ".join(k.split()) for k in session.scenario.known)
    events = "; ".join(f"{_day(e.at)}: {e.text}" for e in significant(session.timeline))
    return (f"{_day(session.start)}: concern for {session.child.name}. {worry}"
            + (f" What we know: {known}" if known else "")
            + (f" Since then — {events}" if events else ""))


def disagreement(session: Session) -> str:
    """Who decided what (the other professional's decision) and the category it falls in."""
    scenario, policy = session.scenario, session.policy
    other = scenario.other.title or policy.role(scenario.other.role).title
    agency = policy.agency(scenario.other.agency).name
    category = next((c.text for c in policy.categories if c.id == scenario.category),
                    scenario.category)
    return (f"We challenge the decision of the {other} ({agency}), raised on "
            f"{_day(session.start)}. {category}")


def actions_here(session: Session) -> str:
    """The escalation's actions taken at the current step, dated."""
    texts = []
    current = session.ladder[0][1].id
    for event in session.timeline:
        if event.kind == "stage":
            current = event.data.get("step", current)
        elif (event.kind == "action" and current == session.step.id
              and event.data.get("action", {}).get("kind") in ACTION_KINDS):
            texts.append(f"{event.at:%d/%m/%Y %H:%M} {event.text}")
    return "; ".join(texts)


def chronology(session: Session) -> str:
    """Every significant event so far, each with its date and time."""
    events = significant(session.timeline)
    if not events:
        return ""
    return "Chronology: " + "; ".join(f"{e.at:%d/%m/%Y %H:%M} {e.text}" for e in events)


def chronology_record(policy: Policy) -> str | None:
    """The record a chronology entry goes on: the policy's chronology, else the case file."""
    for kind in ("chronology", "case_file"):
        found = next((r.id for r in policy.records if r.kind == kind), None)
        if found:
            return found
    return None
