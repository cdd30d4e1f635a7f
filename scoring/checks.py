"""Checks shared by several generic judges (`scoring.judges`), for any policy's rules.

Each returns findings for one rule id; which steps and stages a check looks at is read from
the policy (the ids a step or stage lists in ``rules``), never from step names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from scenarios.policy_schema import Deadline, Procedure
from scoring.context import ActionEvent, Ctx
from scoring.model import Finding
from sim.emergency import desks
from sim.labels import TOTAL_CAP, deadline_words
from sim.verdicts import (
    BREACHED,
    governing,
    penalised,
    procedure_verdicts,
    taken_up_counts,
)
from sim.verdicts import verdict as deadline_verdict

# ---------------------------------------------------------------------- deadlines


def deadline_findings(ctx: Ctx, rule_id: str, theme: str = "timeliness") -> list[Finding]:
    """Steps and stages listing ``rule_id`` that were not concluded (or engaged) by their due.

    Judged for every step the case reached and for the next one (a case that stalls should
    have moved on by then); the final step only needs engaging, as nothing lies above it.
    """
    findings: list[Finding] = []
    seen: set[datetime] = set()
    last = len(ctx.ladder) - 1
    reach = ctx.furthest + 1
    for index, (stage, step) in enumerate(ctx.ladder):
        first = next(i for i, (st, _) in enumerate(ctx.ladder) if st is stage)
        if first > reach:
            break
        items: list[tuple[str, Deadline | None, bool]] = []
        if rule_id in step.rules and index <= reach:
            items.append((step.id, step.deadline, index == last))
        # A stage's own deadline is in reach while the case is anywhere in (or next to)
        # the stage, not only at its last step.
        if rule_id in stage.rules and step is stage.steps[-1]:
            items.append((stage.id, stage.deadline, index == last))
        for item, deadline, final in items:
            if deadline is None:
                continue
            due = ctx.due(deadline)
            if due is None or due in seen or not ctx.judged(due):
                continue
            seen.add(due)
            problem = _late(ctx, item, step.id, deadline, due, final)
            if problem:
                expected, observed = problem
                found = ctx.finding(rule_id, theme, due, expected, observed, stage=stage.id,
                                    item=item)
                if penalised(deadline):
                    findings.append(found)
                else:  # a guide: reported in the debrief, never scored
                    ctx.notes.append(as_guide(found))
    findings += procedure_findings(ctx, rule_id)
    capped = _past_total_cap(ctx, rule_id)
    if capped and ctx.policy.total_cap is not None and not penalised(ctx.policy.total_cap):
        ctx.notes.append(as_guide(capped))
    elif capped:
        findings.append(capped)
    left = _left_untouched(ctx, rule_id, seen)
    if left:
        findings.append(left)
    return findings


def procedure_findings(ctx: Ctx, rule_id: str) -> list[Finding]:
    """Breached sub-procedure deadlines listing ``rule_id`` (a step's by its rules, a stage's
    by its): judged only once the event started the procedure (`sim.verdicts` decides)."""
    listing = {step.id for p in ctx.policy.procedures for stage in p.stages
               for step in stage.steps if rule_id in step.rules}
    listing |= {stage.id for p in ctx.policy.procedures for stage in p.stages
                if rule_id in stage.rules}
    findings = []
    for procedure, item, state, due, done in procedure_verdicts(ctx.session, ctx.end):
        if item not in listing or state != BREACHED:
            continue
        deadline = _procedure_deadline(procedure, item)
        words = deadline_words(deadline)
        started = ctx.session.procedures_started[procedure.id]
        observed = (f"Done {ctx.fmt(done)}, after the deadline." if done else
                    f"Not done before the exercise ended ({procedure.title} started "
                    f"{ctx.fmt(started)}).")
        found = ctx.finding(rule_id, "timeliness", due,
                            f"{ctx.label(item)} — done by {ctx.fmt(due)} ({words}).", observed,
                            item=item)
        if penalised(deadline):
            findings.append(found)
        else:  # a guide within the sub-procedure: reported, never scored
            ctx.notes.append(as_guide(found))
    left = _procedure_left(ctx, rule_id, listing)
    return findings + ([left] if left else [])


def _procedure_left(ctx: Ctx, rule_id: str, listing: set[str]) -> Finding | None:
    """Ending the exercise before taking a started sub-procedure's next step, while its
    deadline was still ahead: as `_left_untouched` on the ladder, walking away is not met."""
    session = ctx.session
    if session.finished_at is None or ctx.risk_at is not None:
        return None
    for procedure, step in session.procedure_step_due():
        due = session.procedure_due(procedure, step.deadline) if step.deadline else None
        if step.id not in listing or due is None or due <= ctx.end:
            continue  # one already past is judged above, as breached
        return ctx.finding(
            rule_id, "timeliness", ctx.end,
            f"{ctx.label(step.id)} — done by {ctx.fmt(due)} "
            f"({deadline_words(step.deadline)}).",
            f"You ended the exercise {ctx.fmt(ctx.end)} before taking this step.")
    return None


def _procedure_deadline(procedure: Procedure, item: str) -> Deadline | None:
    for stage in procedure.stages:
        if stage.id == item:
            return stage.deadline
        for step in stage.steps:
            if step.id == item:
                return step.deadline
    return None


def _past_total_cap(ctx: Ctx, rule_id: str) -> Finding | None:
    """The whole procedure still open when the policy's total cap fell due (judged only
    while the case was still in the staged process, like every staged deadline). A limit
    of its own: judged even when a step falls due at the same moment."""
    cap = ctx.policy.total_cap
    if cap is None or rule_id not in ctx.policy.total_cap_rules:
        return None
    due = ctx.due(cap)
    if due is None or not ctx.judged(due):
        return None
    return ctx.finding(
        rule_id, "timeliness", due,
        f"The disagreement concluded by {ctx.fmt(due)} ({deadline_words(cap)}), whatever "
        "stage it had reached.",
        f"Still unresolved at {ctx.label(ctx.stage_at(due) or '')} when the whole "
        "procedure's limit passed.", stage=ctx.stage_at(due), item=TOTAL_CAP)


def _left_untouched(ctx: Ctx, rule_id: str, seen: set[datetime]) -> Finding | None:
    """Ending the exercise with the disagreement open and its current step never taken up.

    Deadlines after the end are not held against the trainee, so without this a trainee who
    ends at once (or right after escalating) would lose nothing: the step they walked away
    from is judged as not taken up, whatever its deadline.
    """
    session = ctx.session
    if session.finished_at is None or session.status != "open" or ctx.risk_at is not None:
        return None
    index = ctx.furthest
    stage, step = ctx.ladder[index]
    deadline = governing(stage, step)
    if (rule_id not in step.rules or step.id in session.engaged or deadline is None
            or step.id in session.proxy_asked or not penalised(deadline)):
        return None
    due = ctx.due(deadline)
    if due is None or due in seen:
        return None
    words = deadline.text or "the policy's timescale"
    return ctx.finding(
        rule_id, "timeliness", ctx.end,
        f"{ctx.label(step.id)} — taken up by {ctx.fmt(due)} ({words}).",
        f"You ended the exercise {ctx.fmt(ctx.end)} with the disagreement open, before "
        "taking it up at this step.", stage=stage.id, item=step.id)


def _late(ctx: Ctx, item: str, step_id: str, deadline: Deadline, due: datetime,
          final: bool) -> tuple[str, str] | None:
    """(expected, observed) when the deadline is breached (`sim.verdicts` decides)."""
    session = ctx.session
    words = deadline.text or "the policy's timescale"
    taken_up = taken_up_counts(deadline, final)
    when = session.engaged.get(step_id) if taken_up else session.concluded.get(item)
    if deadline_verdict(due, when, ctx.closed_at, ctx.risk_at, ctx.end) != BREACHED:
        return None
    if taken_up:
        expected = f"{ctx.label(item)} — taken up by {ctx.fmt(due)} ({words})."
        observed = (f"First taken up {ctx.fmt(when)}." if when else
                    "Not taken up before the exercise ended.")
        return expected, observed
    expected = (f"{ctx.label(item)} — concluded (resolved, or escalated to the next step) "
                f"by {ctx.fmt(due)} ({words}).")
    if when is not None:
        observed = f"Concluded {ctx.fmt(when)}, after the deadline."
    elif item in session.entered or step_id in session.entered:
        observed = "Still open at this step when the exercise ended."
    else:
        at = ctx.label(ctx.step_ids[ctx.furthest])
        observed = f"Never reached: the case was still at {at}"
    return expected, observed


def as_guide(finding: Finding) -> Finding:
    """A passed guide as a note: the same words, said to be a guide, costing nothing."""
    return replace(finding, severity="good_practice", penalty=0.0,
                   expected=f"{finding.expected} (As a guide, not a deadline.)")


# ---------------------------------------------------------------------- records


def record_findings(ctx: Ctx, rule_id: str, skip: Callable[[str, str], bool] | None = None
                    ) -> list[Finding]:
    """Records a step lists (whose record type cites ``rule_id``) made at that step, promptly.

    A step needs its records once something happened there (taken up, concluded) or its
    deadline passed with the case open. A record made later than the policy's "as soon as
    possible" after the step concluded is late (minor); a missing one keeps the rule's
    severity.
    """
    findings: list[Finding] = []
    for index, (stage, step) in enumerate(ctx.ladder):
        if rule_id not in step.rules or step.id not in ctx.session.entered:
            continue
        if not _needs_records(ctx, index):
            continue
        only_referral = _only_the_emergency_referral(ctx, step.id)
        for record_id in step.records:
            record = ctx.policy.record(record_id)
            if record.rule != rule_id or record.kind == "stage_report":
                continue
            if only_referral and record.kind == "summary_log":
                continue  # an emergency referral is not an inter-agency escalation to log
            if skip and skip(step.id, record_id):
                continue
            finding = _record_finding(ctx, rule_id, stage.id, step.id, record_id)
            if finding:
                findings.append(finding)
    return findings


def _only_the_emergency_referral(ctx: Ctx, step_id: str) -> bool:
    """The step's only business was the immediate-risk referral: it was neither taken up nor
    concluded before the risk became known."""
    risk = ctx.risk_at
    if risk is None:
        return False
    engaged = ctx.session.engaged.get(step_id)
    concluded = ctx.session.concluded.get(step_id)
    return (engaged is None or engaged >= risk) and (concluded is None or concluded >= risk)


def _needs_records(ctx: Ctx, index: int) -> bool:
    stage, step = ctx.ladder[index]
    session = ctx.session
    if step.id in session.concluded:
        return True
    entered = session.entered.get(step.id)
    if ctx.risk_at is not None and entered is not None and ctx.risk_at <= entered:
        return False  # a step entered with the child at risk is judged by the risk route
    if step.id in session.engaged:
        return True
    due = ctx.due(governing(stage, step))
    return ctx.judged(due)


def _record_finding(ctx: Ctx, rule_id: str, stage_id: str, step_id: str,
                    record_id: str) -> Finding | None:
    title = ctx.policy.record(record_id).title
    made = ctx.records_for(step_id, record_id)
    concluded = ctx.session.concluded.get(step_id)
    label = ctx.label(step_id)
    if not made:
        at = ctx.promptly_after(concluded) if concluded else ctx.end
        return ctx.finding(
            rule_id, "recording", at,
            f"{title}: the outcome of {label} recorded at that step (resolved or not).",
            "Nothing was recorded on it while the case was at this step.", stage=stage_id)
    if concluded is None:
        return None
    due = ctx.promptly_after(concluded)
    if made[0] <= due:
        return None
    return ctx.finding(
        rule_id, "recording", made[0],
        f"{title}: {label} recorded promptly, by {ctx.fmt(due)}.",
        f"First recorded {ctx.fmt(made[0])}, after the step concluded {ctx.fmt(concluded)}.",
        stage=stage_id, severity="minor")


def required_before_findings(ctx: Ctx, rule_id: str) -> list[Finding]:
    """Records a step ``requires`` (e.g. Appendix 2 before Stage 3) made before entering it."""
    findings: list[Finding] = []
    for stage, step in ctx.ladder:
        entered = ctx.session.entered.get(step.id)
        if rule_id not in step.rules or not step.requires or entered is None:
            continue
        for record_id in step.requires:
            before = [t for t in ctx.all_records({record_id}) if t <= entered]
            if before:
                continue
            title = ctx.policy.record(record_id).title
            findings.append(ctx.finding(
                rule_id, "recording", entered,
                f"{title} completed before moving to {stage.name}.",
                f"Moved to {stage.name} {ctx.fmt(entered)} without it.", stage=stage.id))
    return findings


# ---------------------------------------------------------------------- ladder moves


def skip_findings(ctx: Ctx, rule_id: str) -> list[Finding]:
    """Steps jumped without immediate risk (the policy grants no skip rights otherwise)."""
    findings: list[Finding] = []
    rights = {(s.to_stage, r) for s in ctx.policy.skip_rights for r in s.roles
              if s.when == "always"}
    for event in ctx.events("stage"):
        skipped = event.data.get("skipped") or []
        if not skipped:
            continue
        if ctx.risk_at is not None and ctx.risk_at <= event.at:
            continue
        if (event.data.get("stage"), ctx.scenario.seat.role) in rights:
            continue
        names = "; ".join(ctx.label(s) for s in skipped)
        how = "by contacting a higher role" if event.data.get("reason") == "contact" else ""
        findings.append(ctx.finding(
            rule_id, "right_person", event.at,
            "Each step taken in turn, resolving at the lowest possible stage; steps are only "
            "bypassed when a child is at immediate risk (by the emergency route).",
            f"Jumped to {ctx.label(event.data['step'])} {how}".rstrip() + f", skipping {names}.",
            stage=event.data.get("stage")))
    return findings


def wrong_role_findings(ctx: Ctx, rule_id: str) -> list[Finding]:
    """Contacts, while the dispute was open, to a ladder role the table does not name here."""
    findings: list[Finding] = []
    seen: set[tuple[int, str]] = set()
    for action in ctx.actions_of("contact"):
        if action.data.get("relation") not in ("counterpart", "own_side"):
            continue
        if _after_close(ctx, action.at):
            continue
        role = action.data["role"]
        landed = max(action.step_index, int(action.data.get("step_index", 0)))
        right = ctx.right_roles(landed)
        if role in right or (landed, role) in seen:
            continue
        seen.add((landed, role))
        stage = ctx.ladder[landed][0]
        names = " or ".join(ctx.role_title(r) for r in sorted(right)) or "no one"
        expected = (f"At {stage.name} contact {names}, as the representation table names for "
                    f"{ctx.policy.agency(ctx.scenario.seat.agency).name} at this step.")
        if ctx.session.proxy_for(landed) is not None:
            expected = (f"At {stage.name} ask the {names}, who carries this step out on your "
                        "behalf: the policy's route, not a direct approach.")
        findings.append(ctx.finding(rule_id, "right_person", action.at, expected,
                                    f"Contacted {ctx.role_title(role)}.", stage=stage.id))
    return findings


def _after_close(ctx: Ctx, when: datetime) -> bool:
    closed = ctx.closed_at
    risk = ctx.risk_at
    return (closed is not None and when >= closed) or (risk is not None and when >= risk)


def steps_listing(ctx: Ctx, rule_id: str) -> list[int]:
    return [i for i, (_, step) in enumerate(ctx.ladder) if rule_id in step.rules]


def contacted_at(ctx: Ctx, index: int, roles: set[str]) -> list[ActionEvent]:
    """Contacts to any of ``roles`` made while the case was at (or moving to) a step."""
    return [a for a in ctx.actions_of("contact") if a.data.get("role") in roles
            and max(a.step_index, int(a.data.get("step_index", 0))) == index]


# ---------------------------------------------------------------------- immediate risk


def route_findings(ctx: Ctx, rule_for_leg: Callable[[str], str | None],
                   staged_rule: str | None) -> list[Finding]:
    """Immediate risk, judged by the duty `sim.emergency` compiles: each required service
    referred (answered) immediately and before the child is back with the person who may
    harm them; late but before that is major, after it (or never) critical. Using the
    staged process instead of referring is critical; consulting your own side is not."""
    duty = ctx.session.emergency_duty()
    if duty is None:
        return []
    findings: list[Finding] = []
    referrals = [(r.role, r.at, r.answered) for r in ctx.referrals]
    on_time = _on_time_run(ctx, duty.due)
    titles = {r.id: r.title for r in ctx.policy.roles}
    for verdict in duty.judge(referrals, on_time):
        rule_id = rule_for_leg(verdict.leg.name)
        if rule_id is None or verdict.severity is None:
            continue
        observed = verdict.reason
        if verdict.first is None and verdict.leg.name.startswith("desk"):
            tried = [r for r in ctx.referrals if r.at >= duty.known and r.role in _desks(ctx)]
            if tried:
                observed += " Tried: " + "; ".join(
                    f"{ctx.role_title(r.role)} at {ctx.fmt(r.at)}"
                    f"{'' if r.answered else ' (no answer)'}" for r in tried) + "."
        at = verdict.first or duty.due
        findings.append(ctx.finding(rule_id, "safety", at, duty.expected(titles, verdict.leg),
                                    observed, severity=verdict.severity, item=duty.route.id))
    if staged_rule is not None:
        staged = _staged_actions(ctx)
        if staged:
            what = "; ".join(describe_ladder_action(ctx, a) for a in staged[:3])
            findings.append(ctx.finding(
                staged_rule, "safety", staged[0].at,
                "With the child at immediate risk, refer by the emergency route before taking "
                "the disagreement up the ladder (consulting your own DSL or safeguarding lead "
                "first is fine if it causes no delay).",
                f"Used the staged process while the child was at immediate risk: {what}.",
                severity="critical"))
    return findings


def _desks(ctx: Ctx) -> set[str]:
    """The route's desks, and this area's own desks where the child lives in another
    authority (they take an immediate-risk referral too: the child is found here)."""
    route = ctx.session.emergency_route
    return (set(desks(route)) if route is not None else set()) | set(ctx.session.redirects)


def _on_time_run(ctx: Ctx, due: datetime | None) -> set[int]:
    """Referral actions in the unbroken run that started by the due time: each call costs
    time, so a run of calls begun on time counts as on time."""
    if due is None or ctx.risk_at is None:
        return set()
    numbers: set[int] = set()
    started = False
    previous: int | None = None
    for referral in ctx.referrals:
        if referral.at < ctx.risk_at:
            continue
        if not started:
            if referral.at > due:
                break
            started = True
        elif previous is not None and referral.action_no != previous + 1:
            break
        numbers.add(referral.action_no)
        previous = referral.action_no
    return numbers


def _staged_actions(ctx: Ctx) -> list[ActionEvent]:
    """Escalations, ladder contacts and meetings after the risk and before the route was done."""
    risk = ctx.risk_at
    done = ctx.route_done_at
    out = []
    for action in ctx.actions:
        if risk is None or action.at < risk or (done is not None and action.at >= done):
            continue
        # Ringing your own DSL, manager or safeguarding lead is consultation, not escalation.
        ladder_contact = (action.kind == "contact"
                          and action.data.get("relation") == "counterpart")
        meeting = (action.kind == "professionals_meeting"
                   and action.data.get("decision") == "convene")
        if action.kind == "escalate" or ladder_contact or meeting:
            out.append(action)
    return out


def describe_ladder_action(ctx: Ctx, action: ActionEvent) -> str:
    """A ladder action in a finding's words, naming people as the case names them."""
    if action.kind == "escalate":
        return f"escalated to {ctx.label(action.data.get('to_step', ''))} at {ctx.fmt(action.at)}"
    if action.kind == "contact":
        return f"contacted {ctx.session.title_of(action.data['role'])} at {ctx.fmt(action.at)}"
    return f"asked for a professionals meeting at {ctx.fmt(action.at)}"


# ---------------------------------------------------------------------- communication


def milestones(ctx: Ctx) -> list[tuple[datetime, str]]:
    """Moments the escalation changed (a new step, the outcome) that people must hear about."""
    out = [(e.at, f"escalation to {ctx.label(e.data['step'])}") for e in ctx.events("stage")]
    if ctx.resolved_time is not None:
        out.append((ctx.resolved_time, "the outcome (resolved)"))
    if ctx.route_done_at is not None:
        out.append((ctx.route_done_at, "the emergency referral"))
    return sorted(out)


def informed_findings(ctx: Ctx, rule_id: str) -> list[Finding]:
    """The referring member of staff told of each escalation and of the outcome, promptly.

    An update counts for a milestone if given after the previous milestone and no later than
    "promptly" after this one (so telling them just before escalating counts). Ending the
    exercise first does not excuse a missing update: the trainee chose to stop there.
    """
    referrer = ctx.scenario.referrer
    if referrer is None:
        return []
    informs = [a.at for a in ctx.actions_of("inform_referrer")]
    marks = milestones(ctx)
    who = referrer.title or ctx.role_title(referrer.role)
    if not marks:
        return []
    if not informs:
        return [ctx.finding(
            rule_id, "communication", ctx.promptly_after(marks[0][0]),
            f"{who} kept informed of the escalation of their concern.",
            "The referrer was never updated.")]
    findings: list[Finding] = []
    previous: datetime | None = None
    for when, what in marks:
        due = ctx.promptly_after(when)
        ok = any((previous is None or t >= previous) and t <= due for t in informs)
        if not ok:
            findings.append(ctx.finding(
                rule_id, "communication", due,
                f"{who} told of {what} by {ctx.fmt(due)}.",
                f"No update to the referrer about {what} in time.", severity="minor"))
        previous = when
    return findings
