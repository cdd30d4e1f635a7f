"""How a step or stage is named to a trainee: one function, so the Session's messages, the
deadline bar, scoring and the debrief all say the same thing."""

from __future__ import annotations

from scenarios.policy_schema import Deadline, Policy, Stage, Step

TOTAL_CAP = "total"
"""The item id of the policy's total cap, beside the ids of its stages and steps."""


def item_label(ladder: list[tuple[Stage, Step]], item_id: str) -> str:
    """A stage's name, or a step's: the stage name alone when the step is the whole stage
    or its action repeats the stage name, else "Stage (action)"."""
    for stage, step in ladder:
        if step.id == item_id:
            action = _first_sentence(step.action).rstrip(".")
            if action.lower() in stage.name.lower() or len(stage.steps) == 1:
                return stage.name
            return f"{stage.name} ({action[:1].lower() + action[1:]})"
        if stage.id == item_id:
            return stage.name
    if item_id == TOTAL_CAP:
        return "The whole procedure"
    return item_id


def procedure_item_label(policy: Policy, item_id: str) -> str | None:
    """A sub-procedure's step or stage named with the procedure's title ("Dissent at a
    conference (raise it with the chair)"); None for an id that is not one of them."""
    for procedure in policy.procedures:
        for stage in procedure.stages:
            if stage.id == item_id:
                return f"{procedure.title}: {stage.name}" if len(procedure.stages) > 1 \
                    else procedure.title
            for step in stage.steps:
                if step.id == item_id:
                    action = _first_sentence(step.action).rstrip(".")
                    return f"{procedure.title} ({action[:1].lower() + action[1:]})"
    return None


def deadline_words(deadline: Deadline | None) -> str:
    """The policy's own words for a deadline, without brackets of their own (callers put
    them in brackets: "(To be concluded by Day 9)" would otherwise print doubled)."""
    text = (deadline.text if deadline else None) or "the policy's timescale"
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    return text


def _first_sentence(text: str) -> str:
    head = text.split(". ")[0].strip()
    return head if head.endswith(".") else head + "."
