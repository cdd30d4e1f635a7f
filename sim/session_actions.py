"""What a Session does for each action the trainee takes: escalate, refer, meet, notify,
record, inform, confirm, accept a view, use a route, wait, finish."""

from __future__ import annotations

from datetime import datetime

from sim import actions as A
from sim.emergency import desks
from sim.session_common import SessionError
from sim.texts import referral_response


class ActionsMixin:
    """The actions, for `sim.session.Session` (a contact is `Session._do_contact`)."""

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
