"""`escalate calibrate POLICY records.csv`: fit reply times and resolve chances from a
partnership's own escalation records, and back-test the fit on records held back.

Records format (one row per contact at an escalation step — what an Appendix 1
Escalation Summary Log holds; UTF-8, with or without BOM; see docs/stress.md):

    case,step,role,sent,replied,outcome

* ``case``    — any case reference (pseudonymous: never a child's name);
* ``step``    — the policy's step id (``stage1.attempt``, ``stage2.representative`` …);
* ``role``    — the policy's role id of the professional contacted;
* ``sent``    — when the contact was made, ISO date-time (``2026-03-02T10:15``);
* ``replied`` — when they answered, ISO date-time; empty if no answer came;
* ``outcome`` — ``agreed``, ``not_agreed`` or ``no_reply``.

Fit: replies within 15 minutes in office hours are phone pick-ups (the share estimates
``phone_answer_chance``); the others, in working hours on the policy's calendar, fit a
lognormal per role by maximum likelihood (median = exp(mean log), σ = sd of logs).
Front-line roles (no ``reply_factor_by_role`` in the policy) pool into ``reply_hours``;
each other role gets ``reply_factor_by_role`` = its median / the front-line median.
Resolve chances: the share agreed among answered contacts, per step (Wilson interval).
Replies that never came are counted and shown, not fitted (they are censored: a
limitation). Every estimate has a 95% CI.

Back-test: cases whose reference hashes into the last fifth are held back; the fit on the
rest predicts, for each held-back reply, its quantile under the fitted lognormal — half
should fall below the median and 90% below the 90th percentile — and the agreed share
per step, compared with the held-back share.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np

from scenarios.policy_schema import Policy
from sim.deadlines import calendar_for
from sim.metrics import Z95, wilson
from sim.world import CONVERSATION_MINUTES, step_chance

COLUMNS = ("case", "step", "role", "sent", "replied", "outcome")
OUTCOMES = ("agreed", "not_agreed", "no_reply")
PHONE_MINUTES = 15.0
HOLD_BACK = 5  # one case in five is held back for the back-test


class RecordsError(ValueError):
    """A bad records file: one line naming file, row and column."""


@dataclass
class Record:
    case: str
    step: str
    role: str
    sent: datetime
    replied: datetime | None
    outcome: str
    line: int


def read_records(path: Path, policy: Policy) -> list[Record]:
    """Parse and check a records file against the policy's step and role ids."""
    steps = {step.id for _, step in policy.steps()}
    roles = {r.id for r in policy.roles}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RecordsError(f"{path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise RecordsError(f"{path}: not UTF-8 text") from None
    rows = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (rows.fieldnames or [])]
    if missing:
        raise RecordsError(f"{path}:1: missing column(s) {', '.join(missing)}; expected "
                           f"{','.join(COLUMNS)}")
    out = []
    for line, row in enumerate(rows, start=2):
        where = f"{path}:{line}"
        if row["step"] not in steps:
            raise RecordsError(f"{where}: step: unknown step '{row['step']}'")
        if row["role"] not in roles:
            raise RecordsError(f"{where}: role: unknown role '{row['role']}'")
        if row["outcome"] not in OUTCOMES:
            raise RecordsError(f"{where}: outcome: expected one of {', '.join(OUTCOMES)}, "
                               f"got '{row['outcome']}'")
        try:
            sent = datetime.fromisoformat(row["sent"])
            replied = datetime.fromisoformat(row["replied"]) if row["replied"] else None
        except ValueError as exc:
            raise RecordsError(f"{where}: sent/replied: {exc}") from None
        if replied is None and row["outcome"] != "no_reply":
            raise RecordsError(f"{where}: replied: empty, but the outcome is "
                               f"'{row['outcome']}'")
        if replied is not None and replied < sent:
            raise RecordsError(f"{where}: replied: before sent")
        out.append(Record(row["case"], row["step"], row["role"], sent, replied,
                          row["outcome"], line))
    if not out:
        raise RecordsError(f"{path}: no records")
    return out


def held_back(case: str) -> bool:
    return int(hashlib.sha256(case.encode()).hexdigest(), 16) % HOLD_BACK == 0


@dataclass
class Estimate:
    name: str  # the policy path it calibrates, e.g. behaviour.reply_hours.median
    value: float
    ci_low: float
    ci_high: float
    n: int
    current: float | None = None  # the policy's present value
    roles: list[str] | None = None  # a tier of roles sharing one factor

    def to_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in self.__dict__.items()}


@dataclass
class Fit:
    estimates: list[Estimate]
    log_hours: dict[str, np.ndarray]  # role → log working hours of slow replies
    no_reply: int
    records: int
    backtest: list[dict] = field(default_factory=list)

    def get(self, name: str) -> Estimate | None:
        return next((e for e in self.estimates if e.name == name), None)

    def sets(self) -> list[str]:
        """The fit as --set arguments for `escalate stress` (a tier: one per role)."""
        out = []
        for e in self.estimates:
            if math.isnan(e.value):
                continue
            if e.roles:
                out += [f"behaviour.reply_factor_by_role.{r}={e.value:.4g}" for r in e.roles]
            else:
                out.append(f"{e.name}={e.value:.4g}")
        return out


def _lognormal(logs: np.ndarray) -> tuple[float, float, float, float, float, float]:
    """Median and σ with normal-approximation 95% CIs (nan when too few)."""
    n = logs.size
    if n < 2:
        return (math.nan,) * 6
    mu, sd = float(logs.mean()), float(logs.std(ddof=1))
    half = Z95 * sd / math.sqrt(n)
    s_half = Z95 * sd / math.sqrt(2 * (n - 1))
    return (math.exp(mu), math.exp(mu - half), math.exp(mu + half), sd,
            max(0.0, sd - s_half), sd + s_half)


def fit(records: list[Record], policy: Policy) -> Fit:
    """Maximum-likelihood fit of the records (see module docstring)."""
    cal = calendar_for(policy)
    beh = policy.behaviour
    factors = beh.reply_factor_by_role
    meeting_steps = {step.id for _, step in policy.steps() if step.kind in ("meeting",
                                                                          "panel")}
    phone_hits = phone_n = 0
    logs: dict[str, list[float]] = {}
    for r in records:
        if r.replied is None:
            continue
        minutes = cal.working_minutes_between(r.sent, r.replied)
        quick = (r.replied - r.sent).total_seconds() / 60 <= PHONE_MINUTES
        in_office = cal.is_office_hours(r.sent) and r.step not in meeting_steps
        if in_office:
            phone_n += 1
            phone_hits += quick
        if quick and in_office:
            continue
        logs.setdefault(r.role, []).append(math.log(max(minutes, 1.0) / 60))
    arrays = {role: np.array(v) for role, v in logs.items()}
    estimates: list[Estimate] = []
    p, lo, hi = wilson(phone_hits, phone_n)
    estimates.append(Estimate("behaviour.phone_answer_chance", p, lo, hi, phone_n,
                              beh.phone_answer_chance))
    front = np.concatenate([a for role, a in arrays.items() if role not in factors] or
                           [np.empty(0)])
    med, mlo, mhi, sd, slo, shi = _lognormal(front)
    estimates.append(Estimate("behaviour.reply_hours.median", med, mlo, mhi, front.size,
                              beh.reply_hours.median))
    estimates.append(Estimate("behaviour.reply_hours.sigma", sd, slo, shi, front.size,
                              beh.reply_hours.sigma))
    for tier, roles in tiers(policy).items():
        present = [arrays[r] for r in roles if r in arrays]
        if not present:
            continue
        logs_t = np.concatenate(present)
        base = beh.meeting_hours.median if tier[0] else med
        r_med, r_lo, r_hi, *_ = _lognormal(logs_t)
        estimates.append(Estimate(f"behaviour.reply_factor_by_role[{', '.join(roles)}]",
                                  r_med / base, r_lo / base, r_hi / base, logs_t.size,
                                  tier[1], roles))
    for stage in policy.stages:
        for step in stage.steps:
            answered = [r for r in records if r.step == step.id and r.replied is not None]
            if not answered:
                continue
            agreed = sum(r.outcome == "agreed" for r in answered)
            p, lo, hi = wilson(agreed, len(answered))
            estimates.append(Estimate(f"behaviour.resolve_chance.{step.id}", p, lo, hi,
                                      len(answered), step_chance(beh, stage, step, "")))
    no_reply = sum(r.replied is None for r in records)
    return Fit(estimates, arrays, no_reply, len(records))


def tiers(policy: Policy) -> dict[tuple[bool, float], list[str]]:
    """Roles with a reply factor grouped by (meets rather than replies, factor): one
    pooled fit per tier, as the defaults were set per tier."""
    meeting = _meeting_roles(policy)
    out: dict[tuple[bool, float], list[str]] = {}
    for role, factor in policy.behaviour.reply_factor_by_role.items():
        out.setdefault((role in meeting, factor), []).append(role)
    return out


def _meeting_roles(policy: Policy) -> set[str]:
    return {role for _, step in policy.steps() if step.kind in ("meeting", "panel")
            for roles in step.representation.values() for role in roles}


def backtest(records: list[Record], policy: Policy) -> tuple[Fit, list[dict]]:
    """Fit on the kept cases; check the held-back cases against the fit."""
    kept = [r for r in records if not held_back(r.case)]
    test = [r for r in records if held_back(r.case)]
    if not kept or not test:
        raise RecordsError("too few cases to hold one in five back for a back-test")
    model = fit(kept, policy)
    truth = fit(test, policy)
    rows = []
    front = model.get("behaviour.reply_hours.median")
    sigma = model.get("behaviour.reply_hours.sigma")
    groups: list[tuple[str, list[str], float]] = []
    front_roles = sorted(r for r in truth.log_hours
                         if r not in policy.behaviour.reply_factor_by_role)
    groups.append(("front line", front_roles, front.value))
    for (meets, _), roles in tiers(policy).items():
        factor = model.get(f"behaviour.reply_factor_by_role[{', '.join(roles)}]")
        if factor is not None:
            base = policy.behaviour.meeting_hours.median if meets else front.value
            groups.append((", ".join(roles), roles, base * factor.value))
    for label, roles, median in groups:
        present = [truth.log_hours[r] for r in roles if r in truth.log_hours]
        if not present or math.isnan(median):
            continue
        logs = np.concatenate(present)
        z = (logs - math.log(median)) / sigma.value
        below_median = float(np.mean(z <= 0))
        below_p90 = float(np.mean(z <= 1.2815515655446004))
        n_fit = sum(model.log_hours[r].size for r in roles if r in model.log_hours)
        rows.append({"what": f"reply time, {label}", "n": int(logs.size),
                     "predicted": "50% / 90%",
                     "observed": f"{below_median:.0%} / {below_p90:.0%}",
                     "ok": _covers(below_median, 0.5, logs.size, n_fit)
                     and _covers(below_p90, 0.9, logs.size, n_fit)})
    for est in truth.estimates:
        if not est.name.startswith("behaviour.resolve_chance."):
            continue
        predicted = model.get(est.name)
        if predicted is None:
            continue
        ok = _covers(est.value, predicted.value, est.n, predicted.n)
        rows.append({"what": f"agreed at {est.name.rsplit('.', 2)[-2]}."
                     f"{est.name.rsplit('.', 1)[-1]}", "n": est.n,
                     "predicted": f"{predicted.value:.0%}", "observed": f"{est.value:.0%}",
                     "ok": ok})
    model.backtest = rows
    return model, rows


def _covers(observed: float, expected: float, n: int, n_fit: int) -> bool:
    """Is a held-back share within 95% of the fitted one, allowing for the sampling noise
    of both the held-back cases (n) and the cases the fit came from (n_fit)?"""
    var = max(expected * (1 - expected), 1e-9) * (1 / max(n, 1) + 1 / max(n_fit, 1))
    return abs(observed - expected) <= Z95 * math.sqrt(var) + 1e-9


# ---------------------------------------------------------------- synthetic records


def synthesise(policy: Policy, cases: int, seed: int, reply_median: float = 8.0,
               sigma: float = 1.0, phone: float = 0.6,
               factors: dict[str, float] | None = None,
               chances: dict[str, float] | None = None) -> list[dict]:
    """Records of invented cases drawn from known parameters (for the example file and
    the recovery test): each case climbs the ladder until someone agrees."""
    rng = np.random.default_rng(seed)
    cal = calendar_for(policy)
    factors = policy.behaviour.reply_factor_by_role if factors is None else factors
    first = policy.stages[0].steps[0].representation
    agencies = [a.id for a in policy.agencies if a.id in first]
    year = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    working = [d for d in year if cal.is_working_day(d)]
    rows = []
    for i in range(cases):
        case = f"C{i + 1:05d}"
        day = working[int(rng.integers(len(working)))]
        now = datetime.combine(day, time(9)) + timedelta(minutes=int(rng.integers(0, 480)))
        _raiser, other = rng.choice(len(agencies), size=2, replace=False)
        for stage in policy.stages:
            for step in stage.steps:
                who = step.roles_for(agencies[other])
                if not who:
                    continue
                role = who[0]
                meeting = step.kind in ("meeting", "panel")
                if not meeting and cal.is_office_hours(now) and rng.random() < phone:
                    replied = now + timedelta(minutes=CONVERSATION_MINUTES)
                else:
                    base = policy.behaviour.meeting_hours.median if meeting else reply_median
                    hours = base * factors.get(role, 1.0) * math.exp(
                        sigma * rng.standard_normal())
                    replied = cal.add_working_minutes(now, hours * 60)
                chance = (chances or {}).get(step.id,
                                             step_chance(policy.behaviour, stage, step, ""))
                agreed = rng.random() < chance
                rows.append({"case": case, "step": step.id, "role": role,
                             "sent": now.isoformat(timespec="minutes"),
                             "replied": replied.isoformat(timespec="minutes"),
                             "outcome": "agreed" if agreed else "not_agreed"})
                now = replied
                if agreed:
                    break
            else:
                continue
            break
    return rows


def write_records(rows: list[dict], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
