"""Turn a policy's deadlines into due instants on the working calendar.

Every timescale a trainee is judged by comes through here, read the way the policy file
says ("Day N" under its `day_reading`), so that scoring never hard-codes a number of days.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from scenarios.case_deadlines import PARTIES, for_case
from scenarios.policy_schema import Condition, DayUnit, Deadline, Policy, Procedure, Step
from sim.calendar import WorkingCalendar
from sim.labels import item_label


@functools.cache
def _calendar(start: time, end: time) -> WorkingCalendar:
    return WorkingCalendar(office_start=start, office_end=end)


def calendar_for(policy: Policy) -> WorkingCalendar:
    """One shared calendar per set of office hours (building one scans 18 years)."""
    return _calendar(policy.office_hours.start, policy.office_hours.end)


def with_reading(policy: Policy, day_unit: DayUnit) -> Policy:
    """The same policy read with "Day N" counted in another unit (for what-if comparisons)."""
    reading = policy.day_reading.model_copy(update={"day_unit": day_unit})
    return policy.model_copy(update={"day_reading": reading})


def due_at(
    deadline: Deadline,
    policy: Policy,
    anchors: dict[str, datetime],
) -> datetime | None:
    """The instant a deadline expires, or None while its anchor has not happened yet.

    ``anchors`` maps ``start``, step/stage ids and ``event:NAME`` to when they happened.
    """
    anchor = anchors.get(deadline.after)
    if anchor is None:
        return None
    cal = calendar_for(policy)
    options = [due_at(option, policy, anchors) for option in deadline.earliest_of]
    own = _own_due(deadline, policy, cal, anchor)
    candidates = [d for d in (own, *options) if d is not None]
    return min(candidates) if candidates else None


def _own_due(
    deadline: Deadline, policy: Policy, cal: WorkingCalendar, anchor: datetime
) -> datetime | None:
    reading = policy.day_reading
    if deadline.day is not None:
        return cal.day_n_deadline(anchor, deadline.day, reading.day_unit, reading.day_one)
    unit, amount = deadline.unit, deadline.within or 0
    if unit is None:
        return None
    if unit == "asap":
        return _close_after_working_days(cal, anchor, reading.asap_working_days)
    if unit == "same_working_day":
        return cal.same_working_day_cutoff(anchor)
    if unit == "working_days":
        if deadline.after == "start":
            # Counted from when the concern is raised: the policy's "Day 1" reading applies
            # ("within 2 working days" of Friday, Day 1 being that Friday, ends Monday).
            return cal.day_n_deadline(anchor, max(round(amount), 1), "working_days",
                                      reading.day_one)
        return _close_after_working_days(cal, anchor, round(amount))
    if unit == "calendar_days":
        day_end = datetime.combine(anchor.date(), time()) + timedelta(days=int(amount) + 1)
        return day_end
    if unit == "working_hours":
        return cal.add_working_hours(anchor, amount)
    return anchor + timedelta(hours=amount)


def _close_after_working_days(cal: WorkingCalendar, anchor: datetime, n: int) -> datetime:
    """Close of office on the n-th working day after the anchor's date (0: the same day)."""
    if n <= 0:
        return cal.same_working_day_cutoff(anchor)
    day = cal.add_working_days(cal.next_working_day(anchor.date()), n - 1)
    return datetime.combine(day, cal.office_end)


def describe_deadline(deadline: Deadline) -> str:
    """Plain words for a deadline, as shown in ladders and deadline bars."""
    parts: list[str] = []
    if deadline.day is not None:
        parts.append(f"Day {deadline.day}")
    elif deadline.unit == "asap":
        parts.append("as soon as possible")
    elif deadline.unit == "same_working_day":
        parts.append("same working day")
    elif deadline.unit is not None:
        amount = f"{deadline.within:g}"
        prefix = "as soon as possible and within " if deadline.asap else "within "
        parts.append(f"{prefix}{amount} {deadline.unit.replace('_', ' ')}")
    if deadline.after != "start" and deadline.unit is not None and deadline.set_by is None:
        parts[-1] += f" of {deadline.after}"
    if deadline.earliest_of:
        alternatives = " / ".join(describe_deadline(d) for d in deadline.earliest_of)
        parts.append(f"whichever is sooner of: {alternatives}")
    if deadline.set_by is not None and parts:
        parts[-1] = f"set by {deadline.set_by} during the case (typically {parts[-1]})"
    if deadline.by_priority:
        tiers = " / ".join(f"{p}: {describe_deadline(d)}" for p, d in deadline.by_priority.items())
        parts.insert(0, f"by priority: {tiers}")
    return "; ".join(parts)


@dataclass(frozen=True)
class DueItem:
    stage: str
    step: str | None
    label: str
    rule_text: str
    due: datetime | None
    advisory: bool = False  # "as a guide": shown, never penalised
    only_if: str | None = None  # a conditional step, stage or route: "only where …"


def policy_deadlines(policy: Policy, start: datetime, priority: str | None = None
                     ) -> list[DueItem]:
    """Due instants of every stage and step if each step completes exactly at its deadline.

    That worst-case chain is what a policy author asks: "if every stage uses its full
    allowance, when is each one due?" Read for a case of ``priority`` (default: the
    policy's default priority). A deadline set during the case has no date here: its
    words say who sets it and what they typically set.
    """
    policy = for_case(policy, priority)
    anchors: dict[str, datetime] = {"start": start}
    items: list[DueItem] = []
    for number, stage in enumerate(policy.stages):
        auto = stage.on_timeout == "escalate" and number + 1 < len(policy.stages)
        last = stage.steps[-1]
        for step in stage.steps:
            if step is last and step.deadline is None and stage.deadline is not None:
                continue  # the stage's deadline is this step's: one row, the stage's below
            due = due_at(step.deadline, policy, anchors) if step.deadline else None
            where = _only_if(step.only_if or stage.only_if)
            label = _with(step.action + carried_words(policy, step), where)
            if auto and not stage.deadline and step is last:
                label += _AUTO
            items.append(DueItem(stage.id, step.id, label, _text(step.deadline, policy), due,
                                 _guide(step.deadline), where))
            anchors[step.id] = due or anchors.get(step.id) or _latest(anchors)
        if stage.deadline:
            due = due_at(stage.deadline, policy, anchors)
            # The stage's deadline is its last step's: say who carries that step out.
            by = carried_words(policy, last) if last.deadline is None else ""
            where = _only_if(stage.only_if)
            label = _with(f"{stage.name} concluded{by}", where) + (_AUTO if auto else "")
            items.append(DueItem(stage.id, None, label, _text(stage.deadline, policy), due,
                                 stage.deadline.advisory, where))
            anchors[stage.id] = due or _latest(anchors)
            # The step that concludes the stage is due when the stage is (a later deadline
            # may count "after" that step).
            anchors.setdefault(last.id, anchors[stage.id])
        else:
            anchors[stage.id] = _latest(anchors)
        items += _stage_copies(policy, stage.id, anchors)
    if policy.total_cap:
        due = due_at(policy.total_cap, policy, anchors)
        items.append(DueItem("total", None, "All stages concluded", _text(policy.total_cap),
                             due, policy.total_cap.advisory))
    return items


def _only_if(condition: Condition | None) -> str | None:
    """A conditional item's words ("only where the child is on a child protection plan"):
    a case that does not match never owes it."""
    return condition.words if condition is not None else None


def _with(label: str, where: str | None) -> str:
    return f"{label} ({where})" if where else label


_AUTO = " (if no response: escalates automatically to the next stage)"


def _stage_copies(policy: Policy, stage_id: str, anchors: dict[str, datetime]
                  ) -> list[DueItem]:
    """The notify-only copies owed at a stage, due with the stage (or their ``by_step``)."""
    stage = policy.stage(stage_id)
    out = []
    for note in policy.notifications:
        if note.at_stage != stage_id:
            continue
        step = next((s for _, s in policy.steps() if s.id == note.by_step), None)
        deadline = step.deadline if step else stage.governing_deadline()
        due = due_at(deadline, policy, anchors) if deadline else None
        out.append(DueItem(stage_id, note.id, f"Copy to the "
                           f"{policy.role(note.role).title} (for information)",
                           _text(deadline), due))
    return out


def tiered_deadlines(policy: Policy, start: datetime, priority: str | None = None
                     ) -> list[tuple[str | None, DueItem]]:
    """`policy_deadlines` for every priority tier, as `escalate deadlines` lists them: an
    item the same for every priority once (priority None), one that differs once per
    priority. With ``priority`` (or a policy without priorities), that one reading only."""
    if priority is not None or not policy.priorities:
        return [(priority, item) for item in policy_deadlines(policy, start, priority)]
    tiers = [(p.id, policy_deadlines(policy, start, p.id)) for p in policy.priorities]
    out: list[tuple[str | None, DueItem]] = []
    for row in zip(*(items for _, items in tiers), strict=True):
        if all(item == row[0] for item in row):
            out.append((None, row[0]))
        else:
            out += [(tier_id, item) for (tier_id, _), item in zip(tiers, row, strict=True)]
    return out


def carried_words(policy: Policy, step: Step) -> str:
    """" (carried out by X on your behalf)" for a step another role carries out for the
    raiser (`Step.carried_out_by`), else "": the deadline list and the ladder table say
    who takes the step, so a trainee knows to ask them."""
    if not step.carried_out_by or step.carried_out_by not in policy.role_ids():
        return ""
    return f" (carried out by {policy.role(step.carried_out_by).label} on your behalf)"


def _guide(deadline: Deadline | None) -> bool:
    return deadline is not None and deadline.advisory


def procedure_deadlines(policy: Policy, procedure: Procedure, event_at: datetime,
                        priority: str | None = None) -> list[DueItem]:
    """A sub-procedure's deadlines if its event happens at ``event_at`` and each step is
    taken exactly when due: its own clock ("start" is the event), as the Session counts it."""
    policy = for_case(policy, priority)
    procedure = next(p for p in policy.procedures if p.id == procedure.id)
    anchors: dict[str, datetime] = {"start": event_at,
                                    f"event:{procedure.starts_on}": event_at}
    items: list[DueItem] = []
    for stage in procedure.stages:
        for step in stage.steps:
            due = due_at(step.deadline, policy, anchors) if step.deadline else None
            items.append(DueItem(procedure.id, step.id, f"{procedure.title}: {step.action}",
                                 _text(step.deadline), due))
            anchors[step.id] = due or _latest(anchors)
        if stage.deadline:
            due = due_at(stage.deadline, policy, anchors)
            items.append(DueItem(procedure.id, None, f"{procedure.title}: {stage.name} "
                                 "concluded", _text(stage.deadline), due))
        anchors[stage.id] = _latest(anchors)
    return items


TRIGGER_WORDS = {
    "disagreement_raised": "the disagreement is raised",
    "immediate_risk_known": "immediate risk is known",
    "new_information": "new information signals significant harm",
    "resolved": "the disagreement is resolved",
}


def trigger_words(policy: Policy, trigger: str) -> str:
    """A duty's trigger in words ("the case reaches Stage 2", "the first reply from …")."""
    if trigger in TRIGGER_WORDS:
        return TRIGGER_WORDS[trigger]
    kind, _, ref = trigger.partition(":")
    if kind == "entered":
        return f"the case reaches {item_label(policy.steps(), ref)}"
    if kind == "reply":
        title = next((r.title for r in policy.roles if r.id == ref), ref)
        return f"the first reply from the {title}"
    return f"'{ref.replace('_', ' ')}' happens"


def event_deadlines(policy: Policy, event_at: datetime) -> list[DueItem]:
    """Dated duties whose clock starts at an event of the case rather than on the ladder (a
    letter after the outcome, a fresh referral on new information, a matter's own route, a
    notification by a step's deadline): each due as if its event happened at ``event_at``
    (a notification: by its step's due in `policy_deadlines` from then)."""
    items: list[DueItem] = []
    dues = policy_deadlines(policy, event_at)
    ladder = {i.step: i for i in dues if i.step}
    for stage in policy.stages:  # a stage's last step is held to the stage's deadline
        row = next((i for i in dues if i.stage == stage.id and i.step is None), None)
        if row is not None:
            ladder.setdefault(stage.steps[-1].id, row)
    for duty in policy.duties:
        if duty.judge != "action" or duty.by is None:
            continue
        when = trigger_words(policy, duty.trigger)
        if duty.if_resolved_at:
            where = " or ".join(item_label(policy.steps(), i) for i in duty.if_resolved_at)
            when += f" at {where} (only then)"
        items.append(DueItem(f"event:{duty.trigger}", duty.id, policy.rule(duty.rule).title,
                             f"{_text(duty.by)}, from when {when}",
                             due_at(duty.by, policy, {"start": event_at}), duty.by.advisory))
    for route in policy.outside_routes:
        if route.deadline is not None:
            # A route alongside the ladder is owed only where the case's matter applies.
            where = (f"alongside the ladder, only where '{route.matter}' applies"
                     if route.alongside else None)
            items.append(DueItem(f"event:{route.matter}", route.id, _with(route.action, where),
                                 f"{_text(route.deadline)}, from when the "
                                 f"{route.matter.replace('_', ' ')} is known",
                                 due_at(route.deadline, policy, {"start": event_at}),
                                 route.deadline.advisory, where))
    for note in policy.notifications:
        step = ladder.get(note.by_step) if note.by_step else None
        if step is not None and note.at_stage is None:  # a stage's copy is listed there
            plans = " or ".join(note.when_plan_status)
            items.append(DueItem("event:plan", note.id,
                                 f"Notify the {policy.role(note.role).title}",
                                 f"by the deadline of '{step.label}', where the child's plan "
                                 f"is {plans}", step.due))
    return items


def _latest(anchors: dict[str, datetime]) -> datetime:
    return max(anchors.values())


def _text(deadline: Deadline | None, policy: Policy | None = None) -> str:
    if deadline is None:
        return ""
    words = deadline.text or describe_deadline(deadline)
    if deadline.set_by is not None and policy is not None:
        words = f"{words}: {set_by_words(deadline, policy)}"
    return f"{words} (guide)" if deadline.advisory else words


def set_by_words(deadline: Deadline, policy: Policy) -> str:
    """How a deadline set during the case is listed before it is set: who sets it and what
    they typically set, counted from then."""
    who = ("agreed by the parties" if deadline.set_by == PARTIES else
           f"set by the {policy.role(deadline.set_by).title}"
           if deadline.set_by in policy.role_ids() else f"set by {deadline.set_by}")
    amount = f"{deadline.within:g} {(deadline.unit or '').replace('_', ' ')}"
    return f"{who} during the case (typically {amount} from then)"
