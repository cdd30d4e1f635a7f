"""Breach rates for every dated duty, on cases played through the Session (`escalate stress`).

The stress engines race a policy's stage timescales fast (a million cases a second in numpy).
A policy dates more than its stages: a step inside a stage, a sub-procedure's clock, the
total cap, the immediate-risk route, a letter owed after the outcome, a notification by a
step's deadline, a matter's own route. Each of those is judged here on cases generated from
the policy, played through the trainer's own Session by the scripted players (the stress
run's population mix, or one player) and marked by the same generic judges and verdict
authority a trainee is marked by, so each rate is what trainees would be held to. What the
Session honours is stressed here with no change to the engines.

Sessions take milliseconds, not microseconds, so the sample is smaller than the engines'
(default 1,000 cases): the table says how many, and gives a 95% interval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scenarios.policy_schema import DEADLINE_JUDGES, Duty, Policy
from scoring import evaluate
from scoring.context import Ctx
from scoring.judges import decided_item, owes, resolved_as_required, triggers
from scoring.model import Assessment
from sim.labels import TOTAL_CAP, item_label, procedure_item_label
from sim.metrics import wilson
from sim.players import play
from sim.population import PLAYER_OF, TYPES, assign, normalise
from sim.rng import stream
from sim.session import Session
from sim.verdicts import (
    BREACHED,
    MET,
    dated_items,
    procedure_items,
    procedure_verdicts,
    session_verdicts,
)

DEFAULT_CASES = 1_000


@dataclass(frozen=True)
class DatedDuty:
    """One dated thing a duty holds the trainee to: a step, a stage, a sub-procedure item,
    the total cap, a route, a notification, or the duty's own ``by``."""

    duty: str  # the policy's duty id
    rule: str
    item: str  # what is dated: `Finding.item` of the findings that breach it
    label: str
    advisory: bool  # a guide: its breaches are reported, never penalised
    kind: str  # "ladder", "procedure", "total_cap", "route", "notification", "action",
    # "decider"


@dataclass(frozen=True)
class DutyRate:
    row: DatedDuty
    cases: int  # cases played
    owed: int  # cases whose clock for it started (and came due within the case)
    breached: int

    @property
    def share(self) -> tuple[float, float, float]:
        """Breaches over every case played, with its 95% interval."""
        return wilson(self.breached, self.cases)

    @property
    def share_of_owed(self) -> float:
        return self.breached / self.owed if self.owed else float("nan")

    def to_dict(self) -> dict:
        share, low, high = self.share
        return {"duty": self.row.duty, "rule": self.row.rule, "item": self.row.item,
                "label": self.row.label, "kind": self.row.kind,
                "advisory": self.row.advisory, "cases": self.cases, "owed": self.owed,
                "breached": self.breached, "share": share, "ci_low": low, "ci_high": high}


def dated_duties(policy: Policy) -> list[DatedDuty]:
    """Every dated duty of the policy, in the order the policy gives them."""
    rows: list[DatedDuty] = []
    ladder = policy.steps()
    for duty in policy.duties:
        if duty.judge in DEADLINE_JUDGES:
            rows += _deadline_rows(policy, duty, ladder)
        elif duty.judge == "emergency_route":
            several = len(policy.emergency_routes) > 1
            rows += [DatedDuty(duty.id, duty.rule, route.id, "Immediate risk: referral by "
                               "the emergency route" + (f" '{route.id}'" if several else ""),
                               False, "route")
                     for route in policy.emergency_routes if duty.rule in route.rules]
        elif duty.judge == "outside_route":
            rows += [DatedDuty(duty.id, duty.rule, route.id, route.action,
                               False, "route")
                     for route in policy.outside_routes
                     if route.rule == duty.rule and route.deadline is not None]
        elif duty.judge == "notify":
            rows += [DatedDuty(duty.id, duty.rule, note.id,
                               (f"Copy to the {policy.role(note.role).title} at "
                                f"{policy.stage(note.at_stage).name}" if note.at_stage else
                                f"Notify the {policy.role(note.role).title}"), False,
                               "notification")
                     for note in policy.notifications
                     if note.rule == duty.rule and (note.by_step or note.at_stage)]
        elif duty.judge == "decider":
            rows += [DatedDuty(duty.id, duty.rule, decided_item(stage),
                               f"{stage.name}: brought to "
                               f"{' or '.join(policy.role(r).title for r in stage.decided_by)}",
                               False, "decider")
                     for stage in policy.stages if duty.rule in stage.rules
                     and stage.decided_by and stage.governing_deadline() is not None]
        elif duty.judge == "action" and duty.by is not None:
            rows.append(DatedDuty(duty.id, duty.rule, duty.id, policy.rule(duty.rule).title,
                                  duty.by.advisory, "action"))
    return rows


def _deadline_rows(policy: Policy, duty: Duty, ladder: list) -> list[DatedDuty]:
    rows = []
    for item, stage, step, _index, deadline, _final in dated_items(ladder):
        listing = step.rules if item == step.id else stage.rules
        if duty.rule in listing:
            label = item_label(ladder, item)
            if item == stage.id:
                label += " (the stage as a whole)"
            rows.append(DatedDuty(duty.id, duty.rule, item, label, deadline.advisory,
                                  "ladder"))
    for procedure, item, stage, deadline in procedure_items(policy):
        listing = (stage.rules if item == stage.id else
                   next(s.rules for s in stage.steps if s.id == item))
        if duty.rule in listing:
            rows.append(DatedDuty(duty.id, duty.rule, item,
                                  procedure_item_label(policy, item) or procedure.title,
                                  deadline.advisory, "procedure"))
    if policy.total_cap is not None and duty.rule in policy.total_cap_rules:
        rows.append(DatedDuty(duty.id, duty.rule, TOTAL_CAP, item_label(ladder, TOTAL_CAP),
                              policy.total_cap.advisory, "total_cap"))
    return rows


def case_states(session: Session, rows: list[DatedDuty],
                assessment: Assessment | None = None) -> dict[DatedDuty, tuple[bool, bool]]:
    """(owed, breached) for each row in one played case. A step's, a stage's or a
    sub-procedure item's verdict comes from `sim.verdicts` (met or breached: owed; breached:
    breached); the rest from the findings (and guide notes) the judges gave, by item."""
    assessment = assessment or evaluate(session)
    judged = {(f.rule, f.item) for f in [*assessment.findings, *assessment.notes]}
    ladder = {item: state for item, state, _due in session_verdicts(session)}
    procedures = {item: state for _p, item, state, _due, _done in procedure_verdicts(session)}
    ctx = Ctx(session)
    duties = {d.id: d for d in session.policy.duties}
    out = {}
    for row in rows:
        duty = duties[row.duty]
        seat_owes = owes(ctx, duty) and resolved_as_required(ctx, duty)
        if row.kind in ("ladder", "procedure"):
            state = (ladder if row.kind == "ladder" else procedures).get(row.item)
            owed = seat_owes and state in (MET, BREACHED)
            out[row] = (owed, owed and state == BREACHED)
            continue
        breached = (row.rule, row.item) in judged
        out[row] = (seat_owes and (breached or _clock_started(ctx, duty, row)), breached)
    return out


def _clock_started(ctx: Ctx, duty: Duty, row: DatedDuty) -> bool:
    """Whether the case started the row's clock (a risk became known, the matter came up, the
    outcome was reached, the child's plan calls for the notification, the cap came due)."""
    session = ctx.session
    if row.kind == "route":
        route = session.emergency_route
        if route is not None and route.id == row.item:
            return session.risk_known_at is not None
        matter = next((r.matter for r in session.policy.outside_routes if r.id == row.item),
                      None)
        return matter is not None and bool(session.matter_moments(matter))
    if row.kind == "notification":
        note = next(n for n in session.policy.notifications if n.id == row.item)
        if note.at_stage is not None:  # a stage's copy: owed once the case reached it
            entered = session.entered.get(note.at_stage)
            if entered is None or (ctx.risk_at is not None and ctx.risk_at <= entered):
                return False
        return session.scenario.plan_status in note.when_plan_status
    if row.kind == "decider":  # the case reached the stage, before any immediate risk
        stage = next(st for st in session.policy.stages if decided_item(st) == row.item)
        entered = session.entered.get(stage.id)
        return (entered is not None and ctx.scenario.seat.role not in stage.decided_by
                and not (ctx.risk_at is not None and ctx.risk_at <= entered))
    if row.kind == "total_cap":
        due = session.due(session.policy.total_cap)
        return due is not None and ctx.judged(due)
    return bool(triggers(ctx, duty))


def play_types(player: str, cases: int, seed: int,
               mix: dict[str, float] | None = None) -> list[str]:
    """The scripted player of each sampled case: one player, or the population mix assigned
    per case as the engines assign it (`sim.population.assign`: prompt → perfect, typical →
    late, stretched → passive), on a uniform stream of its own."""
    if player != "population":
        return [player] * cases
    uniforms = stream(seed, "case", "population-duties").random(cases)
    return [PLAYER_OF[TYPES[int(i)]] for i in assign(normalise(mix or {}), uniforms)]


def duty_rates(policy: Policy, player: str = "population", cases: int = DEFAULT_CASES,
               seed: int = 1, mix: dict[str, float] | None = None,
               progress: Callable[[int], None] | None = None) -> list[DutyRate]:
    """Play ``cases`` generated cases and count, for every dated duty, the cases whose clock
    started and the cases that breached it. Case i has a seed of its own from ``seed`` and
    ``i`` (`_case_seed`), so the same seed gives the same table."""
    rows = dated_duties(policy)
    owed = dict.fromkeys(rows, 0)
    breached = dict.fromkeys(rows, 0)
    for index, name in enumerate(play_types(player, cases, seed, mix)):
        session = Session.generate(policy, _case_seed(seed, index))
        play(session, name)
        for row, (is_owed, is_breached) in case_states(session, rows).items():
            owed[row] += is_owed
            breached[row] += is_breached
        if progress is not None:
            progress(1)
    return [DutyRate(row, cases, owed[row], breached[row]) for row in rows]


def _case_seed(seed: int, index: int) -> int:
    """A distinct generated case per (seed, index), stable across runs."""
    return (seed << 24) + index
