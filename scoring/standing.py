"""Where a trainee stands mid-case: on track, behind or at risk, judged on what is due so far.

A live score misleads a facilitator: it drops after one correct call (a duty judged at
"now" looks missed while the trainee can still do it) and to the cap the moment an inject
of immediate risk lands, before anyone could have referred. Here only findings whose
moment has passed count — a duty that fell due before now, or a wrong thing already done —
so a trainee doing the right things stays on track, and the verdict says what a
facilitator can act on: who has missed something (behind) and who has missed something
critical, such as a child at immediate risk left unreferred past its due time (at risk).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from scoring import evaluate
from scoring.model import Assessment, Finding
from sim import actions as A
from sim.session import Session

Verdict = Literal["on track", "behind", "at risk"]
VERDICTS: tuple[Verdict, ...] = ("on track", "behind", "at risk")


@dataclass(frozen=True)
class Standing:
    """The verdict, why (the most serious thing overdue, or what falls due next), and the
    overdue findings it rests on."""

    verdict: Verdict
    reason: str
    overdue: tuple[Finding, ...]


def due_so_far(finding: Finding, session: Session) -> bool:
    """A finding that stands whatever the trainee does next: its moment has passed (or the
    exercise is over). A finding dated "now" is a duty judged at the present moment of a
    case still being played, which the trainee can still meet; so is a referral the
    emergency route still needs while the trainee is in a run of referrals begun on time
    (scoring counts the whole run as on time, each call taking time), and a minor recording
    finding (what an entry says or is dated), which a later entry can put right and so is
    judged when the case ends. A step left without its record stays a finding (major)."""
    if session.finished:
        return True
    if finding.at is None or finding.at >= session.now:
        return False
    if finding.theme == "recording" and finding.severity == "minor":
        return False  # an entry's wording or date: it can still be added or put right
    route = session.emergency_route
    return not (route is not None and finding.rule in route.rules
                and _referring_since_on_time(session))


def _referring_since_on_time(session: Session) -> bool:
    """The trainee's latest actions are an unbroken run of referrals, begun after the risk
    was known and by the time the route is due."""
    known, due = session.risk_known_at, session.risk_due()
    if known is None or due is None:
        return False
    run = []
    for at, action in reversed(session.actions):
        if not isinstance(action, A.Refer) or at < known:
            break
        run.append(at)
    return bool(run) and run[-1] <= due


def standing(session: Session, assessment: Assessment | None = None) -> Standing:
    """The trainee's standing at the session's present moment."""
    assessment = assessment or evaluate(session)
    overdue = tuple(f for f in assessment.problems if due_so_far(f, session))
    critical = [f for f in overdue if f.severity == "critical"]
    if critical:
        return Standing("at risk", _missed(critical[0]), overdue)
    if overdue:
        worst = min(overdue, key=lambda f: ("major", "minor").index(f.severity)
                    if f.severity in ("major", "minor") else 2)
        return Standing("behind", _missed(worst), overdue)
    return Standing("on track", "" if session.finished else _next_due(session), overdue)


def _missed(finding: Finding) -> str:
    title = finding.title or finding.rule
    return f"{finding.rule} {title}" if finding.rule and finding.rule not in title else title


def _next_due(session: Session) -> str:
    """What falls due next: an immediate-risk referral first, else the nearest open deadline."""
    if session.immediate_risk and session.status != "referred" \
            and not session.emergency_route_taken():
        due = session.risk_due()
        return f"immediate risk: refer by {_when(due)}" if due else "immediate risk: refer now"
    upcoming = [v for v in session.observe().deadlines
                if v.state == "open" and v.due is not None and v.due >= session.now]
    if not upcoming:
        return ""
    soonest = min(upcoming, key=lambda v: v.due or session.now)
    return f"next: {soonest.label} by {_when(soonest.due)}"


def _when(moment: datetime | None) -> str:
    return f"{moment:%a %d %b %H:%M}" if moment else ""
