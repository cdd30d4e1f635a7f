"""One-at-a-time sensitivity (a tornado) on common random numbers.

Each input is moved to a low and a high value while everything else stays at the base;
all variants play the *same* cases, so the swing of a metric is the effect of the input,
and its paired 95% CI (per-case differences against the base) is much narrower than the
two separate CIs. The default inputs are the assumptions the figures rest on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from scenarios.policy_schema import Policy
from sim.metrics import Z95
from sim.race_model import RunParams
from sim.whatif import Variant, build_variants


@dataclass(frozen=True)
class Input:
    label: str
    low: tuple[str, ...]  # --set assignments for the low end
    high: tuple[str, ...]
    low_text: str
    high_text: str


def default_inputs(policy: Policy) -> list[Input]:
    beh = policy.behaviour
    med = beh.reply_hours.median
    inputs = [
        Input("front-line reply median", (f"behaviour.reply_hours.median={med / 2:g}",),
              (f"behaviour.reply_hours.median={med * 2:g}",), f"{med / 2:g} h",
              f"{med * 2:g} h"),
        Input("phone picked up", ("behaviour.phone_answer_chance=0.4",),
              ("behaviour.phone_answer_chance=0.8",), "40%", "80%"),
        Input("absence chance", ("behaviour.absence_chance=0",),
              ("behaviour.absence_chance=0.15",), "0%", "15%"),
        Input("stretched practitioners", ("population.stretched=0",),
              ("population.stretched=0.2",), "0%", "20%"),
        Input("prompt practitioners", ("population.prompt=0.4",),
              ("population.prompt=0.8",), "40%", "80%"),
    ]
    by_factor: dict[float, list[str]] = {}
    for role, factor in beh.reply_factor_by_role.items():
        if factor != 1:
            by_factor.setdefault(factor, []).append(role)
    for factor, roles in sorted(by_factor.items()):
        inputs.append(Input(
            f"reply time of the {len(roles)} roles at ×{factor:g}",
            tuple(f"behaviour.reply_factor_by_role.{r}={factor / 2:g}" for r in roles),
            tuple(f"behaviour.reply_factor_by_role.{r}={factor * 2:g}" for r in roles),
            f"×{factor / 2:g}", f"×{factor * 2:g}"))
    for stage in policy.stages:
        chance = beh.resolve_chance.get(stage.id)
        if chance is None or chance >= 1:
            continue
        lo, hi = max(0.0, chance - 0.15), min(1.0, chance + 0.15)
        inputs.append(Input(f"{stage.id} resolve chance",
                            (f"behaviour.resolve_chance.{stage.id}={lo:.2f}",),
                            (f"behaviour.resolve_chance.{stage.id}={hi:.2f}",),
                            f"{lo:.2f}", f"{hi:.2f}"))
    return inputs


def variants(policy: Policy, inputs: list[Input], sets: list[str],
             run: RunParams | None = None) -> list[Variant]:
    """Base first, then low and high of each input (labels 'label: low' / 'label: high')."""
    (base,) = build_variants(policy, sets, None, None, run)
    base.label = "base"
    out = [base]
    for item in inputs:
        for end, extra, text in (("low", item.low, item.low_text),
                                 ("high", item.high, item.high_text)):
            (variant,) = build_variants(policy, [*sets, *extra], None, None, run)
            variant.label = f"{item.label}: {end} ({text})"
            out.append(variant)
    return out


@dataclass
class Bar:
    label: str
    low_text: str
    high_text: str
    low: float  # metric at the low end minus base
    high: float
    low_ci: float | None  # paired 95% half-width, when per-case results are kept
    high_ci: float | None

    @property
    def swing(self) -> float:
        return abs(self.high - self.low)


def tornado(run: Any, inputs: list[Input], metric: str) -> tuple[float, list[Bar]]:
    """Base value and one bar per input, largest swing first."""
    by_key = {(m.variant, m.name): m for m in run.metrics}
    base = by_key[("base", metric)].mean
    kind, _, stage = metric.partition(".")
    column = None
    if run.results is not None and kind in ("breach", "resolved", "reached"):
        stages = [s.id for s in run.models[0].stages]
        if stage in stages:
            column = stages.index(stage)

    def per_case(result: Any) -> np.ndarray | None:
        if column is None:
            return None
        if kind == "breach":
            return result.breach[:, column].astype(float)
        if kind == "resolved":
            return (result.stage == column).astype(float)
        return (result.reached >= column).astype(float)

    def paired(index: int) -> float | None:
        if column is None:
            return None
        diff = per_case(run.results[index]) - per_case(run.results[0])
        return Z95 * float(diff.std(ddof=1)) / math.sqrt(diff.size)

    bars = []
    for i, item in enumerate(inputs):
        lo_v = run.variants[1 + 2 * i].label
        hi_v = run.variants[2 + 2 * i].label
        bars.append(Bar(item.label, item.low_text, item.high_text,
                        by_key[(lo_v, metric)].mean - base, by_key[(hi_v, metric)].mean - base,
                        paired(1 + 2 * i), paired(2 + 2 * i)))
    bars.sort(key=lambda b: b.swing, reverse=True)
    return base, bars


def tornado_plot(base: float, bars: list[Bar], metric: str, title: str,
                 path: Any = None) -> Any:
    """Horizontal bars of the change from base at each end; SVG text when path is None."""
    from sim.plots import _percent, _pyplot, _save

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(bars) + 1.6))
    ys = np.arange(len(bars))[::-1]
    share = not metric.startswith("working_days")
    for y, bar in zip(ys, bars, strict=True):
        for value, ci, colour, text, end in (
                (bar.low, bar.low_ci, "#4c78a8", bar.low_text, "low end"),
                (bar.high, bar.high_ci, "#e45756", bar.high_text, "high end")):
            ax.barh(y, value, left=base, color=colour, height=0.6,
                    xerr=None if ci is None else ci, capsize=2,
                    label=end if y == ys[0] else None)
            ax.annotate(text, (base + value, y), fontsize=7, va="center",
                        ha="left" if value >= 0 else "right",
                        xytext=(3 if value >= 0 else -3, 0), textcoords="offset points")
    ax.axvline(base, color="black", linewidth=0.8)
    ax.set_yticks(ys, [b.label for b in bars], fontsize=8)
    ax.set_xlabel(f"{metric} (base {base:.1%})" if share else f"{metric} (base {base:.2f})")
    if share:
        ax.xaxis.set_major_formatter(_percent())
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize="small", loc="lower right")
    fig.tight_layout()
    return _save(fig, path)
