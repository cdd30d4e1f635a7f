"""The policy's own forms filled from a session: Appendix 1 (Escalation Summary Log) and the
Appendix 2 stage report.

Columns and fields are the record type's ``fields`` in the policy file, in order. Values the
trainee typed (a record's ``fields``) win; the rest are filled from the case so a trainee sees
what a complete form holds. Roles only: names and e-mail addresses of professionals are never
invented.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scenarios.policy_schema import RecordType
from sim.session import Session

LEVELS = {"universal": "Universal", "early_help": "Early Help", "s17": "S17", "s47": "S47"}
WITHHELD = "(role only: names and e-mail addresses are not used in training)"


def record_type(session: Session, kind: str) -> RecordType | None:
    return next((r for r in session.policy.records if r.kind == kind), None)


def _entries(session: Session, record_id: str) -> list[dict[str, Any]]:
    return [r for r in session.records if r["record"] == record_id]


def _category(session: Session) -> str:
    return next((c.text for c in session.policy.categories
                 if c.id == session.scenario.category), session.scenario.category)


# A school or early-years agency in a fictional case: (the trainee's own, someone else's).
GENERIC_ORGANISATIONS = {"school": ("your school", "the school"),
                         "early_years": ("your setting", "the setting")}


def organisation(session: Session, agency_id: str) -> str:
    """How debriefs and forms name an agency of a fictional case: the scenario's own name for
    it when it gives one, else "your school" / "the setting" for a school or early-years
    agency (the policy's adopter is a real organisation, and the case did not happen there),
    else the agency's name (Children's Services, Health, the police force)."""
    scenario = session.scenario
    for seat in (scenario.seat, scenario.other, scenario.referrer):
        if seat is not None and seat.agency == agency_id and seat.organisation:
            return seat.organisation
    agency = session.policy.agency(agency_id)
    generic = GENERIC_ORGANISATIONS.get(agency.kind)
    if generic is None:
        return agency.name
    return generic[0] if agency_id == scenario.seat.agency else generic[1]



def _actions_at(session: Session, step_id: str, until: datetime) -> str:
    texts = []
    current = session.ladder[0][1].id
    for event in session.timeline:
        if event.at > until:
            break
        if event.kind == "stage":
            current = event.data.get("step", current)
        elif event.kind == "action" and current == step_id:
            kind = event.data.get("action", {}).get("kind")
            if kind in ("contact", "refer", "escalate", "professionals_meeting", "notify"):
                texts.append(f"{event.at:%d/%m %H:%M} {event.text}")
    return "; ".join(texts)


# ---------------------------------------------------------------------- hints

PART_HINTS = {
    "concern": "What worries you about the child, with dated facts (dd/mm/yyyy)",
    "disagreement": "Who decided what, and when; the kind of disagreement",
    "outcome": "Resolved, or not resolved (escalated / referred)",
    "next_steps": "Who will do what next, and by when",
    "lessons": "What you would do again, or differently",
    "optional": "(optional)",
}


def hints(session: Session, record_id: str) -> dict[str, str]:
    """A placeholder for each field the trainee writes: what belongs there, and for the
    actions the dated actions taken at this step so far (facts, offered, never filled)."""
    record = session.policy.record(record_id)
    out = {}
    for key, part in record.written.items():
        if part == "actions":
            done = _actions_at(session, session.step.id, session.now)
            out[key] = f"What you did: {done}" if done else "What you did, with dates"
        elif part == "outcome" and not record.written_keys("next_steps"):
            out[key] = f"{PART_HINTS['outcome']}; and what happens next"
        else:
            out[key] = PART_HINTS[part]
    return out


# ---------------------------------------------------------------------- Appendix 1


def appendix1_rows(session: Session) -> tuple[list[str], list[dict[str, str]]]:
    """Columns and one row per Escalation Summary Log entry the trainee made."""
    log = record_type(session, "summary_log")
    if log is None:
        return [], []
    columns = list(log.field_keys)
    rows = []
    for number, entry in enumerate(_entries(session, log.id), start=1):
        derived = {
            "escalation number": f"{organisation(session, session.scenario.seat.agency)} / "
                                 f"{session.scenario.id}-{session.seed}-{number}",
            "child name": f"{session.child.name} / DOB not recorded / {session.child.age_text}",
            "level of need": LEVELS.get(session.scenario.level_of_need,
                                        session.scenario.level_of_need),
        }
        row = {}
        for column in columns:
            value = entry.get("fields", {}).get(column)
            if value is None and column not in log.written:
                value = next((v for k, v in derived.items() if k in column.lower()), "")
            row[column] = value or ""
        if entry.get("text") and log.written_keys("actions"):
            column = log.written_keys("actions")[0]
            row[column] = "; ".join(x for x in (row[column], entry["text"]) if x)
        rows.append(row)
    return columns, rows


# ---------------------------------------------------------------------- Appendix 2


def appendix2_fields(session: Session) -> list[tuple[str, str]]:
    """The stage report's fields in the source form's order, filled (latest entry wins)."""
    report = record_type(session, "stage_report")
    if report is None:
        return []
    entries = _entries(session, report.id)
    typed: dict[str, str] = {}
    for entry in entries:
        typed.update(entry.get("fields", {}))
    latest = entries[-1] if entries else None
    scenario, policy = session.scenario, session.policy
    seat_role = policy.role(scenario.seat.role)
    contacted = []
    for event in session.timeline:
        role = event.data.get("role") if event.kind == "action" else None
        if role and role not in contacted:
            contacted.append(role)
    others = "; ".join(policy.role(r).title for r in contacted) or policy.role(
        scenario.other.role).title
    first_contact = next((e.at for e in session.timeline if e.kind == "action"
                          and e.data.get("action", {}).get("kind") == "contact"), None)
    channels = sorted({e.data["action"].get("channel", "") for e in session.timeline
                       if e.kind == "action" and e.data.get("action", {}).get("kind")
                       == "contact"} - {""})
    stages = [s.name for s in policy.stages if s.id in session.entered]
    resolved = next((st for st, s in session.ladder if s.id == session.resolved_at), None)
    role_values = [f"{seat_role.title}, {organisation(session, scenario.seat.agency)}",
                   f"{policy.role(scenario.other.role).title}, "
                   f"{organisation(session, scenario.other.agency)}"]
    derived = {
        "name of child": session.child.name,
        "date of birth": "not recorded (synthetic case)",
        "address": "not recorded (synthetic case)",
        "name and email": f"{session.seat_title} {WITHHELD}",
        "name(s) of other professionals": others,
        "level of need": LEVELS.get(scenario.level_of_need, scenario.level_of_need),
        "brief details": f"{_category(session)} {' '.join(scenario.worry.split())}".strip(),
        "date of discussion": f"{first_contact:%d/%m/%Y}" if first_contact else "",
        "methodology": "; ".join(x for x in (
            ", ".join(c.replace("email", "e-mail") for c in channels),
            " → ".join(stages)) if x),
        "resolved at": f"Level {resolved.number}" if resolved else "Not resolved",
        "lessons learned": latest.get("text", "") if latest else "",
        "form completed by": session.seat_title,
    }
    form_date = f"{datetime.fromisoformat(latest['at']):%d/%m/%Y}" if latest else ""
    out: list[tuple[str, str]] = []
    role_count = 0
    for field, key in zip(report.fields, report.field_keys, strict=True):
        if key in typed or key in report.written:
            out.append((key, typed.get(key, "")))
            role_count += field.lower() == "role and agency"
            continue
        low = field.lower()
        if low == "role and agency":
            value = role_values[min(role_count, 1)]
            role_count += 1
        elif low == "date":
            value = form_date
        elif low.startswith("date received") or low.startswith("outcome / issues"):
            value = ""  # completed by the partnership, not the trainee
        else:
            value = next((v for k, v in derived.items() if k in low), "")
        out.append((key, value))
    return out
