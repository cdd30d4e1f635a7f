"""Stress-run plots as PNG files; matplotlib is imported lazily with the Agg backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def breach_plot(run: Any, path: Path, sweep_path: str | None) -> Path:
    """Breach rate of each stage deadline with 95% CI bands: against the swept value when
    sweeping, otherwise one bar group per variant."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.8))
    stages = [s.id for s in run.models[0].stages if s.due is not None]
    by_key = {(m.variant, m.name): m for m in run.metrics}
    labels = [v.label for v in run.variants] if len(run.variants) > 1 else [None]
    if sweep_path is not None:
        groups: dict[str, list[int]] = {}
        for index, variant in enumerate(run.variants):
            prefix = variant.label.split(" ")[0] if " " in variant.label else ""
            groups.setdefault(prefix, []).append(index)
        for prefix, members in groups.items():
            xs = np.array([run.variants[i].swept for i in members])
            for stage in stages:
                ms = [by_key[(labels[i], f"breach.{stage}")] for i in members]
                mean = np.array([m.mean for m in ms])
                line, = ax.plot(xs, mean, marker="o",
                                label=f"{stage} {prefix}".strip())
                ax.fill_between(xs, [m.ci_low for m in ms], [m.ci_high for m in ms],
                                alpha=0.2, color=line.get_color())
        ax.set_xlabel(sweep_path)
    else:
        width = 0.8 / len(labels)
        xs = np.arange(len(stages))
        for j, label in enumerate(labels):
            ms = [by_key[(label, f"breach.{stage}")] for stage in stages]
            mean = np.array([m.mean for m in ms])
            err = np.clip(np.array([[m.mean - m.ci_low for m in ms],
                                    [m.ci_high - m.mean for m in ms]]), 0, None)
            ax.bar(xs + j * width, mean, width, yerr=err, capsize=3, label=label or "base")
        ax.set_xticks(xs + width * (len(labels) - 1) / 2, stages)
        ax.set_xlabel("stage deadline")
    ax.set_ylabel("breach rate (95% CI)")
    ax.set_ylim(bottom=0)
    ax.set_title(f"{run.models[0].policy.id}: stage deadline breaches "
                 f"({run.cases:,} cases, player {run.player})")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def resolution_plot(run: Any, path: Path, variant: int = 0) -> Path:
    """Distribution of working days to resolution, one histogram per stage resolved at."""
    plt = _pyplot()
    result, model = run.results[variant], run.models[variant]
    fig, ax = plt.subplots(figsize=(8, 4.8))
    finite = result.days[~np.isnan(result.days)]
    top = float(np.quantile(finite, 0.995)) if finite.size else 1.0
    bins = np.linspace(0, max(top, 1.0), 60)
    for s, stage in enumerate(model.stages):
        days = result.days[result.stage == s]
        if days.size:
            ax.hist(np.clip(days, 0, bins[-1]), bins=bins, histtype="step", linewidth=1.5,
                    label=f"resolved at {stage.id} ({days.size / result.n:.1%})")
    ax.set_xlabel("working days from the concern to resolution")
    ax.set_ylabel("cases")
    ax.set_title(f"{model.policy.id}: time to resolution by stage "
                 f"({run.variants[variant].label})")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
