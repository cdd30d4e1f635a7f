"""BS3 Early Education & Childcare escalation policy: rules B1–B8.

The policy's stage ladder is an assumption (its flow chart is missing), so the timeliness
findings it yields (B7) keep the policy's 'minor' severity; the immediate-harm route (B1,
B2) is printed in the policy and is judged as strictly as Liverpool's L1.
"""

from __future__ import annotations

from scoring import checks
from scoring.context import Ctx
from scoring.model import Finding
from scoring.registry import rule


def _leg_rule_b1(leg: str) -> str | None:
    return None if leg == "desk_out_of_hours" else "B1"


def _leg_rule_b2(leg: str) -> str | None:
    return "B2" if leg == "desk_out_of_hours" else None


@rule("B1")
def b1_immediate_harm(ctx: Ctx) -> list[Finding]:
    """Immediate harm: do not wait — First Response (in hours) and the Police."""
    return checks.route_findings(ctx, _leg_rule_b1, staged_rule="B1")


@rule("B2")
def b2_out_of_hours(ctx: Ctx) -> list[Finding]:
    """Out of office hours: the Emergency Duty Social Worker, not the closed day-time desk."""
    return checks.route_findings(ctx, _leg_rule_b2, staged_rule=None)


@rule("B3")
def b3_decisions_in_writing(ctx: Ctx) -> list[Finding]:
    """Decisions recorded in writing at every step."""
    return checks.record_findings(ctx, "B3")


@rule("B4")
def b4_referrer_informed(ctx: Ctx) -> list[Finding]:
    """The referring member of staff kept informed of the escalation of their concern."""
    return checks.informed_findings(ctx, "B4")


@rule("B5")
def b5_written_confirmation(ctx: Ctx) -> list[Finding]:
    """Agreed outcome (and how outstanding issues are pursued) confirmed in writing."""
    when = ctx.resolved_time
    if when is None:
        return []
    due = ctx.promptly_after(when)
    confirmed = [a.at for a in ctx.actions_of("confirm_outcome") if a.at >= when]
    expected = (f"Written confirmation between the parties of the agreed outcome and how "
                f"outstanding issues will be pursued, by {ctx.fmt(due)}.")
    if not confirmed:
        return [ctx.finding("B5", "communication", due, expected,
                            "The agreed outcome was never confirmed in writing.")]
    if confirmed[0] > due:
        return [ctx.finding("B5", "communication", confirmed[0], expected,
                            f"Confirmed only {ctx.fmt(confirmed[0])}.", severity="minor")]
    return []


@rule("B6")
def b6_chronology(ctx: Ctx) -> list[Finding]:
    """Records kept on the child's chronology / agency database."""
    return checks.record_findings(ctx, "B6")


@rule("B7")
def b7_close_to_origin(ctx: Ctx) -> list[Finding]:
    """Resolve close to the point of origin: no skipped steps; each (assumed) stage on time."""
    return [*checks.skip_findings(ctx, "B7"), *checks.deadline_findings(ctx, "B7")]


@rule("B8")
def b8_line_management(ctx: Ctx) -> list[Finding]:
    """Good practice: use line management to support the escalation (a note, never a penalty)."""
    findings: list[Finding] = []
    seat = ctx.scenario.seat.role
    for index in checks.steps_listing(ctx, "B8"):
        stage, step = ctx.ladder[index]
        mine = set(ctx.mine(index)) - {seat}
        if step.id not in ctx.session.entered or not mine or seat in ctx.mine(index):
            continue
        if checks.contacted_at(ctx, index, mine):
            continue
        names = " or ".join(ctx.role_title(r) for r in sorted(mine))
        findings.append(ctx.finding(
            "B8", "right_person", ctx.session.entered[step.id],
            f"At {stage.name}, involve {names} so the escalation is supported.",
            "Line management was not involved at this step.", stage=stage.id))
    return findings
