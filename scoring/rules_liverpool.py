"""Liverpool LSCB Resolution & Escalation Procedure: rules L1–L15.

Each check reads the steps, stages, records and routes that list its id in the policy file;
timescales come from the session (`Session.due`, `risk_due`) and the policy's reading of
"as soon as possible". Severity is the policy rule's own unless a comment says why not.
"""

from __future__ import annotations

from scoring import checks
from scoring.context import Ctx
from scoring.model import Finding
from scoring.registry import rule


@rule("L1")
def l1_immediate_risk(ctx: Ctx) -> list[Finding]:
    """Immediate risk: front door / EDT and the police the same working day, never staged."""
    return checks.route_findings(ctx, lambda leg: "L1", staged_rule="L1")


@rule("L2")
def l2_discuss_asap(ctx: Ctx) -> list[Finding]:
    """Stage 1: talk to the other professional as soon as possible, by phone or in person."""
    findings = checks.deadline_findings(ctx, "L2")
    for index in checks.steps_listing(ctx, "L2"):
        contacts = checks.contacted_at(ctx, index, ctx.right_roles(index))
        if not contacts or findings:
            continue
        if all(c.data.get("action", {}).get("channel") == "email" for c in contacts):
            # The quote's "through discussion"; e-mail alone is not the conversation asked for.
            findings.append(ctx.finding(
                "L2", "communication", contacts[0].at,
                "A discussion with the other professional by telephone or face to face.",
                "Raised by e-mail only.", stage=ctx.ladder[index][0].id, severity="minor"))
    return findings


def _rep_seat(ctx: Ctx) -> bool:
    """Whether the trainee is an organisation safeguarding representative (L7's duty-holder)."""
    seat = ctx.scenario.seat
    return any(seat.role in ctx.mine(i) for i in checks.steps_listing(ctx, "L7"))


@rule("L3")
def l3_recorded(ctx: Ctx) -> list[Finding]:
    """Every step recorded on the case file and the Escalation Summary Log, resolved or not."""
    def l7_owns(step_id: str, record_id: str) -> bool:
        step = next(s for _, s in ctx.ladder if s.id == step_id)
        summary = ctx.policy.record(record_id).kind == "summary_log"
        return summary and "L7" in step.rules and _rep_seat(ctx)

    return checks.record_findings(ctx, "L3", skip=l7_owns)


@rule("L4")
def l4_line_manager(ctx: Ctx) -> list[Finding]:
    """Unresolved: line manager by the step's deadline, who considers a professionals meeting."""
    findings = checks.deadline_findings(ctx, "L4")
    for index in checks.steps_listing(ctx, "L4"):
        stage, step = ctx.ladder[index]
        entered = ctx.session.entered.get(step.id)
        if entered is None or (ctx.risk_at is not None and ctx.risk_at <= entered):
            continue
        left = ctx.session.concluded.get(step.id) or ctx.end
        considered = [a for a in ctx.actions_of("professionals_meeting")
                      if entered <= a.at <= left]
        if not considered and (step.id in ctx.session.concluded or ctx.end > entered):
            findings.append(ctx.finding(
                "L4", "communication", left,
                "The line manager considers convening a professionals meeting (convene it, or "
                "record that it is not needed).",
                "No professionals meeting was considered at the line-manager step.",
                stage=stage.id))
    return findings


@rule("L5")
def l5_iro(ctx: Ctx) -> list[Finding]:
    """Child on a CPP or looked after: notify the Independent Reviewing Officer."""
    findings: list[Finding] = []
    for note in ctx.policy.notifications:
        if note.rule != "L5" or ctx.scenario.plan_status not in note.when_plan_status:
            continue
        by = next(((st, s) for st, s in ctx.ladder if s.id == note.by_step), None)
        due = ctx.due(by[1].deadline) if by else None
        reached = by is not None and by[1].id in ctx.session.entered
        if not reached and not ctx.judged(due):
            continue
        sent = [a.at for a in ctx.actions_of("notify") if a.data.get("notification") == note.id]
        plan = {"CPP": "subject to a Child Protection Plan", "CLA": "a Child Looked After"}.get(
            ctx.scenario.plan_status, ctx.scenario.plan_status)
        expected = (f"The {ctx.role_title(note.role)} notified (the child is {plan})"
                    + (f" by {ctx.fmt(due)}." if due else "."))
        if not sent:
            findings.append(ctx.finding("L5", "communication", due or ctx.end, expected,
                                        "The IRO was never notified.",
                                        stage=by[0].id if by else None))
        elif due is not None and sent[0] > due:
            # Done, but late: a lesser failing than never telling the IRO.
            findings.append(ctx.finding("L5", "communication", sent[0], expected,
                                        f"Notified only {ctx.fmt(sent[0])}.",
                                        severity="minor"))
    return findings


@rule("L6")
def l6_stage2(ctx: Ctx) -> list[Finding]:
    """Stage 2 (organisation safeguarding representative) concluded by its deadline."""
    return checks.deadline_findings(ctx, "L6")


@rule("L7", applies=_rep_seat)
def l7_collate_logs(ctx: Ctx) -> list[Finding]:
    """A safeguarding-representative seat collates the case on the Escalation Summary Log."""
    findings: list[Finding] = []
    for index in checks.steps_listing(ctx, "L7"):
        stage, step = ctx.ladder[index]
        if step.id not in ctx.session.entered:
            continue
        for record_id in step.records:
            record = ctx.policy.record(record_id)
            if record.kind == "summary_log" and not ctx.records_for(step.id, record_id):
                findings.append(ctx.finding(
                    "L7", "recording", ctx.session.concluded.get(step.id) or ctx.end,
                    f"The case collated on the {record.title} at {stage.name}.",
                    "Not recorded on the log at this stage.", stage=stage.id))
    return findings


@rule("L8")
def l8_stage2_service_managers(ctx: Ctx) -> list[Finding]:
    """Stage 2 immediate risk via CS service managers: judged by L1 (policy assumption
    'stage2_service_managers'), so this check adds nothing of its own."""
    return []


@rule("L9")
def l9_appendix2_before_stage3(ctx: Ctx) -> list[Finding]:
    """The Appendix 2 report completed before the case moves to Stage 3."""
    return checks.required_before_findings(ctx, "L9")


@rule("L10")
def l10_stage3(ctx: Ctx) -> list[Finding]:
    """Stage 3 (LSCB representatives, mediation) concluded by its deadline."""
    return checks.deadline_findings(ctx, "L10")


@rule("L11")
def l11_stage4(ctx: Ctx) -> list[Finding]:
    """Stage 4 referred to the LSCB Independent Chair and concluded by its deadline."""
    return checks.deadline_findings(ctx, "L11")


@rule("L12")
def l12_outcome_reported(ctx: Ctx) -> list[Finding]:
    """Resolved at Stage 3 or 4: the outcome reported on the stage report (Appendix 2)."""
    resolved_step = ctx.session.resolved_at
    when = ctx.resolved_time
    step = next((s for _, s in ctx.ladder if s.id == resolved_step), None)
    if step is None or when is None or "L12" not in step.rules:
        return []
    findings: list[Finding] = []
    stage = next(st for st, s in ctx.ladder if s.id == step.id)
    for record_id in step.records:
        record = ctx.policy.record(record_id)
        if record.kind != "stage_report":
            continue
        due = ctx.promptly_after(when)
        after = [t for t in ctx.all_records({record_id}) if t >= when]
        expected = (f"The outcome reported to the partnership on the {record.title} by "
                    f"{ctx.fmt(due)}.")
        if not after:
            findings.append(ctx.finding("L12", "recording", due, expected,
                                        "The outcome was not reported.", stage=stage.id))
        elif after[0] > due:
            findings.append(ctx.finding("L12", "recording", after[0], expected,
                                        f"Reported only {ctx.fmt(after[0])}.", stage=stage.id))
    return findings


@rule("L13")
def l13_right_role(ctx: Ctx) -> list[Finding]:
    """Contact the role the representation table names for your agency at that stage."""
    return checks.wrong_role_findings(ctx, "L13")


@rule("L14")
def l14_no_skipping(ctx: Ctx) -> list[Finding]:
    """Lowest possible stage: no stage jumped without immediate risk (the policy's own
    severity, as for every rule)."""
    return checks.skip_findings(ctx, "L14")


def _school_staff_seat(ctx: Ctx) -> bool:
    """A school seat outside the safeguarding team (named nowhere in the table for school)."""
    seat = ctx.scenario.seat
    kind = ctx.policy.agency(seat.agency).kind
    named = {r for i in range(len(ctx.ladder)) for r in ctx.mine(i)}
    return kind == "school" and seat.role not in named


@rule("L15", applies=_school_staff_seat)
def l15_in_school(ctx: Ctx) -> list[Finding]:
    """A member of school staff unhappy with the response escalates it (or refers)."""
    raised = [a for a in ctx.actions if a.kind in ("escalate", "refer")
              or (a.kind == "contact" and a.data.get("relation") in ("own_side", "counterpart"))]
    if raised or ctx.session.status != "open":
        return []
    return [ctx.finding(
        "L15", "right_person", ctx.end,
        "Escalate your concern: take it to the school safeguarding team and on, or refer to "
        "Children's Services when appropriate.",
        "The concern was never escalated.")]
