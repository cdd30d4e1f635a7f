"""Stress-run plots as PNG or SVG files (by suffix) or inline SVG text; matplotlib is
imported lazily with the Agg backend. Every variant of a run is drawn."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from sim.metrics import BINS_PER_DAY


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: selectable, small
    matplotlib.rcParams["svg.hashsalt"] = "escalate-stress"  # stable ids
    return plt


def _save(fig: Any, path: Path | None) -> Path | str:
    """Save to a file (format from the suffix), or return the SVG text when path is None."""
    plt = _pyplot()
    if path is None:
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
        plt.close(fig)
        text = buffer.getvalue()
        return text[text.index("<svg"):]
    if path.suffix == ".svg":
        fig.savefig(path, metadata={"Date": None})
    else:
        fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def breach_plot(run: Any, path: Path | None, sweep_path: str | None) -> Path | str:
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
    ax.set_ylabel("cases breaching the deadline (95% CI)")
    ax.yaxis.set_major_formatter(_percent())
    ax.set_ylim(bottom=0)
    ax.set_title(f"{run.models[0].policy.id}: stage deadline breaches "
                 f"({run.cases:,} cases, player {run.player})")
    ax.legend(fontsize="small", ncol=2 if len(ax.get_lines()) > 8 else 1)
    fig.tight_layout()
    return _save(fig, path)


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0)


def resolution_plot(run: Any, path: Path | None) -> Path | str:
    """Working days to resolution from the streamed histograms. One variant: a histogram
    per stage resolved at. Several: the share resolved within x working days, one line per
    variant (every variant drawn)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.8))
    model = run.models[0]
    width = 1.0 / BINS_PER_DAY
    hists = [t.days_hist for t in run.tallies]
    total = np.sum([h.sum(axis=0) for h in hists], axis=0)
    cum = np.cumsum(total)
    top_bin = int(np.searchsorted(cum, 0.995 * cum[-1])) + 1 if cum[-1] else BINS_PER_DAY
    top = max(top_bin * width, 1.0)
    if len(run.variants) == 1:
        hist, n = hists[0], run.tallies[0].n
        per = max(1, round(top / 60 / width))  # about 60 bars
        for s, stage in enumerate(model.stages):
            counts = hist[s][:top_bin + per]
            if counts.sum():
                usable = counts[:len(counts) // per * per].reshape(-1, per).sum(axis=1)
                edges = np.arange(len(usable) + 1) * per * width
                ax.stairs(usable, edges, linewidth=1.5,
                          label=f"resolved at {stage.id} ({counts.sum() / n:.0%})")
        ax.set_ylabel("cases")
        ax.set_title(f"{model.policy.id}: time to resolution by stage "
                     f"({run.variants[0].label})")
    else:
        xs = np.arange(top_bin + 1) * width
        for variant, hist, tally in zip(run.variants, hists, run.tallies, strict=True):
            within = np.concatenate([[0], np.cumsum(hist.sum(axis=0))[:top_bin]]) / tally.n
            ax.plot(xs, within, linewidth=1.2, label=variant.label)
        ax.set_ylabel("cases resolved within x working days")
        ax.yaxis.set_major_formatter(_percent())
        ax.set_ylim(0, 1)
        ax.set_title(f"{model.policy.id}: time to resolution, every variant")
    ax.set_xlim(0, top)
    ax.set_xlabel("working days from the concern to resolution")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small", ncol=2 if len(run.variants) > 8 else 1)
    else:  # e.g. a policy whose behaviour resolves nothing: say so, not an empty legend
        ax.text(0.5, 0.5, "No case was resolved", transform=ax.transAxes, ha="center")
    fig.tight_layout()
    return _save(fig, path)
