"""The generic judges: one function per kind of duty, for any policy.

A policy file lists its duties (`Policy.duties`); each names a judge kind and the rule it
cites. Which steps, stages, routes, records and notifications a duty covers is read from
the policy (the ones that list the rule), so a new partnership's procedure is judged with
no Python written, and every finding's wording comes from the policy's own titles, stage
names and duty text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from scenarios.policy_schema import Duty, Notification, OutsideRoute, Stage
from scoring import checks, recording
from scoring.checks import as_guide
from scoring.context import ActionEvent, Ctx
from scoring.model import Finding
from sim.duty_clock import clocks, named_for
from sim.verdicts import governing, penalised

Judge = Callable[[Ctx, Duty], list[Finding]]
JUDGES: dict[str, Judge] = {}


def judge(kind: str) -> Callable[[Judge], Judge]:
    def register(fn: Judge) -> Judge:
        JUDGES[kind] = fn
        return fn

    return register


# ---------------------------------------------------------------------- who owes it


def representative_seat(ctx: Ctx, rule_id: str) -> bool:
    """The trainee is named for their agency at a step listing the rule."""
    seat = ctx.scenario.seat
    return any(seat.role in ctx.mine(i) for i in checks.steps_listing(ctx, rule_id))


def staff_outside_table(ctx: Ctx) -> bool:
    """A school seat outside the safeguarding team (named nowhere in the table for school)."""
    seat = ctx.scenario.seat
    kind = ctx.policy.agency(seat.agency).kind
    named = {r for i in range(len(ctx.ladder)) for r in ctx.mine(i)}
    return kind == "school" and seat.role not in named


# Judges that hold a trainee to an open route (the immediate-risk route, fresh referrals,
# a matter's own route): owed whatever the case is. Every other duty is the ladder's.
NOT_LADDER = frozenset({"emergency_route", "outside_route"})


def ladder_duty(duty: Duty) -> bool:
    """A duty of the staged process for a professional disagreement."""
    if duty.judge in NOT_LADDER:
        return False
    return not (duty.judge == "action"
                and duty.trigger in ("immediate_risk_known", "new_information"))


def owes(ctx: Ctx, duty: Duty) -> bool:
    if ctx.scenario.matter != "disagreement" and ladder_duty(duty):
        return False  # an allegation or a complaint is judged by its own route
    if not named_for(ctx.session, duty):
        return False  # another role's or agency's, or owed only in other cases
    if duty.seat == "representative":
        return representative_seat(ctx, duty.rule)
    if duty.seat == "staff_outside_table":
        return staff_outside_table(ctx)
    return True


# ---------------------------------------------------------------------- judges


def triggers(ctx: Ctx, duty: Duty) -> list[datetime]:
    """Each moment the duty became owed (`Session.moments` decides)."""
    return ctx.session.moments(duty.trigger)


@judge("action")
def action_duty(ctx: Ctx, duty: Duty) -> list[Finding]:
    """Any of ``satisfied_by`` done after each trigger, by ``by`` if the duty has one (done
    late is minor; never done keeps the duty's severity)."""
    findings: list[Finding] = []
    for since, due, done in ((c.since, c.due, c.done) for c in clocks(ctx.session, duty)):
        expected = duty.expected or ""
        if due is not None:
            expected += f" Due by {ctx.fmt(due)}."
        if done is None:
            if ctx.session.finished_at is None and (due is None or due > ctx.end):
                continue  # not yet due at this moment of a case still being played
            findings.append(ctx.finding(duty.rule, duty.theme, due or ctx.end, expected,
                                        (duty.missing or "") + _not_taken(ctx, since),
                                        severity=duty.severity, item=duty.id))
        elif due is not None and done > due and duty.by is not None and not penalised(duty.by):
            ctx.notes.append(as_guide(ctx.finding(
                duty.rule, duty.theme, done, expected,
                f"Done {ctx.fmt(done)}, after {ctx.fmt(due)}.", item=duty.id)))
        elif due is not None and done > due:
            # Done, but late: one step below never doing it.
            owed = duty.severity or ctx.policy.rule(duty.rule).severity
            late = {"critical": "major"}.get(owed, "minor")
            findings.append(ctx.finding(duty.rule, duty.theme, done, expected,
                                        f"Done only {ctx.fmt(done)}, after {ctx.fmt(due)}.",
                                        severity=late, item=duty.id))
    return findings


def _not_taken(ctx: Ctx, since: datetime) -> str:
    """Referrals tried since the trigger that no service took, and why (for the finding)."""
    tried = [r for r in ctx.referrals if r.at >= since and not r.answered]
    if not tried:
        return ""
    why = {e.data.get("role"): e.text for e in ctx.session.timeline
           if e.data.get("redirected")}
    parts = [why.get(r.role) or f"{ctx.role_title(r.role)} at {ctx.fmt(r.at)}: no answer"
             for r in tried]
    return " Referrals not taken: " + " ".join(
        p if p.endswith(".") else p + "." for p in parts)


@judge("emergency_route")
def emergency_route(ctx: Ctx, duty: Duty) -> list[Finding]:
    """Immediate risk: every required service, immediately; never the staged process."""
    route = ctx.session.emergency_route
    if route is None or duty.rule not in route.rules:
        return []
    ooh_rule = route.out_of_hours_rule
    if duty.rule == ooh_rule:
        return checks.route_findings(
            ctx, lambda leg: duty.rule if leg == "desk_out_of_hours" else None, None)
    return checks.route_findings(
        ctx, lambda leg: None if (ooh_rule and leg == "desk_out_of_hours") else duty.rule,
        staged_rule=duty.rule)


@judge("discussion")
def discussion(ctx: Ctx, duty: Duty) -> list[Finding]:
    """Stage deadline, and a discussion (phone or face to face): e-mail alone is minor."""
    findings = checks.deadline_findings(ctx, duty.rule)
    for index in checks.steps_listing(ctx, duty.rule):
        contacts = checks.contacted_at(ctx, index, ctx.right_roles(index))
        if not contacts or findings:
            continue
        if all(c.data.get("action", {}).get("channel") == "email" for c in contacts):
            findings.append(ctx.finding(
                duty.rule, "communication", contacts[0].at,
                "A discussion with the other professional by telephone or face to face.",
                "Raised by e-mail only.", stage=ctx.ladder[index][0].id, severity="minor"))
    return findings


@judge("consider_meeting")
def consider_meeting(ctx: Ctx, duty: Duty) -> list[Finding]:
    """Stage deadline, and a professionals meeting considered (convened, or recorded as not
    needed) while the case was at the step."""
    findings = checks.deadline_findings(ctx, duty.rule)
    for index in checks.steps_listing(ctx, duty.rule):
        stage, step = ctx.ladder[index]
        entered = ctx.session.entered.get(step.id)
        if entered is None or (ctx.risk_at is not None and ctx.risk_at <= entered):
            continue
        left = ctx.session.concluded.get(step.id) or ctx.end
        considered = [a for a in ctx.actions_of("professionals_meeting")
                      if entered <= a.at <= left]
        if not considered and (step.id in ctx.session.concluded or ctx.end > entered):
            finding = ctx.finding(
                duty.rule, "communication", left,
                f"At {ctx.label(step.id)}, a professionals meeting considered (convene it, or "
                "record that it is not needed).",
                "No professionals meeting was considered at this step.", stage=stage.id)
            findings.append(replace(finding, citation=_meeting_quote(ctx, duty.rule)))
    return findings


def _meeting_quote(ctx: Ctx, rule_id: str) -> str:
    """The rule's own sentence on the professionals meeting (one of its extra quotes), so
    the finding cites what it judges; the rule's quote when the policy quotes none."""
    rule = ctx.policy.rule(rule_id)
    return next((q for q in rule.extra_quotes if "professionals meeting" in q.lower()),
                rule.quote)


@judge("records")
def records(ctx: Ctx, duty: Duty) -> list[Finding]:
    """The step's records made. A summary log that a representative's collation duty covers
    is judged there, not twice."""
    collators = {d.rule for d in ctx.policy.duties if d.judge == "collate_log"}

    def collated_elsewhere(step_id: str, record_id: str) -> bool:
        step = next(s for _, s in ctx.ladder if s.id == step_id)
        summary = ctx.policy.record(record_id).kind == "summary_log"
        return summary and any(r in step.rules and representative_seat(ctx, r)
                               for r in collators)

    return checks.record_findings(ctx, duty.rule, skip=collated_elsewhere)


@judge("record_content")
def record_content(ctx: Ctx, duty: Duty) -> list[Finding]:
    """What the trainee wrote on the records citing the rule, check by check."""
    return recording.content_findings(ctx, duty.rule)


@judge("collate_log")
def collate_log(ctx: Ctx, duty: Duty) -> list[Finding]:
    findings: list[Finding] = []
    for index in checks.steps_listing(ctx, duty.rule):
        stage, step = ctx.ladder[index]
        if step.id not in ctx.session.entered:
            continue
        for record_id in step.records:
            record = ctx.policy.record(record_id)
            if record.kind == "summary_log" and not ctx.records_for(step.id, record_id):
                findings.append(ctx.finding(
                    duty.rule, "recording", ctx.session.concluded.get(step.id) or ctx.end,
                    f"The case collated on the {record.title} at {stage.name}.",
                    "Not recorded on the log at this stage.", stage=stage.id))
    return findings


@judge("notify")
def notify(ctx: Ctx, duty: Duty) -> list[Finding]:
    """Notifications citing the rule, for the plan statuses they name, by their step's due.

    Judged once the step is reached or its deadline has passed, and also when the trainee
    jumped past it (the duty does not lapse because a step was skipped)."""
    findings: list[Finding] = []
    for note in ctx.policy.notifications:
        if note.rule != duty.rule or ctx.scenario.plan_status not in note.when_plan_status:
            continue
        if note.at_stage is not None:
            findings += _stage_copy(ctx, duty, note)
            continue
        index = next((i for i, (_, s) in enumerate(ctx.ladder) if s.id == note.by_step), None)
        by = ctx.ladder[index] if index is not None else None
        due = ctx.due(governing(*by)) if by else None
        reached = index is not None and ctx.furthest >= index
        if not reached and not ctx.judged(due):
            continue
        sent = [a.at for a in ctx.actions_of("notify") if a.data.get("notification") == note.id]
        expected = (f"The {ctx.role_title(note.role)} notified (the child's plan: "
                    f"{ctx.scenario.plan_status})" + (f" by {ctx.fmt(due)}." if due else "."))
        if not sent:
            findings.append(ctx.finding(duty.rule, "communication", due or ctx.end, expected,
                                        f"The {ctx.role_title(note.role)} was never notified.",
                                        stage=by[0].id if by else None, item=note.id))
        elif due is not None and sent[0] > due:
            findings.append(ctx.finding(duty.rule, "communication", sent[0], expected,
                                        f"Notified only {ctx.fmt(sent[0])}.", severity="minor",
                                        item=note.id))
    return findings


def _stage_copy(ctx: Ctx, duty: Duty, note: Notification) -> list[Finding]:
    """A notify-only copy owed at one stage: sent while the case is at it (after entering
    it), by the stage's deadline (or ``by_step``'s); owed only once the case reached the
    stage before any immediate risk took it off the ladder."""
    stage = ctx.policy.stage(note.at_stage or "")
    entered = ctx.session.entered.get(stage.id)
    if entered is None or (ctx.risk_at is not None and ctx.risk_at <= entered):
        return []
    by_step = next((s for _, s in ctx.ladder if s.id == note.by_step), None)
    deadline = by_step.deadline if by_step else stage.governing_deadline()
    due = ctx.due(deadline)
    sent = [a.at for a in ctx.actions_of("notify")
            if a.data.get("notification") == note.id and a.at >= entered]
    title = ctx.role_title(note.role)
    expected = (f"At {stage.name}, a copy sent to the {title} for information"
                + (f" by {ctx.fmt(due)}." if due else "."))
    if not sent:
        if ctx.session.finished_at is None and (due is None or due > ctx.end):
            return []  # not yet due in a case still being played
        return [ctx.finding(duty.rule, "communication", due or ctx.end, expected,
                            f"No copy was sent to the {title} at {stage.name}.",
                            stage=stage.id, item=note.id)]
    if due is not None and sent[0] > due:
        return [ctx.finding(duty.rule, "communication", sent[0], expected,
                            f"Copied only {ctx.fmt(sent[0])}.", stage=stage.id,
                            severity="minor", item=note.id)]
    return []


def decided_item(stage: Stage) -> str:
    """The dated item a stage's decider is judged by: the stage's own deadline, else its
    last step's (`Stage.governing_deadline`)."""
    return stage.id if stage.deadline is not None else stage.steps[-1].id


@judge("decider")
def decider(ctx: Ctx, duty: Duty) -> list[Finding]:
    """At stages listing the rule that name who decides (`Stage.decided_by`): the decision
    brought to one of them (a contact) while the case was at the stage, before it concluded
    (escalated, or timed out) and by its deadline; never treated as resolved without them
    (accepting a view there). A raiser who is the decider owes nothing here."""
    findings: list[Finding] = []
    session = ctx.session
    for stage in ctx.policy.stages:
        entered = session.entered.get(stage.id)
        if (duty.rule not in stage.rules or not stage.decided_by or entered is None
                or ctx.scenario.seat.role in stage.decided_by
                or (ctx.risk_at is not None and ctx.risk_at <= entered)):
            continue
        names = session.deciders_words(stage)
        asked = [a.at for a in ctx.actions_of("contact")
                 if a.data.get("role") in stage.decided_by and a.at >= entered]
        first = asked[0] if asked else None
        due = ctx.due(stage.governing_deadline())
        expected = (f"At {stage.name}, the decision brought to {names}, whose decision it is"
                    + (f", by {ctx.fmt(due)}." if due else "."))
        here = {s.id for s in stage.steps}
        resolved = ctx.resolved_time if session.resolved_at in here else None
        if resolved is not None:
            if first is None or first > resolved:
                findings.append(ctx.finding(
                    duty.rule, "right_person", resolved, expected,
                    f"Treated as resolved at {stage.name} {ctx.fmt(resolved)} without the "
                    f"decision of {names}.", stage=stage.id, item=decided_item(stage)))
            continue
        left = session.concluded.get(stage.id)
        limits = [t for t in (due, left) if t is not None]
        if limits:
            limit = min(limits)
            if left is None and not ctx.judged(limit):
                continue  # not yet due, or the case closed or went to the risk route first
        elif session.finished_at is not None:
            limit = ctx.end
        else:
            continue
        if first is not None and first <= limit:
            continue
        observed = (f"First brought to {names} {ctx.fmt(first)}, too late."
                    if first is not None else f"Never brought to {names}.")
        findings.append(ctx.finding(duty.rule, "right_person", limit, expected, observed,
                                    stage=stage.id, item=decided_item(stage)))
    return findings


@judge("outcome_report")
def outcome_report(ctx: Ctx, duty: Duty) -> list[Finding]:
    """Resolved at a step listing the rule: the outcome reported on the stage report."""
    when = ctx.resolved_time
    step = next((s for _, s in ctx.ladder if s.id == ctx.session.resolved_at), None)
    if step is None or when is None or duty.rule not in step.rules:
        return []
    stage = next(st for st, s in ctx.ladder if s.id == step.id)
    findings: list[Finding] = []
    for record_id in step.records:
        record = ctx.policy.record(record_id)
        if record.kind != "stage_report":
            continue
        due = ctx.promptly_after(when)
        after = [t for t in ctx.all_records({record_id}) if t >= when]
        expected = f"The outcome reported on the {record.title} by {ctx.fmt(due)}."
        if not after:
            findings.append(ctx.finding(duty.rule, "recording", due, expected,
                                        "The outcome was not reported.", stage=stage.id))
        elif after[0] > due:
            findings.append(ctx.finding(duty.rule, "recording", after[0], expected,
                                        f"Reported only {ctx.fmt(after[0])}.", stage=stage.id))
    return findings


@judge("confirm_outcome")
def confirm_outcome(ctx: Ctx, duty: Duty) -> list[Finding]:
    """The agreed outcome, and how outstanding issues are pursued, confirmed in writing."""
    when = ctx.resolved_time
    if when is None:
        return []
    due = ctx.promptly_after(when)
    confirmed = [a.at for a in ctx.actions_of("confirm_outcome") if a.at >= when]
    expected = (f"Written confirmation between the parties of the agreed outcome and how "
                f"outstanding issues will be pursued, by {ctx.fmt(due)}.")
    if not confirmed:
        return [ctx.finding(duty.rule, "communication", due, expected,
                            "The agreed outcome was never confirmed in writing.")]
    if confirmed[0] > due:
        return [ctx.finding(duty.rule, "communication", confirmed[0], expected,
                            f"Confirmed only {ctx.fmt(confirmed[0])}.", severity="minor")]
    return []


@judge("line_management")
def line_management(ctx: Ctx, duty: Duty) -> list[Finding]:
    """At steps listing the rule, the seat's own named role involved when it is not the seat."""
    findings: list[Finding] = []
    seat = ctx.scenario.seat.role
    for index in checks.steps_listing(ctx, duty.rule):
        stage, step = ctx.ladder[index]
        mine = set(ctx.mine(index)) - {seat}
        if step.id not in ctx.session.entered or not mine or seat in ctx.mine(index):
            continue
        if checks.contacted_at(ctx, index, mine):
            continue
        names = " or ".join(ctx.role_title(r) for r in sorted(mine))
        findings.append(ctx.finding(
            duty.rule, "right_person", ctx.session.entered[step.id],
            f"At {stage.name}, involve {names} so the escalation is supported.",
            "Line management was not involved at this step.", stage=stage.id))
    return findings


@judge("respect_views")
def respect_views(ctx: Ctx, duty: Duty) -> list[Finding]:
    """Hear the other professional's reasons before accepting their view; where the scenario
    makes their view sound, accept it rather than push on up the ladder; where it is not
    sound, accepting it drops the concern (cited by the rule's first extra quote, the
    sentence on challenge)."""
    findings: list[Finding] = []
    scenario, session = ctx.scenario, ctx.session
    them = scenario.other.title or ctx.role_title(scenario.other.role)
    accepted = ctx.actions_of("accept_view")
    accept_at = accepted[0].at if accepted else None
    heard = session.rationale_heard_at
    asked = [a.at for a in ctx.actions_of("contact") if a.data.get("relation") == "counterpart"
             or a.data.get("role") == scenario.other.role]
    if accept_at is not None:
        unheard = (not any(t <= accept_at for t in asked)
                   or (scenario.other_view_sound and (heard is None or heard > accept_at)))
        if unheard:
            findings.append(ctx.finding(
                duty.rule, "communication", accept_at,
                f"Ask {them} for their reasons (by phone or face to face) before accepting "
                "or challenging their view.",
                "You accepted their view without ever hearing their reasons."))
        elif not scenario.other_view_sound:
            finding = ctx.finding(
                duty.rule, "safety", accept_at,
                "Where the decision leaves a worry for the child unanswered, challenge it "
                "through the procedure rather than let it drop.",
                "You accepted a view that left your concern for the child unanswered.")
            rule = ctx.policy.rule(duty.rule)
            if rule.extra_quotes:
                finding = replace(finding, citation=rule.extra_quotes[0])
            findings.append(finding)
    if scenario.other_view_sound and heard is not None:
        pushed = [a for a in ctx.actions if a.at >= heard
                  and (accept_at is None or a.at < accept_at) and _pushes_on(a)]
        if pushed:
            findings.append(ctx.finding(
                duty.rule, "right_person", pushed[0].at,
                f"Having heard {them}'s reasons, which are sound, accept their view and "
                "record why; the ladder is for disagreements that remain.",
                f"You pushed on up the ladder after hearing their reasons ({ctx.fmt(heard)}).",
                stage=ctx.stage_at(pushed[0].at)))
        elif accept_at is None and session.finished_at is not None and session.status == "open":
            findings.append(ctx.finding(
                duty.rule, "communication", ctx.end,
                f"Having heard {them}'s reasons, which are sound, accept their view and "
                "record why, so the disagreement is resolved.",
                "You heard their reasons but left the disagreement open."))
    return findings


def _pushes_on(action: ActionEvent) -> bool:
    """Taking the disagreement further: escalating, a ladder contact above the first step,
    or convening a professionals meeting."""
    if action.kind == "escalate":
        return True
    if action.kind == "contact" and action.data.get("relation") in ("counterpart", "own_side"):
        return max(action.step_index, int(action.data.get("step_index", 0))) > 0
    return action.kind == "professionals_meeting" and action.data.get("decision") == "convene"


@judge("outside_route")
def outside_route(ctx: Ctx, duty: Duty) -> list[Finding]:
    """A matter that is not a professional disagreement (an allegation against staff, a
    complaint) goes by the policy's own route for it, by the route's deadline from each
    moment it became known; where the case *is* that matter, taking it up the ladder
    instead is a finding too."""
    findings: list[Finding] = []
    for route in ctx.policy.outside_routes:
        if route.rule != duty.rule:
            continue
        for known in ctx.session.matter_moments(route.matter):
            findings.extend(_route_findings(ctx, duty, route, known))
    return findings


def _route_findings(ctx: Ctx, duty: Duty, route: OutsideRoute, known: datetime
                    ) -> list[Finding]:
    """One moment a matter became known: its route taken by the deadline from then."""
    findings: list[Finding] = []
    used = [a.at for a in ctx.actions_of("use_route")
            if a.data.get("route") == route.id and a.at >= known]
    done = used[0] if used else None
    due = ctx.session.due_from(route.deadline, known) if route.deadline else None
    expected = f"{route.action} ({route.to})" + (
        f", by {ctx.fmt(due)} ({route.deadline.text})." if due and route.deadline
        and route.deadline.text else (f", by {ctx.fmt(due)}." if due else "."))
    instead = ctx.scenario.matter == route.matter  # the whole case is this matter
    ladder = [a for a in ctx.actions if instead and (done is None or a.at < done)
              and _ladder_move(a)]
    if ladder:
        what = "; ".join(checks.describe_ladder_action(ctx, a) for a in ladder[:3])
        findings.append(ctx.finding(
            duty.rule, "right_person", ladder[0].at,
            f"This is not a professional disagreement: {expected[0].lower()}"
            f"{expected[1:]} Do not take it up the escalation ladder.",
            f"Took it up the ladder instead: {what}.", severity="major"))
    if done is None:
        if ctx.session.finished_at is None and (due is None or due > ctx.end):
            return findings  # not yet due in a case still being played
        findings.append(ctx.finding(duty.rule, duty.theme, due or ctx.end, expected,
                                    f"Never done: {route.action[0].lower()}"
                                    f"{route.action[1:]}.", item=route.id))
    elif due is not None and done > due:
        owed = duty.severity or ctx.policy.rule(duty.rule).severity
        findings.append(ctx.finding(
            duty.rule, duty.theme, done, expected,
            f"Done only {ctx.fmt(done)}, after {ctx.fmt(due)}.",
            severity={"critical": "major"}.get(owed, "minor"), item=route.id))
    return findings


def _ladder_move(action: ActionEvent) -> bool:
    """Escalating, contacting the other agency's ladder role, or convening a professionals
    meeting. Telling your own DSL, manager or head teacher is consultation, as on the
    immediate-risk route."""
    if action.kind == "escalate":
        return True
    if action.kind == "contact":
        return action.data.get("relation") == "counterpart"
    return action.kind == "professionals_meeting" and action.data.get("decision") == "convene"


# Kinds whose whole judgement is a shared check of the rule's steps (scoring/checks.py).
_BY_RULE: dict[str, Callable[[Ctx, str], list[Finding]]] = {
    "stage_deadline": checks.deadline_findings,
    "required_before": checks.required_before_findings,
    "right_role": checks.wrong_role_findings,
    "no_skip": checks.skip_findings,
    "inform_referrer": checks.informed_findings,
}
for _kind, _check in _BY_RULE.items():
    JUDGES[_kind] = lambda ctx, duty, check=_check: check(ctx, duty.rule)


def resolved_as_required(ctx: Ctx, duty: Duty) -> bool:
    """A duty owed only for some outcomes (``if_resolved_at``): the case was resolved at
    one of those stages or steps ("a letter only if resolved at this stage")."""
    step = ctx.session.resolved_at if ctx.resolved_time is not None else None
    stage = next((st.id for st, s in ctx.ladder if s.id == step), None)
    return duty.owed_for_outcome(stage, step)


def judge_duty(ctx: Ctx, duty: Duty) -> list[Finding]:
    """One duty judged, if the trainee's seat owes it and the case's outcome calls for it."""
    if not owes(ctx, duty) or not resolved_as_required(ctx, duty):
        return []
    return JUDGES[duty.judge](ctx, duty)
