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
        "load per role, each with a 95% confidence interval.")
    parser.add_argument("policy", metavar="POLICY", help="bundled policy id or YAML file")
    parser.add_argument("--cases", default="10000", metavar="N", help="cases per variant")
    parser.add_argument("--seed", default="1", metavar="S", help="random seed")
    parser.add_argument("--jobs", default="1", metavar="J", help="parallel processes")
    parser.add_argument("--player", default="population",
                        choices=["population", "perfect", "late", "passive"],
                        help="population: each case played by a prompt, typical or "
                        "stretched practitioner, shares population.prompt / "
                        "population.stretched (docs/stress.md); or one scripted player")
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
    parser.add_argument("--target", metavar="METRIC<=SHARE",
                        help="search the shortest timescale meeting a target, e.g. "
                        "'stage2.breach<=0.10' (the stage's deadline, on the same cases)")
    parser.add_argument("--target-path", metavar="PATH",
                        help="the parameter --target searches (default: the stage's deadline)")
    parser.add_argument("--target-range", metavar="LO:HI:STEP",
                        help="grid --target searches (default 1 to 3× today's value, step 1)")
    parser.add_argument("--tornado", nargs="?", const="auto", metavar="METRIC",
                        help="one-at-a-time sensitivity of METRIC (default the Stage 2 "
                        "breach) to each assumption, low and high, on the same cases")
    parser.add_argument("--by-month", action="store_true",
                        help="also report breaches by the month the concern arises")
    parser.add_argument("--report", metavar="FILE.html",
                        help="write one self-contained printable HTML report")
    parser.add_argument("--out", metavar="DIR",
                        help="write metrics.csv, metrics.json and plots (PNG, SVG) here")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--duty-cases", default=None, metavar="N",
                        help="cases played through the trainer's Session for the breach rate "
                        "of every dated duty (steps, sub-procedures, total cap, routes, "
                        "notifications, letters); default the smaller of --cases and 1000; "
                        "0 leaves the table out")


MAX_CASES = 10_000_000  # per variant: minutes of work on a laptop, not weeks
MAX_JOBS = 256
DUTY_CASES = 1_000  # Session-played cases for the every-dated-duty table (ms each)
MAX_DUTY_CASES = 100_000


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
    duty_cases = (min(cases, DUTY_CASES) if args.duty_cases is None else
                  _whole(args.duty_cases, "--duty-cases", 0, MAX_DUTY_CASES))
    seed = _whole(args.seed, "--seed", 0, MAX_SEED)
    jobs = _whole(args.jobs, "--jobs", 1, MAX_JOBS)
    if args.scheduler and not re.fullmatch(r"(tcp|tls|inproc)://\S+", args.scheduler):
        fail(f"--scheduler expects an address like tcp://host:8786, got {args.scheduler!r}")
    if args.report and not args.report.lower().endswith((".html", ".htm")):
        fail(f"--report expects a file name ending .html, got {args.report!r}")
    from sim.montecarlo import run_stress
    from sim.whatif import WhatIfError, build_variants, parse_sweep

    policy = load_policy_or_fail(args.policy)
    target = None
    inputs = None
    if args.tornado and (args.sweep or args.reading == "both"):
        fail("--tornado varies one input at a time; leave out --sweep and --reading both")
    try:
        variants = build_variants(policy, args.sets, args.sweep, args.reading)
        if args.tornado:
            from sim import sensitivity

            inputs = sensitivity.default_inputs(policy)
            variants = sensitivity.variants(policy, inputs, args.sets)
            tornado_metric = _tornado_metric(args.tornado, policy)
        if args.target:
            from sim.target import current_value, default_path, parse_target

            target = parse_target(args.target, policy)
            current_value(policy, None, args.target_path or default_path(policy, target))
            grid = None
            if args.target_range:
                try:
                    grid = parse_sweep(f"x={args.target_range}")[1]
                except WhatIfError:
                    fail(f"--target-range expects LO:HI:STEP with LO <= HI, a positive "
                         f"step and at most 50 values, got {args.target_range!r}")
    except WhatIfError as exc:
        fail(str(exc))
    try:
        with _progress(cases, quiet=args.json) as tick:
            result = run_stress(variants, cases, seed, engine=args.engine, player=args.player,
                                jobs=jobs, scheduler=args.scheduler, progress=tick)
        found = None
        if target is not None:
            found = _search(args, policy, target, grid, cases, seed, jobs)
    except OSError as exc:
        fail(f"cannot reach the Dask scheduler {args.scheduler}: {exc}", code=1)
    sweep_path = args.sweep.partition("=")[0].strip() if args.sweep else None
    from sim.provenance import provenance

    prov = provenance(result, policy, args.policy, getattr(args, "argv", None))
    bars = None
    if inputs is not None:
        from sim.sensitivity import tornado

        bars = (tornado_metric, *tornado(result, inputs, tornado_metric))
        result = _base_only(result)
    summary = _summary(result, policy.id, sweep_path, [], prov, found)
    duties = _duty_rates(policy, args.player, duty_cases, seed, result, quiet=args.json)
    if duties is not None:
        summary["duties"] = [rate.to_dict() for rate in duties]
    if bars is not None:
        summary["tornado"] = _tornado_dict(*bars)
    if args.by_month:
        summary["season"] = [m.to_dict() for m in result.season()]
    files = _write_outputs(result, Path(args.out), sweep_path, summary) if args.out else []
    if args.out and bars is not None:
        from sim.sensitivity import tornado_plot

        for suffix in (".png", ".svg"):
            files.append(tornado_plot(bars[1], bars[2], bars[0], policy.id,
                                      Path(args.out) / f"tornado{suffix}"))
    if args.report:
        files.append(_write_report(result, policy, prov, sweep_path, found,
                                   Path(args.report), bars, summary.get("duties")))
    summary["files"] = [str(f) for f in files]
    if args.json:
        print_json(summary)
    else:
        _print_table(result, policy, files, found)
        if duties is not None:
            _print_duties(duties, args.player)
        if bars is not None:
            _print_tornado(*bars)
        if args.by_month:
            _print_season(result, policy)
    return 0


def _duty_rates(policy: Any, player: str, cases: int, seed: int, result: Any,
                quiet: bool) -> list | None:
    """Every dated duty's breach rate on ``cases`` Session-played cases of the base policy
    (`scoring.duty_rates`), with the run's population mix; None when asked for none."""
    if cases == 0:
        return None
    from scoring.duty_rates import duty_rates

    base = result.variants[0].policy if result.variants else policy
    mix = result.mixes[0] if result.mixes else None
    with _progress(cases, quiet=quiet) as tick:
        return duty_rates(base, player, cases, seed, mix, progress=tick)


def _print_duties(rates: list, player: str) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    cases = rates[0].cases if rates else 0
    table = Table(title=Text(
        f"Every dated duty: {cases:,} generated cases played through the trainer's Session "
        f"({player}) and marked as trainees are. Breached: share of all cases [95% CI]; "
        "owed: cases whose clock started and came due."))
    for column, ratio in (("Duty (rule)", 2), ("What is dated", 4), ("Owed", 1),
                          ("Breached [95% CI]", 2), ("Of owed", 1)):
        table.add_column(column, ratio=ratio, overflow="fold")
    for rate in rates:
        share, low, high = rate.share
        what = rate.row.label + (" (a guide, not penalised)" if rate.row.advisory else "")
        cells = (f"{rate.row.duty} ({rate.row.rule})", what,
                 f"{rate.owed:,}" if rate.owed else "never",
                 f"{share:.1%} [{low:.1%}, {high:.1%}]",
                 f"{rate.share_of_owed:.1%}" if rate.owed else "—")
        table.add_row(*(Text(cell) for cell in cells))  # a policy's words, never markup
    console = Console()
    console.print(table)
    if any(rate.owed == 0 for rate in rates):
        console.print("'never': no sampled case started that clock (no immediate risk, no "
                      "allegation, no new information, the stage never reached): model how "
                      "often it happens with behaviour.events or behaviour.risk_per_working_"
                      "day (docs/policies.md).")


def _tornado_metric(text: str, policy: Any) -> str:
    if text != "auto":
        from sim.target import parse_target
        from sim.whatif import WhatIfError

        try:
            return parse_target(f"{text}<=1", policy).metric
        except WhatIfError:
            if text.startswith("working_days_to_resolution."):
                return text
            fail(f"--tornado expects a stage metric such as breach.stage2, got {text!r}")
    ids = [s.id for s in policy.stages if s.deadline is not None]
    return f"breach.{ids[1] if len(ids) > 1 else ids[0]}"


def _base_only(result: Any) -> Any:
    """The run as its base variant alone (tables and plots of a tornado run)."""
    from dataclasses import replace

    base = [m for m in result.metrics if m.variant == "base"]
    return replace(result, variants=result.variants[:1], models=result.models[:1],
                   results=None if result.results is None else result.results[:1],
                   metrics=[replace(m, variant=None) for m in base],
                   tallies=None if result.tallies is None else result.tallies[:1],
                   mixes=None if result.mixes is None else result.mixes[:1])


def _tornado_dict(metric: str, base: float, bars: list) -> dict:
    return {"metric": metric, "base": base, "inputs": [
        {"input": b.label, "low": b.low_text, "high": b.high_text,
         "change_low": b.low, "change_high": b.high, "paired_ci_low": b.low_ci,
         "paired_ci_high": b.high_ci} for b in bars]}


def _print_tornado(metric: str, base: float, bars: list) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Sensitivity of {metric} (base {base:.1%}), one input at a time, "
                  "same cases; change from base (paired 95% CI)")
    for column in ("Input", "Low", "Change", "High", "Change"):
        table.add_column(column)

    def change(value: float, ci: float | None) -> str:
        return f"{value * 100:+.1f} pp" + (f" ± {ci * 100:.1f}" if ci is not None else "")

    for b in bars:
        table.add_row(b.label, b.low_text, change(b.low, b.low_ci), b.high_text,
                      change(b.high, b.high_ci))
    Console(width=max(100, Console().width)).print(table)


def _print_season(result: Any, policy: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
              "Dec")
    season = [m for m in result.season() if m.variant == (
        result.variants[0].label if len(result.variants) > 1 else None)]
    stages = [s.id for s in policy.stages if s.deadline is not None]
    table = Table(title="Deadline breaches by the month the concern arises (first variant)")
    table.add_column("Month")
    for stage in stages:
        table.add_column(stage)
    for index, name in enumerate(months, start=1):
        row = [name]
        for stage in stages:
            # A conditional stage the engines do not play (`ENGINE_CASE`) has no metric.
            m = next((x for x in season if x.name == f"season.{index:02d}.breach.{stage}"),
                     None)
            row.append(f"{m.mean:.1%}" if m is not None else "—")
        table.add_row(*row)
    Console(width=max(100, Console().width)).print(table)


def _search(args: argparse.Namespace, policy: Any, target: Any, grid: list[float] | None,
            cases: int, seed: int, jobs: int) -> Any:
    from sim.montecarlo import run_stress
    from sim.target import search
    from sim.whatif import WhatIfError

    def evaluate(variants: list) -> list:
        return run_stress(variants, cases, seed, engine=args.engine, player=args.player,
                          jobs=jobs, scheduler=args.scheduler, keep_cases=False).metrics

    lo = hi = None
    step = 1.0
    if grid:
        lo, hi = grid[0], grid[-1]
        step = grid[1] - grid[0] if len(grid) > 1 else 1.0
    try:
        return search(policy, target, evaluate, args.target_path, lo, hi, step,
                      sets=[s for s in args.sets])
    except WhatIfError as exc:
        fail(str(exc))


def _write_report(result: Any, policy: Any, prov: dict, sweep_path: str | None,
                  found: Any, path: Path, bars: tuple | None = None,
                  duties: list[dict] | None = None) -> Path:
    from sim.report_html import render

    page = render(result, policy, prov, sweep_path, found, bars, duties)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write --report {path}: {exc.strerror}", code=1)
    return path


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


def _summary(result: Any, policy_id: str, sweep_path: str | None, files: list[Path],
             prov: dict | None = None, found: Any = None) -> dict:
    data = {
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
    if result.mixes is not None:
        data["population"] = result.mixes
    if found is not None:
        data["target"] = found.to_dict()
    if prov is not None:
        data["provenance"] = prov
    return data


def _estimate(m: Any) -> str:
    """The estimate as a reader wants it: '71.2% (68.0–74.1%)' or '1.23 (1.20–1.26)'."""
    if m.mean != m.mean:
        return ""
    if m.unit == "share":
        text = f"{m.mean:.1%}"
        return text + (f" ({m.ci_low:.1%}–{m.ci_high:.1%})" if m.ci_low == m.ci_low else "")
    text = f"{m.mean:.2f}"
    return text + (f" ({m.ci_low:.2f}–{m.ci_high:.2f})" if m.ci_low == m.ci_low else "")


def _write_outputs(result: Any, out: Path, sweep_path: str | None,
                   summary: dict) -> list[Path]:
    import json

    from sim.plots import breach_plot, resolution_plot

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"cannot create --out directory {out}: {exc.strerror}", code=1)
    table = out / "metrics.csv"
    with table.open("w", newline="", encoding="utf-8-sig") as handle:  # BOM: Excel
        writer = csv.writer(handle)
        writer.writerow(["variant", "name", "mean", "ci_low", "ci_high", "n", "unit",
                         "estimate"])
        for m in result.metrics:
            writer.writerow([m.variant or "base", m.name, m.mean, m.ci_low, m.ci_high, m.n,
                             m.unit, _estimate(m)])
    data = out / "metrics.json"
    data.write_text(json.dumps({**summary, "files": []}, indent=2, default=str,
                               ensure_ascii=False) + "\n", encoding="utf-8")
    files = [table, data]
    for suffix in (".png", ".svg"):
        files.append(breach_plot(result, out / f"breach{suffix}", sweep_path))
        files.append(resolution_plot(result, out / f"time_to_resolution{suffix}"))
    return files


def _cell(m: Any) -> str:
    scale, fmt = (100, "{:.1f}%") if m.unit == "share" else (1, "{:.2f}")
    if m.mean != m.mean:  # nan
        return "—"
    text = fmt.format(m.mean * scale)
    if m.ci_low == m.ci_low:
        text += f"  [{fmt.format(m.ci_low * scale)}, {fmt.format(m.ci_high * scale)}]"
    return text


def _stage_label(policy: Any, stage_id: str) -> str:
    try:
        return f"Stage {policy.stage(stage_id).number}"
    except (KeyError, ValueError, StopIteration):
        return stage_id.replace("_", " ")


def _guide(policy: Any, stage_id: str) -> bool:
    """Whether the stage's deadline is one the policy gives only as a guide."""
    try:
        deadline = policy.stage(stage_id).deadline
    except (KeyError, ValueError, StopIteration, AttributeError):
        return False
    return deadline is not None and deadline.advisory


def _role_label(policy: Any, role_id: str) -> str:
    try:
        role = policy.role(role_id)
    except (KeyError, ValueError, StopIteration):
        return role_id.replace("_", " ")
    try:
        agency = policy.agency(role.agency).name
    except (KeyError, ValueError, StopIteration):
        return role.label
    return f"{role.label}, {agency}"


OUTCOMES = {"resolved": "resolved", "emergency": "emergency route taken",
            "open": "still open at the end"}
SIMPLE = {
    "resolved_by_final_deadline": "Resolved by the final deadline",
    "working_days_to_resolution.mean": "Days to resolution, mean",
    "working_days_to_resolution.median": "Days to resolution, median",
    "working_days_to_resolution.p90": "Days to resolution, 90th centile",
    "immediate_risk.wait_days.mean": "Wait at immediate risk, mean",
    "immediate_risk.referral_late": "Immediate risk referred late",
}


def metric_label(policy: Any, name: str, unit: str) -> str:
    """Plain words for a metric (JSON and CSV keep the stable machine names)."""
    kind, _, rest = name.partition(".")
    if name in SIMPLE:
        text = SIMPLE[name]
    elif kind == "resolved":
        text = f"Resolved at {_stage_label(policy, rest)}"
    elif kind == "reached":
        text = f"Reached {_stage_label(policy, rest)}"
    elif kind == "breach":
        text = (f"{_stage_label(policy, rest)} guide time passed (a guide, not penalised)"
                if _guide(policy, rest) else f"{_stage_label(policy, rest)} deadline missed")
    elif kind == "outcome":
        text = f"Outcome: {OUTCOMES.get(rest, rest.replace('_', ' '))}"
    elif kind == "load":
        text = f"Load: {_role_label(policy, rest)}"
    else:
        text = name
    return text if unit == "share" else f"{text} ({unit})"


def _print_table(result: Any, policy: Any, files: list[Path], found: Any = None) -> None:
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
    table.add_column("Metric", ratio=3)
    for label in labels:
        # a variant's column shows the last part of each changed path (day=10); the
        # caption gives the full labels
        short = re.sub(r"[\w.]+\.(\w+=)", r"\1", label) if label else None
        table.add_column(Text(short or "Estimate [95% CI]"), overflow="fold", ratio=2)
    if len(labels) > 1:
        table.caption = Text("Variants: " + "; ".join(labels))
    for name in names:
        unit = next(m.unit for m in result.metrics if m.name == name)
        row = [metric_label(policy, name, unit)]
        row += [_cell(by_key[(label, name)]) if (label, name) in by_key else "—"
                for label in labels]
        table.add_row(*(Text(cell) for cell in row))
    console = Console()  # the terminal's width, 80 when piped (or $COLUMNS)
    console.print(table)
    console.print(f"{result.cases * len(result.variants):,} cases in {result.elapsed_s:.2f} s "
                  f"({result.cases_per_s:,.0f} cases/s, jobs {result.jobs}).")
    if result.mixes is not None:
        mix = result.mixes[0]
        console.print("Population of practitioners (an assumption): " + ", ".join(
            f"{share:.0%} {name}" for name, share in mix.items())
            + ("; varies by variant" if len({str(m) for m in result.mixes}) > 1 else ""))
    if found is not None:
        from sim.report_html import search_sentence

        console.print(f"Target {found.target.text}: {search_sentence(found)}.")
    if files:
        console.print("Wrote " + ", ".join(str(f) for f in files), markup=False)
    else:
        print("Use --out DIR for metrics.csv and plots.", file=sys.stderr)
