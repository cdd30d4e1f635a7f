"""Scoring: a session's timeline judged against its policy's duties, with citations.

``evaluate(session)`` runs the generic judge (`scoring.judges`) of every duty the policy
file lists and the trainee's seat owes, turns the findings into a 0–100 score with a
per-theme breakdown (see `score` and docs/scoring.md) and returns an `Assessment`. No
policy has Python of its own: a new partnership's procedure is a new YAML file.
"""

from __future__ import annotations

from scenarios.policy_schema import Policy
from scoring.context import Ctx
from scoring.judges import JUDGES, judge_duty, owes
from scoring.model import SEVERITIES, THEMES, Assessment, Finding
from scoring.score import CRITICAL_CAP, overall, priced, theme_scores
from sim.session import Session

__all__ = ["JUDGES", "SEVERITIES", "THEMES", "Assessment", "Finding", "evaluate", "judgeable"]


def judgeable(policy: Policy) -> set[str]:
    """Rule ids scoring can judge for a policy: those a duty cites, or judged with one."""
    cited = {d.rule for d in policy.duties}
    return cited | {r.id for r in policy.rules if r.judged_with in cited}


def evaluate(session: Session) -> Assessment:
    """Judge a session (finished or not) against every duty of its policy the seat owes."""
    ctx = Ctx(session)
    findings: list[Finding] = []
    owed: set[str] = set()
    for duty in session.policy.duties:
        if not owes(ctx, duty):
            continue
        owed.add(duty.rule)
        findings.extend(judge_duty(ctx, duty))
    checked = [r.id for r in session.policy.rules if r.id in owed]
    findings = priced(_dedupe(findings))
    findings.sort(key=lambda f: (f.at is None, f.at or session.start, f.rule))
    themes = theme_scores(findings)
    score, capped = overall(findings)
    notes = sorted(_dedupe(ctx.notes), key=lambda f: (f.at is None, f.at or session.start))
    return Assessment(score=score, themes=themes, findings=findings, capped=capped,
                      cap=CRITICAL_CAP if capped else None, rules_checked=checked,
                      notes=notes)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple] = set()
    out = []
    for finding in findings:
        key = (finding.rule, finding.at, finding.expected, finding.observed)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out
