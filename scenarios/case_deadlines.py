"""A policy's deadlines as they apply to one case: its priority's tier, and the deadlines a
role sets (or the parties agree) during the case.

`for_case` turns both into plain deadlines that everything downstream already reads (the
Session and its messages, `sim.verdicts`, the deadline bar, scoring, the players), as
`scenarios.home_authority` does for the home authority's desks, so no reader needs to know
about tiers:

- a deadline with ``by_priority`` becomes the tier of the case's priority (or the policy's
  default priority), its words saying which tier applied ("Urgent case: within 1 working
  day"); a priority the deadline does not list gets the outer fields;
- a deadline with ``set_by`` is anchored on ``set:<item id>``, which the Session records
  when that role replies at the step or stage; until then it has no due time (pending).
  The scenario may say what the role sets (`Scenario.set_deadlines`).

`for_stress` is the stress engines' approximation (they compile one ladder for every case):
the default tier (else the commonest in ``behaviour.priority_mix``), and a set deadline
counted from the moment its step or stage is entered, as if the role set it at once. The
Session-sampled stress table plays each case's own priority and set moment.
"""

from __future__ import annotations

from collections.abc import Callable

from scenarios.policy_schema import Deadline, Policy, Stage

SET_PREFIX = "set:"
PARTIES = "parties"


def set_anchor(item_id: str) -> str:
    """The anchor a deadline set during the case counts from: when it was set."""
    return f"{SET_PREFIX}{item_id}"


def uses_case_deadlines(policy: Policy) -> bool:
    """Whether any deadline of the policy has tiers or is set during the case."""
    return any(d.by_priority or d.set_by for d in all_deadlines(policy))


def all_deadlines(policy: Policy) -> list[Deadline]:
    """Every deadline of the policy a case can be held to (not the emergency routes)."""
    out = [d for stage in _all_stages(policy) for d in
           (stage.deadline, *(step.deadline for step in stage.steps)) if d is not None]
    out += [d for d in (policy.total_cap, *(r.deadline for r in policy.outside_routes),
                        *(duty.by for duty in policy.duties)) if d is not None]
    return out


def case_priority(policy: Policy, priority: str | None) -> str | None:
    """The priority a case is played at: its own, else the policy's default."""
    return priority or policy.default_priority


def tier(deadline: Deadline, policy: Policy, priority: str | None) -> Deadline | None:
    """The deadline a case of this priority is held to (None: none for that priority)."""
    if not deadline.by_priority:
        return deadline
    chosen = case_priority(policy, priority)
    found = deadline.by_priority.get(chosen) if chosen else None
    if found is None:
        if deadline.day is None and deadline.unit is None and not deadline.earliest_of:
            return None
        return deadline.model_copy(update={"by_priority": {}})
    inherited = {name: getattr(deadline, name) for name in ("after", "advisory", "set_by")
                 if name not in found.model_fields_set}
    title = policy.priority(chosen).title if policy.priority(chosen) else chosen
    return found.model_copy(update={**inherited,
                                    "text": f"{title} case: {found.text or words(found)}"})


def words(deadline: Deadline) -> str:
    """Plain words for a tier the policy gave no words for."""
    if deadline.day is not None:
        return f"Day {deadline.day}"
    if deadline.unit == "asap":
        return "as soon as possible"
    if deadline.unit == "same_working_day":
        return "the same working day"
    if deadline.unit is not None:
        return f"within {deadline.within:g} {deadline.unit.replace('_', ' ')}"
    return "whichever is sooner of its limits"


def for_case(policy: Policy, priority: str | None = None,
             set_deadlines: dict | None = None) -> Policy:
    """The policy with each deadline as this case is held to it (see the module docstring).

    Idempotent: a policy already made for a case comes back the same (the model answer is
    built from the trainee's session's policy)."""
    if not uses_case_deadlines(policy):
        return policy
    chosen = case_priority(policy, priority)
    overrides = set_deadlines or {}

    def resolve(deadline: Deadline | None, item: str | None) -> Deadline | None:
        if deadline is None:
            return None
        found = tier(deadline, policy, chosen)
        if found is None or found.set_by is None or item is None:
            return found
        update: dict = {"after": set_anchor(item)}
        if item in overrides:
            update |= {"within": overrides[item].within, "unit": overrides[item].unit}
        return found.model_copy(update=update)

    return _rebuilt(policy, resolve)


def for_stress(policy: Policy) -> Policy:
    """The policy as the stress engines play it: the default tier (else the commonest of
    ``behaviour.priority_mix``), and each deadline set during the case counted from the
    moment its step or stage is entered (the end of the step or stage before)."""
    if not uses_case_deadlines(policy):
        return policy
    mix = policy.behaviour.priority_mix
    chosen = policy.default_priority or (max(mix, key=mix.__getitem__) if mix else None)
    entered: dict[str, str] = {}
    previous = "start"
    for stage in policy.stages:
        entered[stage.id] = previous
        for step in stage.steps:
            entered[step.id] = previous
            previous = step.id

    def resolve(deadline: Deadline | None, item: str | None) -> Deadline | None:
        found = tier(deadline, policy, chosen) if deadline is not None else None
        if found is None or found.set_by is None:
            return found
        return found.model_copy(update={"set_by": None,
                                        "after": entered.get(item or "", "start")})

    return _rebuilt(policy, resolve)


Resolver = Callable[[Deadline | None, str | None], Deadline | None]


def _rebuilt(policy: Policy, resolve: Resolver) -> Policy:
    def stages(items: list[Stage]) -> list[Stage]:
        return [stage.model_copy(update={
            "deadline": resolve(stage.deadline, stage.id),
            "steps": [step.model_copy(update={"deadline": resolve(step.deadline, step.id)})
                      for step in stage.steps]}) for stage in items]

    changed = policy.model_copy(update={
        "stages": stages(policy.stages),
        "procedures": [p.model_copy(update={"stages": stages(p.stages)})
                       for p in policy.procedures],
        "total_cap": resolve(policy.total_cap, None),
        "outside_routes": [r.model_copy(update={"deadline": resolve(r.deadline, None)})
                           for r in policy.outside_routes],
        "duties": [d.model_copy(update={"by": resolve(d.by, None)}) for d in policy.duties],
    })
    changed.model_post_init(None)  # the copied steps learn whose roles are whose
    return changed


def _all_stages(policy: Policy) -> list[Stage]:
    return [*policy.stages, *(s for p in policy.procedures for s in p.stages)]
