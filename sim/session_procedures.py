"""A Session's sub-procedures: a clock of their own from the event that starts them
(dissent at a child protection conference), beside the ladder."""

from __future__ import annotations

from datetime import datetime

from scenarios.policy_schema import Deadline, Procedure, Step
from sim.deadlines import due_at
from sim.labels import deadline_words
from sim.verdicts import BREACHED, procedure_items, verdict


class ProceduresMixin:
    """Sub-procedures, for `sim.session.Session`: started by an event, taken step by step,
    their deadlines watched and announced."""

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
