"""Stress metrics with 95% confidence intervals, from per-case results.

Shares use the Wilson score interval (good coverage for small shares and small runs);
means use the normal interval on the sample standard deviation; quantiles use the
distribution-free order-statistic interval. The CI-coverage test checks the first two.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from sim.race_model import OUTCOMES, ChunkResult, RaceModel

Z95 = 1.959963984540054
DEFAULT_VOLUME = 12  # escalations a year used to scale load when queues are off


@dataclass(frozen=True)
class Metric:
    name: str
    mean: float
    ci_low: float
    ci_high: float
    n: int
    unit: str
    variant: str | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        if self.variant is None:
            del data["variant"]
        return {k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in data.items()}


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float, float]:
    """Share and its Wilson score interval (nan for n = 0)."""
    if n <= 0:
        return math.nan, math.nan, math.nan
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return p, max(0.0, centre - half), min(1.0, centre + half)


def mean_ci(total: float, total_sq: float, n: int, z: float = Z95) -> tuple[float, float, float]:
    """Mean and normal interval from a sum and a sum of squares."""
    if n <= 0:
        return math.nan, math.nan, math.nan
    mean = total / n
    if n == 1:
        return mean, math.nan, math.nan
    var = max(0.0, (total_sq - n * mean * mean) / (n - 1))
    half = z * math.sqrt(var / n)
    return mean, mean - half, mean + half


def quantile_ci(ordered: np.ndarray, q: float, z: float = Z95) -> tuple[float, float, float]:
    """Quantile of sorted values with the order-statistic interval (binomial, normal approx.)."""
    n = ordered.size
    if n == 0:
        return math.nan, math.nan, math.nan
    spread = z * math.sqrt(n * q * (1 - q))
    low = min(max(math.floor(n * q - spread), 0), n - 1)
    high = min(max(math.ceil(n * q + spread), 0), n - 1)
    return float(np.quantile(ordered, q)), float(ordered[low]), float(ordered[high])


def compute(model: RaceModel, result: ChunkResult, variant: str | None = None) -> list[Metric]:
    """Every metric of the issue for one variant."""
    n = result.n
    out: list[Metric] = []

    def share(name: str, hits: np.ndarray | float, of: int) -> None:
        mean, low, high = wilson(float(np.sum(hits)), of)
        out.append(Metric(name, mean, low, high, of, "share", variant))

    for s, stage in enumerate(model.stages):
        share(f"resolved.{stage.id}", result.stage == s, n)
    for s, stage in enumerate(model.stages):
        share(f"reached.{stage.id}", result.reached >= s, n)
    for s, stage in enumerate(model.stages):
        if stage.due is not None:
            share(f"breach.{stage.id}", result.breach[:, s], n)
    share("resolved_by_final_deadline", result.by_final, n)
    for code, name in enumerate(OUTCOMES):
        share(f"outcome.{name}", result.outcome == code, n)
    days = np.sort(result.days[~np.isnan(result.days)].astype(np.float64))
    mean, low, high = mean_ci(float(days.sum()), float((days * days).sum()), days.size)
    out.append(Metric("working_days_to_resolution.mean", mean, low, high, days.size,
                      "working days", variant))
    for label, q in (("median", 0.5), ("p90", 0.9)):
        value, low, high = quantile_ci(days, q)
        out.append(Metric(f"working_days_to_resolution.{label}", value, low, high,
                          days.size, "working days", variant))
    waits = result.risk_wait[~np.isnan(result.risk_wait)].astype(np.float64)
    mean, low, high = mean_ci(float(waits.sum()), float((waits * waits).sum()), waits.size)
    out.append(Metric("immediate_risk.wait_days.mean", mean, low, high, waits.size,
                      "calendar days", variant))
    share("immediate_risk.referral_late", result.risk_late[~np.isnan(result.risk_wait)],
          waits.size)
    scale = (model.run.cases_per_year or DEFAULT_VOLUME) / 12.0
    for r, role in enumerate(model.roles):
        if result.contacts[r] == 0:
            continue
        mean, low, high = mean_ci(result.contacts[r], result.contacts_sq[r], n)
        out.append(Metric(f"load.{role}", mean * scale, low * scale, high * scale, n,
                          "contacts per month", variant))
    return out
