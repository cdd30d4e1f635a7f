"""A policy compiled to plain numbers for the Monte Carlo engines.

Both stress engines (`sim.race`, SimPy; `sim.fast_race`, numpy) read the same `RaceModel`
and the same per-chunk draws (`ChunkDraws`), so they differ only in how they play the race.
Nothing here touches pydantic or datetimes in the hot path: deadlines are due *minutes*
on the calendar clock (calendar minutes since `WorkingCalendar.EPOCH`), computed through
`sim.deadlines.due_at` once per anchor date and cached.
"""

from __future__ import annotations

import copyreg
import functools
import math
from dataclasses import dataclass, field
from datetime import date, time

import numpy as np

from scenarios.case_deadlines import for_stress
from scenarios.conditions import ENGINE_CASE, ladder_for, route_for
from scenarios.policy_schema import Behaviour, Deadline, Distribution, Policy, Stage, Step
from sim.calendar import WorkingCalendar
from sim.case_draws import CaseDraws
from sim.deadlines import calendar_for, due_at
from sim.verdicts import CODES, PENDING, dated_items, taken_up_counts
from sim.world import CONVERSATION_MINUTES, MEETING_MINUTES, step_chance

CHUNK = 2400  # cases per chunk: fixed, so case i's draws never depend on --jobs
REFER_MINUTES = 20.0  # sim.actions.ACTION_MINUTES["refer"]
LATE_MINUTES = 60.0  # the `late` player acts an hour after a deadline (sim.players.late)
SPARE_WORKING_MINUTES = 120.0  # the `perfect` player escalates two working hours early
START_OPEN_MINUTE, START_SPAN_MINUTES = 8 * 60, 11 * 60  # concerns raised 08:00–19:00
RISK_MAX_WORKING_DAYS = 250  # as sim.world.World.risk_minute
HOURS_CODES = {"office": 0, "always": 1, "out_of_hours": 2}
PLAYERS = ("perfect", "late", "passive")
N_CASE_COLUMNS = 6  # start day, start minute, raiser, other, category, risk
N_STEP_COLUMNS = 4  # answered, absent, reply uniform, stance


@functools.cache
def _calendar(start: time, end: time, first: int, last: int) -> WorkingCalendar:
    return WorkingCalendar(start, end, first, last)


def _reduce_calendar(cal: WorkingCalendar) -> tuple:
    """Ship a calendar to workers as its four parameters; each process builds it once."""
    return _calendar, (cal.office_start, cal.office_end, cal.first_year, cal.last_year)


copyreg.pickle(WorkingCalendar, _reduce_calendar)


@dataclass
class RunParams:
    """Parameters of a stress run that are not part of the policy (paths ``run.*``)."""

    cases_per_year: int = 12  # escalations a year meeting the same role-holders (EVIDENCE: 9)
    horizon_days: float = 120.0
    start_year: int = 2026

    def check(self) -> None:
        if not 0 <= self.cases_per_year <= CHUNK:
            raise ValueError(f"run.cases_per_year must be between 0 (no queues) and {CHUNK}")
        if not 1 <= self.horizon_days <= 2000:
            raise ValueError("run.horizon_days must be between 1 and 2000")
        if not 2018 <= self.start_year <= 2029:
            raise ValueError("run.start_year must be between 2018 and 2029 (calendar range)")


_CACHES: dict[tuple, tuple[dict, list]] = {}  # per process: due minutes by deadline


def _turnaround(beh: Behaviour, policy: Policy, step: Step, counterpart: str | None,
                other: str) -> float:
    """The counterpart's turnaround factor at a step; where another role carries the step
    out for the raiser (`Step.carried_out_by`, unless the proxy is of the other party's
    agency, as `Session.proxy_for` reads it), the proxy's factor is added: the
    approximation is one draw scaled by both (the two delays perfectly correlated, and
    the proxy's drawn from the step's distribution — meeting_hours at a panel — where the
    Session draws its reply_hours), which keeps the engines' per-step cost unchanged."""
    factors = beh.reply_factor_by_role
    own = factors.get(counterpart, 1.0) if counterpart else 1.0
    proxy = step.carried_out_by
    if not proxy or proxy not in policy.role_ids() or policy.role(proxy).agency == other:
        return own
    return own + factors.get(proxy, 1.0)


class DueRule:
    """One policy deadline as a function of anchor minutes, cached by anchor date.

    Day-N, "as soon as possible", working- and calendar-day targets depend only on the
    anchor's date and whether it is before close of office, so `due_at` runs once per
    such key; working-hour and clock-hour targets are exact minute arithmetic.
    """

    def __init__(self, deadline: Deadline, policy: Policy, cal: WorkingCalendar) -> None:
        self.after = deadline.after
        self.unit = deadline.unit if deadline.day is None else "day"
        self.amount = deadline.within or 0.0
        self.options = [DueRule(o, policy, cal) for o in deadline.earliest_of]
        self._own = deadline.model_copy(update={"earliest_of": []})
        self._policy = policy
        self._cal = cal
        self._close = cal.office_end.hour * 60 + cal.office_end.minute
        self._key = (self._own.model_dump_json(), policy.day_reading.model_dump_json(),
                     cal.office_start, cal.office_end)
        self._attach()

    def _attach(self) -> None:
        """Share the per-process caches of every rule with the same deadline and reading."""
        self._cache, self._tables = _CACHES.setdefault(self._key, ({}, [(0, np.empty(0))]))

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("_cache", "_tables")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._attach()

    @property
    def _table(self) -> tuple[int, np.ndarray]:
        return self._tables[0]

    @_table.setter
    def _table(self, value: tuple[int, np.ndarray]) -> None:
        self._tables[0] = value

    def due(self, anchors: dict[str, float]) -> float | None:
        anchor = anchors.get(self.after)
        own = None if anchor is None or self.unit is None else self.own_due(anchor)
        for option in self.options:
            other = option.due(anchors)
            if other is not None and (own is None or other < own):
                own = other
        return own

    def own_due(self, anchor: float) -> float | None:
        if self.unit == "working_hours":
            return self._cal.add_working_minutes_m(anchor, self.amount * 60)
        if self.unit == "hours":
            return anchor + self.amount * 60
        day = int(anchor // 1440)
        key = (day, anchor - day * 1440 < self._close)
        try:
            return self._cache[key]
        except KeyError:
            pass
        at = due_at(self._own, self._policy, {self.after: self._cal.from_minutes(anchor)})
        value = None if at is None else self._cal.to_minutes(at)
        self._cache[key] = value
        return value

    @property
    def is_asap(self) -> bool:
        return self.unit == "asap"

    def table(self, lo: int, hi: int) -> tuple[int, np.ndarray]:
        """Dues for every key ``day * 2 + before_close`` in [lo, hi], as an array (nan: none).

        The numpy engine looks dues up here instead of calling `due_at` per case; the
        table only grows, and each key is computed once per process.
        """
        base, values = self._table
        if values.size and base <= lo and hi < base + values.size:
            return base, values
        new_lo = min(lo, base) if values.size else lo
        new_hi = max(hi, base + values.size - 1) if values.size else hi
        grown = np.full(new_hi - new_lo + 1, np.nan)
        if values.size:
            grown[base - new_lo:base - new_lo + values.size] = values
        for key in range(new_lo, new_hi + 1):
            if values.size and base <= key < base + values.size:
                continue
            day, before = divmod(key, 2)
            anchor = day * 1440.0 + (0.0 if before else self._close)
            due = self.own_due(anchor)
            grown[key - new_lo] = np.nan if due is None else due
        self._table = (new_lo, grown)
        return self._table


@dataclass
class StepSpec:
    id: str
    stage: int
    last_in_stage: bool
    meeting: bool
    counterpart: list[int]  # role index per agency index (the other agency's role)
    due: DueRule | None
    chance: list[float]  # by category index
    factor: list[float] = field(default_factory=list)  # counterpart's turnaround, by agency
    # The stage escalates by itself when this falls due (`Stage.on_timeout`). Approximation:
    # the engines move the case one step on, as an escalation; the Session jumps to the next
    # stage, which is the same move for a one-step stage (the usual "no response within N").
    # A stage's `decided_by` is not modelled apart: the step's draw is the decider's answer,
    # timed as the counterpart's (the scripted players put the case to the decider at once).
    auto: DueRule | None = None


@dataclass
class StageSpec:
    id: str
    due: DueRule | None
    steps: list[int]


@dataclass
class ItemSpec:
    """One dated ladder item (a step's or a stage's deadline, `sim.verdicts.dated_items`),
    so the engines give the verdict on every dated item the debrief judges."""

    id: str
    due: DueRule
    step: int  # the step whose take-up meets it (an "as soon as possible" or final item)
    first: int  # the ladder index it is in reach from (its step, or its stage's first)
    taken_up: bool  # met by taking the step up, not by concluding it


@dataclass
class DistSpec:
    kind: str
    median: float
    sigma: float
    mean: float

    @classmethod
    def of(cls, dist: Distribution) -> DistSpec:
        mean = dist.mean if dist.mean is not None else dist.median / math.log(2)
        return cls(dist.dist, dist.median, dist.sigma, mean)

    def hours(self, z: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Delays in working hours from one normal and one uniform per case (as draw_hours)."""
        if self.kind == "never":
            return np.full(z.shape, np.inf)
        if self.kind == "fixed":
            return np.full(z.shape, self.median)
        if self.kind == "exponential":
            return -self.mean * np.log1p(-u)
        return self.median * np.exp(self.sigma * z)


@dataclass
class RaceModel:
    """Everything a worker needs to play cases of one policy variant, picklable."""

    policy: Policy
    run: RunParams
    player: str
    cal: WorkingCalendar
    day_len: float
    roles: list[str]
    role_hours: list[int]
    role_capacity: list[int]
    agencies: list[str]
    categories: list[str]
    steps: list[StepSpec]
    stages: list[StageSpec]
    reply: DistSpec
    meeting: DistSpec
    phone_chance: float
    absence_chance: float
    absence_minutes: float
    ooh_reply_minutes: float
    hazard: float
    route_in: list[int]
    route_out: list[int]
    route_due: DueRule | None
    route_due_ooh: DueRule | None  # risk known out of hours, when the route sets one
    final_due: DueRule | None
    start_midnights: np.ndarray = field(repr=False)
    role_factor: list[float] = field(default_factory=list)  # turnaround multiplier by role
    items: list[ItemSpec] = field(default_factory=list)  # every dated ladder item

    @property
    def n_steps(self) -> int:
        return len(self.steps)

    @property
    def horizon_minutes(self) -> float:
        return self.run.horizon_days * 1440.0


def compile_model(policy: Policy, player: str = "perfect",
                  run: RunParams | None = None) -> RaceModel:
    """Turn a validated policy into a `RaceModel` (once per variant, in the parent)."""
    if player not in PLAYERS:
        raise ValueError(f"unknown player {player!r}; expected one of {', '.join(PLAYERS)}")
    run = run or RunParams()
    run.check()
    cal = calendar_for(policy)
    # One ladder for every case: the default priority's tiers, and a deadline set during
    # the case counted from when its step is entered (`scenarios.case_deadlines.for_stress`).
    played = for_stress(policy)
    roles = [r.id for r in policy.roles]
    index = {r: i for i, r in enumerate(roles)}
    first = policy.stages[0].steps[0].representation
    agencies = [a.id for a in policy.agencies if a.id in first]
    if len(agencies) < 2:
        agencies = [a.id for a in policy.agencies]
    categories = [c.id for c in policy.categories] or ["_"]
    beh = policy.behaviour
    steps: list[StepSpec] = []
    stages: list[StageSpec] = []
    # Conditional steps and routes (`only_if`): the engines draw no plan or allocation per
    # case, so they play the ladder and route of one case, `ENGINE_CASE` (a child in need
    # with an allocated social worker and no plan); `check` notes it for such a policy.
    ladder = ladder_for(played, ENGINE_CASE)
    case_stages = list({id(stage): stage for stage, _ in ladder}.values())
    for s_index, stage in enumerate(case_stages):
        ids = []
        for step in stage.steps:
            counterpart = []
            for agency in agencies:
                who = step.roles_for(agency)
                counterpart.append(index[who[0]] if who else -1)
            steps.append(StepSpec(
                id=step.id, stage=s_index, last_in_stage=step is stage.steps[-1],
                meeting=step.kind in ("meeting", "panel"), counterpart=counterpart,
                due=DueRule(step.deadline, policy, cal) if step.deadline else None,
                chance=[step_chance(beh, stage, step, c) for c in categories],
                factor=[_turnaround(beh, policy, step, roles[r] if r >= 0 else None, agency)
                        for r, agency in zip(counterpart, agencies, strict=True)]))
            ids.append(len(steps) - 1)
        stages.append(StageSpec(stage.id, DueRule(stage.deadline, policy, cal)
                                if stage.deadline else None, ids))
        if stage.on_timeout == "escalate" and stage is not case_stages[-1]:
            auto = stages[-1].due or steps[ids[-1]].due
            for j in ids:
                steps[j].auto = auto
    route = route_for(policy, ENGINE_CASE)
    top = case_stages[-1]
    final = played.total_cap or top.deadline or top.steps[-1].deadline
    year = [d for d in range(date(run.start_year, 1, 1).toordinal(),
                             date(run.start_year, 12, 31).toordinal() + 1)
            if cal.is_working_day(date.fromordinal(d))]
    epoch = WorkingCalendar.EPOCH.toordinal()
    return RaceModel(
        policy=policy, run=run, player=player, cal=cal,
        day_len=cal._day_length, roles=roles,
        role_hours=[HOURS_CODES[r.hours] for r in policy.roles],
        role_capacity=[r.capacity for r in policy.roles],
        agencies=agencies, categories=categories, steps=steps, stages=stages,
        reply=DistSpec.of(beh.reply_hours), meeting=DistSpec.of(beh.meeting_hours),
        phone_chance=beh.phone_answer_chance, absence_chance=beh.absence_chance,
        absence_minutes=beh.absence_days * cal._day_length,
        ooh_reply_minutes=beh.out_of_hours_reply_minutes,
        hazard=beh.risk_per_working_day,
        route_in=[index[r] for r in route.in_hours] if route else [],
        route_out=[index[r] for r in route.out_of_hours] if route else [],
        route_due=DueRule(route.deadline, policy, cal) if route else None,
        route_due_ooh=(DueRule(route.out_of_hours_deadline, policy, cal)
                       if route and route.out_of_hours_deadline else None),
        final_due=DueRule(final, policy, cal) if final else None,
        start_midnights=(np.array(year, dtype=np.float64) - epoch) * 1440.0,
        role_factor=[beh.reply_factor_by_role.get(r, 1.0) for r in roles],
        items=_items(policy, cal, steps, ladder_for(policy, ENGINE_CASE)),
    )


def _items(policy: Policy, cal: WorkingCalendar, steps: list[StepSpec],
           ladder: list[tuple[Stage, Step]]) -> list[ItemSpec]:
    """Every dated item of the ladder the engines play (`ENGINE_CASE`'s), as
    `sim.verdicts.dated_items` lists them."""
    index = {s.id: k for k, s in enumerate(steps)}
    return [ItemSpec(item, DueRule(deadline, policy, cal), index[step.id], first,
                     taken_up_counts(deadline, final))
            for item, _stage, step, first, deadline, final in dated_items(ladder)]


# ---------------------------------------------------------------- vectorised calendar


_CLOCKS: dict[int, tuple[WorkingCalendar, VectorClock]] = {}


def _floor_days(m: np.ndarray) -> np.ndarray:
    """``(m // 1440).astype(int64)``, exactly, at a tenth of the cost: numpy's float floor
    division is slow, so divide, round down, and correct the rare quotient that rounding
    carried across a whole day (day * 1440 is exact in floating point)."""
    d = np.floor(m / 1440.0)
    d -= d * 1440.0 > m
    d += (d + 1.0) * 1440.0 <= m
    return d.astype(np.int64)


class VectorClock:
    """`WorkingCalendar`'s minute maths on arrays, by per-day lookup tables.

    ``bisect_right(open, m) - 1`` becomes a table of "last working day on or before this
    calendar day" plus one comparison with that day's opening; ``bisect_left(cum, w)``
    becomes a division by the office-day length with an exact fix-up. The results equal
    the scalar methods (tests compare them on random minutes).
    """

    def __init__(self, cal: WorkingCalendar) -> None:
        self.open = np.asarray(cal._open)
        self.cum = np.asarray(cal._cum)
        self.day_len = cal._day_length
        self.first_day = int(cal._min_m // 1440)
        n_days = int((cal._max_m - cal._min_m) // 1440) + 1
        days = (self.open // 1440).astype(np.int64) - self.first_day
        marks = np.zeros(n_days, dtype=np.int64)
        marks[days] = 1
        self.last_wd = np.cumsum(marks) - 1  # index of the last working day <= this day
        self.is_wd = marks.astype(bool)
        # Per calendar day, of the last working day on or before it: working minutes at its
        # opening, its opening, and the next opening after it. With every office day the
        # same length (cum[i] == i * day_len exactly), each method is one lookup of these.
        lw = np.maximum(self.last_wd, 0)
        self.day_base = self.cum[lw]
        self.day_open = self.open[lw]
        self.day_next = self.open[np.minimum(self.last_wd + 1, len(self.open) - 1)]
        self.exact = bool(np.array_equal(self.cum, np.arange(len(self.cum)) * self.day_len))

    @classmethod
    def of(cls, cal: WorkingCalendar) -> VectorClock:
        """The clock of a calendar, built once per process (it takes half a millisecond)."""
        key = id(cal)
        found = _CLOCKS.get(key)
        if found is None or found[0] is not cal:
            found = _CLOCKS[key] = (cal, cls(cal))
        return found[1]

    def _index(self, m: np.ndarray) -> np.ndarray:
        """``bisect_right(open, m) - 1`` for arrays."""
        d = _floor_days(m)
        d -= self.first_day
        np.clip(d, 0, len(self.last_wd) - 1, out=d)
        i = self.last_wd[d]
        before = self.is_wd[d] & (m < self.open[np.maximum(i, 0)])
        return i - before

    def _day(self, m: np.ndarray) -> np.ndarray:
        d = _floor_days(m)
        d -= self.first_day
        np.clip(d, 0, len(self.last_wd) - 1, out=d)
        return d

    def working_at(self, m: np.ndarray) -> np.ndarray:
        if not self.exact:
            return self._working_at(m)
        d = self._day(m)
        return self.day_base[d] + np.clip(m - self.day_open[d], 0.0, self.day_len)

    def _working_at(self, m: np.ndarray) -> np.ndarray:
        i = self._index(m)
        safe = np.maximum(i, 0)
        w = self.cum[safe] + np.minimum(m - self.open[safe], self.day_len)
        return np.where(i < 0, 0.0, w)

    def calendar_at(self, w: np.ndarray) -> np.ndarray:
        if not self.exact:
            return self._calendar_at(w)
        last, size = len(self.cum) - 1, self.day_len  # bisect_left(cum, w): cum[j] = j * size
        j = np.clip(np.ceil(w / size), 0, last + 1)
        j += (j <= last) & (j * size < w)
        j -= (j > 0) & ((j - 1) * size >= w)
        i = j - 1
        safe = np.maximum(i, 0)
        return np.where(i < 0, self.open[0], self.open[safe.astype(np.int64)] + (w - safe * size))

    def _calendar_at(self, w: np.ndarray) -> np.ndarray:
        last = len(self.cum) - 1
        j = np.clip(np.ceil(w / self.day_len).astype(np.int64), 0, last + 1)
        j = j + ((j <= last) & (self.cum[np.minimum(j, last)] < w))
        j = j - ((j > 0) & (self.cum[np.clip(j - 1, 0, last)] >= w))
        i = j - 1
        safe = np.maximum(i, 0)
        return np.where(i < 0, self.open[0], self.open[safe] + (w - self.cum[safe]))

    def probe(self, m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Working minute, in-office flag and next opening of each minute, in one lookup."""
        if self.exact:
            d = self._day(m)
            opened = self.day_open[d]
            off = m - opened  # exact: both minutes lie within days of each other
            w = self.day_base[d] + np.clip(off, 0.0, self.day_len)
            inside = (off >= 0) & (off < self.day_len)
            return w, inside, np.where(inside, m, np.where(off < 0, opened, self.day_next[d]))
        i = self._index(m)
        safe = np.maximum(i, 0)
        opened = self.open[safe]
        w = np.where(i < 0, 0.0, self.cum[safe] + np.minimum(m - opened, self.day_len))
        inside = (i >= 0) & (m < opened + self.day_len)
        nxt = np.where(inside, m, self.open[np.minimum(i + 1, len(self.open) - 1)])
        return w, inside, nxt

    def add_from(self, w: np.ndarray, nxt: np.ndarray, minutes: np.ndarray) -> np.ndarray:
        """``add_working`` given `probe`'s working minute and next opening."""
        target = w + minutes
        finite = np.isfinite(target)
        if finite.all():
            return np.where(target == w, nxt, self.calendar_at(target))
        out = np.full(target.shape, np.inf)
        t = target[finite]
        out[finite] = np.where(t == w[finite], nxt[finite], self.calendar_at(t))
        return out

    def is_office(self, m: np.ndarray) -> np.ndarray:
        if self.exact:
            return self.probe(m)[1]
        i = self._index(m)
        return (i >= 0) & (m < self.open[np.maximum(i, 0)] + self.day_len)

    def next_opening(self, m: np.ndarray) -> np.ndarray:
        if self.exact:
            return self.probe(m)[2]
        i = self._index(m)
        inside = (i >= 0) & (m < self.open[np.maximum(i, 0)] + self.day_len)
        return np.where(inside, m, self.open[np.minimum(i + 1, len(self.open) - 1)])

    def add_working(self, m: np.ndarray, minutes: np.ndarray) -> np.ndarray:
        """``add_working_minutes_m`` for arrays; infinite minutes give infinity."""
        start = self.working_at(m)
        target = start + minutes
        finite = np.isfinite(target)
        if finite.all():
            return np.where(target == start, self.next_opening(m), self.calendar_at(target))
        out = np.full(np.shape(target), np.inf)
        t = target[finite]
        out[finite] = np.where(t == start[finite], self.next_opening(m[finite]),
                               self.calendar_at(t))
        return out


# ---------------------------------------------------------------- draws


def chunk_rng(seed: int, chunk: int) -> np.random.Generator:
    """The generator of one fixed-size chunk: SeedSequence(seed, spawn_key=(chunk,))."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(chunk,))))


def raw_draws(seed: int, chunk: int, n_steps: int,
              out: tuple[np.ndarray, np.ndarray] | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """Uniforms and normals of a whole chunk, drawn before any parameter is applied.

    Always a full chunk, whatever the number of cases used, so case i's numbers depend on
    the seed and i only; every variant of a what-if reuses them (common random numbers).
    ``out``: C-contiguous (CHUNK, …) arrays to draw into (the same numbers, no copy), as
    when a task lays its chunks end to end.
    """
    rng = chunk_rng(seed, chunk)
    if out is None:
        out = (np.empty((CHUNK, N_CASE_COLUMNS + N_STEP_COLUMNS * n_steps)),
               np.empty((CHUNK, n_steps)))
    rng.random(out=out[0])
    rng.standard_normal(out=out[1])
    return out


def task_draws(seed: int, task: list[tuple[int, int]], n_steps: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """The draws of a task's chunks laid end to end (each chunk's first n cases)."""
    if any(n != CHUNK for _, n in task):
        raws = [raw_draws(seed, c, n_steps) for c, _ in task]
        return (np.concatenate([r[0][:n] for r, (_, n) in zip(raws, task, strict=True)]),
                np.concatenate([r[1][:n] for r, (_, n) in zip(raws, task, strict=True)]))
    u = np.empty((CHUNK * len(task), N_CASE_COLUMNS + N_STEP_COLUMNS * n_steps))
    z = np.empty((CHUNK * len(task), n_steps))
    for j, (chunk, _) in enumerate(task):
        rows = slice(j * CHUNK, (j + 1) * CHUNK)
        raw_draws(seed, chunk, n_steps, out=(u[rows], z[rows]))
    return u, z


@dataclass
class ChunkDraws:
    """Per-case quantities of one chunk under one model variant (numpy arrays)."""

    start: np.ndarray  # calendar minute the concern is raised
    other: np.ndarray  # index into model.agencies
    category: np.ndarray
    risk: np.ndarray  # calendar minute of immediate risk, inf = never
    answered: np.ndarray | None  # (n, K) phone answered at once if in office
    work: np.ndarray | None  # (n, K) working minutes until a reply (inf = never)
    agree: np.ndarray | None  # (n, K) the counterpart agrees at that step
    u: np.ndarray | None = None  # raw uniforms, kept when step quantities are left lazy
    z: np.ndarray | None = None
    raiser: np.ndarray | None = None  # index into model.agencies (the Session's seat)

    def case(self, model: RaceModel, i: int) -> CaseDraws:
        """Case i's draws as one record, for a `Session` to play (`Session.from_draws`)."""
        if self.work is None:
            raise ValueError("prepare the draws with lazy=False to take single cases")
        return CaseDraws(
            start=float(self.start[i]), raiser=model.agencies[int(self.raiser[i])],
            other=model.agencies[int(self.other[i])],
            category=model.categories[int(self.category[i])], risk=float(self.risk[i]),
            answered=tuple(bool(a) for a in self.answered[i]),
            work=tuple(float(w) for w in self.work[i]),
            agree=tuple(bool(a) for a in self.agree[i]))

    def step(self, model: RaceModel, k: int, rows: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(answered, work, agree) at step k for some cases, from stored or raw draws."""
        if self.work is not None:
            return self.answered[rows, k], self.work[rows, k], self.agree[rows, k]
        col = N_CASE_COLUMNS + N_STEP_COLUMNS * k
        if rows.size == self.n:  # every case (the first step): no gathering
            return step_quantities(model, k, self.u[:, col:col + N_STEP_COLUMNS].T,
                                   self.z[:, k], self.category, self.other)
        u = [self.u[:, c][rows] for c in range(col, col + N_STEP_COLUMNS)]  # no 2-D copy
        return step_quantities(model, k, u, self.z[:, k][rows], self.category[rows],
                               self.other[rows])

    @property
    def n(self) -> int:
        return len(self.start)


def step_quantities(model: RaceModel, k: int, u: np.ndarray | list[np.ndarray],
                    z: np.ndarray, category: np.ndarray, other: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Phone answered, working minutes to reply and agreement at step k (as draw_hours).

    ``u`` holds the step's four uniform columns: ``u[j]`` is column j (a 2-D array is
    passed transposed, a list of 1-D arrays as it is).

    A counterpart role's turnaround is scaled by ``behaviour.reply_factor_by_role`` (the
    same draws for every factor: common random numbers). The factors are looked up once
    per step and agency at compile time (`StepSpec.factor`): a factor of 1 is skipped,
    as multiplying by it changes nothing.
    """
    step = model.steps[k]
    absent = u[1] < model.absence_chance
    answered = (u[0] < model.phone_chance) & ~absent & (not step.meeting)
    dist = model.meeting if step.meeting else model.reply
    hours = dist.hours(z, u[2])
    if other is not None and any(f != 1.0 for f in step.factor):
        scaled = hours * np.asarray(step.factor)[other]
        # never stays never: a positive factor keeps inf, a factor of 0 needs the guard
        hours = scaled if min(step.factor) > 0 else np.where(np.isinf(hours), hours, scaled)
    work = hours * 60 + np.where(absent, model.absence_minutes, 0.0)
    agree = u[3] < np.asarray(step.chance)[category]
    return answered, work, agree


def prepare(model: RaceModel, u: np.ndarray, z: np.ndarray, n: int,
            clock: VectorClock | None = None, lazy: bool = False) -> ChunkDraws:
    """Map raw uniforms to one variant's case quantities, vectorised.

    ``lazy`` leaves the per-step quantities to be computed only for the cases that reach
    each step (the numpy engine); the SimPy engine wants them all up front.
    """
    clock = clock or VectorClock.of(model.cal)
    u, z = u[:n], z[:n]
    days = model.start_midnights
    day = np.minimum((u[:, 0] * len(days)).astype(np.int64), len(days) - 1)
    start = days[day] + START_OPEN_MINUTE + u[:, 1] * START_SPAN_MINUTES
    n_ag = len(model.agencies)
    raiser = np.minimum((u[:, 2] * n_ag).astype(np.int64), n_ag - 1)
    other = np.minimum((u[:, 3] * (n_ag - 1)).astype(np.int64), n_ag - 2)
    other = other + (other >= raiser)
    n_cat = len(model.categories)
    category = np.minimum((u[:, 4] * n_cat).astype(np.int64), n_cat - 1)
    risk = np.full(n, np.inf)
    if model.hazard > 0:
        wdays = -np.log1p(-u[:, 5]) / model.hazard
        ok = wdays <= RISK_MAX_WORKING_DAYS
        risk[ok] = clock.calendar_at(clock.working_at(start[ok]) + wdays[ok] * model.day_len)
    if lazy:
        return ChunkDraws(start, other, category, risk, None, None, None, u, z, raiser)
    k_steps = model.n_steps
    answered = np.empty((n, k_steps), dtype=bool)
    work = np.empty((n, k_steps))
    agree = np.empty((n, k_steps), dtype=bool)
    for k in range(k_steps):
        col = N_CASE_COLUMNS + N_STEP_COLUMNS * k
        answered[:, k], work[:, k], agree[:, k] = step_quantities(
            model, k, u[:, col:col + N_STEP_COLUMNS].T, z[:, k], category, other)
    return ChunkDraws(start, other, category, risk, answered, work, agree, raiser=raiser)


# ---------------------------------------------------------------- results


OUTCOMES = ("resolved", "emergency", "open")
# per-case arrays of a `ChunkResult`
RESULT_FIELDS = ("outcome", "stage", "reached", "at_step", "days", "breach", "by_final",
                 "risk_wait", "risk_late", "verdict", "item_verdict")


@dataclass
class ChunkResult:
    """Per-case outcomes of one chunk (compact arrays) and per-role contact sums."""

    outcome: np.ndarray  # int8 index into OUTCOMES
    stage: np.ndarray  # int8 stage index resolved at (-1 if not resolved)
    reached: np.ndarray  # int8 highest stage index reached
    at_step: np.ndarray  # int16 ladder step index the case ended at
    days: np.ndarray  # float32 working days from start to resolution (nan if not)
    breach: np.ndarray  # bool (n, n_stages): stage deadline breached (reach not applied)
    by_final: np.ndarray  # bool: resolved by the final deadline
    risk_wait: np.ndarray  # float32 calendar days from immediate risk to right referral
    risk_late: np.ndarray  # bool: referral after the emergency route's deadline
    contacts: np.ndarray  # float64 (n_roles,) contacts received
    contacts_sq: np.ndarray  # float64 (n_roles,) sum over cases of squared contacts
    verdict: np.ndarray | None = None  # int8 (n, n_stages): `sim.verdicts` code per stage
    # (None when the numpy engine is asked for breaches only, as a stress run is)
    item_verdict: np.ndarray | None = None  # int8 (n, n_items): code per dated ladder item

    @classmethod
    def empty(cls, n: int, n_stages: int, n_roles: int, n_items: int = 0) -> ChunkResult:
        return cls(
            outcome=np.full(n, -1, dtype=np.int8), stage=np.full(n, -1, dtype=np.int8),
            reached=np.zeros(n, dtype=np.int8), at_step=np.zeros(n, dtype=np.int16),
            days=np.full(n, np.nan, dtype=np.float32),
            breach=np.zeros((n, n_stages), dtype=bool), by_final=np.zeros(n, dtype=bool),
            risk_wait=np.full(n, np.nan, dtype=np.float32), risk_late=np.zeros(n, dtype=bool),
            contacts=np.zeros(n_roles), contacts_sq=np.zeros(n_roles),
            verdict=np.full((n, n_stages), CODES[PENDING], dtype=np.int8),
            item_verdict=np.full((n, n_items), CODES[PENDING], dtype=np.int8))

    @classmethod
    def concat(cls, parts: list[ChunkResult]) -> ChunkResult:
        arrays = {name: None if any(getattr(p, name) is None for p in parts)
                  else np.concatenate([getattr(p, name) for p in parts])
                  for name in RESULT_FIELDS}
        return cls(**arrays, contacts=sum(p.contacts for p in parts),
                   contacts_sq=sum(p.contacts_sq for p in parts))

    @property
    def n(self) -> int:
        return len(self.outcome)


__all__ = [
    "CHUNK", "CONVERSATION_MINUTES", "MEETING_MINUTES", "OUTCOMES", "PLAYERS", "ChunkDraws",
    "ChunkResult", "RaceModel", "RunParams", "VectorClock", "compile_model", "prepare",
    "raw_draws",
]
