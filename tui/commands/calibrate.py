"""`escalate calibrate POLICY records.csv`: fit reply times and resolve chances from local
escalation records, print the fit beside the policy's defaults, back-test it."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from tui.commands.common import fail, load_policy_or_fail, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "calibrate", help="fit reply times and resolve chances from escalation records",
        description="Fit the policy's behaviour (reply times by role, phone pick-up, the "
        "chance of agreement at each step) to local records, one row per contact: "
        "case,step,role,sent,replied,outcome (docs/stress.md). One case in five is held "
        "back to test the fit. The fit prints as --set arguments for escalate stress.")
    parser.add_argument("policy", metavar="POLICY", help="bundled policy id or YAML file")
    parser.add_argument("records", metavar="RECORDS.csv")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from sim.calibrate import RecordsError, backtest, fit, read_records

    policy = load_policy_or_fail(args.policy)
    try:
        records = read_records(Path(args.records), policy)
        whole = fit(records, policy)
        try:
            _, rows = backtest(records, policy)
        except RecordsError:
            rows = []
    except RecordsError as exc:
        fail(str(exc), code=1)
    if args.json:
        print_json({"policy": policy.id, "records": whole.records,
                    "no_reply": whole.no_reply,
                    "estimates": [e.to_dict() for e in whole.estimates],
                    "backtest": rows, "sets": whole.sets()})
        return 0
    _print(policy, whole, rows)
    return 0


def _num(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.3g}"


def _print(policy, whole, rows) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(width=max(100, Console().width))
    table = Table(title=f"{policy.title}\nFit to {whole.records:,} contacts "
                  f"({whole.no_reply:,} never answered: counted, not fitted). 95% CIs.")
    for column in ("Parameter", "Fitted", "95% CI", "n", "Policy now"):
        table.add_column(column)
    for e in whole.estimates:
        table.add_row(escape(e.name), _num(e.value), f"{_num(e.ci_low)} – {_num(e.ci_high)}",
                      str(e.n), _num(e.current))
    console.print(table)
    if rows:
        check = Table(title="Back-test: fit on four cases in five, checked on the fifth")
        for column in ("Check", "n", "Predicted", "Observed", "Within 95%"):
            check.add_column(column)
        for row in rows:
            check.add_row(escape(row["what"]), str(row["n"]), row["predicted"], row["observed"],
                          "yes" if row["ok"] else "NO")
        console.print(check)
        passed = sum(r["ok"] for r in rows)
        console.print(f"{passed} of {len(rows)} checks within their 95% interval "
                      f"(expect about 95%).")
    console.print("Use the fit: escalate stress " + policy.id + " " +
                  " ".join(f"--set {s}" for s in whole.sets()), soft_wrap=True)
