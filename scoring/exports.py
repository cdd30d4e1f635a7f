"""Exports of a session: findings CSV, the policy's forms (Appendix 1 CSV/table, Appendix 2
Markdown/HTML) and an xAPI statement for a learning record store."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scoring import evaluate
from scoring.forms import appendix1_rows, appendix2_fields, record_type
from scoring.render import md_cell, render
from scoring.score import PASS_MARK, passed
from sim.session import Session

XAPI_VERSION = "1.0.3"
ACTIVITY_BASE = "https://escalation-trainer.example.org/xapi/activities"
DEFAULT_HOME_PAGE = "https://escalation-trainer.example.org"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
SIMULATION = "http://adlnet.gov/expapi/activities/simulation"
LOCAL_TIME = ZoneInfo("Europe/London")  # simulated times are UK office time
FINDING_COLUMNS = ("rule", "severity", "at", "stage", "theme", "expected", "observed",
                   "citation", "clause", "penalty")


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: one that starts like a formula (``=``, ``+``,
    ``-``, ``@``, tab, carriage return) gets a leading apostrophe (OWASP's CSV injection
    advice); anything else, and every non-text value, is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _safe_row(row: dict[str, Any]) -> dict[str, Any]:
    return {key: spreadsheet_safe(value) for key, value in row.items()}


class ExportError(ValueError):
    """An export this session cannot give (e.g. the policy has no such form)."""


def findings_csv(session: Session) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FINDING_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for finding in evaluate(session).findings:
        writer.writerow(_safe_row(finding.to_dict()))
    return out.getvalue()


def _need(session: Session, kind: str, name: str) -> None:
    if record_type(session, kind) is None:
        raise ExportError(f"policy '{session.policy.id}' has no {name}")


def appendix1_csv(session: Session) -> str:
    _need(session, "summary_log", "Escalation Summary Log (Appendix 1)")
    columns, rows = appendix1_rows(session)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(_safe_row(row) for row in rows)  # trainees' notes are free text
    return out.getvalue()


def appendix1_table(session: Session) -> str:
    """The Escalation Summary Log as a Markdown table."""
    _need(session, "summary_log", "Escalation Summary Log (Appendix 1)")
    columns, rows = appendix1_rows(session)
    lines = ["| " + " | ".join(md_cell(c) for c in columns) + " |",
             "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(md_cell(row[c]) for c in columns) + " |" for row in rows]
    if not rows:
        lines.append("| " + " | ".join(["(no entries)"] + [""] * (len(columns) - 1)) + " |")
    return "\n".join(lines) + "\n"


def appendix2_markdown(session: Session) -> str:
    _need(session, "stage_report", "stage report (Appendix 2)")
    return render("appendix2.md.j2", **_appendix2_context(session))


def appendix2_html(session: Session) -> str:
    _need(session, "stage_report", "stage report (Appendix 2)")
    return render("appendix2.html.j2", **_appendix2_context(session))


def _appendix2_context(session: Session) -> dict[str, Any]:
    report = record_type(session, "stage_report")
    assert report is not None
    return {"title": report.title, "fields": appendix2_fields(session),
            "made": any(r["record"] == report.id for r in session.records),
            "policy": session.policy}


# ---------------------------------------------------------------------- xAPI


def activity_id(session: Session) -> str:
    """One activity per scenario version (generated cases: per policy version and seed)."""
    scenario = session.scenario
    if session.generated:
        return (f"{ACTIVITY_BASE}/policy/{session.policy.id}/v{session.policy.version}"
                f"/generated/{session.seed}")
    return f"{ACTIVITY_BASE}/scenario/{scenario.id}/v{scenario.version}"


def iso_duration(delta: timedelta) -> str:
    """ISO 8601 duration, e.g. P1DT2H30M (PT0S for nothing)."""
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    time = "".join(f"{v}{u}" for v, u in ((hours, "H"), (minutes, "M"), (secs, "S")) if v)
    out = "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")
    return out if out != "P" else "PT0S"


def xapi(session: Session, actor_account_name: str,
         home_page: str = DEFAULT_HOME_PAGE) -> dict[str, Any]:
    """A 'completed' statement: scaled/raw score, success (pass mark, no critical finding),
    duration of the exercise in simulated time, and an account actor (never an e-mail)."""
    if not actor_account_name.strip():
        raise ExportError("the xAPI actor needs an account name")
    assessment = evaluate(session)
    end = session.finished_at or session.now
    digest = hashlib.sha256(json.dumps(
        [activity_id(session), actor_account_name, session.seed,
         [(at.isoformat(), a.model_dump(mode="json")) for at, a in session.actions]],
        sort_keys=True, default=str).encode()).hexdigest()
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, digest)),
        "version": XAPI_VERSION,
        "actor": {"objectType": "Agent",
                  "account": {"homePage": home_page, "name": actor_account_name}},
        "verb": {"id": COMPLETED, "display": {"en-GB": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": activity_id(session),
            "definition": {"name": {"en-GB": session.scenario.title},
                           "type": SIMULATION},
        },
        "result": {
            "score": {"scaled": round(assessment.score / 100, 4), "raw": assessment.score,
                      "min": 0, "max": 100},
            "success": passed(assessment.score, assessment.findings),
            "completion": session.finished,
            "duration": iso_duration(end - session.start),
        },
        "context": {"extensions": {
            f"{ACTIVITY_BASE}/ext/policy": f"{session.policy.id} v{session.policy.version}",
            f"{ACTIVITY_BASE}/ext/seed": session.seed,
            f"{ACTIVITY_BASE}/ext/findings": sorted(assessment.rule_ids),
            f"{ACTIVITY_BASE}/ext/pass-mark": PASS_MARK,
        }},
        "timestamp": _aware(end).isoformat(),
    }


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=LOCAL_TIME) if when.tzinfo is None else when
