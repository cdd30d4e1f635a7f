"""When an action duty became owed, when it is due and when it was done, in one place.

A duty of the `action` judge ("inform the referrer within 1 working day of the manager's
reply", "a fresh referral immediately on new information", "a letter within 2 working days
of the outcome") has one clock per moment its trigger fires (`Session.moments`). Scoring,
the scripted players, the deadline bar and the stress table all read the clocks from here,
so what counts as done, and by when, is decided once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from scenarios.conditions import facts_of
from scenarios.policy_schema import Condition, Duty
from sim.timeline import Event

if TYPE_CHECKING:
    from sim.session import Session

LADDER_RELATIONS = ("counterpart", "own_side")  # a contact on the escalation ladder


@dataclass(frozen=True)
class Clock:
    since: datetime  # the moment the trigger fired
    due: datetime | None  # None: the duty has no `by` (owed before the exercise ends)
    done: datetime | None  # the first satisfying action after `since`


def satisfies(session: Session, kinds: set[str], event: Event) -> bool:
    """Whether a timeline action satisfies a duty of these action kinds. A contact counts
    as `contact_any`; as `contact_ladder` on the ladder (the counterpart, or one's own side);
    as `contact_childrens_services` to a role of children's services. A referral counts only
    when a service took it: not a closed line, nor a front door that redirects a child who
    lives in another authority."""
    kind = event.data.get("action", {}).get("kind", "")
    if kind == "contact":
        role = event.data.get("role", "")
        policy = session.policy
        agency = policy.role(role).agency if role in policy.role_ids() else ""
        social_care = bool(agency) and policy.agency(agency).kind == "childrens_services"
        return ("contact_any" in kinds
                or ("contact_ladder" in kinds and event.data.get("relation") in LADDER_RELATIONS)
                or ("contact_childrens_services" in kinds and social_care))
    if kind == "refer":
        return "refer" in kinds and referral_taken(session, event)
    return kind in kinds


def referral_taken(session: Session, event: Event) -> bool:
    """A referral action that a service answered at that moment."""
    role = event.data.get("role")
    return any(e.kind == "referred" and e.data.get("answered") and e.at == event.at
               and e.data.get("role") == role for e in session.timeline)


def clocks(session: Session, duty: Duty) -> list[Clock]:
    """One clock per moment the duty's trigger fired in the case so far."""
    kinds = set(duty.satisfied_by)
    actions = [e for e in session.timeline if e.kind == "action"]
    out = []
    for since in session.moments(duty.trigger):
        due = session.due_from(duty.by, since) if duty.by else None
        done = next((e.at for e in actions if e.at >= since and satisfies(session, kinds, e)),
                    None)
        out.append(Clock(since, due, done))
    return out


def case_meets(session: Session, condition: Condition | None) -> bool:
    """Whether the case's facts (plan, allocation, level of need, a police matter known)
    meet a duty's ``only_if``."""
    return facts_of(session.scenario, session.police_matter).meets(condition)


def named_for(session: Session, duty: Duty) -> bool:
    """Whether the trainee's seat is among those the duty names (`roles`, `agencies`; none
    named: whoever holds the case) and the case meets its ``only_if``. Scoring, the players
    and the bar all ask this; a `seat` narrowed by the representation table is scoring's."""
    seat = session.scenario.seat
    if (duty.roles and seat.role not in duty.roles) or (
            duty.agencies and seat.agency not in duty.agencies):
        return False
    return case_meets(session, duty.only_if)


def owed_by_seat(session: Session, duty: Duty) -> bool:
    """`named_for`, and the case's outcome calls for it (`if_resolved_at`)."""
    if not named_for(session, duty):
        return False
    if not duty.if_resolved_at:
        return True
    resolved = session.resolved_at if session.status == "resolved" else None
    stage = next((st.id for st, step in session.ladder if step.id == resolved), None)
    return duty.owed_for_outcome(stage, resolved)


def open_clocks(session: Session) -> list[tuple[Duty, Clock]]:
    """The dated action duties the seat owes now and has not yet done, soonest first (what
    the deadline bar shows beside the ladder)."""
    out = [(duty, clock) for duty in session.policy.duties
           if duty.judge == "action" and duty.by is not None and duty.seat == "any"
           and owed_by_seat(session, duty)
           for clock in clocks(session, duty) if clock.done is None and clock.due is not None]
    return sorted(out, key=lambda pair: pair[1].due or pair[1].since)
