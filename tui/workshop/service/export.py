"""`escalate workshop export`: every trainee's records for the facilitator to file.

Per trainee: the findings CSV, an xAPI statement (real time joined → last action as the
duration) and the printable completion record; for the group: all statements in one JSON
array (for a learning record store) and a one-row-per-trainee CSV. CSVs are UTF-8 with a
byte-order mark. ``anonymous`` writes "Trainee N" instead of names everywhere.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

SUMMARY_COLUMNS = ("number", "trainee", "score", "passed", "pass_mark", "finished",
                   "started", "ended", "minutes", "findings", "rules")


def write_all(facilitator: Any, folder: Path, anonymous: bool = False,
              home_page: str | None = None) -> list[Path]:
    from scoring import evaluate, exports
    from scoring.score import PASS_MARK, passed
    from tui.records import from_workshop
    from tui.store import write_atomic

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    statements = []
    summary = io.StringIO()
    table = csv.DictWriter(summary, fieldnames=SUMMARY_COLUMNS)
    table.writeheader()
    home = {"home_page": home_page} if home_page else {}
    for number, record in enumerate(from_workshop(facilitator, names=not anonymous), 1):
        session, who = record.session, record.trainee or f"Trainee {number}"
        assessment = evaluate(session)
        stem = folder / f"trainee-{number}"
        statement = exports.xapi(session, who, timestamp=record.ended, seconds=record.seconds,
                                 started=record.started, **home)
        statements.append(statement)
        files = {
            Path(f"{stem}-findings.csv"): exports.with_bom(exports.findings_csv(session)),
            Path(f"{stem}-xapi.json"): json.dumps(statement, indent=2, ensure_ascii=False)
            + "\n",
            Path(f"{stem}-completion.html"): exports.completion_html(
                session, who, record.started, record.ended, record.seconds),
        }
        for path, text in files.items():
            write_atomic(path, text)
            written.append(path)
        table.writerow({
            "number": number, "trainee": who, "score": f"{assessment.score:g}",
            "passed": "yes" if passed(assessment.score, assessment.findings) else "no",
            "pass_mark": f"{PASS_MARK:g}", "finished": "yes" if session.finished else "no",
            "started": record.started.isoformat(timespec="seconds") if record.started else "",
            "ended": record.ended.isoformat(timespec="seconds") if record.ended else "",
            "minutes": f"{record.seconds / 60:.1f}" if record.seconds is not None else "",
            "findings": len(assessment.findings),
            "rules": " ".join(sorted(assessment.rule_ids)),
        })
    group = folder / f"workshop-{facilitator.code}-statements.json"
    write_atomic(group, json.dumps(statements, indent=2, ensure_ascii=False) + "\n")
    trainees = folder / f"workshop-{facilitator.code}-trainees.csv"
    write_atomic(trainees, exports.with_bom(summary.getvalue()))
    return [*written, group, trainees]
