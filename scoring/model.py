"""Findings and assessments: the plain data that scoring hands to debriefs, exports and the TUI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Severity = Literal["critical", "major", "minor", "good_practice"]
SEVERITIES: tuple[Severity, ...] = ("critical", "major", "minor", "good_practice")
THEMES: tuple[str, ...] = ("safety", "timeliness", "right_person", "recording", "communication")
THEME_TITLES: dict[str, str] = {
    "safety": "Safety",
    "timeliness": "Timeliness",
    "right_person": "Right person",
    "recording": "Recording",
    "communication": "Communication",
}


@dataclass(frozen=True)
class Finding:
    """One thing a rule found: what was expected, what happened, and the clause it rests on.

    ``citation`` is the policy rule's ``quote``, verbatim; ``at`` is simulated time (when the
    duty fell due, or when the wrong thing was done).
    """

    rule: str
    severity: Severity
    at: datetime | None
    stage: str | None
    expected: str
    observed: str
    citation: str
    theme: str
    clause: str = ""
    title: str = ""
    penalty: float = 0.0
    item: str | None = None
    """The dated thing judged (a step, stage, sub-procedure item, route, notification, duty
    id or `sim.labels.TOTAL_CAP`), so stress counts breaches per dated duty
    (`scoring.duty_rates`); None for a finding that judges no deadline. Not exported."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "at": self.at.isoformat() if self.at else None,
            "stage": self.stage,
            "theme": self.theme,
            "expected": self.expected,
            "observed": self.observed,
            "citation": self.citation,
            "clause": self.clause,
            "title": self.title,
            "penalty": self.penalty,
        }


@dataclass(frozen=True)
class Assessment:
    """The score of one session, its per-theme breakdown and the findings behind it."""

    score: float
    themes: dict[str, float]
    findings: list[Finding]
    capped: bool
    cap: float | None = None
    rules_checked: list[str] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    """Limits the policy gives only "as a guide" that passed: reported, never scored."""

    @property
    def rule_ids(self) -> set[str]:
        return {f.rule for f in self.findings}

    @property
    def problems(self) -> list[Finding]:
        """Findings that lower the score (good-practice notes excluded)."""
        return [f for f in self.findings if f.severity != "good_practice"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "themes": dict(self.themes),
            "capped": self.capped,
            "cap": self.cap,
            "rules_checked": list(self.rules_checked),
            "findings": [f.to_dict() for f in self.findings],
            "notes": [f.to_dict() for f in self.notes],
        }
