"""The generic judge of a policy's data duties (`Policy.duties`).

A duty names what triggers it, which trainee actions satisfy it and by when; this module
reads the session's timeline and returns a finding when it was owed and not done (or done
late), worded from the duty and citing its rule verbatim. No policy's wording lives here.
"""

from __future__ import annotations

from datetime import datetime

from scenarios.policy_schema import Duty
from scoring.context import ActionEvent, Ctx
from scoring.model import Finding


def triggered_at(ctx: Ctx, duty: Duty) -> datetime | None:
    """When the duty became owed in this session (None: never)."""
    if duty.trigger == "disagreement_raised":
        return ctx.session.start
    return ctx.risk_at


def satisfies(duty: Duty, action: ActionEvent) -> bool:
    """Whether one trainee action meets the duty."""
    kinds = set(duty.satisfied_by)
    if action.kind == "contact":
        ladder = action.data.get("relation") in ("counterpart", "own_side")
        return "contact_any" in kinds or ("contact_ladder" in kinds and ladder)
    return action.kind in kinds


def judge(ctx: Ctx, duty: Duty) -> list[Finding]:
    since = triggered_at(ctx, duty)
    if since is None:
        return []
    due = ctx.session.due_from(duty.by, since) if duty.by else None
    done = next((a.at for a in ctx.actions if a.at >= since and satisfies(duty, a)), None)
    if done is None:
        if due is not None and not ctx.judged(due) and due > ctx.end:
            return []  # not yet due when the exercise ended
        at = due or ctx.end
        return [ctx.finding(duty.rule, duty.theme, at, duty.expected, duty.missing,
                            severity=duty.severity)]
    if due is not None and done > due:
        return [ctx.finding(duty.rule, duty.theme, done, duty.expected,
                            f"Done only {ctx.fmt(done)}, after {ctx.fmt(due)}.",
                            severity="minor")]
    return []


def duty_findings(ctx: Ctx) -> tuple[list[str], list[Finding]]:
    """Every data duty of the policy judged: the rule ids checked and the findings."""
    checked: list[str] = []
    findings: list[Finding] = []
    for duty in ctx.policy.duties:
        checked.append(duty.rule)
        findings.extend(judge(ctx, duty))
    return checked, findings
