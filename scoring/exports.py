"""Exports of a session: findings CSV, the policy's forms (Appendix 1 CSV/table, Appendix 2
Markdown/HTML) and an xAPI statement for a learning record store."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
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


CSV_BOM = "\ufeff"  # so that Excel reads the UTF-8 (en dashes, names) as UTF-8

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


def with_bom(text: str) -> str:
    """A CSV as written to a file: UTF-8 with a byte-order mark (once)."""
    return text if text.startswith(CSV_BOM) else CSV_BOM + text


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
         home_page: str = DEFAULT_HOME_PAGE, *, timestamp: datetime | None = None,
         seconds: float | None = None, started: datetime | None = None) -> dict[str, Any]:
    """A 'completed' statement (xAPI 1.0.3): scaled/raw score, success (pass mark, no
    critical finding), completion, and an account actor (never an e-mail).

    ``timestamp`` is the real (wall-clock) time the experience ended, and ``duration`` the
    real time spent (``seconds``, else ``timestamp - started``); without them the statement
    is stamped now and carries no duration. The simulated times of the case (a Friday
    16:40 start, days of world time) go in context extensions, never in those fields."""
    if not actor_account_name.strip():
        raise ExportError("the xAPI actor needs an account name")
    assessment = evaluate(session)
    end = session.finished_at or session.now
    when = _utc(timestamp) if timestamp is not None else datetime.now(UTC)
    if seconds is None and started is not None and timestamp is not None:
        seconds = (_utc(timestamp) - _utc(started)).total_seconds()
    digest = hashlib.sha256(json.dumps(
        [activity_id(session), actor_account_name, session.seed,
         [(at.isoformat(), a.model_dump(mode="json")) for at, a in session.actions],
         timestamp.isoformat() if timestamp is not None else None],
        sort_keys=True, default=str).encode()).hexdigest()
    result: dict[str, Any] = {
        "score": {"scaled": round(assessment.score / 100, 4), "raw": assessment.score,
                  "min": 0, "max": 100},
        "success": passed(assessment.score, assessment.findings),
        "completion": session.finished,
    }
    if seconds is not None:
        result["duration"] = iso_duration(timedelta(seconds=seconds))
    ext = f"{ACTIVITY_BASE}/ext"
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
        "result": result,
        "context": {"language": "en-GB", "extensions": {
            f"{ext}/policy": f"{session.policy.id} v{session.policy.version}",
            f"{ext}/policy-dated": session.policy.source.date,
            f"{ext}/seed": session.seed,
            f"{ext}/findings": sorted(assessment.rule_ids),
            f"{ext}/pass-mark": PASS_MARK,
            f"{ext}/simulated-start": _aware(session.start).isoformat(),
            f"{ext}/simulated-end": _aware(end).isoformat(),
            f"{ext}/simulated-duration": iso_duration(end - session.start),
        }},
        "timestamp": when.isoformat(timespec="seconds"),
    }


def _utc(when: datetime) -> datetime:
    """An aware UTC time; a naive one is taken to be UTC (wall clocks are stored so)."""
    return (when.replace(tzinfo=UTC) if when.tzinfo is None else when).astimezone(UTC)


# ---------------------------------------------------------------------- completion record


def _duration_words(seconds: float | None) -> str:
    if seconds is None:
        return "not recorded"
    minutes = max(0, round(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min" if minutes else "under a minute"


def completion_html(session: Session, trainee: str | None = None,
                    started: datetime | None = None, ended: datetime | None = None,
                    seconds: float | None = None) -> str:
    """A printable (A4, print CSS) completion record for a CPD file: trainee, scenario,
    policy and its date, date trained, time spent, score, pass mark, pass or not, and the
    findings with the clause each cites. Standalone: no scripts, nothing fetched."""
    assessment = evaluate(session)
    ok = passed(assessment.score, assessment.findings)
    policy = session.policy
    e = html.escape
    trained = (_utc(ended or started).astimezone(LOCAL_TIME).strftime("%A %d %B %Y, %H:%M")
               if (ended or started) else "not recorded")
    if not session.finished:
        trained += " (case not finished)"
    dated = policy.source.date or "no date given in the document"
    assumed = " — its stage ladder is an assumption (the document has none)" \
        if policy.ladder_is_assumption else ""
    rows = "".join(
        f"<tr><td>{e(f.rule)}</td><td>{e(f.severity.replace('_', ' '))}</td>"
        f"<td>{e(str(f.observed))}<br><small>Expected: {e(str(f.expected))}</small></td>"
        f"<td>{e(str(f.citation or ''))}"
        f"{'<br><small>' + e(f.clause) + '</small>' if f.clause else ''}</td></tr>"
        for f in assessment.findings)
    findings = (f"<table><thead><tr><th>Rule</th><th>Severity</th><th>What happened</th>"
                f"<th>The policy says</th></tr></thead><tbody>{rows}</tbody></table>"
                if rows else "<p>No findings: every duty checked was met.</p>")
    name = e(trainee) if trainee else "<span class='blank'></span>"
    verdict = "Passed" if ok else "Not passed"
    capped = " (capped: a critical finding)" if assessment.capped else ""
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Completion record: {e(session.scenario.title)}</title>
<style>
body {{ font-family: system-ui, "Segoe UI", Arial, sans-serif; max-width: 48rem;
       margin: 2rem auto; padding: 0 1rem; color: #111; line-height: 1.4; }}
h1 {{ font-size: 1.5rem; margin-bottom: 0.2rem; }}
dl {{ display: grid; grid-template-columns: 12rem 1fr; gap: 0.3rem 1rem; }}
dt {{ font-weight: 600; }}
dd {{ margin: 0; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9rem; }}
th, td {{ border: 1px solid #999; padding: 0.3rem; text-align: left; vertical-align: top; }}
.verdict {{ font-size: 1.2rem; font-weight: 700; }}
.blank {{ display: inline-block; min-width: 16rem; border-bottom: 1px solid #000; }}
.sign {{ margin-top: 2.5rem; display: grid; grid-template-columns: 1fr 1fr; gap: 2rem; }}
.sign div {{ border-top: 1px solid #000; padding-top: 0.2rem; }}
footer {{ margin-top: 2rem; font-size: 0.8rem; color: #444; }}
@page {{ size: A4; margin: 18mm; }}
@media print {{
  body {{ margin: 0; max-width: none; font-size: 11pt; }}
  tr, .sign {{ break-inside: avoid; }}
  thead {{ display: table-header-group; }}
  a {{ color: inherit; text-decoration: none; }}
}}
</style>
</head>
<body>
<h1>Completion record</h1>
<p>Escalation trainer: inter-agency safeguarding escalation practice (simulated case;
all people are invented).</p>
<dl>
<dt>Trainee</dt><dd>{name}</dd>
<dt>Scenario</dt><dd>{e(session.scenario.title)} (version {session.scenario.version})</dd>
<dt>Policy</dt><dd>{e(policy.title)} (version {policy.version}){e(assumed)}</dd>
<dt>Policy document</dt><dd>{e(policy.source.title)}; {e(dated)}</dd>
<dt>Date trained</dt><dd>{e(trained)}</dd>
<dt>Time spent</dt><dd>{e(_duration_words(seconds))}</dd>
<dt>Score</dt><dd>{assessment.score:g} / 100{e(capped)}</dd>
<dt>Pass mark</dt><dd>{PASS_MARK:g}, with no critical finding</dd>
<dt>Result</dt><dd class="verdict">{verdict}</dd>
</dl>
<h2>Findings</h2>
{findings}
<div class="sign"><div>Signed (trainee)</div><div>Signed (DSL / line manager), date</div></div>
<footer>Seed {session.seed}; the case is replayable from the saved session.</footer>
</body>
</html>
"""


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=LOCAL_TIME) if when.tzinfo is None else when
