"""The other professional answers a challenge: an authored conversation walked from what was
put and the world's state, or the general model for cases without one.

Both return a `Transcript` whose `reasons` say, in plain words, which parts of the challenge
made the difference: the debrief shows them beside the model challenge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scenarios.conversation_schema import (
    ASK_WORDS,
    PUSHBACK_WORDS,
    RESOLVING,
    Challenge,
    Concern,
    Conversation,
    Fact,
    When,
)

# The general model: each part's weight in a challenge's strength (0..1). Documented in
# docs/authoring.md; the direction (stronger → agreement more often) is tested.
WEIGHTS = {"concern": 0.25, "facts": 0.30, "rationale": 0.15, "ask": 0.15, "tone": 0.15}
FACTS_FOR_FULL_WEIGHT = 3
IRRELEVANT_FACT_PENALTY = 0.05
LOGIT_SPREAD = 4.0  # strength 1 adds +2 to the log-odds of agreement, strength 0 takes 2


@dataclass(frozen=True)
class WorldState:
    """What the conditions may ask of the world when the answer is given."""

    fired: frozenset[str] = frozenset()  # scripted events that have happened
    at: frozenset[str] = frozenset()  # the current step id and stage id


@dataclass
class Transcript:
    """The other professional's answer to one challenge."""

    said: list[str]  # their lines, in order
    agrees: bool
    outcome: str  # agree | partial | maintain | rationale_sound
    path: list[str] = field(default_factory=list)  # node ids (authored only)
    pushback: list[str] = field(default_factory=list)
    revealed: list[str] = field(default_factory=list)  # hidden fact ids now known
    score: int | None = None  # the ending's score (authored only)
    feedback: str = ""
    reasons: list[str] = field(default_factory=list)
    chance: float | None = None  # the general model's chance of agreement


def relevant_put(challenge: Challenge, facts: dict[str, Fact]) -> list[Fact]:
    return [facts[f] for f in challenge.facts if f in facts and facts[f].relevant]


def matches(when: When, challenge: Challenge, facts: dict[str, Fact],
            state: WorldState) -> bool:
    """Whether every condition given holds for this challenge in this world."""
    put = set(challenge.facts)
    checks = [
        when.concern is None or challenge.concern in when.concern,
        set(when.facts_all) <= put,
        not when.facts_any or bool(put & set(when.facts_any)),
        when.relevant_facts_min is None
        or len(relevant_put(challenge, facts)) >= when.relevant_facts_min,
        when.asks_rationale is None or challenge.asks_rationale == when.asks_rationale,
        when.ask is None or challenge.ask in when.ask,
        when.tone is None or challenge.tone == when.tone,
        when.after_event is None or when.after_event in state.fired,
        when.not_after_event is None or when.not_after_event not in state.fired,
        when.step is None or bool(state.at & set(when.step)),
    ]
    return all(checks)


def converse(conversation: Conversation, challenge: Challenge, facts: dict[str, Fact],
             state: WorldState) -> Transcript:
    """Walk the authored graph from the start, taking the first branch whose conditions hold
    at each node, to an ending (the loader has proved the graph acyclic and complete)."""
    concerns = {c.id: c for c in conversation.concerns}
    node = conversation.node(conversation.start)
    said, path, pushback, revealed = [], [], [], []
    for _ in range(len(conversation.nodes)):
        said.append(" ".join(node.say.split()))
        path.append(node.id)
        if node.pushback != "none":
            pushback.append(node.pushback)
        revealed.extend(node.reveals)
        if node.ending is not None:
            ending = node.ending
            return Transcript(said, ending.outcome in RESOLVING, ending.outcome, path,
                              pushback, revealed, ending.score, ending.feedback,
                              reasons(challenge, facts, concerns))
        branch = next(b for b in node.branches if matches(b.when, challenge, facts, state))
        node = conversation.node(branch.goto)
    raise ValueError("the conversation never reached an ending")  # the loader prevents it


def strength(challenge: Challenge, concerns: dict[str, Concern],
             facts: dict[str, Fact]) -> float:
    """How strong a challenge is, 0..1, from its explainable parts only (never free text)."""
    concern = concerns.get(challenge.concern or "")
    relevant = len(relevant_put(challenge, facts))
    clutter = sum(1 for f in challenge.facts if f in facts and not facts[f].relevant)
    value = (WEIGHTS["concern"] * bool(concern and concern.explicit)
             + WEIGHTS["facts"] * min(relevant, FACTS_FOR_FULL_WEIGHT) / FACTS_FOR_FULL_WEIGHT
             - IRRELEVANT_FACT_PENALTY * clutter
             + WEIGHTS["rationale"] * challenge.asks_rationale
             + WEIGHTS["ask"] * (challenge.ask is not None)
             + WEIGHTS["tone"] * (challenge.tone == "curious"))
    return min(1.0, max(0.0, value))


def general_chance(base: float, value: float) -> float:
    """The chance of agreement after a challenge of this strength: the policy's chance for
    the step, moved on the log-odds scale (a middling challenge leaves it as it was)."""
    base = min(max(base, 1e-6), 1 - 1e-6)
    logit = math.log(base / (1 - base)) + LOGIT_SPREAD * (value - 0.5)
    return 1 / (1 + math.exp(-logit))


def general_answer(challenge: Challenge, concerns: dict[str, Concern],
                   facts: dict[str, Fact], base: float, draw: float) -> Transcript:
    """The general model's answer, decided by the step's own stance draw (common random
    numbers: the same seed gives a stronger challenge agreement whenever a weaker one got
    it)."""
    chance = general_chance(base, strength(challenge, concerns, facts))
    agrees = draw < chance
    if agrees:
        ask = ASK_WORDS[challenge.ask or "reconsider"]
        said = [f"Thank you for setting that out. I agree to what you ask: {ask}."]
    else:
        said = ["I have listened, but I still think our decision was right."]
    return Transcript(said, agrees, "agree" if agrees else "maintain",
                      reasons=reasons(challenge, facts, concerns), chance=chance)


def reasons(challenge: Challenge, facts: dict[str, Fact],
            concerns: dict[str, Concern]) -> list[str]:
    """What the challenge did and left out, in plain words, for the debrief."""
    out = []
    relevant = relevant_put(challenge, facts)
    concern = concerns.get(challenge.concern or "")
    if concern is None:
        out.append("you did not name the concern")
    elif concern.explicit:
        out.append("you named the concern explicitly")
    else:
        out.append(f"the concern you named (\"{concern.text.rstrip('.')}\") was not the "
                   "problem stated explicitly")
    if relevant:
        dated = "; ".join(f"{f.text.rstrip('.')} ({f.on:%d %b})" for f in relevant)
        out.append(f"you put {len(relevant)} dated fact(s): {dated}")
    else:
        out.append("you put no dated facts that bear on the concern")
    if challenge.asks_rationale:
        out.append("you asked for their rationale")
    else:
        out.append("you did not ask for their rationale")
    if challenge.ask:
        out.append(f"you asked for {ASK_WORDS[challenge.ask]}")
    else:
        out.append("you did not say what you were asking for")
    if challenge.tone == "accusatory":
        out.append("your tone was accusatory")
    return out


def render_challenge(challenge: Challenge, concerns: dict[str, Concern],
                     facts: dict[str, Fact]) -> str:
    """The challenge as the trainee put it, in one paragraph (for the transcript)."""
    parts = []
    if challenge.tone == "accusatory":
        parts.append("I think you have got this wrong.")
    concern = concerns.get(challenge.concern or "")
    if concern is not None:
        parts.append(f"My concern is: {concern.text.rstrip('.')}.")
    for fact_id in challenge.facts:
        fact = facts.get(fact_id)
        if fact is not None:
            parts.append(f"On {fact.on:%d %b %Y}: {fact.text.rstrip('.')}.")
    if challenge.asks_rationale:
        parts.append("Can you help me understand the reasons for your decision?")
    if challenge.ask:
        parts.append(f"I am asking for {ASK_WORDS[challenge.ask]}.")
    if challenge.free_text.strip():
        parts.append(challenge.free_text.strip())
    return " ".join(parts) or "(you said nothing specific)"


def pushback_words(kind: str) -> str:
    return PUSHBACK_WORDS.get(kind, kind)
