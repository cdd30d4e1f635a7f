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


BINS_PER_DAY = 96  # time-to-resolution histogram: 5-minute bins of an 8-hour working day


@dataclass
class Tally:
    """Sufficient statistics of one variant's cases, mergeable chunk by chunk.

    Counts for shares, sums and sums of squares for means, and a fixed-width histogram of
    working days to resolution (per stage resolved at) for the median, the 90th percentile
    and the plots. Tallies are merged in chunk order, so the metrics of a run are the same
    for any --jobs and on Dask, and memory stays flat however many cases are played.
    """

    n: int
    resolved_at: np.ndarray  # (n_stages,) int64
    reached: np.ndarray  # (n_stages,) cases reaching at least stage s
    breach: np.ndarray  # (n_stages,)
    by_final: int
    outcome: np.ndarray  # (len(OUTCOMES),)
    days_sum: float
    days_sq: float
    days_hist: np.ndarray  # (n_stages, n_bins) int64, bin width 1 / BINS_PER_DAY day
    wait_n: int
    wait_sum: float
    wait_sq: float
    wait_late: int
    contacts: np.ndarray
    contacts_sq: np.ndarray
    month_n: np.ndarray | None = None  # (12,) cases by start month, when months are given
    month_breach: np.ndarray | None = None  # (12, n_stages)

    @staticmethod
    def n_bins(model: RaceModel) -> int:
        return math.ceil(model.run.horizon_days * BINS_PER_DAY) + 2

    @classmethod
    def of(cls, model: RaceModel, result: ChunkResult, months: np.ndarray | None = None
           ) -> Tally:
        """``months`` (1–12, the month each case starts) adds breaches by start month."""
        n_stages = len(model.stages)
        days = result.days.astype(np.float64)
        ok = ~np.isnan(days)
        n_bins = cls.n_bins(model)
        keys = np.minimum(np.floor(days[ok] * BINS_PER_DAY).astype(np.int64), n_bins - 1)
        stage = result.stage[ok].astype(np.int64)
        hist = np.bincount(stage * n_bins + keys, minlength=n_stages * n_bins)
        waits = result.risk_wait.astype(np.float64)
        has_wait = ~np.isnan(waits)
        return cls(
            n=result.n,
            resolved_at=np.bincount(result.stage[result.stage >= 0].astype(np.int64),
                                    minlength=n_stages)[:n_stages],
            reached=np.array([int(np.sum(result.reached >= s)) for s in range(n_stages)]),
            breach=result.breach.sum(axis=0).astype(np.int64),
            by_final=int(result.by_final.sum()),
            outcome=np.bincount(result.outcome.astype(np.int64), minlength=len(OUTCOMES)),
            days_sum=float(days[ok].sum()), days_sq=float((days[ok] ** 2).sum()),
            days_hist=hist.reshape(n_stages, n_bins),
            wait_n=int(has_wait.sum()), wait_sum=float(waits[has_wait].sum()),
            wait_sq=float((waits[has_wait] ** 2).sum()),
            wait_late=int(result.risk_late[has_wait].sum()),
            contacts=np.asarray(result.contacts, dtype=np.float64).copy(),
            contacts_sq=np.asarray(result.contacts_sq, dtype=np.float64).copy(),
            month_n=None if months is None else np.bincount(months - 1, minlength=12),
            month_breach=None if months is None else np.stack(
                [np.bincount(months - 1, weights=result.breach[:, s], minlength=12)
                 for s in range(n_stages)], axis=1).astype(np.int64))

    def merge(self, other: Tally) -> Tally:
        """This tally plus another (a new object; sums are taken in call order)."""
        return Tally(
            n=self.n + other.n, resolved_at=self.resolved_at + other.resolved_at,
            reached=self.reached + other.reached, breach=self.breach + other.breach,
            by_final=self.by_final + other.by_final, outcome=self.outcome + other.outcome,
            days_sum=self.days_sum + other.days_sum, days_sq=self.days_sq + other.days_sq,
            days_hist=self.days_hist + other.days_hist, wait_n=self.wait_n + other.wait_n,
            wait_sum=self.wait_sum + other.wait_sum, wait_sq=self.wait_sq + other.wait_sq,
            wait_late=self.wait_late + other.wait_late,
            contacts=self.contacts + other.contacts,
            contacts_sq=self.contacts_sq + other.contacts_sq,
            month_n=None if self.month_n is None or other.month_n is None
            else self.month_n + other.month_n,
            month_breach=None if self.month_breach is None or other.month_breach is None
            else self.month_breach + other.month_breach)

    def season(self, model: RaceModel, variant: str | None = None) -> list[Metric]:
        """Breach share of each stage deadline by the month the concern arises
        (``season.<MM>.breach.<stage>``): Christmas and Easter stretch a "Day N"."""
        out: list[Metric] = []
        if self.month_n is None or self.month_breach is None:
            return out
        for month in range(12):
            for s, stage in enumerate(model.stages):
                if stage.due is None:
                    continue
                mean, low, high = wilson(float(self.month_breach[month, s]),
                                         int(self.month_n[month]))
                out.append(Metric(f"season.{month + 1:02d}.breach.{stage.id}", mean, low,
                                  high, int(self.month_n[month]), "share", variant))
        return out

    @property
    def days_n(self) -> int:
        return int(self.days_hist.sum())

    def metrics(self, model: RaceModel, variant: str | None = None) -> list[Metric]:
        """Every metric of the issue for one variant."""
        n = self.n
        out: list[Metric] = []

        def share(name: str, hits: float, of: int) -> None:
            mean, low, high = wilson(float(hits), of)
            out.append(Metric(name, mean, low, high, of, "share", variant))

        for s, stage in enumerate(model.stages):
            share(f"resolved.{stage.id}", self.resolved_at[s], n)
        for s, stage in enumerate(model.stages):
            share(f"reached.{stage.id}", self.reached[s], n)
        for s, stage in enumerate(model.stages):
            if stage.due is not None:
                share(f"breach.{stage.id}", self.breach[s], n)
        share("resolved_by_final_deadline", self.by_final, n)
        for code, name in enumerate(OUTCOMES):
            share(f"outcome.{name}", self.outcome[code], n)
        days_n = self.days_n
        mean, low, high = mean_ci(self.days_sum, self.days_sq, days_n)
        out.append(Metric("working_days_to_resolution.mean", mean, low, high, days_n,
                          "working days", variant))
        counts = self.days_hist.sum(axis=0)
        for label, q in (("median", 0.5), ("p90", 0.9)):
            value, low, high = histogram_quantile_ci(counts, q)
            out.append(Metric(f"working_days_to_resolution.{label}", value, low, high,
                              days_n, "working days", variant))
        mean, low, high = mean_ci(self.wait_sum, self.wait_sq, self.wait_n)
        out.append(Metric("immediate_risk.wait_days.mean", mean, low, high, self.wait_n,
                          "calendar days", variant))
        share("immediate_risk.referral_late", self.wait_late, self.wait_n)
        scale = (model.run.cases_per_year or DEFAULT_VOLUME) / 12.0
        for r, role in enumerate(model.roles):
            if self.contacts[r] == 0:
                continue
            mean, low, high = mean_ci(self.contacts[r], self.contacts_sq[r], n)
            out.append(Metric(f"load.{role}", mean * scale, low * scale, high * scale, n,
                              "contacts per month", variant))
        return out


def histogram_quantile_ci(counts: np.ndarray, q: float, z: float = Z95
                          ) -> tuple[float, float, float]:
    """Quantile of binned values (bin width 1 / BINS_PER_DAY) with the order-statistic
    interval: the estimate interpolates ranks at bin mid-points, the interval runs from
    the lower edge of the low rank's bin to the upper edge of the high rank's bin."""
    n = int(counts.sum())
    if n == 0:
        return math.nan, math.nan, math.nan
    cum = np.cumsum(counts)
    width = 1.0 / BINS_PER_DAY

    def bin_of(rank: int) -> int:  # 0-based rank
        return int(np.searchsorted(cum, rank + 1))

    pos = q * (n - 1)
    lo_rank, hi_rank = math.floor(pos), math.ceil(pos)
    mid_lo, mid_hi = (bin_of(lo_rank) + 0.5) * width, (bin_of(hi_rank) + 0.5) * width
    value = mid_lo + (pos - lo_rank) * (mid_hi - mid_lo)
    spread = z * math.sqrt(n * q * (1 - q))
    low = min(max(math.floor(n * q - spread), 0), n - 1)
    high = min(max(math.ceil(n * q + spread), 0), n - 1)
    return (value, min(value, bin_of(low) * width),
            max(value, (bin_of(high) + 1) * width))


def compute(model: RaceModel, result: ChunkResult, variant: str | None = None) -> list[Metric]:
    """Every metric of the issue for one variant, from per-case results."""
    return Tally.of(model, result).metrics(model, variant)
