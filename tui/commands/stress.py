"""`escalate stress POLICY`: Monte Carlo stress test of a policy's stage timescales."""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path
from typing import Any

from tui.commands.common import fail, load_policy_or_fail, print_json

KEY_METRICS = ("resolved.", "breach.", "resolved_by_final_deadline",
               "working_days_to_resolution.", "immediate_risk.wait_days.mean")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "stress", help="Monte Carlo stress test of a policy's stage timescales",
        description="Run many autonomous cases through a policy's ladder and report stage "
        "resolution, deadline breaches, time to resolution, waits under immediate risk and "
        "load per role, each with a 95%% confidence interval.")
    parser.add_argument("policy", metavar="POLICY", help="bundled policy id or YAML file")
    parser.add_argument("--cases", default="10000", metavar="N", help="cases per variant")
    parser.add_argument("--seed", default="1", metavar="S")
    parser.add_argument("--jobs", default="1", metavar="J", help="parallel processes")
    parser.add_argument("--player", default="perfect", choices=["perfect", "late", "passive"])
    parser.add_argument("--engine", default="simpy", choices=["simpy", "fast"],
                        help="simpy: full model with role queues; fast: numpy, no queues")
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                        dest="sets", help="change a numeric parameter, e.g. "
                        "behaviour.reply_hours.median=16 (repeatable)")
    parser.add_argument("--sweep", metavar="PATH=START:STOP:STEP",
                        help="one variant per value, on the same cases")
    parser.add_argument("--reading", choices=["working", "calendar", "both"],
                        help="read 'Day N' as working or calendar days, or compare both")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler tcp://host:port")
    parser.add_argument("--out", metavar="DIR", help="write metrics.csv and PNG plots here")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


MAX_CASES = 10_000_000  # per variant: minutes of work on a laptop, not weeks
MAX_JOBS = 256


def _whole(text: str, flag: str, minimum: int, maximum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        fail(f"{flag} must be a whole number, got {text!r}")
    if value < minimum:
        fail(f"{flag} must be at least {minimum}, got {value}")
    if value > maximum:
        fail(f"{flag} can be at most {maximum:,}, got {value:,}")
    return value


def run(args: argparse.Namespace) -> int:
    from tui.commands.common import MAX_SEED

    cases = _whole(args.cases, "--cases", 1, MAX_CASES)
    seed = _whole(args.seed, "--seed", 0, MAX_SEED)
    jobs = _whole(args.jobs, "--jobs", 1, MAX_JOBS)
    if args.scheduler and not re.fullmatch(r"(tcp|tls|inproc)://\S+", args.scheduler):
        fail(f"--scheduler expects an address like tcp://host:8786, got {args.scheduler!r}")
    from sim.montecarlo import run_stress
    from sim.whatif import WhatIfError, build_variants

    policy = load_policy_or_fail(args.policy)
    try:
        variants = build_variants(policy, args.sets, args.sweep, args.reading)
    except WhatIfError as exc:
        fail(str(exc))
    try:
        with _progress(cases, quiet=args.json) as tick:
            result = run_stress(variants, cases, seed, engine=args.engine, player=args.player,
                                jobs=jobs, scheduler=args.scheduler, progress=tick)
    except OSError as exc:
        fail(f"cannot reach the Dask scheduler {args.scheduler}: {exc}", code=1)
    sweep_path = args.sweep.partition("=")[0].strip() if args.sweep else None
    files = _write_outputs(result, Path(args.out), sweep_path) if args.out else []
    if args.json:
        print_json(_summary(result, policy.id, sweep_path, files))
    else:
        _print_table(result, policy, files)
    return 0


class _progress:
    """A rich progress bar on stderr (nothing with --json); yields the tick callback."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.total, self.quiet, self.bar = total, quiet, None

    def __enter__(self):
        if self.quiet:
            return None
        from rich.console import Console
        from rich.progress import Progress

        self.bar = Progress(console=Console(stderr=True), transient=True)
        self.bar.start()
        task = self.bar.add_task("cases", total=self.total)
        return lambda n: self.bar.advance(task, n)

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.stop()


def _summary(result: Any, policy_id: str, sweep_path: str | None, files: list[Path]) -> dict:
    return {
        "policy": policy_id,
        "engine": result.engine,
        "player": result.player,
        "seed": result.seed,
        "cases": result.cases,
        "jobs": result.jobs,
        "variants": [v.label for v in result.variants],
        "sweep": sweep_path,
        "elapsed_s": round(result.elapsed_s, 4),
        "cases_per_s": round(result.cases_per_s, 1),
        "files": [str(f) for f in files],
        "metrics": [m.to_dict() for m in result.metrics],
    }


def _write_outputs(result: Any, out: Path, sweep_path: str | None) -> list[Path]:
    from sim.plots import breach_plot, resolution_plot

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"cannot create --out directory {out}: {exc.strerror}", code=1)
    table = out / "metrics.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["variant", "name", "mean", "ci_low", "ci_high", "n", "unit"])
        for m in result.metrics:
            writer.writerow([m.variant or "base", m.name, m.mean, m.ci_low, m.ci_high, m.n,
                             m.unit])
    return [table, breach_plot(result, out / "breach.png", sweep_path),
            resolution_plot(result, out / "time_to_resolution.png")]


def _cell(m: Any) -> str:
    scale, fmt = (100, "{:.1f}%") if m.unit == "share" else (1, "{:.2f}")
    if m.mean != m.mean:  # nan
        return "—"
    text = fmt.format(m.mean * scale)
    if m.ci_low == m.ci_low:
        text += f"  [{fmt.format(m.ci_low * scale)}, {fmt.format(m.ci_high * scale)}]"
    return text


def _print_table(result: Any, policy: Any, files: list[Path]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    labels = [v.label for v in result.variants] if len(result.variants) > 1 else [None]
    names = list(dict.fromkeys(m.name for m in result.metrics))
    if len(labels) > 1:
        names = [n for n in names if n.startswith(KEY_METRICS)]
    by_key = {(m.variant, m.name): m for m in result.metrics}
    reading = policy.day_reading
    table = Table(title=Text(f"{policy.title}\n{result.cases:,} cases per variant, player "
                  f"{result.player}, engine {result.engine}, seed {result.seed}; "
                  f"'Day N' as {reading.day_unit.replace('_', ' ')} unless a variant says "
                  "otherwise. Estimates with 95% CI."))
    table.add_column("Metric")
    for label in labels:
        table.add_column(Text(label or "Estimate [95% CI]"), overflow="fold")
    for name in names:
        unit = next(m.unit for m in result.metrics if m.name == name)
        row = [f"{name} ({unit})" if unit != "share" else name]
        row += [_cell(by_key[(label, name)]) if (label, name) in by_key else "—"
                for label in labels]
        table.add_row(*(Text(cell) for cell in row))
    console = Console(width=max(100, Console().width))
    console.print(table)
    console.print(f"{result.cases * len(result.variants):,} cases in {result.elapsed_s:.2f} s "
                  f"({result.cases_per_s:,.0f} cases/s, jobs {result.jobs}).")
    if files:
        console.print("Wrote " + ", ".join(str(f) for f in files), markup=False)
    else:
        print("Use --out DIR for metrics.csv and plots.", file=sys.stderr)
