"""The debrief: the trainee's timeline beside what good looked like, findings grouped by
stage with their citations, and the records the trainee made, as Markdown or HTML."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scoring import evaluate
from scoring.conversation_debrief import conversation_debrief
from scoring.delay import delay_consequences
from scoring.exports import appendix1_table, appendix2_markdown
from scoring.forms import appendix1_rows, appendix2_fields, organisation, record_type
from scoring.model import THEME_TITLES, Assessment, Finding
from scoring.render import render
from scoring.score import CRITICAL_CAP, cap_words
from sim import actions as A
from sim.players import play
from sim.session import Session

HIDDEN_KINDS = frozenset({"start", "finished"})


def what_good_looked_like(session: Session) -> Session:
    """The scripted perfect player on the same case and seed, meeting the same injects.

    A workshop facilitator's injects are part of the trainee's case: each lands in the model
    answer at the simulated time it reached the trainee, so an injected immediate risk is
    answered by the emergency route there too, not by carrying on up the ladder."""
    fresh = Session(session.scenario, session.seed, session.policy,
                    generated=session.generated)
    injects = [(at, action) for at, action in session.actions if isinstance(action, A.Inject)]
    return play(fresh, "perfect", injects)


def _groups(session: Session, findings: list[Finding]) -> list[dict[str, Any]]:
    order = [stage.id for stage in session.policy.stages]
    names = {stage.id: stage.name for stage in session.policy.stages}
    keys = sorted({f.stage for f in findings},
                  key=lambda s: order.index(s) if s in order else len(order))
    return [{"name": names.get(k, "Whole case") if k else "Whole case",
             "findings": [f for f in findings if f.stage == k]} for k in keys]


def _events(session: Session) -> list[Any]:
    return [e for e in session.timeline if e.kind not in HIDDEN_KINDS]


def _context(session: Session, assessment: Assessment | None = None) -> dict[str, Any]:
    assessment = assessment or evaluate(session)
    good = what_good_looked_like(session)
    scenario, policy = session.scenario, session.policy
    log = record_type(session, "summary_log")
    report = record_type(session, "stage_report")
    kinds_shown_elsewhere = {r.id for r in (log, report) if r is not None}
    others = [{"at": datetime.fromisoformat(r["at"]), "title": policy.record(r["record"]).title
               if r["record"] in {x.id for x in policy.records} else r["record"],
               "stage": policy.stage(r["stage"]).name, "text": r.get("text", "")}
              for r in session.records if r["record"] not in kinds_shown_elsewhere]
    columns, rows = appendix1_rows(session) if log else ([], None)
    made_report = report is not None and any(r["record"] == report.id for r in session.records)
    return {
        "a": assessment, "cap": CRITICAL_CAP,
        "cap_words": cap_words(assessment.score, assessment.findings),
        "scenario": scenario, "policy": policy,
        "seat": f"{session.seat_title} ({organisation(session, scenario.seat.agency)})",
        "other": f"{scenario.other.title or policy.role(scenario.other.role).title} "
                 f"({organisation(session, scenario.other.agency)})",
        "local_check": policy.local_check_note(),
        "seed": session.seed, "start": session.start,
        "end": session.finished_at or session.now, "status": session.status,
        "themes": list(THEME_TITLES.items()), "themes_map": THEME_TITLES,
        "groups": _groups(session, assessment.findings),
        "mine": _events(session), "good": _events(good),
        "talk": conversation_debrief(session, good),
        "delay": delay_consequences(session),
        "good_score": evaluate(good).score,
        "appendix1": appendix1_table(session) if log else "",
        "appendix1_columns": columns, "appendix1_rows": rows,
        "other_records": others,
        "appendix2": appendix2_markdown(session).replace("\n# ", "\n### ", 1)
        .replace("# ", "### ", 1) if made_report else "",
        "appendix2_fields": appendix2_fields(session) if made_report else [],
        "appendix2_title": report.title if report else "",
    }


def debrief_markdown(session: Session, assessment: Assessment | None = None) -> str:
    return render("debrief.md.j2", **_context(session, assessment))


def debrief_html(session: Session, assessment: Assessment | None = None) -> str:
    """A standalone HTML page (inline CSS, no scripts, nothing fetched)."""
    return render("debrief.html.j2", **_context(session, assessment))
