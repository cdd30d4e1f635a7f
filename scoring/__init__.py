"""Scoring: a session's timeline judged against its policy's rules, with citations.

``evaluate(session)`` runs one small check per rule id the policy has (see `registry`),
turns the findings into a 0–100 score with a per-theme breakdown (see `score` and
docs/scoring.md) and returns an `Assessment`.
"""

from __future__ import annotations

from scoring import rules_bs3, rules_liverpool  # noqa: F401  (registers the checks)
from scoring.context import Ctx
from scoring.duties import duty_findings
from scoring.model import SEVERITIES, THEMES, Assessment, Finding
from scoring.registry import RULES
from scoring.score import CRITICAL_CAP, overall, priced, theme_scores
from sim.session import Session

__all__ = ["RULES", "SEVERITIES", "THEMES", "Assessment", "Finding", "evaluate", "judgeable"]


def judgeable(policy) -> set[str]:
    """Rule ids scoring can judge for a policy: a registered check or a data duty."""
    return {r.id for r in policy.rules if r.id in RULES} | {d.rule for d in policy.duties}


def evaluate(session: Session) -> Assessment:
    """Judge a session (finished or not) against every applicable rule of its policy."""
    ctx = Ctx(session)
    findings: list[Finding] = []
    checked: list[str] = []
    for policy_rule in session.policy.rules:
        spec = RULES.get(policy_rule.id)
        if spec is None or not spec.applies(ctx):
            continue
        checked.append(policy_rule.id)
        findings.extend(spec.check(ctx))
    data_checked, data_findings = duty_findings(ctx)
    checked.extend(r for r in data_checked if r not in checked)
    findings.extend(data_findings)
    findings = priced(_dedupe(findings))
    findings.sort(key=lambda f: (f.at is None, f.at or session.start, f.rule))
    themes = theme_scores(findings)
    score, capped = overall(findings)
    return Assessment(score=score, themes=themes, findings=findings, capped=capped,
                      cap=CRITICAL_CAP if capped else None, rules_checked=checked)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple] = set()
    out = []
    for finding in findings:
        key = (finding.rule, finding.at, finding.expected, finding.observed)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out
