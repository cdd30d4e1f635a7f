"""Facts read once from a finished (or paused) session, shared by every rule.

Rules never touch the SimPy world: they read the timeline, the records and the policy. Every
timescale comes from the policy through `sim.deadlines.due_at` (the session's calendar and
the policy's ``day_reading``), so no number of days appears in scoring code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from scenarios.policy_schema import Deadline, Policy, Rule, Stage, Step
from scoring.model import Finding, Severity
from sim.deadlines import due_at
from sim.labels import item_label, procedure_item_label
from sim.session import Session
from sim.timeline import Event

# "Promptly" (records, updates to the referrer, written confirmation) is read as the policy's
# own reading of "as soon as possible": close of office on the policy's `asap_working_days`-th
# working day after the thing to be recorded or shared (docs/scoring.md).
PROMPTLY = Deadline(unit="asap", text="promptly: the policy's reading of 'as soon as possible'")


@dataclass(frozen=True)
class ActionEvent:
    """A trainee action as it landed on the timeline, with the ladder step in force then."""

    index: int  # position in the timeline
    at: datetime
    kind: str
    data: dict[str, Any]
    step_index: int  # ladder index the case was at when the action was taken


@dataclass(frozen=True)
class Referral:
    role: str
    at: datetime
    answered: bool
    action_no: int  # position among action events (runs of referrals are consecutive)


class Ctx:
    """A session seen by the rules: ladder position over time, referrals, records, closure."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.policy: Policy = session.policy
        self.scenario = session.scenario
        self.cal = session.cal
        self.ladder: list[tuple[Stage, Step]] = session.ladder
        self.step_ids = [step.id for _, step in self.ladder]
        self.end: datetime = session.finished_at or session.now
        # Limits the policy gives only as a guide that passed: reported, never scored.
        self.notes: list[Finding] = []

    # ------------------------------------------------------------------ findings

    def finding(self, rule_id: str, theme: str, at: datetime | None, expected: str,
                observed: str, stage: str | None = None,
                severity: Severity | None = None, item: str | None = None) -> Finding:
        """A finding citing the policy rule verbatim; severity defaults to the rule's own."""
        rule: Rule = self.policy.rule(rule_id)
        return Finding(rule=rule_id, severity=severity or rule.severity, at=at,
                       stage=stage if stage is not None else self.stage_at(at),
                       expected=expected, observed=observed, citation=rule.quote,
                       theme=theme, clause=rule.clause, title=rule.title, item=item)

    # ------------------------------------------------------------------ time

    def promptly_after(self, anchor: datetime) -> datetime:
        due = due_at(PROMPTLY, self.policy, {"start": anchor})
        assert due is not None  # an explicit anchor always gives a due instant
        return due

    def due(self, deadline: Deadline | None) -> datetime | None:
        return self.session.due(deadline)

    @staticmethod
    def fmt(when: datetime | None) -> str:
        return f"{when:%a %d %b %Y %H:%M}" if when else "—"

    # ------------------------------------------------------------------ the ladder over time

    @cached_property
    def actions(self) -> list[ActionEvent]:
        out: list[ActionEvent] = []
        current = 0
        for index, event in enumerate(self.session.timeline):
            if event.kind == "action":
                kind = event.data.get("action", {}).get("kind", "")
                out.append(ActionEvent(index, event.at, kind, event.data, current))
            elif event.kind == "stage" and event.data.get("step") in self.step_ids:
                current = self.step_ids.index(event.data["step"])
        return out

    def actions_of(self, kind: str) -> list[ActionEvent]:
        return [a for a in self.actions if a.kind == kind]

    def events(self, kind: str) -> list[Event]:
        return [e for e in self.session.timeline if e.kind == kind]

    def stage_at(self, when: datetime | None) -> str | None:
        """The stage the case was at, at a moment (the start stage before anything moved)."""
        if when is None:
            return None
        stage = self.ladder[0][0].id
        for event in self.session.timeline:
            if event.at > when:
                break
            if event.kind == "stage" and event.data.get("stage"):
                stage = event.data["stage"]
        return stage

    def label(self, item_id: str) -> str:
        return procedure_item_label(self.policy, item_id) or item_label(self.ladder, item_id)

    def role_title(self, role_id: str) -> str:
        return self.policy.role(role_id).title

    @property
    def furthest(self) -> int:
        """Highest ladder index the case entered."""
        entered = [i for i, sid in enumerate(self.step_ids) if sid in self.session.entered]
        return max(entered, default=0)

    # ------------------------------------------------------------------ closure

    @cached_property
    def resolved_time(self) -> datetime | None:
        return next(iter(self.session.moments("resolved")), None)

    @cached_property
    def referrals(self) -> list[Referral]:
        out: list[Referral] = []
        answered = {(e.data.get("role"), e.at) for e in self.events("referred")
                    if e.data.get("answered")}
        for number, action in enumerate(self.actions):
            if action.kind == "refer":
                role = action.data.get("role", "")
                out.append(Referral(role, action.at, (role, action.at) in answered, number))
        return out

    @property
    def risk_at(self) -> datetime | None:
        return self.session.risk_known_at

    @cached_property
    def route_done_at(self) -> datetime | None:
        """When the immediate-risk route was complete (`Session.route_done_at`)."""
        return self.session.route_done_at()

    @cached_property
    def closed_at(self) -> datetime | None:
        """When the staged process stopped running (`Session.closed_at`)."""
        return self.session.closed_at()

    def judged(self, due: datetime | None) -> bool:
        """Whether a staged deadline can be held against the trainee.

        Not if it lies after the end of the exercise, after the case closed, or after
        immediate risk took the case out of the staged process.
        """
        if due is None or due > self.end:
            return False
        closed = self.closed_at
        if closed is not None and closed <= due:
            return False
        return not (self.risk_at is not None and self.risk_at <= due)

    # ------------------------------------------------------------------ records

    @cached_property
    def written(self) -> list[dict[str, Any]]:
        """The record entries that hold the trainee's own words: a form saved empty (or with
        only the case facts it offered) is no record (docs/scoring.md, Recording)."""
        kinds = {r.id: r for r in self.policy.records}
        return [r for r in self.session.records if r["record"] in kinds
                and kinds[r["record"]].holds_writing(r.get("fields") or {}, r.get("text") or "")]

    def records_for(self, step_id: str, record_id: str) -> list[datetime]:
        return sorted(datetime.fromisoformat(r["at"]) for r in self.written
                      if r["step"] == step_id and r["record"] == record_id)

    def all_records(self, record_ids: set[str]) -> list[datetime]:
        return sorted(datetime.fromisoformat(r["at"]) for r in self.written
                      if r["record"] in record_ids)

    # ------------------------------------------------------------------ seats

    def mine(self, index: int) -> list[str]:
        return self.ladder[index][1].roles_for(self.scenario.seat.agency)

    def theirs(self, index: int) -> list[str]:
        return self.ladder[index][1].roles_for(self.scenario.other.agency)

    def right_roles(self, index: int) -> set[str]:
        """Whom the representation table has the trainee contact at a step.

        If the seat is named for its agency at the step (or no one is), the trainee acts and
        talks to the other agency's named role; otherwise they go to their own agency's named
        role, who takes it up with the counterpart. At a step another role carries out for
        the trainee (`Step.carried_out_by`), that role alone: the trainee asks them. Where
        the stage names who decides (`Stage.decided_by`), they are right to contact too.
        """
        proxy = self.session.proxy_for(index)
        if proxy is not None:
            return {proxy}
        seat = self.scenario.seat.role
        mine, theirs = self.mine(index), self.theirs(index)
        deciders = set(self.ladder[index][0].decided_by) - {seat}
        if not mine or seat in mine:
            return (set(mine) | set(theirs) | deciders) - {seat}
        return set(mine) | deciders

