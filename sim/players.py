"""Scripted players: the same decisions a trainee makes, taken by rule.

`perfect` follows the policy to the letter and is "what good looked like" in the debrief;
`passive` only waits (the common mistake); `skipper` jumps stages; `late` does the right
things but after each deadline. Tests, the debrief and stress runs all use them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta

from sim import actions as A
from sim.duty_clock import clocks, owed_by_seat
from sim.model_records import chronology_record, write
from sim.session import Session
from sim.timeline import significant
from sim.verdicts import governing

Player = Callable[[Session], Iterator[A.Action]]
TimedInject = tuple[datetime, A.Inject]
MAX_ACTIONS = 400


def play(session: Session, player: str | Player,
         injects: Sequence[TimedInject] = ()) -> Session:
    """Drive a session with a player until it finishes (or a safety cap on actions).

    ``injects`` are a facilitator's events, each landing at the simulated time given (see
    `with_injects`), so a workshop trainee's model answer meets what they met."""
    strategy = PLAYERS[player] if isinstance(player, str) else player
    if injects:
        strategy = with_injects(strategy, injects)
    for count, action in enumerate(strategy(session)):
        if session.finished or count >= MAX_ACTIONS:
            break
        session.act(action)
    if not session.finished:
        session.act(A.Finish())
    return session


def with_injects(player: Player, injects: Sequence[TimedInject]) -> Player:
    """The player, meeting each inject at its simulated time (the time it reached a trainee).

    An inject lands before the player's next decision once its time has come, and a wait
    stops at it, so the decision after it is taken knowing it: an injected immediate risk
    is referred at once rather than the case carrying on up the ladder. If the player would
    end the exercise before an inject's time, the wait goes on to it; after an immediate
    risk the player is asked again what to do (a policy with no emergency route has
    nothing more to ask)."""

    def strategy(session: Session) -> Iterator[A.Action]:
        pending = sorted(injects, key=lambda timed: timed[0])

        def due() -> Iterator[A.Action]:
            while pending and pending[0][0] <= session.now:
                yield pending.pop(0)[1]

        inner = player(session)
        while True:
            yield from due()
            action = next(inner, None)
            if action is None:
                return
            if isinstance(action, A.Finish) and pending:
                while pending:
                    if pending[0][0] > session.now:
                        yield A.Wait(until=pending[0][0])
                    yield from due()
                if _risk_unreferred(session):
                    inner = player(session)
                    continue
            elif isinstance(action, A.Wait) and pending:
                action = _stop_at(session, action, pending[0][0])
            yield action

    return strategy


def _stop_at(session: Session, wait: A.Wait, moment: datetime) -> A.Wait:
    """The wait, cut short at `moment` if it would run past it."""
    if wait.until is not None:
        end: datetime | None = wait.until
    elif wait.hours is not None:
        end = session.now + timedelta(hours=wait.hours)
    else:
        end = None  # to the next thing that happens
    if end is not None and end <= moment:
        return wait
    return A.Wait(until=moment, stop_at_event=wait.stop_at_event or end is None)


def _records_for_step(session: Session) -> list[str]:
    """Records the policy asks for at the current step, defaulting to case file and log."""
    wanted = list(session.step.records)
    for record in session.policy.records:
        if record.kind in ("case_file", "chronology", "summary_log") and record.id not in wanted:
            wanted.append(record.id)
    return wanted


def _record_all(session: Session, outcome: str, next_steps: str) -> Iterator[A.Action]:
    for record in _records_for_step(session):
        yield write(session, record, outcome, next_steps)


def _chronicle(session: Session) -> Iterator[A.Action]:
    """A dated chronology entry for any significant event since the last one written."""
    carrier = chronology_record(session.policy)
    if carrier is None or session.finished:
        return
    last = max((r["at"] for r in session.records if r["record"] == carrier), default="")
    if any(e.at.isoformat() > last for e in significant(session.timeline)):
        yield write(session, carrier, "Significant event recorded.",
                    "Next steps follow the escalation in hand.")


def _notifications_due(session: Session, done: set[str]) -> Iterator[A.Action]:
    """Each notification the child's plan calls for, once; a copy owed at one stage only
    while the case is at that stage (`Notification.at_stage`)."""
    for note in session.policy.notifications:
        if note.at_stage is not None and note.at_stage != session.stage.id:
            continue
        if session.scenario.plan_status in note.when_plan_status and note.id not in done:
            done.add(note.id)
            yield A.Notify(notification=note.id)


def _stage_copies(session: Session, done: set[str]) -> Iterator[A.Action]:
    """The copies owed at the stage the case is at, as soon as it is there."""
    if any(n.at_stage == session.stage.id for n in session.policy.notifications):
        yield from _notifications_due(session, done)


def _route_roles(session: Session) -> list[str]:
    """Whom to refer an immediate risk to now: whom the route requires, or, where it
    requires no one (its roles only needed for a police matter), whom it lists for the
    hour — the referral is what takes the case out of the staged process."""
    route = session.emergency_route
    if route is None:
        return []
    return (session.expected_referrals()
            or route.roles_for(session.cal.is_office_hours(session.now)))


def _in_emergency(session: Session) -> bool:
    """Immediate risk under a policy with a route for it: the staged process stops. A policy
    with no emergency route has only its ladder, which a known risk does not stop."""
    return session.immediate_risk and session.emergency_route is not None


def _emergency(session: Session) -> Iterator[A.Action]:
    """Refer to every service the route needs now; then record the referral on the child's
    own records (not the inter-agency escalation log, unless the step was already under way)."""
    engaged_before = session.step.id in session.engaged
    for role in _route_roles(session):
        yield A.Refer(role=role)
    for record in _records_for_step(session):
        kind = session.policy.record(record).kind
        if kind == "summary_log" and not engaged_before:
            continue
        yield write(session, record, "Referred as immediate risk of significant harm, "
                    "the same day, by the emergency route.",
                    "Next: follow the referral up and keep the referrer informed.")
    yield from _inform_referrer(session)


def _inform_referrer(session: Session) -> Iterator[A.Action]:
    """Keep the person who raised the concern informed, when someone did."""
    if session.scenario.referrer is not None:
        yield A.InformReferrer()


def _close_out(session: Session) -> Iterator[A.Action]:
    yield from _record_all(session, f"Resolved at {session.stage.name}: the outcome was "
                           "agreed.", "Next: the agreed plan will be reviewed with the other "
                           "professional.")
    if session.stage.number >= 3:
        yield from _stage_reports(session, f"Resolved at {session.stage.name}.",
                                  "Our agency will follow up the agreed actions.")
    if _policy_asks(session, "confirm_outcome"):
        yield A.ConfirmOutcome(note="Agreed outcome confirmed in writing.")
    yield from _inform_referrer(session)
    yield from _outcome_duties(session)


def _outcome_duties(session: Session) -> Iterator[A.Action]:
    """What the policy asks once the disagreement is resolved, for this outcome: each
    action duty triggered by the resolution whose ``if_resolved_at`` names the stage or
    step it was resolved at ("a letter within 2 working days if resolved at Stage 2")."""
    stage, step = session.stage.id, session.resolved_at
    done: set[str] = set()
    for duty in session.policy.duties:
        if (duty.judge != "action" or duty.trigger != "resolved"
                or not duty.owed_for_outcome(stage, step)):
            continue
        action = _satisfying(session, duty.satisfied_by)
        if action is not None and action.kind not in done:
            done.add(action.kind)
            yield action


def _satisfying(session: Session, kinds: list[str]) -> A.Action | None:
    """One action of the kinds a duty is satisfied by, as the model answer would take it."""
    wanted = set(kinds)
    if "confirm_outcome" in wanted:
        return A.ConfirmOutcome(note="Agreed outcome confirmed in writing.")
    if "inform_referrer" in wanted:
        return A.InformReferrer()
    records = [r.id for r in session.policy.records if r.kind != "written_confirmation"]
    if "record" in wanted and records:
        return write(session, records[0], f"Resolved at {session.stage.name}: the outcome "
                     "was agreed.", "Next: the agreed plan will be reviewed.")
    if "notify" in wanted and session.policy.notifications:
        return A.Notify(notification=session.policy.notifications[0].id)
    target = _target_role(session)
    if wanted & {"contact_ladder", "contact_any"} and target:
        return A.Contact(role=target, channel="phone")
    if "professionals_meeting" in wanted:
        return A.ProfessionalsMeeting(decision="convene")
    return None


def _policy_asks(session: Session, judge: str) -> bool:
    """Whether the policy in play has a duty of this kind (the model answer uses only the
    policy's own steps: no written-confirmation step where the policy has none)."""
    return any(d.judge == judge for d in session.policy.duties)


def _stage_reports(session: Session, outcome: str, next_steps: str) -> Iterator[A.Action]:
    for record in session.policy.records:
        if record.kind == "stage_report":
            yield write(session, record.id, outcome, next_steps)


def _target_role(session: Session) -> str | None:
    """Who to contact at the current step: yourself acting means the counterpart; at a
    stage whose decision rests with named roles, one of them."""
    proxy = session.proxy_for(session.step_index)
    if proxy is not None:
        return proxy  # the policy's route: ask the one who carries the step out for you
    seat = session.scenario.seat
    deciders = [r for r in session.stage.decided_by if r != seat.role]
    if deciders and seat.role not in session.stage.decided_by:
        return deciders[0]
    mine = session.step.roles_for(seat.agency)
    theirs = session.step.roles_for(session.scenario.other.agency)
    if seat.agency == session.scenario.other.agency:
        # In-house escalation: above the first step, go past the colleague you disagree
        # with (a class teacher's next step is the Head Teacher, not the DSL again).
        others = [r for r in theirs if r != seat.role]
        beyond = [r for r in others if r != session.scenario.other.role]
        pick = beyond if session.step_index > 0 and beyond else others
        return pick[0] if pick else None
    if not mine or seat.role in mine:
        # Never yourself: a row may name the same role for both agencies.
        return next((r for r in theirs if r != seat.role), None)
    return next((r for r in mine if r != seat.role), None)


def _await_reply(session: Session, step_id: str, cutoff: datetime | None = None
                 ) -> Iterator[A.Action]:
    """Wait for the step's outcome, but no later than the cutoff (or the horizon); new
    information that signals significant harm is referred at once, and the wait goes on."""
    limit = min(cutoff or session.horizon, session.horizon)
    at = session.step_index  # the policy may move the case on by itself (`on_timeout`)
    while (session.status == "open" and step_id not in session.outcomes
           and session.now < limit and session.step_index == at):
        if _in_emergency(session):
            return
        yield from _fresh_referrals(session)
        yield from _routes_owed(session)
        yield from _procedures_owed(session)
        yield from _guarded(session, _triggered_duties(session))
        if session.now < limit and session.status == "open":
            yield A.Wait(until=limit, stop_at_event=True)
    yield from _fresh_referrals(session)
    yield from _routes_owed(session)
    yield from _guarded(session, _triggered_duties(session))


CASE_TRIGGERS = ("entered:", "event:", "reply:")


def _triggered_duties(session: Session) -> Iterator[A.Action]:
    """Action duties that something of the case set off (a stage reached, an event, a first
    reply): each done at once, unless an action that satisfies it came after it."""
    for duty in session.policy.duties:
        if (duty.judge != "action" or not duty.trigger.startswith(CASE_TRIGGERS)
                or not owed_by_seat(session, duty)):
            continue
        if any(clock.done is None for clock in clocks(session, duty)):
            action = _satisfying(session, duty.satisfied_by)
            if action is not None:
                yield action


def _routes_owed(session: Session) -> Iterator[A.Action]:
    """A matter made known during the case (an allegation against staff), or one the
    scenario says runs alongside from the start (private-law proceedings: a referral to
    Cafcass), goes by its own route at once, beside the disagreement, which carries on."""
    beside = [(session.start, matter) for matter in session.scenario.alongside]
    for when, matter in [*beside, *session.matters_known]:
        for route in session.policy.outside_routes:
            if route.matter != matter:
                continue
            taken = any(isinstance(a, A.UseRoute) and a.route == route.id and at >= when
                        for at, a in session.actions)
            if not taken:
                yield A.UseRoute(route=route.id, note="Made known during the case.")


def _procedures_owed(session: Session) -> Iterator[A.Action]:
    """A sub-procedure its event started (dissent at a conference) is taken at once, beside
    the disagreement: each step in turn, by contacting a role the step names."""
    for _ in range(MAX_ACTIONS):
        owed = session.procedure_step_due()
        if not owed or _in_emergency(session) or session.finished:
            return
        _, step = owed[0]
        roles = [r for roles in step.representation.values() for r in roles
                 if r != session.scenario.seat.role]
        if not roles:
            return
        channel = "email" if step.kind == "report" else "phone"  # a step in writing
        yield A.Contact(role=roles[0], channel=channel, note=step.action)
        if step.id not in session.procedure_taken:
            return  # the contact did not take it (never loop without progress)


def _procedure_events(session: Session) -> Iterator[A.Action]:
    """Stay for an event still to come that starts a sub-procedure (the conference), and
    take the sub-procedure when it comes, rather than walk away from its clock."""
    for _ in range(MAX_ACTIONS):
        if not session.procedure_event_pending or session.finished or _in_emergency(session):
            return
        if session.now >= session.horizon - timedelta(days=1):
            return
        yield A.Wait(stop_at_event=True)
        yield from _procedures_owed(session)


def _fresh_referrals(session: Session) -> Iterator[A.Action]:
    """Escalation never replaces referral: refer new information to the desk open now."""
    if not session.new_harm_known or session.immediate_risk:
        return
    latest = session.new_harm_known[-1]
    referred = any(isinstance(a, A.Refer) and at >= latest for at, a in session.actions)
    desk = session.open_desk()
    if not referred and desk is not None:
        yield A.Refer(role=desk, note="New information suggests significant harm.")


def _cutoff(session: Session) -> datetime | None:
    """When to stop waiting and escalate: safely before the next deadline that matters."""
    if session.step_index + 1 >= len(session.ladder):
        return None
    upcoming = [v.due for v in session.observe().deadlines
                if v.state == "open" and v.due is not None and v.due > session.now]
    if not upcoming:
        return None
    cal = session.cal
    now_w = cal.working_at(cal.to_minutes(session.now))
    first_w = cal.working_at(cal.to_minutes(min(upcoming)))
    step = session.step
    if step.deadline is not None and step.deadline.unit == "asap":
        target = (now_w + first_w) / 2  # half the working time left, never at night
    else:
        target = first_w - 120  # two working hours to spare
    if target <= now_w:
        return session.now
    return cal.from_minutes(cal.calendar_at(target))


def _risk_unreferred(session: Session) -> bool:
    """A child at immediate risk not yet referred: this overrides everything else."""
    if not _in_emergency(session):
        return False
    made = {e.data.get("role") for e in session.timeline
            if e.kind == "referred" and e.data.get("answered")
            and e.at >= (session.risk_known_at or e.at)}
    roles = set(_route_roles(session))
    return session.status != "referred" and not (roles and roles <= made)


def _guarded(session: Session, actions: Iterator[A.Action]) -> Iterator[A.Action]:
    """Yield routine actions only while no immediate risk is waiting to be referred."""
    for action in actions:
        if _risk_unreferred(session):
            return
        yield action


def _view_to_accept(session: Session) -> bool:
    """The other professional's reasons, heard, are sound: accept them (the model answer
    knows what the scenario says about their view)."""
    return (session.scenario.other_view_sound and session.rationale_heard_at is not None
            and session.status == "open" and session.accepting_offered())


def _own_route(session: Session) -> Iterator[A.Action]:
    """A case that is not a professional disagreement goes by the policy's route for it,
    at once, and the child's own record says so."""
    for route in session.policy.outside_routes:
        if route.matter == session.scenario.matter and route.id not in session.routes_used:
            yield A.UseRoute(route=route.id, note="Not a professional disagreement.")
    for record in session.policy.records:
        if record.kind in ("case_file", "chronology"):
            yield A.Record(record=record.id, text="Taken by its own route, outside the "
                           "escalation procedure.")
    yield A.Wait(hours=2, stop_at_event=True)  # hear the answer before finishing


def perfect(session: Session) -> Iterator[A.Action]:
    notified: set[str] = set()
    if not session.ladder_applies:
        yield from _own_route(session)
    yield from _routes_owed(session)
    while not session.finished:
        taken = len(session.actions)
        if _risk_unreferred(session):
            yield from _emergency(session)
            break
        yield from _guarded(session, _procedures_owed(session))
        if session.status == "resolved":
            yield from _guarded(session, _close_out(session))
            if _risk_unreferred(session):
                yield from _emergency(session)
                if _policy_asks(session, "confirm_outcome") and not any(
                        isinstance(a, A.ConfirmOutcome) for _, a in session.actions):
                    yield A.ConfirmOutcome(note="Agreed outcome confirmed in writing.")
            break
        if session.status != "open":
            break
        yield from _stage_copies(session, notified)
        if session.step_index > 0:
            yield from _notifications_due(session, notified)
        target = _target_role(session)
        step_id, at = session.step.id, session.step_index
        if target:
            yield A.Contact(role=target, channel="phone", challenge=model_challenge(session,
                                                                                    target))
        if _view_to_accept(session):
            yield A.AcceptView(reason="Their reasons are sound and answer my concern; "
                               "recorded on the child's file.")
            continue
        if session.step_index > 0 and session.stage.number == 1:
            yield A.ProfessionalsMeeting(decision="not_needed", note="Considered by line manager")
        if session.step_index != at:
            continue  # the policy escalated by itself during the call (`Stage.on_timeout`)
        yield from _await_reply(session, step_id, _cutoff(session))
        if _view_to_accept(session):  # their reasons came with the reply (a conversation)
            yield A.AcceptView(reason="Their reasons are sound and answer my concern; "
                               "recorded on the child's file.")
            continue
        if session.status != "open" or _in_emergency(session):
            if len(session.actions) == taken:
                break  # nothing left to do (never loop without acting)
            continue
        if session.step_index != at:
            continue  # the policy escalated by itself meanwhile (`Stage.on_timeout`)
        if session.step_index + 1 >= len(session.ladder):
            # Top of the ladder and still unresolved: that outcome must be recorded too.
            yield from _guarded(session, _record_all(
                session, f"Unresolved at {session.stage.name}, the last stage.",
                "Next: our safeguarding lead will keep the concern under review."))
            break
        yield from _guarded(session, _before_escalating(session, notified))
        if session.step_index != at:
            continue
        if session.status == "open" and not _in_emergency(session):
            yield A.Escalate()
        elif len(session.actions) == taken:
            break
    yield from _guarded(session, _procedure_events(session))
    yield from _guarded(session, _procedures_owed(session))
    yield from _guarded(session, _triggered_duties(session))
    yield from _guarded(session, _chronicle(session))
    yield A.Finish()


def model_challenge(session: Session, role_id: str):
    """The scenario's model challenge, put to the counterpart where its authored
    conversation is held; None elsewhere (cases without one play as they always did)."""
    conversation = session.conversation_here(session.step_index)
    if conversation is None or session.classify(role_id)[0] != "counterpart":
        return None
    return conversation.model


def _before_escalating(session: Session, notified: set[str]) -> Iterator[A.Action]:
    stage, step = session.ladder[session.step_index + 1]
    after = f"{stage.name} ({step.action})"
    outcome = f"Unresolved at {session.stage.name}: not agreed."
    yield from _record_all(session, outcome, f"Next: escalating to {after}.")
    for record in step.requires:
        yield write(session, record, outcome, f"Next: escalating to {after}; our agency will "
                    "follow the case up there.")
    yield from _notifications_due(session, notified)
    yield from _inform_referrer(session)


def passive(session: Session) -> Iterator[A.Action]:
    while session.now < session.horizon - timedelta(days=1) and not session.finished:
        yield A.Wait()
    yield A.Finish()


def skipper(session: Session) -> Iterator[A.Action]:
    """Talks once, then goes straight to the top of the ladder."""
    target = _target_role(session)
    if target:
        yield A.Contact(role=target, channel="email")
    if session.status == "open" and len(session.ladder) > 2 and (
            session.step_index < len(session.ladder) - 1):  # not moved there by the policy
        yield A.Escalate(to_step=session.ladder[-1][1].id)
        target = _target_role(session)
        if target:
            yield A.Contact(role=target, channel="email")
        yield from _await_reply(session, session.step.id)
    yield A.Finish()


def late(session: Session) -> Iterator[A.Action]:
    """The perfect player's decisions, each taken only after the step's deadline has passed."""
    for action in perfect(session):
        if isinstance(action, A.Escalate | A.Refer):
            due = _current_due(session)
            at = session.step_index
            if due is not None and session.now <= due:
                until = due + timedelta(hours=1)
                auto = (session.auto_escalation_due(session.stage)
                        if isinstance(action, A.Escalate) else None)
                if auto is not None and session.now < auto < until:
                    until = auto  # the policy escalates by itself first
                yield A.Wait(until=until)
            if isinstance(action, A.Escalate) and (session.status != "open"
                                                   or _risk_unreferred(session)
                                                   or session.step_index != at):
                continue  # resolved, a child at immediate risk, or escalated automatically
        yield action


def _current_due(session: Session) -> datetime | None:
    if session.immediate_risk:
        return session.risk_due()
    step = session.step
    deadline = governing(session.stage, step) or session.stage.deadline
    due = session.due(deadline)
    if step.deadline and step.deadline.unit == "asap" and session.stage.deadline is not None:
        due = session.due(session.stage.deadline)
    return due


PLAYERS: dict[str, Player] = {
    "perfect": perfect,
    "passive": passive,
    "skipper": skipper,
    "late": late,
}
