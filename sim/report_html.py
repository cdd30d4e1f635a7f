"""`escalate stress --report FILE.html`: one self-contained, printable page for a board.

Plain-English summary first ("Stage 2 (Day 9) is met in 71% (68–74%) of cases; Day 12
would meet 90%"), then the assumptions that carry the numbers (the population of
practitioners, the reply times, the reading of "Day N", the policy's own assumptions and,
for an assumed ladder, a warning), a table of every stage in percentages, the plots as
inline SVG (every variant), and provenance (seed, versions, policy file hash, date).
No external file, script or font: it opens from disk and prints on A4.
"""

from __future__ import annotations

import html
import math
from typing import Any

from scenarios.policy_schema import Deadline, Policy
from sim.metrics import Metric
from sim.plots import breach_plot, resolution_plot
from sim.population import TYPES

TYPE_TEXT = {
    "prompt": "prompt (escalates at once on a “no”, and in time without a reply)",
    "typical": "typical (lets each timescale run out, then acts an hour late)",
    "stretched": "stretched (does not escalate, nor refer at immediate risk)",
}

CSS = """
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Arial,sans-serif;color:#111;
max-width:60rem;margin:1.5rem auto;padding:0 1rem}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin-top:1.6rem;
border-bottom:1px solid #999}
.summary{font-size:1.05rem;background:#f3f6fa;border-left:4px solid #2a5d9f;
padding:.6rem 1rem}.summary p{margin:.35rem 0}
.warning{background:#fff4e0;border-left:4px solid #c46a00;padding:.6rem 1rem}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.5rem 0}
th,td{border:1px solid #bbb;padding:.25rem .45rem;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
figure{margin:1rem 0;break-inside:avoid}figure svg{width:100%;height:auto}
.muted{color:#555;font-size:.85rem}
@page{size:A4;margin:14mm}
@media print{body{margin:0;max-width:none;font-size:11pt}.summary,.warning{
-webkit-print-color-adjust:exact;print-color-adjust:exact}h2{break-after:avoid}
table,figure{break-inside:avoid}}
"""


def pct(x: float | None, decimals: int | None = None) -> str:
    """A share as a percentage: whole numbers, one decimal near 0% and 100%."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    value = x * 100
    if decimals is None:
        decimals = 0 if 1 <= value <= 99 else 1
    return f"{value:.{decimals}f}%"


def _decimals(mean: float, low: float, high: float) -> int | None:
    """One decimal when whole percentages would hide the interval (e.g. 96% (96–96%))."""
    if any(math.isnan(x) for x in (mean, low, high)):
        return None
    return 1 if round(low * 100) == round(high * 100) else None


def pct_ci(mean: float, low: float, high: float) -> str:
    """'71% (68–74%)', with a decimal where needed to show the interval."""
    d = _decimals(mean, low, high)
    return f"{pct(mean, d)} ({pct_range(low, high, d)})"


def pct_range(low: float, high: float, decimals: int | None = None) -> str:
    if decimals is None and not any(math.isnan(x) for x in (low, high)):
        decimals = _decimals(low, low, high)
    a, b = pct(low, decimals), pct(high, decimals)
    return f"{a.rstrip('%')}–{b}"


def deadline_text(deadline: Deadline | None) -> str:
    if deadline is None:
        return "no deadline"
    if deadline.day is not None:
        return f"Day {deadline.day}"
    if deadline.within is not None and deadline.unit is not None:
        unit = deadline.unit.replace("_", " ")
        return f"{deadline.within:g} {unit}"
    return deadline.text or (deadline.unit or "").replace("_", " ")


def value_text(path: str, value: float, unit: str | None = None) -> str:
    """A searched value in the policy's words: 'Day 12', '7 working days'."""
    if path.endswith(".deadline.day"):
        return f"Day {value:g}"
    if unit:
        words = unit.replace("_", " ")
        return f"{value:g} {words[:-1] if value == 1 and words.endswith('s') else words}"
    return f"{path} = {value:g}"


def met_share(metric: Metric) -> tuple[float, float, float]:
    """(met, low, high) from a breach metric: met = 1 − breach, CI flipped."""
    return 1 - metric.mean, 1 - metric.ci_high, 1 - metric.ci_low


def summary(run: Any, policy: Policy, search: Any | None = None) -> list[str]:
    """The plain-English summary, sentence by sentence (text, no markup)."""
    label = run.variants[0].label if len(run.variants) > 1 else None
    get = {m.name: m for m in run.metrics if m.variant == label}
    lines = []
    if label is not None:
        lines.append(f"Figures below are for the variant “{label}”; the table and plots "
                     f"compare all {len(run.variants)} variants.")
    for stage in policy.stages:
        metric = get.get(f"breach.{stage.id}")
        if metric is None:
            continue
        met, low, high = met_share(metric)
        sentence = (f"Stage {stage.number} ({deadline_text(stage.deadline)}) is met in "
                    f"{pct_ci(met, low, high)} of cases")
        if search is not None and search.target.stage == stage.id:
            sentence += "; " + search_sentence(search)
        lines.append(sentence + ".")
    if search is not None and search.target.stage is None:
        lines.append(search_sentence(search)[:1].upper() + search_sentence(search)[1:] + ".")
    first = policy.stages[0]
    settled = get.get(f"resolved.{first.id}")
    open_ = get.get("outcome.open")
    if settled is not None and open_ is not None:
        lines.append(f"{pct(settled.mean)} of disagreements are settled at Stage 1; "
                     f"{pct(open_.mean)} are still open after "
                     f"{run.models[0].run.horizon_days:g} calendar days.")
    if run.mixes:
        mix = run.mixes[0]
        lines.append("Cases are played by a mix of practitioners — " + ", ".join(
            f"{pct(mix[t])} {t}" for t in TYPES) + " — an assumption (see Assumptions).")
    else:
        lines.append(f"Every case is played by the scripted “{run.player}” player.")
    return lines


def search_sentence(search: Any) -> str:
    target = search.target
    goal = (f"meet {pct(1 - target.value)}" if target.metric.startswith("breach.")
            else f"reach {target.metric} {target.op} {pct(target.value)}")
    def text(value: float) -> str:
        return value_text(search.path, value, search.unit)

    if search.value is None:
        return f"no value up to {text(search.grid[1])} would {goal}"
    low = text(search.low) if search.low is not None else "?"
    high = (text(search.high) if search.high is not None
            else f"beyond {text(search.grid[1])}")
    return f"{text(search.value)} would {goal} (95% confidence: {low} to {high})"


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _table(run: Any, policy: Policy) -> str:
    labels = [v.label for v in run.variants] if len(run.variants) > 1 else [None]
    by_key = {(m.variant, m.name): m for m in run.metrics}
    rows = [("breach", "Deadline met"), ("resolved", "Settled at this stage"),
            ("reached", "Reached this stage")]
    head = "".join(f"<th>{_esc(label or 'estimate (95% CI)')}</th>" for label in labels)
    body = []
    for stage in policy.stages:
        for kind, title in rows:
            cells = []
            for label in labels:
                m = by_key.get((label, f"{kind}.{stage.id}"))
                if m is None:
                    cells.append("<td class=num>—</td>")
                    continue
                mean, low, high = met_share(m) if kind == "breach" else (
                    m.mean, m.ci_low, m.ci_high)
                cells.append(f"<td class=num>{pct_ci(mean, low, high)}</td>")
            name = f"Stage {stage.number} ({_esc(deadline_text(stage.deadline))})"
            body.append(f"<tr><td>{name}: {title.lower()}</td>{''.join(cells)}</tr>")
    for name, title in (("resolved_by_final_deadline", "Settled by the final deadline"),
                        ("outcome.open", "Still open at the horizon"),
                        ("immediate_risk.referral_late",
                         "Immediate risk: referral later than the route's deadline")):
        cells = []
        for label in labels:
            m = by_key.get((label, name))
            cells.append("<td class=num>—</td>" if m is None or m.n == 0 else
                         f"<td class=num>{pct_ci(m.mean, m.ci_low, m.ci_high)}</td>")
        body.append(f"<tr><td>{title}</td>{''.join(cells)}</tr>")
    for name, title in (("working_days_to_resolution.median",
                         "Working days to resolution, median"),
                        ("working_days_to_resolution.p90", "… 90th percentile")):
        cells = []
        for label in labels:
            m = by_key.get((label, name))
            cells.append("<td class=num>—</td>" if m is None or math.isnan(m.mean) else
                         f"<td class=num>{m.mean:.1f} ({m.ci_low:.1f}–{m.ci_high:.1f})</td>")
        body.append(f"<tr><td>{title}</td>{''.join(cells)}</tr>")
    return (f"<table><thead><tr><th>Measure</th>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def _assumptions(run: Any, policy: Policy) -> str:
    beh = policy.behaviour
    items = []
    if run.mixes:
        mix = run.mixes[0]
        items.append("Practitioners: " + "; ".join(
            f"{pct(mix[t])} {TYPE_TEXT[t]}" for t in TYPES) + ". The mix is not measured; "
            "sweep population.prompt / population.stretched to see how much it matters.")
    reply = beh.reply_hours
    items.append(f"Replies take a {reply.dist} time, median {reply.median:g} working hours "
                 f"(σ {reply.sigma:g}) for front-line staff; meetings "
                 f"{beh.meeting_hours.median:g} hours to convene. Other roles are scaled "
                 "(about half the allowance of the stage at which they are contacted, "
                 "EVIDENCE.md): " + (", ".join(
                     f"{role} ×{factor:g}" for role, factor in beh.reply_factor_by_role.items()
                     if factor != 1) or "none") + ".")
    chances = ", ".join(f"{k} {v:g}" for k, v in beh.resolve_chance.items())
    items.append(f"Chance the disagreement is settled within each stage: {chances}; "
                 f"immediate risk arises with chance {beh.risk_per_working_day:g} per "
                 "working day.")
    items.append(f"“Day N” read as {policy.day_reading.day_unit.replace('_', ' ')}: "
                 f"{policy.day_reading.text}")
    items += [a.text for a in policy.assumptions if a.id not in ("day_reading",)]
    items.append("No local escalation records were used unless this report says so; "
                 "calibrate the reply times from your Appendix 1 logs (escalate calibrate).")
    return "<ul>" + "".join(f"<li>{_esc(i)}</li>" for i in items) + "</ul>"


def _provenance(prov: dict) -> str:
    policy = prov["policy"]
    rows = [("Seed", prov["seed"]), ("Cases per variant", f"{prov['cases']:,}"),
            ("Engine", prov["engine"]), ("Player", prov["player"]),
            ("Policy", f"{policy['id']} v{policy['version']}"),
            ("Policy file", policy["file"] or "—"),
            ("Policy file SHA-256", policy["sha256"] or "—"),
            ("Validated policy SHA-256", policy["model_sha256"]),
            ("Versions", ", ".join(f"{k} {v}" for k, v in prov["versions"].items())),
            ("Run at (UTC)", prov["date_utc"]), ("Command", prov["command"])]
    return "<table>" + "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>"
                               for k, v in rows) + "</table>"


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
          "Dec")


def _season(run: Any, policy: Policy) -> str:
    """Deadline met by the month the concern arises (first variant)."""
    label = run.variants[0].label if len(run.variants) > 1 else None
    season = {m.name: m for m in run.season() if m.variant == label}
    if not season:
        return ""
    stages = [s for s in policy.stages if s.deadline is not None]
    head = "".join(f"<th>Stage {s.number} ({_esc(deadline_text(s.deadline))}) met</th>"
                   for s in stages)
    rows = []
    for index, month in enumerate(MONTHS, start=1):
        cells = []
        for stage in stages:
            m = season.get(f"season.{index:02d}.breach.{stage.id}")
            cells.append("<td class=num>—</td>" if m is None else
                         f"<td class=num>{pct_ci(*met_share(m))}</td>")
        rows.append(f"<tr><td>{month}</td>{''.join(cells)}</tr>")
    note = ("<p class=muted>Each month holds about a twelfth of the cases, so its intervals "
            "are wider. Bank holidays (Christmas, Easter) stretch a working-day “Day N” "
            "over more calendar days; under a calendar-day reading they eat into it.</p>")
    return (f"<h2>By the month the concern arises</h2>{note}<table><thead><tr><th>Month"
            f"</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _tornado(bars: tuple | None) -> str:
    if bars is None:
        return ""
    from sim.sensitivity import tornado_plot

    metric, base, items = bars
    svg = tornado_plot(base, items, metric, f"Sensitivity of {metric}")
    rows = "".join(
        f"<tr><td>{_esc(b.label)}</td><td>{_esc(b.low_text)}</td>"
        f"<td class=num>{b.low * 100:+.1f} pp</td><td>{_esc(b.high_text)}</td>"
        f"<td class=num>{b.high * 100:+.1f} pp</td></tr>" for b in items)
    return (f"<h2>Which assumptions matter: {_esc(metric)}</h2><p>Each input moved alone to "
            f"a low and a high value, every variant on the same cases; base {pct(base)}. "
            "pp = percentage points.</p><table><thead><tr><th>Input</th><th>Low</th>"
            "<th>Change</th><th>High</th><th>Change</th></tr></thead><tbody>"
            f"{rows}</tbody></table><figure>{svg}</figure>")


def _duties(duties: list[dict] | None) -> str:
    """Every dated duty's breach rate (`scoring.duty_rates` rows, as dicts)."""
    if not duties:
        return ""
    rows = "".join(
        f"<tr><td>{_esc(d['duty'])} ({_esc(d['rule'])})</td><td>{_esc(d['label'])}"
        f"{' (a guide, not penalised)' if d['advisory'] else ''}</td>"
        f"<td class=num>{d['owed'] if d['owed'] else 'never'}</td>"
        f"<td class=num>{pct_ci(d['share'], d['ci_low'], d['ci_high'])}</td></tr>"
        for d in duties)
    return (f"<h2>Every dated duty</h2><p>{duties[0]['cases']:,} generated cases played "
            "through the trainer's own Session and marked as trainees are: every step, "
            "sub-procedure, total cap, route, notification and letter the policy dates. "
            "Owed: cases whose clock started and came due; never: no sampled case started "
            "it.</p><table><thead><tr><th>Duty (rule)</th><th>What is dated</th><th>Owed"
            f"</th><th>Breached (95% CI)</th></tr></thead><tbody>{rows}</tbody></table>")


def render(run: Any, policy: Policy, prov: dict, sweep_path: str | None = None,
           search: Any | None = None, bars: tuple | None = None,
           duties: list[dict] | None = None) -> str:
    """The whole page as one HTML string."""
    lines = summary(run, policy, search)
    summary_html = "".join(f"<p>{_esc(line)}</p>" for line in lines)
    warning = ""
    if policy.ladder_is_assumption or any(getattr(s, "assumed", False) for s in policy.stages):
        warning = ("<div class=warning role=note><strong>Assumed ladder.</strong> This "
                   "policy's flow chart is missing from its source document: the stages, "
                   "who acts at each and their timescales are an <strong>assumption</strong>"
                   " made for this model, not the policy's text. Read these figures as a "
                   "test of that assumed ladder.</div>")
    breach_svg = breach_plot(run, None, sweep_path)
    time_svg = resolution_plot(run, None)
    search_html = ""
    if search is not None:
        rows = "".join(
            f"<tr><td class=num>{_esc(value_text(search.path, p.value, search.unit))}</td>"
            f"<td class=num>{pct_ci(p.metric.mean, p.metric.ci_low, p.metric.ci_high)}"
            "</td></tr>"
            for p in search.probes)
        search_html = (f"<h2>Shortest timescale for {_esc(search.target.text)}</h2>"
                       f"<p>{_esc(search_sentence(search))}.</p><table><thead><tr><th>"
                       f"{_esc(search.path)}</th><th>{_esc(search.target.metric)} (95% CI)"
                       f"</th></tr></thead><tbody>{rows}</tbody></table>")
    title = f"Stress test: {policy.title}"
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_esc(title)}</title><style>{CSS}</style></head>
<body>
<header><p class=muted>Escalation trainer — policy stress test</p>
<h1>{_esc(policy.title)}</h1>
<p class=muted>{run.cases:,} simulated cases per variant, seed {run.seed},
{_esc(prov['date_utc'])}. Percentages with 95% confidence intervals.</p></header>
<section class=summary id=summary><h2>Summary</h2>{summary_html}</section>
{warning}
<h2>Assumptions these figures rest on</h2>{_assumptions(run, policy)}
<h2>Stages</h2>{_table(run, policy)}
{_duties(duties)}
{search_html}
<h2>Deadline breaches</h2><figure>{breach_svg}</figure>
<h2>Time to resolution</h2><figure>{time_svg}</figure>
{_season(run, policy)}
{_tornado(bars)}
<h2>Provenance</h2>{_provenance(prov)}
</body></html>
"""
