"""A Session's conversations: what the trainee puts to the other professional, how they
answer, and when they agree."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property

from scenarios.conversation_schema import Challenge, Concern, Fact
from sim import actions as A
from sim.challenge_material import concerns_for, facts_for
from sim.conversation import (
    Transcript,
    WorldState,
    converse,
    general_answer,
    reasons,
    render_challenge,
)
from sim.emergency import desks
from sim.session_common import SessionError
from sim.texts import referral_response
from sim.world import step_chance


class ChallengesMixin:
    """Challenges and answers, for `sim.session.Session`."""

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
