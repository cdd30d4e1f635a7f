"""The cohort debrief: every trainee's findings counted by rule across the group, and the
decisions the group took (who phoned whom, in or out of office hours), as HTML and CSV.

Anonymised by default: trainees are "Trainee 1…" in joining order; names only on request.
The counts are computed from the same `scoring.evaluate` each trainee sees in their own
debrief, so the group view always adds up to the individual ones.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from scoring.exports import spreadsheet_safe
from scoring.model import SEVERITIES, THEME_TITLES

if TYPE_CHECKING:
    from scoring.model import Assessment, Finding
    from sim.session import Session
    from tui.workshop.service.facilitator import Info

TEMPLATES = Path(__file__).parent.parent / "templates"  # beside the served page's


@dataclass(frozen=True)
class TraineeResult:
    label: str
    name: str | None
    score: float
    capped: bool
    finished: bool
    status: str
    stage: str
    actions: int
    findings: list[Finding]
    # Each challenge the trainee put, as they put it, and how the other professional
    # answered: (what was said, the outcome in words).
    challenges: tuple[tuple[str, str], ...] = ()


@dataclass
class RuleCount:
    """How one rule went across the group."""

    rule: str
    title: str
    clause: str
    citation: str
    theme: str
    trainees: int = 0
    findings: int = 0
    severities: Counter[str] = field(default_factory=Counter)
    who: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    what: str
    trainees: int
    who: list[str]


@dataclass(frozen=True)
class Cohort:
    code: str
    name: str
    title: str
    seed: int
    state: str
    names_shown: bool
    trainees: list[TraineeResult]
    rules: list[RuleCount]
    decisions: list[Decision]
    injects: list[tuple[int, str, bool]]

    @property
    def mean_score(self) -> float | None:
        return statistics.fmean(t.score for t in self.trainees) if self.trainees else None

    @property
    def median_score(self) -> float | None:
        return statistics.median(t.score for t in self.trainees) if self.trainees else None


def build(info: Info, sessions: list[tuple[Any, str, Session, Assessment]],
          names: bool = False) -> Cohort:
    trainees: list[TraineeResult] = []
    rules: dict[str, RuleCount] = {}
    decisions: dict[str, list[str]] = {}
    for row, label, session, assessment in sessions:
        shown = f"{label} ({row['name']})" if names else label
        trainees.append(TraineeResult(label, row["name"] if names else None, assessment.score,
                                      assessment.capped, session.finished, session.status,
                                      session.stage.name, len(session.actions),
                                      list(assessment.findings), challenges(session)))
        for rule_id in assessment.rules_checked:
            rules.setdefault(rule_id, _rule(session, rule_id))
        for finding in assessment.findings:
            count = rules.setdefault(finding.rule, _rule(session, finding.rule))
            count.findings += 1
            count.theme = count.theme or finding.theme
            count.severities[finding.severity] += 1
            if shown not in count.who:
                count.who.append(shown)
                count.trainees += 1
        for what in _decisions(session):
            who = decisions.setdefault(what, [])
            if shown not in who:
                who.append(shown)
    ordered = sorted(rules.values(), key=lambda r: (-r.trainees, _rule_key(r.rule)))
    made = sorted((Decision(what, len(who), who) for what, who in decisions.items()),
                  key=lambda d: (-d.trainees, d.what))
    return Cohort(info.code, info.name, info.title, info.seed, info.state, names, trainees,
                  ordered, made, info.injects)


def challenges(session: Session) -> tuple[tuple[str, str], ...]:
    """Each challenge the trainee put (their words) and how it was answered."""
    from scoring.conversation_debrief import OUTCOME_WORDS

    return tuple((c["said"], OUTCOME_WORDS.get(c["outcome"], c["outcome"]))
                 for c in session.conversations)


def _rule(session: Session, rule_id: str) -> RuleCount:
    rule = next((r for r in session.policy.rules if r.id == rule_id), None)
    if rule is None:
        return RuleCount(rule_id, rule_id, "", "", "")
    return RuleCount(rule_id, rule.title, rule.clause, rule.quote, "")


def _rule_key(rule_id: str) -> tuple[str, int]:
    prefix = rule_id.rstrip("0123456789")
    return prefix, int(rule_id[len(prefix):] or 0)


def _decisions(session: Session) -> set[str]:
    """The group-comparable decisions one trainee took: whom they contacted or referred to
    (and whether the office was open), how far they escalated, what they notified."""
    policy = session.policy
    out: set[str] = set()
    for at, action in session.actions:
        hours = "in office hours" if session.cal.is_office_hours(at) else "out of office hours"
        if action.kind in ("contact", "refer"):
            role = policy.role(action.role).title  # type: ignore[union-attr]
            verb = "Referred to" if action.kind == "refer" else "Contacted"
            out.add(f"{verb} {role} {hours}")
        elif action.kind == "escalate":
            out.add("Escalated at least once")
        elif action.kind == "notify":
            out.add(f"Sent notification: {action.notification}")  # type: ignore[union-attr]
        elif action.kind == "professionals_meeting":
            out.add("Convened a professionals meeting" if action.decision == "convene"  # type: ignore[union-attr]
                    else "Considered a professionals meeting (not needed)")
    out.add(f"Reached {session.stage.name}")
    out.add(f"Ended {session.status}" + ("" if session.finished else " (not finished)"))
    return out


# ---------------------------------------------------------------------- exports

RULE_COLUMNS = ("rule", "title", "clause", "theme", "trainees", "of", "findings", "critical",
                "major", "minor", "good_practice", "who")
FINDING_COLUMNS = ("trainee", "rule", "severity", "theme", "at", "stage", "expected",
                   "observed", "clause")


def rules_csv(cohort: Cohort) -> str:
    """One row per rule checked: how many trainees had a finding under it, and who."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(RULE_COLUMNS)
    for r in cohort.rules:
        writer.writerow([spreadsheet_safe(cell) for cell in (
            r.rule, r.title, r.clause, r.theme, r.trainees, len(cohort.trainees), r.findings,
            *[r.severities.get(s, 0) for s in SEVERITIES], "; ".join(r.who))])
    return out.getvalue()


def findings_csv(cohort: Cohort) -> str:
    """Every finding of every trainee (labels, or names when shown)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FINDING_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for trainee in cohort.trainees:
        who = f"{trainee.label} ({trainee.name})" if trainee.name else trainee.label
        for finding in trainee.findings:
            row = {**finding.to_dict(), "trainee": who}
            writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return out.getvalue()


def html(cohort: Cohort) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html.j2",)),
                      trim_blocks=True, lstrip_blocks=True)
    return env.get_template("cohort.html.j2").render(
        c=cohort, severities=SEVERITIES, theme_titles=THEME_TITLES)


def text(cohort: Cohort) -> str:
    """A short plain-text summary for the terminal."""
    lines = [f"{cohort.name} — {cohort.title} (workshop {cohort.code}, seed {cohort.seed}, "
             f"{cohort.state})", f"{len(cohort.trainees)} trainee(s)"]
    if cohort.trainees:
        lines[-1] += f"; mean score {cohort.mean_score:.0f}, median {cohort.median_score:.0f}"
    lines.append("")
    lines.append("Findings by rule (trainees with at least one finding):")
    for r in cohort.rules:
        lines.append(f"  {r.rule:<4} {r.trainees:>3}/{len(cohort.trainees)}  {r.title}")
    lines.append("")
    lines.append("Decisions across the group:")
    for d in cohort.decisions:
        lines.append(f"  {d.trainees:>3}  {d.what}")
    put = [(t, c) for t in cohort.trainees for c in t.challenges]
    if put:
        lines.append("")
        lines.append("Challenges put to the other professional:")
        for trainee, (said, outcome) in put:
            who = f"{trainee.label} ({trainee.name})" if trainee.name else trainee.label
            lines.append(f"  {who}: \"{said}\" — {outcome}")
    return "\n".join(lines) + "\n"


def write_all(cohort: Cohort, folder: Path) -> list[Path]:
    """cohort-CODE.html, cohort-CODE-rules.csv and cohort-CODE-findings.csv in ``folder``."""
    from tui.store import write_atomic

    paths = [folder / f"cohort-{cohort.code}.html", folder / f"cohort-{cohort.code}-rules.csv",
             folder / f"cohort-{cohort.code}-findings.csv"]
    from scoring.exports import with_bom

    for path, content in zip(paths, (html(cohort), with_bom(rules_csv(cohort)),
                                     with_bom(findings_csv(cohort))), strict=True):
        write_atomic(path, content)
    return paths
