"""Cross-checks of an authored conversation that the schema alone cannot express.

Every node is reachable from the start, every branch leads to a node that exists, every
path ends in a scored ending, and every fact, concern, event and step it names exists in
the case. Each finding is ``(field path, message)`` so the loader can name file and line.
"""

from __future__ import annotations

from collections.abc import Iterator

from scenarios.conversation_schema import Conversation, When
from scenarios.policy_schema import Policy
from scenarios.scenario_schema import Scenario
from scenarios.yaml_source import Path

Finding = tuple[Path, str]
ROOT: Path = ("conversation",)


def check_conversation(scenario: Scenario, policy: Policy) -> Iterator[Finding]:
    facts = [f.id for f in scenario.facts]
    yield from _duplicates(facts, ("facts",), "fact")
    events = {e.id for e in scenario.events}
    for index, fact in enumerate(scenario.facts):
        if fact.after_event is not None and fact.after_event not in events:
            yield ("facts", index, "after_event"), _unknown(fact.after_event, events, "event")
    conversation = scenario.conversation
    if conversation is None:
        return
    ids = [n.id for n in conversation.nodes]
    yield from _duplicates(ids, (*ROOT, "nodes"), "node")
    yield from _duplicates([c.id for c in conversation.concerns], (*ROOT, "concerns"),
                           "concern")
    known = {
        "fact": set(facts),
        "concern": {c.id for c in conversation.concerns},
        "event": {e.id for e in scenario.events},
        "step": {s.id for _, s in policy.steps()} | {s.id for s in policy.stages},
        "node": set(ids),
    }
    hidden = {f.id for f in scenario.facts if f.hidden}
    yield from _check_model(conversation, known, hidden)
    for value in conversation.steps:
        if value not in known["step"]:
            yield (*ROOT, "steps"), _unknown(value, known["step"], "step")
    if conversation.start not in known["node"]:
        yield (*ROOT, "start"), _unknown(conversation.start, known["node"], "node")
    for index, node in enumerate(conversation.nodes):
        at = (*ROOT, "nodes", index)
        for number, fact in enumerate(node.reveals):
            if fact not in known["fact"]:
                yield (*at, "reveals", number), _unknown(fact, known["fact"], "fact")
            elif fact not in hidden:
                yield (*at, "reveals", number), (
                    f"fact '{fact}' is not hidden: the trainee knows it already (set "
                    "'hidden: true' on the fact)")
        for number, branch in enumerate(node.branches):
            where = (*at, "branches", number)
            if branch.goto not in known["node"]:
                yield (*where, "goto"), _unknown(branch.goto, known["node"], "node")
            yield from _check_when(branch.when, (*where, "when"), known)
        if node.branches and not _always(node.branches[-1].when):
            yield (*at, "branches"), ("the last branch needs no 'when' (the answer when "
                                      "nothing else matches), so every challenge gets a reply")
    reachable = _reachable(conversation)
    for index, node in enumerate(conversation.nodes):
        if node.id not in reachable:
            yield (*ROOT, "nodes", index, "id"), (f"node '{node.id}' can never be reached "
                                                  f"from the start '{conversation.start}'")
    for index in _cycles(conversation):
        yield (*ROOT, "nodes", index, "branches"), ("this node leads back to itself: a "
                                                     "conversation must reach an ending")


def _check_model(conversation: Conversation, known: dict[str, set[str]],
                 hidden: set[str]) -> Iterator[Finding]:
    model = conversation.model
    at = (*ROOT, "model")
    if model.concern is not None and model.concern not in known["concern"]:
        yield (*at, "concern"), _unknown(model.concern, known["concern"], "concern")
    for index, fact in enumerate(model.facts):
        if fact not in known["fact"]:
            yield (*at, "facts", index), _unknown(fact, known["fact"], "fact")


def _check_when(when: When, at: Path, known: dict[str, set[str]]) -> Iterator[Finding]:
    for name, kind in (("facts_all", "fact"), ("facts_any", "fact"), ("concern", "concern"),
                       ("step", "step")):
        for index, value in enumerate(getattr(when, name) or []):
            if value not in known[kind]:
                yield (*at, name, index), _unknown(value, known[kind], kind)
    for name in ("after_event", "not_after_event"):
        value = getattr(when, name)
        if value is not None and value not in known["event"]:
            yield (*at, name), _unknown(value, known["event"], "event")


def _always(when: When) -> bool:
    return not when.model_dump(exclude_defaults=True)


def _reachable(conversation: Conversation) -> set[str]:
    by_id = {n.id: n for n in conversation.nodes}
    seen: set[str] = set()
    todo = [conversation.start]
    while todo:
        node_id = todo.pop()
        if node_id in seen or node_id not in by_id:
            continue
        seen.add(node_id)
        todo.extend(b.goto for b in by_id[node_id].branches)
    return seen


def _cycles(conversation: Conversation) -> list[int]:
    """Indexes of nodes on a cycle (a conversation that could go round for ever)."""
    by_id = {n.id: n for n in conversation.nodes}
    state: dict[str, int] = {}  # 1 = on the path, 2 = done
    found: list[int] = []

    def visit(node_id: str) -> None:
        state[node_id] = 1
        for branch in by_id[node_id].branches:
            nxt = branch.goto
            if nxt not in by_id:
                continue
            if state.get(nxt) == 1:
                found.append(next(i for i, n in enumerate(conversation.nodes) if n.id == nxt))
            elif nxt not in state:
                visit(nxt)
        state[node_id] = 2

    for node in conversation.nodes:
        if node.id not in state:
            visit(node.id)
    return sorted(set(found))


def _duplicates(ids: list[str], path: Path, what: str) -> Iterator[Finding]:
    seen: set[str] = set()
    for index, value in enumerate(ids):
        if value in seen:
            yield (*path, index, "id"), f"{what} id '{value}' is used twice"
        seen.add(value)


def _unknown(value: str, known: set[str], what: str) -> str:
    listed = ", ".join(sorted(known)) or "none defined"
    return f"unknown {what} '{value}' (expected one of: {listed})"
