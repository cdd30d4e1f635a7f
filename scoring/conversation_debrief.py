"""The conversation part of the debrief: each challenge the trainee put and the answer,
beside the model challenge, with what made the difference.

Built only from the explainable parts of a challenge (free text is shown, never judged).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scenarios.conversation_schema import ASK_WORDS, TONE_WORDS, Challenge, Fact
from sim.conversation import render_challenge
from sim.session import Session

OUTCOME_WORDS = {
    "agree": "they agreed",
    "partial": "they agreed in part",
    "maintain": "they kept their position",
    "rationale_sound": "their rationale was sound: the good answer was to accept it and "
                       "record why",
}


@dataclass
class Exchange:
    """One challenge and its answer, as the debrief shows it."""

    at: str
    said: str
    reply: list[str]
    outcome: str
    feedback: str = ""
    score: int | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass
class ConversationDebrief:
    yours: list[Exchange]
    model: Exchange | None
    difference: list[str]


def _exchange(entry: dict[str, Any]) -> Exchange:
    return Exchange(entry["at"].replace("T", " ")[:16], entry["said"],
                    list(entry["reply"]), OUTCOME_WORDS.get(entry["outcome"], entry["outcome"]),
                    entry.get("feedback") or "", entry.get("score"),
                    list(entry.get("reasons") or []))


def conversation_debrief(session: Session, good: Session) -> ConversationDebrief | None:
    """None when nobody challenged anyone and the scenario has no model challenge."""
    mine = [_exchange(c) for c in session.conversations]
    held = [c for c in good.conversations if c["authored"]]
    model = _exchange(held[0]) if held else None
    conversation = session.scenario.conversation
    if model is None and conversation is not None:
        concerns = {c.id: c for c in session.concerns}
        facts = session.all_facts
        model = Exchange("", render_challenge(conversation.model, concerns, facts), [], "")
    if not mine and model is None:
        return None
    if conversation is not None and any(
            _parts(c["challenge"]) == _parts(conversation.model.model_dump(mode="json"))
            for c in session.conversations):
        model = None  # you put the model challenge: no need to show it twice
    return ConversationDebrief(mine, model, difference(session, good))


def _parts(challenge: dict[str, Any]) -> dict[str, Any]:
    """A challenge's scored parts (free text is never compared)."""
    return {k: v for k, v in challenge.items() if k != "free_text"}


def difference(session: Session, good: Session) -> list[str]:
    """What separated the trainee's best challenge from the model one, in plain words."""
    conversation = session.scenario.conversation
    if conversation is None:
        return []
    facts = session.all_facts
    model = conversation.model
    if not session.conversations:
        return ["You never put a challenge to the other professional: the model challenge "
                "below is what a good first conversation sounds like."]
    best = max(session.conversations, key=lambda c: (c.get("score") or 0, c["agrees"]))
    mine = Challenge.model_validate(best["challenge"])
    out = [best.get("feedback") or f"Your challenge ended: {OUTCOME_WORDS[best['outcome']]}."]
    if _parts(best["challenge"]) == _parts(model.model_dump(mode="json")):
        return [*out, "Your challenge had every part of the model challenge."]
    missing = [facts[f] for f in model.facts if f not in mine.facts and f in facts]
    if missing:
        out.append("The model challenge also put " + _dated(missing) + ".")
    if model.concern and mine.concern != model.concern:
        out.append("It named the concern explicitly: "
                   f"\"{_concern_text(session, model.concern).rstrip('.')}\".")
    if model.asks_rationale and not mine.asks_rationale:
        out.append("It asked for their rationale, which is how professional curiosity "
                   "brings out what you did not know.")
    if model.ask and mine.ask != model.ask:
        out.append(f"It asked for {ASK_WORDS[model.ask]}.")
    if mine.tone != model.tone:
        out.append(f"Its tone was {TONE_WORDS[model.tone]}, not {TONE_WORDS[mine.tone]}.")
    learned = [facts[f] for f in good.revealed if f not in session.revealed and f in facts]
    if learned:
        out.append("Asking would have brought out: " + _dated(learned) + ".")
    return out


def _dated(facts: list[Fact]) -> str:
    return "; ".join(f"{f.text.rstrip('.')} ({f.on:%d %b})" for f in facts)


def _concern_text(session: Session, concern_id: str) -> str:
    return next((c.text for c in session.concerns if c.id == concern_id), concern_id)
