"""Pydantic models for the challenge conversation: what a trainee puts to the other
professional, and how an authored counterpart answers it.

A challenge is built from explainable parts (the concern named, dated facts from the case,
a question about the other's rationale, a clear request, a tone) so that the reply and the
debrief can say exactly what made the difference; free text is kept but never scored.
An authored conversation is a small graph: each node is something the other professional
says, and its branches pick the next node from what was put and from the world's state,
until an ending that is scored.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scenarios.policy_schema import ID_PATTERN, Strict

Ask = Literal["reconsider", "professionals_meeting", "strategy_discussion",
              "reassessment", "step_up"]
Tone = Literal["curious", "accusatory"]
Pushback = Literal["threshold", "consent", "family_engaging", "resources", "none"]
Outcome = Literal["agree", "partial", "maintain", "rationale_sound"]

ASK_WORDS: dict[str, str] = {
    "reconsider": "the decision to be reconsidered",
    "professionals_meeting": "a professionals meeting",
    "strategy_discussion": "a strategy discussion",
    "reassessment": "a re-assessment",
    "step_up": "a step up in the level of support",
}
TONE_WORDS: dict[str, str] = {
    "curious": "curious and child-focused",
    "accusatory": "accusatory",
}
PUSHBACK_WORDS: dict[str, str] = {
    "threshold": "the threshold is not met",
    "consent": "consent",
    "family_engaging": "the family is engaging",
    "resources": "resources",
    "none": "",
}
# Endings that end the disagreement: they agree, or their rationale is sound and accepted.
RESOLVING: frozenset[str] = frozenset({"agree", "rationale_sound"})


class Challenge(BaseModel):
    """What the trainee puts to the other professional in one contact."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    concern: str | None = Field(
        default=None, description="Id of the concern named explicitly; none = left vague.")
    facts: tuple[str, ...] = Field(
        default=(), max_length=12, description="Ids of dated facts from the case file.")
    asks_rationale: bool = Field(
        default=False, description="Asks the other professional to explain their reasoning.")
    ask: Ask | None = Field(default=None, description="What the trainee asks for.")
    tone: Tone = "curious"
    free_text: str = Field(default="", max_length=2000,
                           description="Kept in the record; never scored.")


class Fact(Strict):
    """Something the case file or chronology holds, with its date, that a trainee can put."""

    id: str = Field(pattern=ID_PATTERN)
    on: date = Field(description="The date of what happened (or was recorded).")
    text: str = Field(min_length=1)
    source: Literal["case_file", "chronology"] = "chronology"
    relevant: bool = Field(
        default=True, description="Evidence for the concern; false for a distractor.")
    hidden: bool = Field(
        default=False, description="Known only once the other professional reveals it "
        "(a node's 'reveals'): information the trainee learns only by asking.")
    after_event: str | None = Field(
        default=None, description="Known only once this scripted event (by id) has "
        "happened: the chronology grows as the case moves.")


class Concern(Strict):
    """A way of naming the problem; the trainee picks one (or none)."""

    id: str = Field(pattern=ID_PATTERN)
    text: str = Field(min_length=1)
    explicit: bool = Field(
        default=True, description="False for a vague or off-target way of putting it.")


class When(Strict):
    """Conditions on what was put and on the world; all given must hold (none = always)."""

    concern: list[str] | None = Field(default=None, description="The concern is one of these.")
    facts_all: list[str] = Field(default_factory=list, description="All of these facts put.")
    facts_any: list[str] = Field(default_factory=list, description="At least one put.")
    relevant_facts_min: int | None = Field(
        default=None, ge=0, le=12, description="At least this many relevant facts put.")
    asks_rationale: bool | None = None
    ask: list[Ask] | None = Field(default=None, description="The request is one of these.")
    tone: Tone | None = None
    after_event: str | None = Field(
        default=None, description="A scripted event (by id) has already happened.")
    not_after_event: str | None = Field(
        default=None, description="A scripted event (by id) has not happened yet.")
    step: list[str] | None = Field(
        default=None, description="The case is at one of these steps or stages.")


class Branch(Strict):
    when: When = Field(default_factory=When)
    goto: str = Field(pattern=ID_PATTERN)


class Ending(Strict):
    outcome: Outcome
    score: int = Field(ge=0, le=100, description="How good this ending is (100 = best).")
    feedback: str = Field(min_length=1,
                          description="What made the difference, for the debrief.")


class Node(Strict):
    """Something the other professional says, then either branches or an ending."""

    id: str = Field(pattern=ID_PATTERN)
    say: str = Field(min_length=1)
    pushback: Pushback = "none"
    reveals: list[str] = Field(
        default_factory=list, description="Hidden facts (by id) this answer tells the trainee.")
    branches: list[Branch] = Field(default_factory=list)
    ending: Ending | None = None

    @model_validator(mode="after")
    def _one_way_out(self) -> Node:
        if (self.ending is None) == (not self.branches):
            raise ValueError("a node needs either 'branches' or an 'ending', not both "
                             "nor neither")
        return self


class Conversation(Strict):
    """An authored counterpart: concerns on offer, the model challenge, and the graph."""

    concerns: list[Concern] = Field(min_length=1)
    model: Challenge = Field(description="The model challenge, shown in the debrief and "
                             "put by the perfect player; the lint proves it reaches the "
                             "best ending.")
    steps: list[str] = Field(
        default_factory=list, description="Steps or stages where this conversation is held "
        "with the counterpart; empty = the first step only.")
    start: str = Field(pattern=ID_PATTERN)
    nodes: list[Node] = Field(min_length=1)

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)
