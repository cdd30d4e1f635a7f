"""What the trainee can see now: the clock, the case, the inbox, deadlines and choices.

Built from a `Session` on demand; the TUI renders it and scripted players decide from it,
so nothing a trainee sees is computed anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from scenarios.case_deadlines import PARTIES
from sim import actions as A
from sim.duty_clock import open_clocks
from sim.labels import procedure_item_label
from sim.timeline import INBOX_KINDS, Event
from sim.verdicts import (
    BREACHED,
    OPEN,
    dated_items,
    procedure_items,
    procedure_verdicts,
    session_verdicts,
    shown,
)

if TYPE_CHECKING:
    from scenarios.policy_schema import Step
    from sim.session import Session


@dataclass(frozen=True)
class DeadlineView:
    item: str
    stage: str
    label: str
    due: datetime | None
    working_days_left: int | None
    state: str  # "met", "breached", "open", "pending" (anchor not reached), "moot",
    # "guide" (a guide passed: shown, not penalised)
    policy_text: str
    awaiting: str = ""  # a deadline set during the case, not yet set: "to be set by …"


@dataclass(frozen=True)
class ActionOption:
    group: str
    label: str
    action: A.Action


@dataclass(frozen=True)
class Observation:
    now: datetime
    office_hours: bool
    working_day: bool
    status: str
    stage_id: str
    stage_name: str
    step_id: str
    step_action: str
    your_roles: list[str]
    their_roles: list[str]
    immediate_risk: bool
    facts: dict[str, str]
    known: list[str]
    messages: list[Event]
    deadlines: list[DeadlineView]
    options: list[ActionOption] = field(default_factory=list)
    also_due: list[DeadlineView] = field(default_factory=list)
    """Dated duties beside the ladder still to do: a sub-procedure's steps, and what an
    event of the case set off (a fresh referral, a letter after the outcome), soonest first."""


def observe(session: Session) -> Observation:
    stage, step = session.stage, session.step
    scenario, policy = session.scenario, session.policy
    category = next((c.text for c in policy.categories if c.id == scenario.category),
                    scenario.category)
    facts = {
        "Child": f"{session.child.name}, {session.child.age_text}",
        "Level of need": scenario.level_of_need.replace("_", " ").upper()
        if scenario.level_of_need.startswith("s") else scenario.level_of_need.replace("_", " "),
        "Plan": {"none": "no CP plan, not looked after", "CPP": "Child Protection Plan",
                 "CLA": "Child Looked After"}[scenario.plan_status],
        "Disagreement": category,
        "Your seat": f"{session.seat_title} ({policy.agency(scenario.seat.agency).name})",
        "Other professional": f"{policy.role(scenario.other.role).title} "
                              f"({policy.agency(scenario.other.agency).name})",
    }
    return Observation(
        now=session.now,
        office_hours=session.cal.is_office_hours(session.now),
        working_day=session.cal.is_working_day(session.now.date()),
        status=session.status,
        stage_id=stage.id,
        stage_name=stage.name,
        step_id=step.id,
        step_action=step.action,
        your_roles=step.roles_for(scenario.seat.agency),
        their_roles=step.roles_for(scenario.other.agency),
        immediate_risk=session.immediate_risk,
        facts=facts,
        known=[*scenario.known, *(e.text for e in session.timeline
                                  if e.kind in ("new_information", "injury", "disclosure"))],
        messages=[e for e in session.timeline if e.kind in INBOX_KINDS],
        deadlines=deadline_views(session),
        options=[] if session.finished else options(session),
        also_due=also_due(session),
    )


def deadline_views(session: Session) -> list[DeadlineView]:
    """Every dated step and stage with its verdict now, as `sim.verdicts` (and so the
    debrief) decides it."""
    views = []
    for (item, stage, step, _index, deadline, _final), (_, state, due) in zip(
            dated_items(session.ladder), session_verdicts(session), strict=True):
        label = step.action if item == step.id else f"{stage.name} concluded"
        if stage.decided_by:
            label += f" (decided by {session.deciders_words(stage)})"
        if stage.on_timeout == "escalate" and deadline is stage.governing_deadline():
            label += " (escalates automatically)"
        views.append(DeadlineView(item, stage.id, label, due, _days_left(session, due),
                                  shown(state, deadline), deadline.text or "",
                                  _awaiting(session, step, deadline.set_by, due)))
    return views


def also_due(session: Session) -> list[DeadlineView]:
    """What is due beside the ladder and not yet done, as the judges will hold it: each
    started sub-procedure's steps (`sim.verdicts.procedure_verdicts`) and each open clock of
    a dated action duty (`sim.duty_clock`), soonest first."""
    views = []
    for procedure, item, state, due, done in procedure_verdicts(session):
        if state in (OPEN, BREACHED) and done is None:
            label = procedure_item_label(session.policy, item) or procedure.title
            deadline = next(d for p, i, _s, d in procedure_items(session.policy)
                            if p is procedure and i == item)
            views.append(DeadlineView(item, procedure.id, label, due,
                                      _days_left(session, due), shown(state, deadline),
                                      deadline.text or ""))
    for duty, clock in open_clocks(session):
        if duty.by is None or clock.due is None:
            continue  # open_clocks gives dated ones only; this tells the type checker
        state = OPEN if clock.due > session.now else BREACHED
        views.append(DeadlineView(duty.id, "", session.policy.rule(duty.rule).title,
                                  clock.due, _days_left(session, clock.due),
                                  shown(state, duty.by), duty.by.text or ""))
    return sorted(views, key=lambda v: v.due or session.now)


def _awaiting(session: Session, step: Step, set_by: str | None, due: datetime | None
              ) -> str:
    """Who will set a deadline the policy leaves to be set during the case, until they do."""
    if set_by is None or due is not None:
        return ""
    if set_by == PARTIES:
        them = step.roles_for(session.scenario.other.agency) or [session.scenario.other.role]
        return "to be agreed with " + session.title_of(them[0])
    return f"to be set by {session.title_of(set_by)}"


def _days_left(session: Session, due: datetime | None) -> int | None:
    if due is None:
        return None
    return session.cal.working_days_between(session.now.date(), due.date())


def options(session: Session) -> list[ActionOption]:
    """Everything the trainee could do now, grouped for menus."""
    policy, scenario = session.policy, session.scenario
    out: list[ActionOption] = []
    emergency = session._emergency_roles()
    for role in policy.roles:
        if role.id == scenario.seat.role or role.id in emergency:
            continue
        agency = policy.agency(role.agency).name
        out.append(ActionOption("contact", f"{agency}: {role.title}",
                                A.Contact(role=role.id)))
    for role_id in sorted(emergency):
        out.append(ActionOption("refer", f"Refer to {policy.role(role_id).title}",
                                A.Refer(role=role_id)))
    if session.status == "open" and session.step_index + 1 < len(session.ladder):
        for stage, step in session.ladder[session.step_index + 1:]:
            out.append(ActionOption("escalate", f"Escalate to {stage.name}: {step.action}",
                                    A.Escalate(to_step=step.id)))
    out.append(ActionOption("meeting", "Convene a professionals meeting",
                            A.ProfessionalsMeeting(decision="convene")))
    out.append(ActionOption("meeting", "Record that a professionals meeting is not needed",
                            A.ProfessionalsMeeting(decision="not_needed")))
    # Offered in every case: knowing *when* a notification applies (a child on a plan or
    # looked after) is what the trainee is tested on.
    for note in policy.notifications:
        title = policy.role(note.role).title
        words = (f"Send a copy to the {title} (for information)" if note.at_stage
                 else f"Notify the {title}")
        out.append(ActionOption("notify", words, A.Notify(notification=note.id)))
    for record in policy.records:
        if record.kind != "written_confirmation":
            out.append(ActionOption("record", f"Record: {record.title}",
                                    A.Record(record=record.id)))
    if session.status == "open" and session.accepting_offered():
        them = session.title_of(scenario.other.role)
        out.append(ActionOption("accept", f"Accept the view of {them} (say why)",
                                A.AcceptView(reason="(reason to be given)")))
    # Offered in every case, like notifications: knowing which matter is not a
    # professional disagreement is the test.
    for route in policy.outside_routes:
        out.append(ActionOption("route", f"{route.action} ({route.to})",
                                A.UseRoute(route=route.id)))
    out.append(ActionOption("communicate", "Inform the referrer", A.InformReferrer()))
    out.append(ActionOption("communicate", "Confirm the agreed outcome in writing",
                            A.ConfirmOutcome()))
    out.append(ActionOption("time", "Wait for the next thing to happen", A.Wait()))
    out.append(ActionOption("time", "Wait one hour", A.Wait(hours=1)))
    out.append(ActionOption("finish", "Finish the exercise", A.Finish()))
    return out
