"""The score model: every finding costs points by severity; critical findings cap the score.

``score = max(0, 100 − Σ penalties)``; each theme's score is 100 minus the penalties of the
findings in that theme (floored at 0), so the breakdown adds up to what was lost overall.
Documented in docs/scoring.md. The numbers here weigh kinds of failing; none of them is a
policy timescale.
"""

from __future__ import annotations

from dataclasses import replace

from scoring.model import THEMES, Finding

# Points one finding costs (overall and in its theme). Good-practice notes cost nothing.
PENALTY: dict[str, float] = {"critical": 40.0, "major": 15.0, "minor": 5.0,
                             "good_practice": 0.0}
# With any critical finding the overall score is at most this, however good the rest was.
CRITICAL_CAP = 40.0
# A completed session "succeeds" (xAPI result.success) at or above this, with no critical.
PASS_MARK = 80.0


def priced(findings: list[Finding]) -> list[Finding]:
    """Findings carrying the points each one costs."""
    return [replace(f, penalty=PENALTY[f.severity]) for f in findings]


def theme_scores(findings: list[Finding]) -> dict[str, float]:
    scores = {theme: 100.0 for theme in THEMES}
    for finding in findings:
        scores[finding.theme] = max(0.0, scores[finding.theme] - PENALTY[finding.severity])
    return scores


def overall(findings: list[Finding]) -> tuple[float, bool]:
    """100 minus every penalty; with anything critical, at most the cap (``capped`` True)."""
    score = max(0.0, 100.0 - sum(PENALTY[f.severity] for f in findings))
    critical = any(f.severity == "critical" for f in findings)
    return (min(score, CRITICAL_CAP), True) if critical else (score, False)


def passed(score: float, findings: list[Finding]) -> bool:
    return score >= PASS_MARK and not any(f.severity == "critical" for f in findings)


def cap_words(score: float, findings: list[Finding]) -> str:
    """Why a score is capped, in words a trainee understands ("" when it is not)."""
    critical = [f for f in findings if f.severity == "critical"]
    if not critical:
        return ""
    what = critical[0].title or critical[0].expected
    more = f" (and {len(critical) - 1} more)" if len(critical) > 1 else ""
    lost = sum(PENALTY[f.severity] for f in findings)
    return (f"A critical finding — {what}{more} — means your score can be no higher than "
            f"{CRITICAL_CAP:g}, however well the rest went. Each finding also costs points "
            f"(critical {PENALTY['critical']:g}, major {PENALTY['major']:g}, minor "
            f"{PENALTY['minor']:g}): {lost:g} in all, which leaves {score:g}.")
