"""`Session`: one trainee's case, the single API for the TUI, tests, players and workshops.

A session is created from a scenario and a seed, observed, and acted on. Every action
costs simulated time and returns the events it caused. A session saves as its action log
and replays exactly, because every random draw is keyed by seed and source.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from scenarios.case_deadlines import PARTIES, case_priority, for_case, set_anchor
from scenarios.checks import merged_behaviour
from scenarios.conditions import ENGINE_CASE, case_ladder, facts_of, ladder_for, route_for
from scenarios.conversation_schema import Challenge, Concern, Fact
from scenarios.home_authority import swapped_route, with_home_authority
from scenarios.loader import get_scenario, policy_of, resolve_policy
from scenarios.policy_schema import Deadline, Policy, Procedure, Stage, Step
from scenarios.scenario_schema import Child, Scenario, Seat
from sim import actions as A
from sim.case import child_for, frontline_seats, generate_scenario
from sim.case_draws import CaseDraws
from sim.challenge_material import concerns_for, facts_for
from sim.conversation import (
    Transcript,
    WorldState,
    converse,
    general_answer,
    reasons,
    render_challenge,
)
from sim.deadlines import calendar_for, due_at
from sim.duty_clock import clocks, owed_by_seat
from sim.emergency import EmergencyDuty, desks, emergency_duty
from sim.labels import TOTAL_CAP, deadline_words, item_label, procedure_item_label
from sim.observation import Observation, observe
from sim.rng import stream
from sim.texts import agree_text, referral_response
from sim.timeline import Event
from sim.verdicts import BREACHED, procedure_items, taken_up_counts, verdict
from sim.world import CONVERSATION_MINUTES, MEETING_MINUTES, World, step_chance

SAVE_FORMAT = 1
HORIZON_DAYS = 120


class SessionError(Exception):
    """An action that cannot be taken now; the message says why, for the trainee."""


class Session:
    def __init__(self, scenario: Scenario, seed: int, policy: Policy | None = None,
                 generated: dict[str, Any] | None = None,
                 draws: CaseDraws | None = None) -> None:
        self.scenario = scenario
        self.seed = seed
        self.draws = draws  # pre-drawn replies, agreements and risk (the engines' seam)
        # A child who lives in another authority is referred to its front door: the policy
        # in play gains those desks, and the partnership's own desks redirect.
        self.policy, self.redirects = with_home_authority(
            policy or policy_of(scenario), scenario.home_authority)
        # The case's priority picks each deadline's tier; a deadline a role sets during the
        # case counts from when it is set (`scenarios.case_deadlines`).
        self.priority = case_priority(self.policy, scenario.priority)
        self.policy = for_case(self.policy, scenario.priority, scenario.set_deadlines)
        self.set_at: dict[str, datetime] = {}  # item id -> when its set_by role set it
        self.generated = generated
        self.behaviour = merged_behaviour(self.policy, scenario.behaviour)
        self.cal = calendar_for(self.policy)
        self.start = scenario.start
        self.world = World(self.policy, scenario, self.behaviour, seed, self.cal,
                           self.cal.to_minutes(self.start))
        self.env = self.world.env
        self.child: Child = child_for(scenario, seed)
        # The case's own ladder: the steps whose conditions (plan, allocated social worker,
        # level of need) it meets (`scenarios.conditions`); every reader follows it.
        self.ladder: list[tuple[Stage, Step]] = case_ladder(self.policy, scenario)
        self.step_index = 0
        self.status = "open"
        self.resolved_at: str | None = None
        self.entered: dict[str, datetime] = {}
        self.engaged: dict[str, datetime] = {}
        self.concluded: dict[str, datetime] = {}
        # Steps another role carries out for the trainee (`Step.carried_out_by`): when the
        # trainee asked them, and when they took the step up.
        self.proxy_asked: dict[str, datetime] = {}
        self.outcomes: dict[str, bool] = {}
        self.risk_known_at: datetime | None = None
        self.police_matter = False
        self.new_harm_known: list[datetime] = []  # new information owing a fresh referral
        self.rationale_heard_at: datetime | None = None  # the other professional's reasons
        self.accepted_at: datetime | None = None  # the trainee accepted the other's view
        self.routes_used: dict[str, datetime] = {}  # outside-ladder routes (LADO, complaints)
        self.matters_known: list[tuple[datetime, str]] = []  # matters with a route of their own
        self.event_anchors: dict[str, datetime] = {}  # "event:NAME" -> when it first happened
        self.procedures_started: dict[str, datetime] = {}  # sub-procedure id -> its event
        self.procedure_taken: dict[str, datetime] = {}  # its step/stage id -> when taken
        self.finished_at: datetime | None = None
        self.timeline: list[Event] = []
        self.actions: list[tuple[datetime, A.Action]] = []
        self.records: list[dict[str, Any]] = []
        self._armed: set[str] = set()
        self._passed_ahead: dict[str, tuple[Deadline, datetime]] = {}
        self._announced: set[str] = set()  # "Deadline passed" messages already given
        self._contacted: set[str] = set()
        self.conversations: list[dict[str, Any]] = []  # each challenge and its answer
        self.revealed: set[str] = set()  # hidden facts learned by asking
        self._fired: set[str] = set()  # scripted events that have happened
        # Consequences of delay (events with `unless`): (event id, whether it happened).
        self.consequences: list[tuple[str, bool]] = []
        self._stance = stream(seed, "stance").random(len(self.ladder))
        self._begin()

    # ------------------------------------------------------------------ creation

    @classmethod
    def from_scenario(cls, scenario: Scenario | str, seed: int = 1) -> Session:
        if isinstance(scenario, str):
            scenario = get_scenario(scenario)
        return cls(scenario, seed)

    @classmethod
    def generate(cls, policy: Policy | str, seed: int = 1,
                 seat_agency: str | None = None) -> Session:
        """A session on a case generated from the policy and seed."""
        policy = resolve_policy(policy) if isinstance(policy, str) else policy
        scenario = generate_scenario(policy, seed, seat_agency)
        spec = {"policy": policy.id, "seat_agency": seat_agency}
        return cls(scenario, seed, policy, generated=spec)

    @classmethod
    def from_draws(cls, policy: Policy, draws: CaseDraws, seed: int = 1) -> Session:
        """A generated case played on a stress engine's draws (`sim.case_draws`): the
        engine's start, agencies, category and risk; each ladder step answered when and
        as the draws say. The rest of the case (child, family, plan) comes from the seed.
        """
        scenario = generate_scenario(policy, seed, draws.raiser)
        seats = frontline_seats(policy)
        update: dict[str, Any] = {
            "other": Seat(agency=draws.other, role=seats[draws.other]),
            "start": calendar_for(policy).from_minutes(draws.start)}
        if any(c.id == draws.category for c in policy.categories):
            update["category"] = draws.category
        return cls(scenario.model_copy(update=update), seed, policy,
                   draws=draws)

    # ------------------------------------------------------------------ clock

    @cached_property
    def _draw_index(self) -> dict[int, int]:
        """This case's ladder index → the engines' step index (their draws are per step of
        the ladder they compiled, `ENGINE_CASE`'s); a step they do not play has no draws."""
        engine = {step.id: i for i, (_, step) in enumerate(ladder_for(self.policy,
                                                                       ENGINE_CASE))}
        return {i: engine[step.id] for i, (_, step) in enumerate(self.ladder)
                if step.id in engine}

    @property
    def now(self) -> datetime:
        return self.cal.from_minutes(self.env.now)

    @property
    def horizon(self) -> datetime:
        return self.start + timedelta(days=HORIZON_DAYS)

    @property
    def stage(self) -> Stage:
        return self.ladder[self.step_index][0]

    @property
    def step(self) -> Step:
        return self.ladder[self.step_index][1]

    @property
    def immediate_risk(self) -> bool:
        return self.risk_known_at is not None

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    def _emit(self, kind: str, text: str, actor: str | None = None, **data: Any) -> Event:
        event = Event(self.now, kind, text, actor, data)
        self.timeline.append(event)
        return event

    def _advance_to(self, minute: float) -> None:
        if minute > self.env.now:
            self.env.run(until=minute)

    # ------------------------------------------------------------------ start

    def _begin(self) -> None:
        seat = self.policy.role(self.scenario.seat.role)
        other = self.policy.role(self.scenario.other.role)
        other_agency = self.policy.agency(self.scenario.other.agency).name
        them = self.title_of(other.id)
        role_note = f", {other.title}" if them != other.title else ""
        priority = self.policy.priority(self.priority)
        rated = "" if priority is None else f" {priority.title} case" + (
            f" ({priority.text})." if priority.text else ".")
        self._emit("start", f"{self.scenario.title}. You are {self.seat_title} "
                   f"({seat.title}); the other professional is {them} "
                   f"({other_agency}{role_note}).{rated}")
        self._tell_case_parts()
        self._enter(0)
        risk = self.world.risk_minute() if self.draws is None else self.draws.risk_minute
        if risk is not None:
            self.env.process(self._risk_process(risk, None))
        for event in self.scenario.events:
            when = self.event_time(event)
            if when is not None:
                self.env.process(self._scripted(self.cal.to_minutes(when), event.id))
            elif event.after_hours is not None:
                at = self.world.after_working_hours(event.after_hours)
                self.env.process(self._scripted(at, event.id))
        if self.scenario.immediate_risk_at_start:
            self.police_matter = self.scenario.police_matter
            self._risk_now("You believe the child is at immediate risk of significant harm.")

    def _tell_case_parts(self) -> None:
        """Say which conditional steps this case's ladder holds (the chair that depends on
        an allocated social worker, a CP-plan route) and which routes run alongside it."""
        for stage, step in self.ladder:
            condition = step.only_if or stage.only_if
            if condition is not None:
                self._emit("system", f"For this case, {stage.name} includes: {step.action} "
                           f"({condition.words}).", step=step.id, condition=True)
        for route in self.policy.outside_routes:
            if route.alongside and route.matter in self.scenario.alongside:
                what = route.action[:1].lower() + route.action[1:]
                self._emit("system", f"Alongside the escalation, at any point: {what} "
                           f"({route.to}).", route=route.id)

    def event_time(self, event) -> datetime | None:
        """When a scripted event happens on the clock (``at`` or ``after_minutes``), if fixed."""
        if event.at is not None:
            return event.at
        if event.after_minutes is not None:
            return self.start + timedelta(minutes=event.after_minutes)
        return None

    @property
    def child_unsafe(self) -> list[tuple[datetime, str]]:
        """Moments the scenario puts the child back with the person who may harm them."""
        out = []
        for event in self.scenario.events:
            when = self.event_time(event)
            if event.child_unsafe and when is not None:
                out.append((when, _first_clause(event.text)))
        return sorted(out)

    @property
    def seat_title(self) -> str:
        seat = self.scenario.seat
        return seat.title or self.policy.role(seat.role).label

    def title_of(self, role_id: str) -> str:
        """How the trainee knows a role: the scenario's own title for the people in the
        case (e.g. "Health visitor"), the policy's title for everyone else."""
        scenario = self.scenario
        for person in (scenario.other, scenario.seat, scenario.referrer):
            if person is not None and person.role == role_id and person.title:
                return person.title
        return self.policy.role(role_id).title

    def _enter(self, index: int) -> None:
        stage, step = self.ladder[index]
        first_time = stage.id not in self.entered
        self.step_index = index
        self.entered.setdefault(step.id, self.now)
        if first_time:
            self.entered[stage.id] = self.now
            self._trigger(f"stage:{stage.id}")
        self._arm_deadlines()
        for item_id, (deadline, due) in list(self._passed_ahead.items()):
            if self._ladder_index(item_id) <= index + 1:
                del self._passed_ahead[item_id]
                self._announce_passed(item_id, deadline, due)

    # ------------------------------------------------------------------ deadlines

    def anchors(self) -> dict[str, datetime]:
        return {"start": self.start, **self.event_anchors, **self.concluded,
                **{set_anchor(item): at for item, at in self.set_at.items()}}

    def _set_during_case(self, index: int, speakers: set[str]) -> None:
        """A reply at a step from the role that sets its (or its stage's) deadline — for
        'parties', the other professional's — sets it now: its due time exists from here,
        and the trainee is told it."""
        if self.status != "open":
            return
        stage, step = self.ladder[index]
        for item, deadline in ((step.id, step.deadline), (stage.id, stage.deadline)):
            if (deadline is None or deadline.set_by is None or item in self.set_at
                    or item in self.concluded
                    or deadline.set_by not in speakers | {PARTIES}):
                continue
            self.set_at[item] = self.now
            due = self.due(deadline)
            if due is None:
                continue
            amount = f"{deadline.within:g} {(deadline.unit or '').replace('_', ' ')}"
            counterpart = self._counterpart(index) or self.scenario.other.role
            who = (f"A timescale is agreed with {self.title_of(counterpart)}"
                   if deadline.set_by == PARTIES
                   else f"{self.title_of(deadline.set_by)} sets a deadline")
            self._emit("message", f"{who}: {self._label(item)} by {due:%a %d %b %H:%M} "
                       f"({amount} from now).", actor=None if deadline.set_by == PARTIES
                       else deadline.set_by, item=item, due=due.isoformat(), set_by=True)
            self._arm_deadlines()

    # ------------------------------------------------------------------ sub-procedures

    def procedure_due(self, procedure: Procedure, deadline: Deadline) -> datetime | None:
        """A sub-procedure's deadline: its own clock runs from the event that started it
        ("start" there is that event), from its own steps taken, or from a named event."""
        started = self.procedures_started.get(procedure.id)
        if started is None:
            return None
        anchors = {**self.anchors(), "start": started, **self.procedure_taken}
        return due_at(deadline, self.policy, anchors)

    def _start_procedure(self, procedure: Procedure) -> None:
        """The event of a sub-procedure happened: its clock starts, and the trainee is told
        what it asks of them and by when."""
        if procedure.id in self.procedures_started:
            return
        self.procedures_started[procedure.id] = self.now
        first = procedure.stages[0].steps[0]
        due = self.procedure_due(procedure, first.deadline) if first.deadline else None
        when = (f", by {due:%a %d %b %H:%M} ({deadline_words(first.deadline)})"
                if due and first.deadline else "")
        # In the inbox (a "message"), so the trainee learns what the event asks and by when.
        self._emit("message", f"{procedure.title} starts: {first.action}{when}.",
                   procedure=procedure.id, step=first.id)
        self._arm_procedure(procedure)

    def _arm_procedure(self, procedure: Procedure) -> None:
        for owner, item, _stage, deadline in procedure_items(self.policy):
            if owner is not procedure or item in self._armed:
                continue
            due = self.procedure_due(procedure, deadline)
            if due is not None:
                self._armed.add(item)
                self.env.process(self._procedure_watch(procedure, item, deadline, due))

    def _procedure_watch(self, procedure: Procedure, item: str, deadline: Deadline,
                         due: datetime):
        yield self.env.timeout(max(0.0, self.cal.to_minutes(due) - self.env.now))
        done = self.procedure_taken.get(item)
        if verdict(due, done, None, self.risk_known_at, self.now) == BREACHED:
            message = (f"Deadline passed: {self._label(item)} was due by "
                       f"{due:%a %d %b %H:%M} ({deadline_words(deadline)}).")
            if message not in self._announced:
                self._announced.add(message)
                self._emit("deadline", message, item=item, due=due.isoformat(),
                           procedure=procedure.id)

    @property
    def procedure_event_pending(self) -> bool:
        """An event of the scenario that starts a sub-procedure (a conference) has not
        happened yet: a trainee who finishes now walks away from that clock."""
        starts = {p.starts_on for p in self.policy.procedures if p.id not in
                  self.procedures_started}
        return any(starts & {e.id, e.kind} and e.id not in self._fired and e.on is None
                   for e in self.scenario.events)

    def procedure_step_due(self) -> list[tuple[Procedure, Step]]:
        """The steps of started sub-procedures not yet taken, in order (one per stage of
        each: a stage's steps are taken one after another)."""
        out = []
        for procedure in self.policy.procedures:
            if procedure.id not in self.procedures_started:
                continue
            for stage in procedure.stages:
                step = next((s for s in stage.steps if s.id not in self.procedure_taken), None)
                if step is not None:
                    out.append((procedure, step))
                    break
        return out

    def _take_procedure_step(self, role_id: str) -> None:
        """Contacting a role a started sub-procedure's next step names takes that step (a
        dissent raised with the conference chair); its stage is taken with its last step."""
        for procedure, step in self.procedure_step_due():
            if not any(role_id in roles for roles in step.representation.values()):
                continue
            self.procedure_taken[step.id] = self.now
            stage = next(st for st in procedure.stages if step in st.steps)
            if all(s.id in self.procedure_taken for s in stage.steps):
                self.procedure_taken.setdefault(stage.id, self.now)
            self._emit("system", f"{self._label(step.id)}: done.", procedure=procedure.id,
                       step=step.id)
            self._arm_procedure(procedure)

    def due(self, deadline: Deadline | None) -> datetime | None:
        return due_at(deadline, self.policy, self.anchors()) if deadline else None

    def moments(self, trigger: str) -> list[datetime]:
        """Each moment a duty with this trigger became owed in the case so far (see
        `Duty.trigger`): the start, the risk, the resolution, each piece of new information
        that signals significant harm, a step or stage reached, an event, a first reply,
        another duty's deadline passing undone."""
        kind, _, ref = trigger.partition(":")
        found: datetime | None
        if trigger == "disagreement_raised":
            found = self.start
        elif trigger == "immediate_risk_known":
            found = self.risk_known_at
        elif trigger == "resolved":
            found = next((e.at for e in self.timeline if e.kind == "resolved"), None)
        elif trigger == "new_information":
            return list(self.new_harm_known)
        elif kind == "entered":
            found = self.entered.get(ref)
        elif kind == "event":
            found = self.event_anchors.get(f"event:{ref}")
        elif kind == "timed_out":
            other = next(d for d in self.policy.duties if d.id == ref)
            if not owed_by_seat(self, other):
                return []  # another seat's duty timing out sets off nothing for this one
            return [c.due for c in clocks(self, other) if c.due is not None
                    and c.due <= self.now and (c.done is None or c.done > c.due)]
        else:  # reply:ROLE
            found = next((e.at for e in self.timeline if e.kind == "reply" and e.actor == ref),
                         None)
        return [found] if found is not None else []

    def due_from(self, deadline: Deadline, since: datetime) -> datetime | None:
        """A deadline counted from a moment of this case (a duty's trigger)."""
        return due_at(deadline.model_copy(update={"after": "start"}), self.policy,
                      {"start": since})

    @property
    def ladder_applies(self) -> bool:
        """Whether the case is a professional disagreement: an allegation or a complaint has
        a route of its own, and the ladder's deadlines do not run for it."""
        return self.scenario.matter == "disagreement"

    def _arm_deadlines(self) -> None:
        if not self.ladder_applies:
            return  # an allegation or a complaint: no ladder clock runs
        items = [(item.id, deadline) for stage, step in self.ladder
                 for item, deadline in ((step, step.deadline), (stage, stage.deadline))]
        items.append((TOTAL_CAP, self.policy.total_cap))
        for item_id, deadline in items:
            if item_id in self._armed or deadline is None:
                continue
            due = self.due(deadline)
            if due is not None:
                self._armed.add(item_id)
                self.env.process(self._deadline_watch(item_id, deadline, due))
        for stage in self.policy.stages[:-1]:
            key = f"auto:{stage.id}"
            if stage.on_timeout != "escalate" or key in self._armed:
                continue
            due = self.auto_escalation_due(stage)
            if due is not None:
                self._armed.add(key)
                self.env.process(self._auto_watch(due))

    # ------------------------------------------------------------------ auto-escalation

    def auto_escalation_due(self, stage: Stage) -> datetime | None:
        """When a stage that escalates on timeout does so: its governing deadline (None if
        it does not escalate by itself, or the deadline's anchor is not reached)."""
        if stage.on_timeout != "escalate" or stage is self.policy.stages[-1]:
            return None
        return self.due(stage.governing_deadline())

    def _auto_watch(self, due: datetime):
        yield self.env.timeout(max(0.0, self.cal.to_minutes(due) - self.env.now))
        self._auto_escalate_if_due()

    def _auto_escalate_if_due(self) -> None:
        """The policy escalates by itself: the current stage's governing deadline passed with
        the case open there, taken up (a request nobody answered; one never made is the
        trainee's own delay, judged as usual) and no immediate risk known. The case moves to
        the next stage's first step; that concludes this stage now, in time."""
        stage = self.stage
        due = self.auto_escalation_due(stage)
        if (due is None or due > self.now or self.status != "open" or self.finished
                or self.risk_known_at is not None or not self.ladder_applies
                or not any(step.id in self.engaged for step in stage.steps)):
            return
        target = next(i for i, (st, _) in enumerate(self.ladder)
                      if st.number == stage.number + 1)
        rule = self.policy.rule(stage.on_timeout_rule) if stage.on_timeout_rule else None
        cited = f" {rule.id}: \"{rule.quote}\"" if rule else ""
        deadline = stage.governing_deadline()
        words = f" ({deadline_words(deadline)})" if deadline else ""
        above = self.ladder[target][0]
        self._emit("message", f"{stage.name} was not resolved by {due:%a %d %b %H:%M}"
                   f"{words}: the matter escalates automatically to {above.name}.{cited}",
                   stage=stage.id, to_stage=above.id, rule=rule.id if rule else None,
                   auto_escalation=True)
        self._move_to(target, reason="auto")

    def met(self, item_id: str, deadline: Deadline) -> bool:
        """As scoring and the deadline bar read it (`sim.verdicts.taken_up_counts`): taking
        the step up meets an "as soon as possible" deadline and the last step's, where
        nothing lies above; any other deadline needs the step or stage concluded."""
        last_stage, last_step = self.ladder[-1]
        if taken_up_counts(deadline, item_id in (last_stage.id, last_step.id)):
            step_id = next((stage.steps[-1].id for stage, _ in self.ladder
                            if stage.id == item_id), item_id)
            return step_id in self.engaged
        return item_id in self.concluded

    def _deadline_watch(self, item_id: str, deadline: Deadline, due: datetime):
        yield self.env.timeout(max(0.0, self.cal.to_minutes(due) - self.env.now))
        self._auto_escalate_if_due()  # due together: the policy's own move comes first
        if self._ladder_index(item_id) > self.step_index + 1:
            # Like scoring, hold the case to its own step and the next one only: a case
            # stuck at Stage 1 is told about Stage 1, not about every stage above it.
            self._passed_ahead[item_id] = (deadline, due)
        else:
            self._announce_passed(item_id, deadline, due)

    def _announce_passed(self, item_id: str, deadline: Deadline, due: datetime) -> None:
        if self.status == "open" and not self.met(item_id, deadline):
            name = self._label(item_id)
            message = (f"Deadline passed: {name} was due by {due:%a %d %b %H:%M} "
                       f"({deadline_words(deadline)}).")
            if deadline.advisory:
                message = (f"Guide time passed: {name} was expected by {due:%a %d %b %H:%M}"
                           f", {deadline_words(deadline)} (as a guide, not a deadline).")
            if message in self._announced:
                return  # a stage and its last step due together: say it once
            self._announced.add(message)
            self._emit("deadline", message, item=item_id, due=due.isoformat())

    def _ladder_index(self, item_id: str) -> int:
        """Ladder position of a step, or of a stage's first step: a stage's own deadline is
        in reach as soon as the case is in (or next to) that stage, however many steps it
        has, as scoring judges it."""
        for index, (stage, step) in enumerate(self.ladder):
            if step.id == item_id or stage.id == item_id:
                return index
        return 0

    def _label(self, item_id: str) -> str:
        return procedure_item_label(self.policy, item_id) or item_label(self.ladder, item_id)

    def _conclude(self, upto: int) -> None:
        """Mark steps (and whole stages) up to index ``upto`` as concluded now."""
        for index in range(upto + 1):
            stage, step = self.ladder[index]
            self.concluded.setdefault(step.id, self.now)
            if step is stage.steps[-1]:
                self.concluded.setdefault(stage.id, self.now)
        self._arm_deadlines()

    # ------------------------------------------------------------------ risk and scripts

    def _risk_process(self, minute: float, text: str | None):
        yield self.env.timeout(max(0.0, minute - self.env.now))
        self._risk_now(text or f"New information: {self.child.first_name} arrives with an "
                       "unexplained injury and says something that worries you.")

    def _risk_now(self, text: str, kind: str = "immediate_risk") -> None:
        if self.risk_known_at is None:
            self.risk_known_at = self.now
        self._emit(kind, text, immediate_risk=True)
        if self.status == "open":
            self.env.process(self._risk_deadline_watch())

    def emergency_duty(self) -> EmergencyDuty | None:
        """The immediate-risk duty as `sim.emergency` compiles it for this case (None
        without a known risk or a route)."""
        route = self.emergency_route
        if route is None or self.risk_known_at is None:
            return None
        return emergency_duty(self.policy, route, self.risk_known_at, self.child_unsafe,
                              self.police_matter, frozenset(self.redirects))

    def risk_due(self) -> datetime | None:
        """When the immediate-risk route must have been taken: the soonest of immediately,
        the child being back with the person who may harm them, and the policy's limit."""
        duty = self.emergency_duty()
        return duty.due if duty else None

    def risk_deadline(self) -> Deadline | None:
        route = self.emergency_route
        if route is None:
            return None
        return route.deadline_for(self.cal.is_office_hours(self.risk_known_at or self.now))

    def _risk_deadline_watch(self):
        route = self.emergency_route
        due = self.risk_due()
        if route is None or due is None:
            return
        yield self.env.timeout(max(0.0, self.cal.to_minutes(due) - self.env.now))
        if not self.emergency_route_taken():
            duty = self.emergency_duty()
            words = duty.governing.text if duty else "policy timescale"
            self._emit("deadline", f"Immediate risk not referred by {due:%a %d %b %H:%M} "
                       f"({words}).", item=route.id, due=due.isoformat())

    def _scripted(self, minute: float, event_id: str):
        yield self.env.timeout(max(0.0, minute - self.env.now))
        self._fire(event_id)

    def _fire(self, event_id: str) -> None:
        event = next(e for e in self.scenario.events if e.id == event_id)
        if event.unless is not None:
            averted = self.done(event.unless)
            self.consequences.append((event_id, not averted))
            if averted:
                return  # acted in time: the world does not move this way
        self._fired.add(event_id)
        if event.immediate_risk:
            if self.risk_known_at is None:
                self.police_matter = event.police_matter
            self._risk_now(event.text, kind=event.kind)
        else:
            extra = {"referral_needed": True} if event.referral_needed else {}
            if event.referral_needed:
                self.new_harm_known.append(self.now)
            self._emit(event.kind, event.text, actor=event.sender, event=event.id, **extra)
        if event.kind == "conference_dissent":
            self.entered.setdefault("event:conference_dissent", self.now)
        for name in (event.id, event.kind):
            self.event_anchors.setdefault(f"event:{name}", self.now)
        for procedure in self.policy.procedures:
            if procedure.starts_on in (event.id, event.kind):
                self._start_procedure(procedure)
        self._arm_deadlines()  # a ladder deadline anchored on this event now has a due time
        if event.matter is not None:
            self.matters_known.append((self.now, event.matter))
        if event.kind == "rationale" and self.rationale_heard_at is None:
            self.rationale_heard_at = self.now

    def done(self, condition: str) -> bool:
        """Whether the trainee has done ``condition`` by now: 'contact:ROLE',
        'stage:STAGE', 'resolved' or 'referred' (a referral a service took)."""
        if condition == "referred":
            return any(e.kind == "referred" and e.data.get("answered") for e in self.timeline)
        kind, _, ref = condition.partition(":")
        if kind == "stage":  # reached that stage, or gone beyond it
            first = next(i for i, (stage, _) in enumerate(self.ladder) if stage.id == ref)
            return any(step.id in self.entered for _, step in self.ladder[first:])
        if kind == "contact":
            return ref in self._contacted
        return self.status == "resolved"

    def _trigger(self, name: str) -> None:
        for event in self.scenario.events:
            if event.on == name:
                self._fire(event.id)

    # ------------------------------------------------------------------ emergency route

    @property
    def emergency_route(self):
        """The case's immediate-risk route: the first the policy lists whose condition the
        case meets (its plan, allocated social worker, level of need, and whether the facts
        state a crime once the risk is known), with the home authority's desks where the
        child lives in another authority."""
        route = route_for(self.policy, facts_of(self.scenario, self.police_matter))
        return swapped_route(route, self.redirects) if route else None

    def expected_referrals(self, when: datetime | None = None) -> list[str]:
        """Whom the immediate-risk route needs at ``when`` (now): the desk open then and the
        services the duty requires (the police only where the policy or facts call for it)."""
        route = self.emergency_route
        if route is None:
            return []
        when = when or self.now
        duty = self.emergency_duty() or emergency_duty(self.policy, route, when, [],
                                                       self.police_matter)
        return duty.required_roles(self.cal, when)

    def emergency_route_taken(self) -> bool:
        """The right referrals for when the risk was known, or for now (the office may
        have closed in between, making the out-of-hours route the right one)."""
        return any(self.referred_to(self.expected_referrals(when))
                   for when in (self.risk_known_at, self.now))

    def route_done_at(self) -> datetime | None:
        """When the immediate-risk route was complete: every leg the duty requires answered
        (None if never, or no risk)."""
        duty = self.emergency_duty()
        if duty is None:
            return None
        legs = duty.required_legs
        done: set[str] = set()
        for event in self.timeline:
            if event.kind != "referred" or not event.data.get("answered") \
                    or event.at < duty.known:
                continue
            done |= {leg.name for leg in legs if event.data.get("role") in leg.roles}
            if len(done) == len(legs):
                return event.at
        return None

    def closed_at(self) -> datetime | None:
        """When the staged process stopped running: resolution, or the risk route done."""
        resolved = next((e.at for e in self.timeline if e.kind == "resolved"), None)
        times = [t for t in (resolved, self.route_done_at()) if t is not None]
        return min(times) if times else None

    def referred_to(self, roles: list[str]) -> bool:
        made = {e.data.get("role") for e in self.timeline
                if e.kind == "referred" and e.data.get("answered")}
        # This area's desk took an immediate-risk referral for a child who lives elsewhere
        # (the child is found here): it stands for the home authority's desk.
        made |= {self.redirects[r] for r in made if r in self.redirects}
        return all(role in made for role in roles)

    # ------------------------------------------------------------------ acting

    def act(self, action: A.Action | dict) -> list[Event]:
        """Take one action; returns the events it caused, in order.

        Subclasses may wrap this (a workshop stores each action); replays bypass the
        wrapper through `apply_logged`, so a logged action is never stored twice.
        """
        return self._take(action)

    def _take(self, action: A.Action | dict) -> list[Event]:
        if isinstance(action, dict):
            action = A.parse_action(action)
        if self.finished:
            raise SessionError("the exercise has finished; no more actions can be taken")
        handler = getattr(self, f"_do_{action.kind}")
        mark = len(self.timeline)
        when = self.now
        handler(action)
        self.actions.append((when, action))
        cost = A.ACTION_MINUTES[action.kind]
        if action.kind == "record" and self._record_kind(action.record) == "stage_report":
            cost = A.STAGE_REPORT_MINUTES
        if cost:
            self._advance_to(self.env.now + cost)
        if not self.finished:
            # What lands as the action ends belongs to it: an answered call's outcome is
            # heard when the call ends, a reply due at the end of a wait arrives with it.
            while self.env.peek() <= self.env.now:
                self.env.step()
        return self.timeline[mark:]

    def _action_event(self, action: A.Action, text: str, **data: Any) -> None:
        self._emit("action", text, actor=self.scenario.seat.role,
                   action=action.model_dump(mode="json"), **data)

    def _do_contact(self, action: A.Contact) -> None:
        role = self._role_or_error(action.role)
        if role.id == self.scenario.seat.role:
            raise SessionError("that is your own role; choose someone else to contact")
        if role.id in self._emergency_roles():
            return self._do_refer(A.Refer(role=role.id, note=action.note))
        kind, index = self.classify(role.id)
        proxied = self.proxied_index(role.id)
        if proxied is not None and (kind == "other" or index >= proxied):
            return self._ask_proxy(action, role.id, proxied)
        if action.challenge is not None:
            self._check_challenge(action.challenge)
        self._action_event(action, f"You {_verb(action.channel)} {self.title_of(role.id)}.",
                           role=role.id, relation=kind, step_index=index)
        if role.id not in self._contacted:
            self._contacted.add(role.id)
            self._trigger(f"contact:{role.id}")
        self._take_procedure_step(role.id)
        if kind in ("counterpart", "own_side") and self.status == "open":
            if index > self.step_index:
                self._move_to(index, reason="contact")
            self.engaged.setdefault(self.ladder[index][1].id, self.now)
            via = role.id if kind == "own_side" else None
            challenge = action.challenge if via is None else None
            self._start_discussion(index, role.id, action.channel, via, challenge)
        else:
            self._start_courtesy_reply(role.id, action.channel)

    def proxy_for(self, index: int) -> str | None:
        """Who carries the step out for the trainee (None: the trainee acts — they are the
        proxy themself, or the proxy belongs to the other party's agency and so acts for
        that side, not for the trainee's)."""
        proxy = self.ladder[index][1].carried_out_by
        seat, other = self.scenario.seat, self.scenario.other
        if not proxy or proxy == seat.role or proxy not in self.policy.role_ids():
            return None
        agency = self.policy.role(proxy).agency
        return None if agency == other.agency != seat.agency else proxy

    def proxied_index(self, role_id: str) -> int | None:
        """The first step from the current one that ``role_id`` carries out for the
        trainee: contacting them there is asking them to take it."""
        return next((i for i in range(self.step_index, len(self.ladder))
                     if self.proxy_for(i) == role_id), None)

    def _ask_proxy(self, action: A.Contact, role_id: str, index: int) -> None:
        """The trainee asks the role the policy names to carry the step out for them
        ("the DSL will raise it at Stage 2 on their behalf"): the proxy takes the step up
        once they reply (the world's reply time for them), and the counterpart answers
        them; the step's deadline runs on as usual, so the proxy's delay counts."""
        step = self.ladder[index][1]
        self._action_event(action, f"You {_verb(action.channel)} {self.title_of(role_id)}, "
                           f"asking them to take {self._label(step.id)} on your behalf.",
                           role=role_id, relation="proxy", step_index=index)
        if role_id not in self._contacted:
            self._contacted.add(role_id)
            self._trigger(f"contact:{role_id}")
        self._take_procedure_step(role_id)
        if self.status != "open":
            return self._start_courtesy_reply(role_id, action.channel)
        if index > self.step_index:
            self._move_to(index, reason="contact")
        self.proxy_asked.setdefault(step.id, self.now)
        if self.draws is not None:
            # The draws hold one turnaround for the step, the proxy's and the
            # counterpart's together (`sim.race_model`: the step's factor adds the
            # proxy's), so the proxy passes it on at once and the counterpart's drawn
            # reply carries both delays.
            at: float | None = self.env.now
        else:
            first = self.world.reply(role_id, action.channel)
            if action.channel == "phone" and not first.answered_now:
                self._emit("no_answer", f"No answer from {self.title_of(role_id)}; "
                           "you leave a message.", actor=role_id)
            at = first.at
        if at is not None and not math.isinf(at):
            self.env.process(self._proxy_takes(index, role_id, at))

    def _proxy_takes(self, index: int, role_id: str, at: float):
        yield self.env.timeout(max(0.0, at - self.env.now))
        step = self.ladder[index][1]
        proxy = self.title_of(role_id)
        if self.status != "open":
            self._emit("reply", f"{proxy}: the matter has already moved on.", actor=role_id,
                       step=step.id)
            return
        counterpart = self._counterpart(index)
        whom = self.title_of(counterpart) if counterpart else "the other agency"
        verb = ("convenes it with" if step.kind in ("meeting", "panel") else
                "raises it with")
        self.engaged.setdefault(step.id, self.now)
        self._emit("system", f"The {proxy} {verb} the {whom} on your behalf "
                   f"({self._label(step.id)}).", actor=role_id, step=step.id, proxy=True)
        if counterpart:
            self._start_discussion(index, counterpart, "email", None)

    def classify(self, role_id: str) -> tuple[str, int]:
        """How a role relates to the dispute: counterpart or own side at which step, or other."""
        seat, other = self.scenario.seat, self.scenario.other
        if (role_id in self.stage.decided_by
                and role_id not in self.step.roles_for(seat.agency)):
            # The stage's decider, wherever the table names them: the decision is theirs.
            return "counterpart", self.step_index
        order = list(range(self.step_index, len(self.ladder)))
        order += list(range(self.step_index - 1, -1, -1))
        for index in order:
            step = self.ladder[index][1]
            if role_id in step.roles_for(other.agency):
                return "counterpart", index
            if role_id in step.roles_for(seat.agency):
                return "own_side", index
        return "other", self.step_index

    def _start_discussion(self, index: int, role_id: str, channel: str, via: str | None,
                          challenge: Challenge | None = None):
        if self.draws is not None and index in self._draw_index:
            return self._drawn_discussion(index, role_id, channel, via, challenge)
        counterpart = self._counterpart(index) if via else role_id
        convenes = self.ladder[index][1].kind in ("meeting", "panel")
        first = self.world.reply(role_id, channel, convenes=convenes)
        if via and first.at is not None and counterpart:
            # The manager takes it up once they have replied; that exchange runs in
            # working time from then, so the answer never lands at night.
            at = self.world.reply(counterpart, "email", start=first.at).at
        else:
            at = first.at
        if channel == "phone" and not first.answered_now:
            self._emit("no_answer", f"No answer from {self.title_of(role_id)}; "
                       "you leave a message.", actor=role_id)
        if at is not None and not math.isinf(at):
            self.env.process(self._discussion(index, role_id, via, at, challenge))

    def _drawn_discussion(self, index: int, role_id: str, channel: str, via: str | None,
                          challenge: Challenge | None = None):
        """The step's answer when and as the draws say, as the stress engines play it: one
        reply from the other agency's role named at the step, whoever was contacted."""
        assert self.draws is not None
        counterpart = self._counterpart(index)
        drawn = self._draw_index[index]
        now = self.env.now
        in_office = self.cal.is_office_minute(now)
        hours = self.policy.role(counterpart).hours if counterpart else None
        at: float | None = None
        answered_now = False
        if hours in ("always", "out_of_hours"):
            if hours == "always" or not in_office:
                at, answered_now = now + CONVERSATION_MINUTES, True
        elif hours == "office":
            if self.draws.answered[drawn] and in_office:
                at, answered_now = now + CONVERSATION_MINUTES, True
            elif not math.isinf(self.draws.work[drawn]):
                at = self.cal.add_working_minutes_m(now, self.draws.work[drawn])
                if self.ladder[index][1].kind in ("meeting", "panel"):
                    at += MEETING_MINUTES
        if channel == "phone" and not answered_now:
            self._emit("no_answer", f"No answer from {self.title_of(role_id)}; "
                       "you leave a message.", actor=role_id)
        if at is not None:
            self.env.process(self._discussion(index, role_id, via, at, challenge))

    def _counterpart(self, index: int) -> str | None:
        roles = self.ladder[index][1].roles_for(self.scenario.other.agency)
        return roles[0] if roles else None

    def _discussion(self, index: int, role_id: str, via: str | None, at: float,
                    challenge: Challenge | None = None):
        yield self.env.timeout(max(0.0, at - self.env.now))
        stage, step = self.ladder[index]
        speaker = self.title_of(role_id)
        if self.status != "open":
            moved = ("notes that you accepted their reasons" if self.accepted_at
                     else "replies; the matter has already moved on")
            self._emit("reply", f"{speaker} {moved}.", actor=role_id, step=step.id)
            return
        answer = None
        if challenge is not None:
            # A challenge is answered afresh each time: a better one after pushback can
            # turn a refusal into agreement, but never the other way round.
            answer = self.answer(index, role_id, challenge)
            sound = answer.outcome == "rationale_sound"
            if sound:
                # Their reasons were heard. Where the policy judges accepting a view, the
                # trainee now accepts it (AcceptView) or not; elsewhere hearing them ends it.
                self.rationale_heard_at = self.rationale_heard_at or self.now
            held_open = sound and self.accepting_offered()
            agreed = (answer.agrees and not held_open) or self.outcomes.get(step.id, False)
            self.outcomes[step.id] = agreed
        elif step.id in self.outcomes:
            agreed = self.outcomes[step.id]
        else:
            agreed = self.agrees(index)
            self.outcomes[step.id] = agreed
        prefix = f"{speaker} (taking it up with the other agency for you)" if via else speaker
        if agreed and not self.decides(index, role_id, via):
            deciders = self.deciders_words(stage)
            self._emit("reply", f"{prefix}: they would accept your concerns, but at "
                       f"{stage.name} the decision rests with {deciders}: the disagreement "
                       "is not resolved until they decide.", actor=role_id, step=step.id,
                       agrees=False, undecided=True)
            return
        if answer is not None:
            for line in answer.said[:-1]:
                self._emit("reply", f"{speaker}: {line}", actor=role_id, step=step.id)
            for fact_id in answer.revealed:
                fact = self.all_facts[fact_id]
                self._emit("new_information", f"You learn from {speaker}: {fact.text} "
                           f"({fact.on:%d %b %Y}).", actor=role_id, fact=fact_id)
        if answer is not None and agreed:
            heard = (" You accept their rationale: it answers your concern."
                     if answer.outcome == "rationale_sound" else "")
            self._emit("reply", f"{prefix}: {answer.said[-1]}{heard}", actor=role_id,
                       step=step.id, agrees=True, outcome=answer.outcome)
            self._resolve(max(index, self.step_index))
        elif answer is not None:
            where = (f"The case is now at {self.stage.name}; this changes nothing there."
                     if index < self.step_index else
                     "You have heard their reasons: accept their view if they answer your "
                     "concern, and record why." if answer.outcome == "rationale_sound" else
                     f"The disagreement is unresolved at {stage.name}.")
            self._emit("reply", f"{prefix}: {answer.said[-1]} {where}", actor=role_id,
                       step=step.id, agrees=False, outcome=answer.outcome)
        elif agreed:
            self._emit("reply", f"{prefix}: after discussion, "
                       f"{agree_text(self.scenario.category)}.", actor=role_id,
                       step=step.id, agrees=True)
            # An answer to an earlier step that arrives after the case moved up still ends
            # the disagreement, but where it now stands: the higher stage was entered.
            self._resolve(max(index, self.step_index))
        elif index < self.step_index:
            # A late answer to a step the case has left: say which step it answers, and
            # that it changes nothing where the case now stands.
            self._emit("reply", f"{prefix}, answering your earlier approach at "
                       f"{self._label(step.id)}: they maintain their position. The case is "
                       f"now at {self.stage.name}; this changes nothing there.",
                       actor=role_id, step=step.id, agrees=False)
        else:
            self._emit("reply", f"{prefix}: they have considered the concerns and maintain "
                       "their position. The disagreement is unresolved at "
                       f"{stage.name}.", actor=role_id, step=step.id, agrees=False)
        counterpart = self._counterpart(index) if via else None
        self._set_during_case(index, {role_id} | ({counterpart} if counterpart else set()))

    def decides(self, index: int, role_id: str, via: str | None) -> bool:
        """Whether this reply can resolve the step's stage: anyone's, unless the stage names
        who decides (`Stage.decided_by`); then only theirs (the counterpart a manager took
        it up with counts as replying)."""
        deciders = self.ladder[index][0].decided_by
        if not deciders or self.scenario.seat.role in deciders:
            return True  # the raiser who decides is satisfied by the other side agreeing
        heard = {role_id, self._counterpart(index) if via else role_id}
        return bool(heard & set(deciders))

    def deciders_words(self, stage: Stage) -> str:
        """Who decides at a stage, as the trainee knows them ("Head of Service")."""
        return " or ".join(self.title_of(r) for r in stage.decided_by)

    def agrees(self, index: int) -> bool:
        """Whether the counterpart agrees at a step: fixed by the scenario or by the seed."""
        if self.draws is not None and index in self._draw_index:
            return self.draws.agree[self._draw_index[index]]
        fixed = self.scenario.fixed.agree_at
        if fixed:
            if fixed == "never":
                return False
            first = next(i for i, (stage, step) in enumerate(self.ladder)
                         if fixed in (stage.id, step.id))
            return index >= first
        return bool(self._stance[index] < self.resolve_chance(index))

    # ------------------------------------------------------------------ challenges

    @cached_property
    def all_facts(self) -> dict[str, Fact]:
        """Every dated fact of the case by id, hidden ones included."""
        facts = facts_for(self.scenario, self.seed, self.child.first_name)
        return {f.id: f for f in facts}

    @property
    def facts(self) -> list[Fact]:
        """The facts the trainee knows now: the case file's, and those learned by asking."""
        return [f for f in self.all_facts.values()
                if (not f.hidden or f.id in self.revealed)
                and (f.after_event is None or f.after_event in self._fired)]

    @cached_property
    def concerns(self) -> list[Concern]:
        return concerns_for(self.scenario, self.policy)

    def conversation_here(self, index: int):
        """The authored conversation held at this step, if the scenario has one there."""
        conversation = self.scenario.conversation
        if conversation is None:
            return None
        stage, step = self.ladder[index]
        where = conversation.steps or [self.ladder[0][1].id]
        return conversation if {stage.id, step.id} & set(where) else None

    def _check_challenge(self, challenge: Challenge) -> None:
        concerns = {c.id for c in self.concerns}
        if challenge.concern is not None and challenge.concern not in concerns:
            raise SessionError(f"unknown concern '{challenge.concern}' "
                               f"(known: {', '.join(sorted(concerns))})")
        known = {f.id for f in self.facts}
        unknown = [f for f in challenge.facts if f not in known]
        if unknown:
            raise SessionError(f"you cannot put facts you do not know: {', '.join(unknown)}")

    def answer(self, index: int, role_id: str, challenge: Challenge) -> Transcript:
        """The other professional's answer to a challenge at a step, and its record.

        An authored conversation answers where the scenario holds one; elsewhere a scenario
        that pins who agrees (``fixed.agree_at``) keeps its answer, and otherwise the
        general model moves the step's chance with the challenge's strength, on the same
        stance draw the step always uses.
        """
        stage, step = self.ladder[index]
        concerns = {c.id: c for c in self.concerns}
        known = {f.id: f for f in self.facts}
        conversation = self.conversation_here(index)
        if conversation is not None:
            state = WorldState(frozenset(self._fired), frozenset({stage.id, step.id}))
            answer = converse(conversation, challenge, known, state)
        elif self.scenario.fixed.agree_at:
            agreed = self.agrees(index)
            answer = Transcript(["Thank you; I have noted your concerns."], agreed,
                                "agree" if agreed else "maintain",
                                reasons=reasons(challenge, known, concerns))
        else:
            answer = general_answer(challenge, concerns, known, self.resolve_chance(index),
                                    float(self._stance[index]))
        self.revealed.update(answer.revealed)
        self.conversations.append({
            "at": self.now.isoformat(), "step": step.id, "role": role_id,
            "challenge": challenge.model_dump(mode="json"),
            "said": render_challenge(challenge, concerns, known),
            "reply": list(answer.said), "outcome": answer.outcome, "agrees": answer.agrees,
            "path": answer.path, "pushback": answer.pushback, "revealed": answer.revealed,
            "score": answer.score, "feedback": answer.feedback, "reasons": answer.reasons,
            "chance": answer.chance, "authored": conversation is not None,
        })
        return answer

    def resolve_chance(self, index: int) -> float:
        """Chance of agreement at one step.

        A stage's chance is for the whole stage, so with n steps each step gets
        1 - (1 - p)^(1/n): "75% resolve at Stage 1" stays 75% however many steps it has.
        """
        stage, step = self.ladder[index]
        return step_chance(self.behaviour, stage, step, self.scenario.category)

    def _resolve(self, index: int) -> None:
        self.status = "resolved"
        self.resolved_at = self.ladder[index][1].id
        self._conclude(index)
        stage = self.ladder[index][0]
        self.concluded.setdefault(stage.id, self.now)  # resolved at a stage concludes it
        self._emit("resolved", f"The disagreement is resolved at {stage.name}.",
                   step=self.resolved_at, stage=stage.id)
        self._trigger("resolved")

    def _start_courtesy_reply(self, role_id: str, channel: str) -> None:
        reply = self.world.reply(role_id, channel)
        if reply.at is None:
            self._emit("no_answer", f"No answer from {self.title_of(role_id)}.",
                       actor=role_id)
            return
        self.env.process(self._courtesy(role_id, reply.at))

    def _courtesy(self, role_id: str, at: float):
        yield self.env.timeout(max(0.0, at - self.env.now))
        self._emit("reply", f"{self.title_of(role_id)} acknowledges your message.",
                   actor=role_id)

    def _move_to(self, index: int, reason: str) -> None:
        old = self.step_index
        self._conclude(index - 1)
        self._enter(index)
        stage, step = self.ladder[index]
        # The policy's own move skips nothing the trainee owed (the stage timed out).
        skipped = [] if reason == "auto" else [s.id for _, s in self.ladder[old + 1:index]]
        mine = ", ".join(self.policy.role(r).title
                         for r in step.roles_for(self.scenario.seat.agency)) or "—"
        theirs = ", ".join(self.policy.role(r).title
                           for r in step.roles_for(self.scenario.other.agency)) or "—"
        decides = (f" The decision at this stage rests with {self.deciders_words(stage)}."
                   if stage.decided_by else "")
        self._emit("stage", f"Now at {stage.name}: {step.action}. Your agency: {mine}. "
                   f"Their agency: {theirs}.{decides}", step=step.id, stage=stage.id,
                   skipped=skipped, reason=reason)

    def _do_escalate(self, action: A.Escalate) -> None:
        if self.status != "open":
            raise SessionError(f"the disagreement is already {self.status}; nothing to escalate")
        ids = [step.id for _, step in self.ladder]
        if action.to_step is None:
            target = self.step_index + 1
        elif action.to_step in ids:
            target = ids.index(action.to_step)
        else:
            target = next((i for i, (stage, _) in enumerate(self.ladder)
                           if stage.id == action.to_step), -1)
        if target >= len(self.ladder):
            raise SessionError("this is already the last stage of the procedure")
        if target <= self.step_index:
            raise SessionError(f"'{action.to_step}' is not above the current step")
        self._action_event(action, f"You escalate to {self._label(ids[target])}.",
                           to_step=ids[target])
        self._move_to(target, reason="escalate")

    def _do_refer(self, action: A.Refer) -> None:
        role = self._role_or_error(action.role)
        desk = self.world.desks[role.id]
        answered = desk.answers_now(self.world.in_office())
        self._action_event(action, f"You refer to {role.title}.", role=role.id)
        if answered and role.id in self.redirects and not self.immediate_risk:
            self._redirect(role.id)
        elif answered:
            taken = f"{role.title} takes the referral."
            if role.id in self.redirects:
                home = self.policy.role(self.redirects[role.id]).title
                taken = (f"{role.title} takes the referral: {self.child.first_name} is at "
                         f"immediate risk and is found here, so they act now and tell {home}.")
            self._emit("referred", taken, actor=role.id, role=role.id, answered=True)
            self.env.process(self._referral_response(role.id, self.immediate_risk))
            if self.immediate_risk and self.emergency_route_taken():
                self.status = "referred"
                self._conclude(self.step_index)
        else:
            hint = ("the line is closed out of hours"
                    if role.hours == "office" else "it operates only out of office hours")
            self._emit("no_answer", f"No answer from {role.title}: {hint}.", actor=role.id,
                       role=role.id, answered=False)

    def _redirect(self, role_id: str) -> None:
        """The partnership's own front door does not take a referral for a child who lives
        in another authority (unless the child is at immediate risk here): it names the home
        authority's desk, and the referral is not taken."""
        home = self.scenario.home_authority
        assert home is not None  # only desks the home authority replaced redirect
        where = self.policy.role(self.redirects[role_id]).title
        self._emit("reply", f"{self.policy.role(role_id).title}: {self.child.first_name} "
                   f"lives in {home.name}, not in this area. The referral belongs with "
                   f"{where}, where {self.child.first_name} lives; it has not been taken "
                   "here.", actor=role_id, role=role_id, answered=False, redirected=True)

    def _referral_response(self, role_id: str, risk: bool):
        """The service answers a referral it took (about an hour later): a visit, a
        decision within a working day, a strategy discussion."""
        role = self.policy.role(role_id)
        kind = self.policy.agency(role.agency).kind
        yield self.env.timeout(60 if risk or role.hours != "office" else 120)
        words = referral_response(kind, role.hours, self.child.first_name, risk)
        self._emit("reply", f"{role.title}: {words}.", actor=role_id, referral=True)

    def open_desk(self) -> str | None:
        """The children's-services desk that answers now (front door in hours, EDT out of
        hours), for a fresh referral."""
        route = self.emergency_route
        if route is None:
            return None
        open_now = desks(route, self.cal.is_office_hours(self.now))
        return open_now[0] if open_now else None

    def _do_professionals_meeting(self, action: A.ProfessionalsMeeting) -> None:
        if action.decision == "not_needed":
            self._action_event(action, "You consider a professionals meeting and record "
                               "that it is not needed now.", decision="not_needed")
            return
        self._action_event(action, "You ask for a professionals meeting.", decision="convene")
        counterpart = self._counterpart(self.step_index)
        if counterpart and self.status == "open":
            self.engaged.setdefault(self.step.id, self.now)
            self._start_discussion(self.step_index, counterpart, "meeting", None)

    def _do_notify(self, action: A.Notify) -> None:
        note = next((n for n in self.policy.notifications if n.id == action.notification), None)
        if note is None:
            known = ", ".join(n.id for n in self.policy.notifications) or "none"
            raise SessionError(f"unknown notification '{action.notification}' (known: {known})")
        role = self.policy.role(note.role)
        self._action_event(action, f"You notify the {role.title}.",
                           notification=note.id, role=role.id)
        self._start_courtesy_reply(role.id, "email")

    def _record_kind(self, record_id: str) -> str | None:
        found = next((r for r in self.policy.records if r.id == record_id), None)
        return found.kind if found else None

    def _do_record(self, action: A.Record) -> None:
        kind = self._record_kind(action.record)
        if kind is None:
            known = ", ".join(r.id for r in self.policy.records)
            raise SessionError(f"unknown record '{action.record}' (known: {known})")
        title = self.policy.record(action.record).title
        entry = {"record": action.record, "at": self.now.isoformat(), "step": self.step.id,
                 "stage": self.stage.id, "fields": dict(action.fields), "text": action.text}
        self.records.append(entry)
        self._action_event(action, f"You record on the {title}.", record=action.record,
                           step=self.step.id, stage=self.stage.id)

    def _do_inform_referrer(self, action: A.InformReferrer) -> None:
        referrer = self.scenario.referrer
        who = (referrer.title if referrer and referrer.title else "the referrer")
        self._action_event(action, f"You update {who} on the escalation.")

    def _do_confirm_outcome(self, action: A.ConfirmOutcome) -> None:
        self._action_event(action, "You confirm the agreed outcome in writing with the other "
                           "professional, and how outstanding issues will be pursued.")
        if any(r.id == "written_confirmation" for r in self.policy.records):
            self.records.append({"record": "written_confirmation", "at": self.now.isoformat(),
                                 "step": self.step.id, "stage": self.stage.id,
                                 "fields": {}, "text": action.note})

    def accepting_offered(self) -> bool:
        """Accepting the other's view is offered where the policy judges it (a duty of
        judge `respect_views`), so it is never an unjudged way to end a case."""
        return any(d.judge == "respect_views" for d in self.policy.duties)

    def _do_accept_view(self, action: A.AcceptView) -> None:
        if not self.accepting_offered():
            raise SessionError("this policy has no step for accepting the other "
                               "professional's view")
        if self.status != "open":
            raise SessionError(f"the disagreement is already {self.status}")
        them = self.title_of(self.scenario.other.role)
        self._action_event(action, f"You accept the view of {them}: {action.reason}",
                           reason=action.reason)
        self.accepted_at = self.now
        self._resolve(self.step_index)

    def outside_route(self, route_id: str):
        """The policy's route outside the ladder with this id (SessionError if none)."""
        route = next((r for r in self.policy.outside_routes if r.id == route_id), None)
        if route is None:
            known = ", ".join(r.id for r in self.policy.outside_routes) or "none"
            raise SessionError(f"unknown route '{route_id}' (known: {known})")
        return route

    def matter_moments(self, matter: str) -> list[datetime]:
        """When a matter with its own route became known: the start, for a case that is
        that matter, and each scripted event that makes it known."""
        here = matter == self.scenario.matter or matter in self.scenario.alongside
        start = [self.start] if here else []
        return start + [when for when, known in self.matters_known if known == matter]

    def _do_use_route(self, action: A.UseRoute) -> None:
        route = self.outside_route(action.route)
        what = route.action[:1].lower() + route.action[1:]
        self._action_event(action, f"You take it outside the ladder: {what} ({route.to}).",
                           route=route.id)
        self.routes_used.setdefault(route.id, self.now)
        if route.matter == self.scenario.matter and not route.alongside and (
                self.status == "open"):
            # The case was this matter all along: its own route ends it.
            self.status = "routed"
        self.env.process(self._route_response(route.to, route.response))

    def _route_response(self, who: str, words: str):
        yield self.env.timeout(60)
        self._emit("reply", f"{who}: {words}", route=True)

    def _do_wait(self, action: A.Wait) -> None:
        horizon = self.cal.to_minutes(self.horizon)
        limit = horizon
        if action.until is not None:
            if action.until <= self.now:
                raise SessionError(f"{action.until:%a %d %b %H:%M} is not in the future")
            limit = min(self.cal.to_minutes(action.until), horizon)
        elif action.hours is not None:
            limit = min(self.env.now + action.hours * 60, horizon)
        if limit < horizon and not action.stop_at_event:
            self._advance_to(limit)
        else:
            self._wait_for_next(limit, announce=limit >= horizon)

    def _wait_for_next(self, limit: float, announce: bool) -> None:
        """Run until something lands in the timeline, or the limit."""
        count = len(self.timeline)
        while len(self.timeline) == count and self.env.peek() <= limit:
            self.env.step()
        if len(self.timeline) == count:
            self._advance_to(limit)
            if announce:
                self._emit("system", "Nothing more happens; the exercise has reached its "
                           "horizon.")

    def _do_inject(self, action: A.Inject) -> None:
        if action.immediate_risk:
            self._risk_now(action.text, kind="inject")
        else:
            self._emit("inject", action.text)

    def _do_finish(self, action: A.Finish) -> None:
        self._action_event(action, "You end the exercise.")
        self.finished_at = self.now
        words = {"routed": "the matter went by its own route, outside the escalation "
                 "procedure"}.get(self.status, f"the disagreement is {self.status}")
        self._emit("finished", f"Exercise finished; {words}.", status=self.status)

    # ------------------------------------------------------------------ helpers

    def _role_or_error(self, role_id: str):
        if role_id not in self.policy.role_ids():
            raise SessionError(f"unknown role '{role_id}'")
        return self.policy.role(role_id)

    def _emergency_roles(self) -> set[str]:
        """Whom the refer menu offers: the services of every emergency route (which route
        the case's facts call for is part of what is judged) and any desk that redirects."""
        routes = [swapped_route(r, self.redirects) for r in self.policy.emergency_routes]
        listed = {role for r in routes for role in (*r.in_hours, *r.out_of_hours)}
        return listed | set(self.redirects)

    def observe(self) -> Observation:
        return observe(self)

    # ------------------------------------------------------------------ save / restore

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": SAVE_FORMAT,
            "scenario": self.scenario.id,
            "scenario_version": self.scenario.version,
            "generated": self.generated,
            "policy": self.policy.id,
            "seed": self.seed,
            "actions": [{"at": at.isoformat(), **a.model_dump(mode="json")}
                        for at, a in self.actions],
            "status": self.status,
            "finished": self.finished,
            "now": self.now.isoformat(),
            "timeline": [e.to_dict() for e in self.timeline],
            "records": self.records,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], scenario: Scenario | None = None) -> Session:
        """Rebuild by replaying the action log on the same seed: identical by construction.

        ``scenario`` supplies a scenario that is not bundled (e.g. loaded from a YAML path).
        """
        if data.get("format") != SAVE_FORMAT:
            raise SessionError(f"unsupported save format {data.get('format')!r}")
        if data.get("generated"):
            spec = data["generated"]
            session = cls.generate(spec["policy"], data["seed"], spec.get("seat_agency"))
        elif scenario is not None:
            session = cls(scenario, data["seed"])
        else:
            session = cls.from_scenario(data["scenario"], data["seed"])
        session.replay(data["actions"])
        return session

    def replay(self, entries: list[dict[str, Any]]) -> None:
        """Apply logged actions (the shape of ``to_dict()['actions']``) in order."""
        for entry in entries:
            self.apply_logged(entry)

    def apply_logged(self, entry: dict[str, Any]) -> list[Event]:
        """Apply one logged action at the simulated time it was first taken.

        The clock first runs to that time, so replies and deadlines land exactly as they
        did live: this is what makes a replay identical to the original session.
        """
        action = A.parse_action({k: v for k, v in entry.items() if k != "at"})
        at = datetime.fromisoformat(entry["at"])
        if at > self.now:
            self._advance_to(self.cal.to_minutes(at))
        return self._take(action)


def _first_clause(text: str) -> str:
    """A short phrase for a scripted moment, e.g. "Ryan arrives to collect Jaxon"."""
    return " ".join(text.split()).split(". ")[0].rstrip(".")


def _verb(channel: str) -> str:
    return {"phone": "phone", "email": "e-mail", "meeting": "ask for a meeting with"}[channel]
