"""A Session's ladder clock: deadlines watched and announced when they pass, stages
concluded, and stages that escalate by themselves when their deadline passes with the case
still there ("if no response within 2 working days, the matter escalates to Stage 2")."""

from __future__ import annotations

from datetime import datetime

from scenarios.policy_schema import Deadline, Stage
from sim.labels import deadline_words, item_label, procedure_item_label
from sim.verdicts import taken_up_counts


class DeadlinesMixin:
    """The ladder's clock, for `sim.session.Session`."""

    def auto_escalation_due(self, stage: Stage) -> datetime | None:
        """When a stage that escalates on timeout does so: its governing deadline (None if
        it does not escalate by itself, or the deadline's anchor is not reached)."""
        if stage.on_timeout != "escalate" or self._stage_above(stage) is None:
            return None  # nothing above it in this case's ladder to escalate to
        return self.due(stage.governing_deadline())

    def _stage_above(self, stage: Stage) -> int | None:
        """The ladder index of the first step above ``stage`` in this case's ladder (a
        conditional stage the case does not owe is not there), or None at the top."""
        return next((i for i, (st, _) in enumerate(self.ladder) if st.number > stage.number),
                    None)

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
        target = self._stage_above(stage)
        if target is None:
            return
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
