"""A Session's conversations: what the trainee puts to the other professional, how they
answer, and when they agree."""

from __future__ import annotations

from functools import cached_property

from scenarios.conversation_schema import Challenge, Concern, Fact
from sim.challenge_material import concerns_for, facts_for
from sim.conversation import (
    Transcript,
    WorldState,
    converse,
    general_answer,
    reasons,
    render_challenge,
)
from sim.session_common import SessionError
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
