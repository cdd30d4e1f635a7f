"""`escalate check` for conditional steps, stages and emergency routes (`Condition`).

A condition is refused where it would leave a case with nothing to do or a clock that
never starts: on the ladder's first step (every disagreement starts there), a deadline
counted from a step some case that owes the deadline never reaches, a route no case can
take (an earlier route catches every case it matches), and a case with no route at all.
"""

from __future__ import annotations

from collections.abc import Iterator

from scenarios.conditions import CaseFacts, every_case, ladder_for, route_for
from scenarios.policy_schema import Condition, Deadline, Policy
from scenarios.yaml_source import Path

Finding = tuple[Path, str]


def check_conditions(policy: Policy) -> Iterator[Finding]:
    yield from _first_step(policy)
    yield from _police_on_ladder(policy)
    yield from _anchors(policy)
    yield from _routes(policy)


def _first_step(policy: Policy) -> Iterator[Finding]:
    first = policy.stages[0]
    if first.only_if is not None:
        yield ("stages", 0, "only_if"), ("the first stage applies to every case (every "
                                         "disagreement starts there): remove 'only_if'")
    if first.steps[0].only_if is not None:
        yield ("stages", 0, "steps", 0, "only_if"), (
            "the first step applies to every case (every disagreement starts there): put the "
            "conditional step after it, or remove 'only_if'")


def _police_on_ladder(policy: Policy) -> Iterator[Finding]:
    for s_index, stage in enumerate(policy.stages):
        places: list[tuple[Path, Condition | None]] = [(("stages", s_index), stage.only_if)]
        places += [(("stages", s_index, "steps", t), step.only_if)
                   for t, step in enumerate(stage.steps)]
        for at, condition in places:
            if condition is not None and condition.police_matter is not None:
                yield (*at, "only_if", "police_matter"), (
                    "whether the facts state a crime is known only when a risk arises: "
                    "'police_matter' belongs to an emergency route's condition")


def _anchor_ids(deadline: Deadline) -> set[str]:
    return {deadline.after} | {a for d in deadline.earliest_of for a in _anchor_ids(d)}


def _anchors(policy: Policy) -> Iterator[Finding]:
    """A deadline counted from a conditional step is owed only by cases that reach it."""
    ids = {s.id for s in policy.stages} | {step.id for _, step in policy.steps()}
    refused: set[Path] = set()
    for facts in every_case():
        if facts.police_matter:
            continue
        ladder = ladder_for(policy, facts)
        present = {s.id for s, _ in ladder} | {step.id for _, step in ladder}
        for s_index, stage in enumerate(policy.stages):
            items: list[tuple[Path, str, Deadline | None]] = [
                (("stages", s_index, "deadline"), stage.id, stage.deadline)]
            items += [(("stages", s_index, "steps", t, "deadline"), step.id, step.deadline)
                      for t, step in enumerate(stage.steps)]
            for at, item, deadline in items:
                if deadline is None or item not in present or at in refused:
                    continue
                missing = sorted((_anchor_ids(deadline) & ids) - present)
                if missing:
                    refused.add(at)
                    yield (*at, "after"), (
                        f"counted from '{missing[0]}', which a case {_facts_words(facts)} "
                        f"never reaches (its 'only_if'), though it owes '{item}': give "
                        f"'{item}' the same condition, or count from a step every such "
                        "case reaches")


def _routes(policy: Policy) -> Iterator[Finding]:
    routes = policy.emergency_routes
    if not routes:
        return
    chosen: set[str] = set()
    uncovered: CaseFacts | None = None
    for facts in every_case():
        route = route_for(policy, facts)
        if route is None:
            uncovered = uncovered or facts
        else:
            chosen.add(route.id)
    for index, route in enumerate(routes):
        if route.id not in chosen:
            earlier = next((r.id for r in routes[:index] if r.only_if is None), routes[0].id)
            yield ("emergency_routes", index, "only_if"), (
                f"route '{route.id}' can never be used: every case it matches takes an "
                f"earlier route first ('{earlier}'); a case's route is the first listed "
                "whose condition matches, so put the narrower route first")
    if uncovered is not None:
        yield ("emergency_routes", len(routes) - 1, "only_if"), (
            f"no emergency route applies to a case {_facts_words(uncovered)}: a child at "
            "immediate risk always needs one; make the last route unconditional")


def _facts_words(facts: CaseFacts) -> str:
    allocated = "a social worker allocated" if facts.allocated_social_worker else (
        "no social worker allocated")
    police = ", a police matter" if facts.police_matter else ""
    return (f"(plan: {facts.plan_status}, {allocated}, level of need: "
            f"{facts.level_of_need}{police})")


def condition_notes(policy: Policy) -> list[str]:
    """What the stress engines approximate: they draw no plan or allocation per case, so
    they compile the ladder and route of one case (`scenarios.conditions.ENGINE_CASE`)."""
    where = [f"step '{step.id}' applies {step.only_if.words}" for _, step in policy.steps()
             if step.only_if is not None]
    where += [f"stage '{stage.id}' applies {stage.only_if.words}" for stage in policy.stages
              if stage.only_if is not None]
    where += [f"emergency route '{r.id}' applies {r.only_if.words}"
              for r in policy.emergency_routes if r.only_if is not None]
    return [f"{what}: played, listed and judged for each case; the stress engines (SimPy and "
            "numpy) play the ladder and route of a child in need with an allocated social "
            "worker and no plan" for what in where]
