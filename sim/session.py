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
from scenarios.conditions import ENGINE_CASE, case_ladder, ladder_for
from scenarios.conversation_schema import Challenge
from scenarios.home_authority import swapped_route, with_home_authority
from scenarios.loader import get_scenario, policy_of, resolve_policy
from scenarios.policy_schema import Deadline, Policy, Stage, Step
from scenarios.scenario_schema import Child, Scenario, Seat
from sim import actions as A
from sim.case import child_for, frontline_seats, generate_scenario
from sim.case_draws import CaseDraws
from sim.deadlines import calendar_for, due_at
from sim.duty_clock import clocks, owed_by_seat
from sim.emergency import EmergencyDuty, emergency_duty
from sim.labels import TOTAL_CAP
from sim.observation import Observation, observe
from sim.rng import stream
from sim.session_actions import ActionsMixin
from sim.session_challenges import ChallengesMixin
from sim.session_common import SessionError, channel_verb, first_clause
from sim.session_deadlines import DeadlinesMixin
from sim.session_emergency import EmergencyMixin
from sim.session_procedures import ProceduresMixin
from sim.texts import agree_text
from sim.timeline import Event
from sim.world import CONVERSATION_MINUTES, MEETING_MINUTES, World

__all__ = ["HORIZON_DAYS", "SAVE_FORMAT", "Session", "SessionError"]

SAVE_FORMAT = 1
HORIZON_DAYS = 120


class Session(DeadlinesMixin, ProceduresMixin, EmergencyMixin, ChallengesMixin, ActionsMixin):
    """One trainee's case (see the module docstring); its parts live in the mixins
    `sim.session_deadlines`, `sim.session_procedures`, `sim.session_emergency`,
    `sim.session_challenges` and `sim.session_actions`."""

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
                out.append((when, first_clause(event.text)))
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
        self._action_event(action, f"You {channel_verb(action.channel)} {self.title_of(role.id)}.",
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
        self._action_event(action, f"You {channel_verb(action.channel)} {self.title_of(role_id)}, "
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
