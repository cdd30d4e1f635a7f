"""Cross-reference checks that a schema alone cannot express.

Each check yields ``(field path, message)`` so the loader can point at the exact line.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from scenarios.citations import collapse, markup_in, missing_part, normalise
from scenarios.condition_checks import check_conditions, condition_notes
from scenarios.conversation_checks import check_conversation
from scenarios.policy_schema import DEADLINE_JUDGES, Behaviour, Deadline, Duty, Policy, Stage
from scenarios.scenario_schema import Scenario
from scenarios.yaml_source import Path

Finding = tuple[Path, str]

# What the engine can play. Its working calendar (`sim.calendar.WorkingCalendar`) knows
# England's bank holidays for 2018–2035; a case runs for at most 120 days and a delay
# can reach 250 working days (about a year) after that, so a case must start by mid-2034.
PLAYABLE_FIRST = datetime(2018, 1, 1)
PLAYABLE_LAST = datetime(2034, 6, 30, 23, 59)
MAX_HOURS = 2000.0  # about a year of working hours
MAX_DAYS = 250  # about a year of working days
MAX_SIGMA = 5.0  # a lognormal's spread: e**5 is already ~150 times the median
LOCAL_TIME = "a local date and time such as 2026-03-10T09:30"


def _numbers(value: Any, path: Path) -> Iterator[Finding]:
    """Every number in a model dump must be finite ('.inf', '1e999' and 'nan' validate)."""
    if isinstance(value, float) and not math.isfinite(value):
        yield path, f"{value} is not a number that can be played"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _numbers(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _numbers(item, (*path, index))


def _at_most(value: float | None, limit: float, path: Path, what: str) -> Iterator[Finding]:
    if value is not None and math.isfinite(value) and value > limit:
        unit = f" {what}" if what else ""
        yield path, f"{value:g} is too large to play (at most {limit:g}{unit})"


def _check_playable_policy(policy: Policy) -> Iterator[Finding]:
    yield from _numbers(policy.model_dump(), ())
    yield from _check_playable_behaviour(policy.behaviour, ("behaviour",))
    for path, deadline in _deadlines(policy):
        yield from _check_playable_deadline(deadline, path)


def _deadlines(policy: Policy) -> Iterator[tuple[Path, Deadline]]:
    ladders: list[tuple[Path, list[Stage]]] = [(("stages",), policy.stages)]
    ladders += [(("procedures", i, "stages"), p.stages) for i, p in enumerate(policy.procedures)]
    for path, stages in ladders:
        for s_index, stage in enumerate(stages):
            if stage.deadline is not None:
                yield (*path, s_index, "deadline"), stage.deadline
            for t_index, step in enumerate(stage.steps):
                if step.deadline is not None:
                    yield (*path, s_index, "steps", t_index, "deadline"), step.deadline
    for index, other in enumerate(policy.outside_routes):
        if other.deadline is not None:
            yield ("outside_routes", index, "deadline"), other.deadline
    for index, route in enumerate(policy.emergency_routes):
        for name in ("deadline", "out_of_hours_deadline"):
            deadline = getattr(route, name, None)
            if isinstance(deadline, Deadline):
                yield ("emergency_routes", index, name), deadline


def _check_playable_deadline(deadline: Deadline, path: Path) -> Iterator[Finding]:
    if deadline.day is not None:
        yield from _at_most(deadline.day, MAX_DAYS, (*path, "day"), "days")
    if deadline.within is not None:
        hours = deadline.unit in ("working_hours", "hours")
        yield from _at_most(deadline.within, MAX_HOURS if hours else MAX_DAYS,
                            (*path, "within"), "hours" if hours else "days")
    for index, option in enumerate(deadline.earliest_of):
        yield from _check_playable_deadline(option, (*path, "earliest_of", index))
    for key, option in deadline.by_priority.items():
        yield from _check_playable_deadline(option, (*path, "by_priority", key))


def _check_playable_behaviour(behaviour: Behaviour, path: Path) -> Iterator[Finding]:
    for name in ("reply_hours", "meeting_hours"):
        dist = getattr(behaviour, name)
        yield from _at_most(dist.median, MAX_HOURS, (*path, name, "median"), "hours")
        yield from _at_most(dist.mean, MAX_HOURS, (*path, name, "mean"), "hours")
        yield from _at_most(dist.sigma, MAX_SIGMA, (*path, name, "sigma"), "")
    yield from _at_most(behaviour.absence_days, MAX_DAYS, (*path, "absence_days"), "days")
    yield from _at_most(behaviour.out_of_hours_reply_minutes, MAX_HOURS * 60,
                        (*path, "out_of_hours_reply_minutes"), "minutes")
    for key, factor in behaviour.category_factor.items():
        yield from _at_most(factor, 1000.0, (*path, "category_factor", key), "")


def _check_playable_scenario(scenario: Scenario, policy: Policy) -> Iterator[Finding]:
    yield from _numbers(scenario.model_dump(), ())
    start = scenario.start
    if start.tzinfo is not None:
        yield ("start",), (f"give {LOCAL_TIME}, with no time zone or UTC offset (a number "
                           "is read as a UTC timestamp)")
    elif not PLAYABLE_FIRST <= start <= PLAYABLE_LAST:
        yield ("start",), (f"the working calendar covers cases starting from "
                           f"{PLAYABLE_FIRST:%d %B %Y} to {PLAYABLE_LAST:%d %B %Y}; "
                           f"{start:%Y-%m-%d} is outside it")
    for index, event in enumerate(scenario.events):
        yield from _at_most(event.after_hours, MAX_HOURS, ("events", index, "after_hours"),
                            "hours")
        when = event.at
        if when is not None and when.tzinfo is None and start.tzinfo is None and (
                when > start + timedelta(days=366)):
            yield ("events", index, "at"), "more than a year after the start: it cannot happen"
    for role_id, hours in scenario.fixed.reply_hours.items():
        if hours < 0:
            yield ("fixed", "reply_hours", role_id), f"{hours:g} hours: a reply cannot come " \
                "before the contact (give 0 or more)"
        yield from _at_most(hours, MAX_HOURS, ("fixed", "reply_hours", role_id), "hours")
    risk = scenario.fixed.risk_after_hours
    if isinstance(risk, float | int):
        yield from _at_most(risk, MAX_HOURS, ("fixed", "risk_after_hours"), "hours")
    try:
        behaviour = merged_behaviour(policy, scenario.behaviour)
    except (ValidationError, TypeError, ValueError):
        return  # reported by the behaviour check
    yield from _numbers(behaviour.model_dump(), ("behaviour",))
    yield from _check_playable_behaviour(behaviour, ("behaviour",))


def _duplicates(items: list[Any], path: Path, what: str) -> Iterator[Finding]:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.id in seen:
            yield (*path, index, "id"), f"duplicate {what} id '{item.id}'"
        seen.add(item.id)


def _unknown(value: str, known: set[str], what: str) -> str:
    options = ", ".join(sorted(known)) if len(known) <= 12 else f"{len(known)} known ids"
    return f"unknown {what} '{value}' (expected one of: {options})"


def check_policy(policy: Policy, source: str | None = None) -> list[Finding]:
    """Cross-references, and every rule quote against the source document's text when it is
    available (``source``)."""
    return [
        *_check_ids(policy),
        *_check_roles(policy),
        *_check_stages(policy),
        *_check_routes(policy),
        *check_conditions(policy),
        *_check_deadline_order(policy.stages, ("stages",)),
        *_check_deadlines_judged(policy),
        *_check_total_cap(policy),
        *_check_model_events(policy),
        *_check_advisory(policy),
        *_check_stage_vocabulary(policy),
        *_check_case_deadlines(policy),
        *_check_quotes(policy, source),
        *_check_playable_policy(policy),
    ]


def _check_quotes(policy: Policy, source: str | None) -> Iterator[Finding]:
    """Quotes are the source's words (`scenarios.citations`): no Markdown, and each part
    between "…" marks found in the source, in order. A rule resting on national guidance
    (``basis: guidance``) quotes the guidance, not the source."""
    text = normalise(source) if source is not None else None
    for index, rule in enumerate(policy.rules):
        quotes: list[tuple[Path, str]] = [(("rules", index, "quote"), rule.quote)]
        quotes += [(("rules", index, "extra_quotes", j), quote)
                   for j, quote in enumerate(rule.extra_quotes)]
        for path, quote in quotes:
            mark = markup_in(quote)
            if mark is not None:
                yield path, (f"quote contains the Markdown marker '{mark}': quote the words "
                             "without emphasis or heading marks")
            elif rule.basis == "guidance" or text is None:
                continue
            elif (part := missing_part(quote, text)) is not None:
                what = "quote" if part == collapse(quote) else f"part of the quote \"{part}\""
                yield path, (f"{what} is not in the source {policy.source.file} (compared "
                             "without Markdown emphasis and with whitespace collapsed; parts "
                             "between '…' must appear in order)")


def _check_ids(policy: Policy) -> Iterator[Finding]:
    yield from _duplicates(policy.agencies, ("agencies",), "agency")
    yield from _duplicates(policy.roles, ("roles",), "role")
    yield from _duplicates(policy.stages, ("stages",), "stage")
    yield from _duplicates(policy.records, ("records",), "record")
    yield from _duplicates(policy.rules, ("rules",), "rule")
    yield from _duplicates(policy.categories, ("categories",), "category")
    seen: set[str] = set()
    for s_index, stage in enumerate(policy.stages):
        for t_index, step in enumerate(stage.steps):
            if step.id in seen or step.id in {s.id for s in policy.stages}:
                yield ("stages", s_index, "steps", t_index, "id"), f"duplicate step id '{step.id}'"
            seen.add(step.id)
    numbers = [stage.number for stage in policy.stages]
    if numbers != list(range(1, len(numbers) + 1)):
        yield ("stages",), f"stage numbers must run 1, 2, 3… in order; found {numbers}"


def _check_roles(policy: Policy) -> Iterator[Finding]:
    agencies = {a.id for a in policy.agencies}
    for index, role in enumerate(policy.roles):
        if role.agency not in agencies:
            yield ("roles", index, "agency"), _unknown(role.agency, agencies, "agency")
    roles = {r.id for r in policy.roles}
    for role_id in policy.behaviour.reply_factor_by_role:
        if role_id not in roles:
            yield (("behaviour", "reply_factor_by_role", role_id),
                   _unknown(role_id, roles, "role"))


def _step_ids(stages: list[Stage]) -> set[str]:
    return {step.id for stage in stages for step in stage.steps} | {s.id for s in stages}


def _check_stages(policy: Policy) -> Iterator[Finding]:
    yield from _check_ladder(policy, policy.stages, ("stages",))
    seen = _step_ids(policy.stages)
    for p_index, procedure in enumerate(policy.procedures):
        path: Path = ("procedures", p_index, "stages")
        yield from _check_ladder(policy, procedure.stages, path)
        for s_index, stage in enumerate(procedure.stages):
            items = [((*path, s_index, "id"), stage.id)]
            items += [((*path, s_index, "steps", i, "id"), step.id)
                      for i, step in enumerate(stage.steps)]
            for where, item in items:
                if item in seen:
                    yield where, (f"'{item}' is already the id of a step or stage: a "
                                  "sub-procedure's steps and stages need ids of their own")
                seen.add(item)


def _check_ladder(policy: Policy, stages: list[Stage], path: Path) -> Iterator[Finding]:
    agencies = {a.id for a in policy.agencies} | {"*"}
    roles = policy.role_ids()
    records = {r.id for r in policy.records}
    rules = {r.id for r in policy.rules}
    anchors = _step_ids(stages) | _step_ids(policy.stages)
    for s_index, stage in enumerate(stages):
        here = (*path, s_index)
        cited = set(stage.rules)
        yield from _check_refs(stage.rules, rules, (*here, "rules"), "rule")
        yield from _check_deadline(stage.deadline, anchors, (*here, "deadline"))
        for t_index, step in enumerate(stage.steps):
            at = (*here, "steps", t_index)
            cited |= set(step.rules)
            for agency, role_ids in step.representation.items():
                if agency not in agencies:
                    yield (*at, "representation", agency), _unknown(agency, agencies, "agency")
                yield from _check_refs(role_ids, roles, (*at, "representation", agency), "role")
            yield from _check_refs(step.records, records, (*at, "records"), "record")
            yield from _check_refs(step.requires, records, (*at, "requires"), "record")
            yield from _check_refs(step.rules, rules, (*at, "rules"), "rule")
            if step.carried_out_by and step.carried_out_by not in roles:
                yield (*at, "carried_out_by"), _unknown(step.carried_out_by, roles, "role")
            yield from _check_deadline(step.deadline, anchors, (*at, "deadline"))
            if _same_deadline(step.deadline, stage.deadline):
                yield (*at, "deadline"), (
                    f"the deadline of step '{step.id}' repeats its stage's: a deadline is "
                    f"written once — delete it here (the stage's deadline is the deadline of "
                    f"the step that concludes the stage)")
        if not cited:
            yield (*here, "rules"), "missing citation: the stage and its steps cite no rule"


def _same_deadline(step: Deadline | None, stage: Deadline | None) -> bool:
    """A step deadline that says what its stage's says (its words aside): one timescale
    written twice, which the trainee would be told and judged on twice."""
    if step is None or stage is None:
        return False
    return step.model_dump(exclude={"text"}) == stage.model_dump(exclude={"text"})


def _check_refs(values: list[str], known: set[str], path: Path, what: str) -> Iterator[Finding]:
    for index, value in enumerate(values):
        if value not in known:
            yield (*path, index), _unknown(value, known, what)


def _check_deadline(deadline: Deadline | None, anchors: set[str], path: Path) -> Iterator[Finding]:
    if deadline is None:
        return
    after = deadline.after
    if after != "start" and not after.startswith("event:") and after not in anchors:
        message = f"deadline anchored to unknown step '{after}' (expected 'start', "
        yield (*path, "after"), message + "'event:NAME' or a step/stage id)"
    for index, option in enumerate(deadline.earliest_of):
        yield from _check_deadline(option, anchors, (*path, "earliest_of", index))
    for key, option in deadline.by_priority.items():
        yield from _check_deadline(option, anchors, (*path, "by_priority", key))


def _check_deadline_order(stages: list[Stage], path: Path) -> Iterator[Finding]:
    """Day targets must not go backwards as a case climbs the ladder."""
    last_day, last_where = 0, ""
    for s_index, stage in enumerate(stages):
        candidates = [((*path, s_index, "steps", i, "deadline", "day"), step.deadline, step.id)
                      for i, step in enumerate(stage.steps)]
        candidates.append(((*path, s_index, "deadline", "day"), stage.deadline, stage.id))
        for where, deadline, name in candidates:
            if deadline is None or deadline.day is None:
                continue
            if deadline.day < last_day:
                yield where, (f"deadline goes backwards: Day {deadline.day} for '{name}' "
                              f"comes after Day {last_day} for '{last_where}'")
            last_day, last_where = deadline.day, name


def _dated(deadline: Deadline | None) -> bool:
    """A deadline that can fall due ("as soon as possible" alone never does)."""
    if deadline is None:
        return False
    return deadline.unit != "asap" or bool(deadline.earliest_of)


READING_KINDS = ", ".join(sorted(DEADLINE_JUDGES))


def _deadline_rules(policy: Policy) -> set[str]:
    """Rules a deadline-reading duty cites: a deadline listing one of them is judged."""
    return {d.rule for d in policy.duties if d.judge in DEADLINE_JUDGES}


def _check_deadlines_judged(policy: Policy) -> Iterator[Finding]:
    """Every dated step or stage deadline lists a rule that a deadline-reading duty cites:
    otherwise it is printed by `deadlines` and stressed, yet no trainee is ever held to it
    (the commonest way a partnership's own procedure scored everyone 100)."""
    reading = _deadline_rules(policy)
    ladders: list[tuple[Path, list[Stage], bool]] = [(("stages",), policy.stages, False)]
    # A sub-procedure's deadlines are read the same way (step by its rules, stage by its).
    ladders += [(("procedures", i, "stages"), p.stages, True)
                for i, p in enumerate(policy.procedures)]
    for path, stages, procedure in ladders:
        yield from _ladder_deadlines_judged(stages, path, reading, procedure)


def _ladder_deadlines_judged(stages: list[Stage], path: Path, reading: set[str],
                             procedure: bool) -> Iterator[Finding]:
    for s_index, stage in enumerate(stages):
        places: list[tuple[Path, Deadline | None, list[str], str]] = [
            ((*path, s_index, "steps", i, "deadline"), step.deadline, step.rules, step.id)
            for i, step in enumerate(stage.steps)]
        places.append(((*path, s_index, "deadline"), stage.deadline, stage.rules, stage.id))
        # A stage deadline written again on one of its steps is one deadline: judged once.
        judged = [d for _, d, rules, _ in places if d is not None and reading & set(rules)]
        for where, deadline, rules, name in places:
            # A guide is never penalised, so no duty needs to read it (it is still shown,
            # told, stressed and reported as a note). A sub-procedure's "as soon as
            # possible" falls due too (`sim.verdicts`).
            dated = deadline is not None if procedure else _dated(deadline)
            if dated and deadline not in judged and not deadline.advisory:
                listed = ", ".join(rules) if rules else "none"
                yield where, (f"the deadline of '{name}' is never judged: its rules ({listed}) "
                              f"have no duty of a kind that reads deadlines ({READING_KINDS}); "
                              "list such a rule beside it, or cite one of these rules in such "
                              "a duty")


def _check_total_cap(policy: Policy) -> Iterator[Finding]:
    """A total cap cites rules, and one of them is read by a deadline duty (else the cap
    would be printed and stressed but never judged)."""
    rules = {r.id for r in policy.rules}
    yield from _check_refs(policy.total_cap_rules, rules, ("total_cap_rules",), "rule")
    if policy.total_cap is None:
        if policy.total_cap_rules:
            yield ("total_cap_rules",), "total_cap_rules given but the policy has no total_cap"
        return
    if not _deadline_rules(policy) & set(policy.total_cap_rules) and (
            not policy.total_cap.advisory):
        yield ("total_cap",), ("the total cap is never judged: list the rule that states it "
                               f"under total_cap_rules, cited by a duty of a kind that reads "
                               f"deadlines ({READING_KINDS})")


def _check_advisory(policy: Policy) -> Iterator[Finding]:
    """"As a guide" belongs to a ladder limit, the total cap or a duty's ``by``: a route
    for immediate risk or for another matter is never only a guide, and a guide is read on
    a deadline as a whole, not on one arm of ``earliest_of``."""
    def arms(deadline: Deadline, path: Path) -> Iterator[Finding]:
        for index, option in enumerate(deadline.earliest_of):
            at = (*path, "earliest_of", index)
            if option.advisory:
                yield (*at, "advisory"), ("'advisory' is read on the whole deadline, not on "
                                          "one of its earliest_of options: set it there")
            yield from arms(option, at)

    for path, deadline in _deadlines(policy):
        if deadline.advisory and path[0] in ("emergency_routes", "outside_routes"):
            yield (*path, "advisory"), ("a route's deadline cannot be only a guide: remove "
                                        "'advisory' (guides are for stages, steps, the "
                                        "total cap and duties' 'by')")
        yield from arms(deadline, path)
    if policy.total_cap is not None:
        yield from arms(policy.total_cap, ("total_cap",))
    for index, duty in enumerate(policy.duties):
        if duty.by is not None:
            yield from arms(duty.by, ("duties", index, "by"))


def _check_stage_vocabulary(policy: Policy) -> Iterator[Finding]:
    """Auto-escalation needs a stage above, a deadline to time out on and the clause that
    makes it automatic; a stage's deciders are roles of the policy, judged by a duty."""
    roles = policy.role_ids()
    rules = {r.id for r in policy.rules}
    deciding = {d.rule for d in policy.duties if d.judge == "decider"}
    ladders: list[tuple[Path, list[Stage]]] = [(("stages",), policy.stages)]
    ladders += [(("procedures", i, "stages"), p.stages) for i, p in enumerate(policy.procedures)]
    for path, stages in ladders:
        for index, stage in enumerate(stages):
            at = (*path, index)
            if stage.on_timeout == "escalate":
                if path[0] == "procedures":
                    yield (*at, "on_timeout"), ("automatic escalation is for the ladder's "
                                                "stages, not a sub-procedure's")
                elif index == len(stages) - 1:
                    yield (*at, "on_timeout"), (f"'{stage.id}' is the last stage: there is "
                                                "no stage above to escalate to automatically")
                if not _dated(stage.governing_deadline()):
                    yield (*at, "on_timeout"), (f"'{stage.id}' escalates on timeout but has "
                                                "no dated deadline (its own or its last "
                                                "step's) to time out on")
                if stage.on_timeout_rule is None:
                    yield (*at, "on_timeout_rule"), ("name the rule whose clause makes the "
                                                     "escalation automatic")
            if stage.on_timeout_rule is not None:
                if stage.on_timeout_rule not in rules:
                    yield (*at, "on_timeout_rule"), _unknown(stage.on_timeout_rule, rules,
                                                             "rule")
                if stage.on_timeout != "escalate":
                    yield (*at, "on_timeout_rule"), ("on_timeout_rule given but the stage "
                                                     "does not escalate on timeout")
            yield from _check_refs(stage.decided_by, roles, (*at, "decided_by"), "role")
            if stage.decided_by and path[0] == "procedures":
                yield (*at, "decided_by"), "decided_by is for the ladder's stages"
            elif stage.decided_by and not deciding & set(stage.rules):
                yield (*at, "decided_by"), (f"who decides at '{stage.id}' is never judged: "
                                            "list a rule under the stage's rules that a duty "
                                            "with judge: decider cites")

def _check_timed_out(policy: Policy, duty: Duty, path: Path) -> Iterator[Finding]:
    """'timed_out:DUTY' names a dated action duty, and no chain of them comes back round."""
    dated = {d.id: d for d in policy.duties
             if d.judge == "action" and d.by is not None and d.seat == "any"}
    seen = {duty.id}
    current = duty
    while current.trigger.startswith("timed_out:"):
        ref = current.trigger.partition(":")[2]
        if ref not in dated:
            yield path, _unknown(ref, set(dated), "dated action duty (judge: action, with "
                                 "by, seat: any)")
            return
        if ref in seen:
            yield path, f"'timed_out:' triggers go round in a circle through duty '{ref}'"
            return
        seen.add(ref)
        current = dated[ref]


def _case_deadline_places(policy: Policy) -> Iterator[tuple[Path, Deadline]]:
    """Every deadline with where it is written: the ladder's, the sub-procedures', the
    routes', the total cap and the duties' ``by``."""
    yield from _deadlines(policy)
    if policy.total_cap is not None:
        yield ("total_cap",), policy.total_cap
    for index, duty in enumerate(policy.duties):
        if duty.by is not None:
            yield ("duties", index, "by"), duty.by


def _check_case_deadlines(policy: Policy) -> Iterator[Finding]:
    """Priority tiers name the policy's priorities and leave no priority without a time;
    a deadline set during the case is a ladder step's or stage's, set by a role of the
    policy (or 'parties'); the priority mix names priorities."""
    yield from _duplicates(policy.priorities, ("priorities",), "priority")
    known = {p.id for p in policy.priorities}
    defaults = [i for i, p in enumerate(policy.priorities) if p.default]
    for index in defaults[1:]:
        yield ("priorities", index, "default"), "only one priority can be the default"
    for key in policy.behaviour.priority_mix:
        if key not in known:
            yield ("behaviour", "priority_mix", key), _unknown(key, known, "priority")
    setters = policy.role_ids() | {"parties"}
    for path, deadline in _case_deadline_places(policy):
        tiers = [(path, deadline)] + [((*path, "by_priority", k), d)
                                      for k, d in deadline.by_priority.items()]
        if deadline.by_priority and path[0] == "emergency_routes":
            yield (*path, "by_priority"), ("immediate risk has no priority tiers: the route's "
                                           "deadline is the same for every case")
            continue
        for key in deadline.by_priority:
            if key not in known:
                yield (*path, "by_priority", key), _unknown(key, known, "priority")
        if deadline.by_priority and deadline.day is None and deadline.unit is None \
                and not deadline.earliest_of:
            missing = [p for p in sorted(known) if p not in deadline.by_priority]
            if missing:
                yield (*path, "by_priority"), (
                    f"no deadline for priority {', '.join(repr(m) for m in missing)}: give it "
                    "a tier, or give the outer fields as the deadline for the others")
            elif policy.default_priority is None:
                yield (*path, "by_priority"), (
                    "a case with no priority would have no deadline here: mark one priority "
                    "'default: true', or give the outer fields as its deadline")
        for where, tier in tiers:
            if tier.set_by is None:
                continue
            if path[0] != "stages":
                yield (*where, "set_by"), ("only a ladder step's or stage's deadline can be "
                                           "set during the case (the role replies there)")
            elif tier.set_by not in setters:
                yield (*where, "set_by"), _unknown(tier.set_by, setters, "role")
            elif tier.set_by != "parties" and tier.set_by not in _named_at(policy, path):
                yield (*where, "set_by"), (f"'{tier.set_by}' is named at no step where this "
                                           "deadline is (its representation): nobody there "
                                           "could reply and set it")


def _named_at(policy: Policy, path: Path) -> set[str]:
    """Roles a ladder step (or any step of a stage) names, for a deadline at ``path``."""
    stage = policy.stages[int(path[1])]
    steps = [stage.steps[int(path[3])]] if path[2] == "steps" else stage.steps
    return {r for step in steps for roles in step.representation.values() for r in roles}


def set_by_items(policy: Policy) -> set[str]:
    """Ladder steps and stages whose deadline (or one of its tiers) is set during the case."""
    def set_during(deadline: Deadline | None) -> bool:
        return deadline is not None and (deadline.set_by is not None or any(
            t.set_by is not None for t in deadline.by_priority.values()))

    return {item.id for stage in policy.stages for item in (stage, *stage.steps)
            if set_during(item.deadline)}


def _check_model_events(policy: Policy) -> Iterator[Finding]:
    """A modelled event starts something the policy judges (a sub-procedure, a fresh
    referral, a matter's own route), or it would be drawn for nothing; a modelled alongside
    matter has an alongside route."""
    alongside = {r.matter for r in policy.outside_routes if r.alongside}
    for matter in policy.behaviour.alongside:
        if matter not in alongside:
            yield (("behaviour", "alongside", matter),
                   _unknown(matter, alongside, "matter of an alongside route"))
    starts = {p.starts_on for p in policy.procedures}
    starts |= {d.trigger.partition(":")[2] for d in policy.duties
               if d.trigger.startswith("event:")}
    matters = {r.matter for r in policy.outside_routes}
    for name, event in policy.behaviour.events.items():
        path = ("behaviour", "events", name)
        if event.matter is not None and event.matter not in matters:
            yield (*path, "matter"), (f"no outside route of the policy takes matter "
                                      f"'{event.matter}'")
        elif name not in starts and not event.referral_needed and event.matter is None:
            yield path, (f"event '{name}' starts nothing: name a sub-procedure's `starts_on` "
                         "or a duty's 'event:' trigger "
                         f"({', '.join(sorted(starts)) or 'the policy has none'}), or set "
                         "`referral_needed` or `matter`")


def _check_routes(policy: Policy) -> Iterator[Finding]:
    roles = policy.role_ids()
    rules = {r.id for r in policy.rules}
    stages = {s.id for s in policy.stages}
    steps = {step.id for _, step in policy.steps()}
    for index, route in enumerate(policy.emergency_routes):
        at = ("emergency_routes", index)
        yield from _check_refs(route.in_hours, roles, (*at, "in_hours"), "role")
        yield from _check_refs(route.out_of_hours, roles, (*at, "out_of_hours"), "role")
        yield from _check_refs(route.rules, rules, (*at, "rules"), "rule")
        listed = set(route.in_hours) | set(route.out_of_hours)
        yield from _check_refs(route.only_if_police_matter, listed,
                               (*at, "only_if_police_matter"), "role of this route")
        if route.out_of_hours_rule and route.out_of_hours_rule not in rules:
            yield (*at, "out_of_hours_rule"), _unknown(route.out_of_hours_rule, rules, "rule")
    for index, other in enumerate(policy.outside_routes):
        if other.rule not in rules:
            yield ("outside_routes", index, "rule"), _unknown(other.rule, rules, "rule")
    yield from _duplicates(policy.outside_routes, ("outside_routes",), "route")
    for index, duty in enumerate(policy.duties):
        if duty.rule not in rules:
            yield ("duties", index, "rule"), _unknown(duty.rule, rules, "rule")
        yield from _check_refs(duty.if_resolved_at, stages | steps,
                               ("duties", index, "if_resolved_at"), "stage or step")
        yield from _check_refs(duty.roles, policy.role_ids(), ("duties", index, "roles"),
                               "role")
        yield from _check_refs(duty.agencies, {a.id for a in policy.agencies},
                               ("duties", index, "agencies"), "agency")
        kind, _, ref = duty.trigger.partition(":")
        if kind == "entered":
            yield from _check_refs([ref], stages | steps, ("duties", index, "trigger"),
                                   "stage or step")
        elif kind == "reply":
            yield from _check_refs([ref], policy.role_ids(), ("duties", index, "trigger"),
                                   "role")
        elif kind == "timed_out":
            yield from _check_timed_out(policy, duty, ("duties", index, "trigger"))
    judged = {d.rule for d in policy.duties}
    for index, rule in enumerate(policy.rules):
        if rule.judged_with is not None:
            if rule.judged_with not in judged:
                yield (("rules", index, "judged_with"),
                       f"'{rule.judged_with}' has no duty, so {rule.id} would never be judged")
        elif rule.id not in judged:
            yield (("rules", index, "id"),
                   f"rule {rule.id} is never judged: add a duty that cites it (duties: "
                   "- {id: ..., rule: " + rule.id + ", judge: ...}) or 'judged_with'")
    for index, note in enumerate(policy.notifications):
        at = ("notifications", index)
        if note.role not in roles:
            yield (*at, "role"), _unknown(note.role, roles, "role")
        if note.rule not in rules:
            yield (*at, "rule"), _unknown(note.rule, rules, "rule")
        if note.by_step and note.by_step not in steps:
            yield (*at, "by_step"), _unknown(note.by_step, steps, "step")
        if note.at_stage and note.at_stage not in stages:
            yield (*at, "at_stage"), _unknown(note.at_stage, stages, "stage")
    for index, skip in enumerate(policy.skip_rights):
        at = ("skip_rights", index)
        yield from _check_refs(skip.roles, roles, (*at, "roles"), "role")
        if skip.to_stage not in stages:
            yield (*at, "to_stage"), _unknown(skip.to_stage, stages, "stage")
    for index, record in enumerate(policy.records):
        if record.rule and record.rule not in rules:
            yield ("records", index, "rule"), _unknown(record.rule, rules, "rule")
        for key in record.written:
            if key not in record.field_keys:
                yield (("records", index, "written", key),
                       f"written names {key!r}, which is not one of this record's fields: "
                       f"{record.field_keys}")
    for index, category in enumerate(policy.categories):
        for t_index, term in enumerate(category.terms):
            if term.casefold() not in category.text.casefold():
                yield (("categories", index, "terms", t_index),
                       f"term {term!r} is not in the category's text (terms are the "
                       "words of the text that name it)")


def unhonoured(policy: Policy) -> list[str]:
    """Parts of a valid policy that the trainer does not yet play, judge or stress, in words
    for the author: `check` prints them and the policy screen lists them, so nothing a
    partnership wrote is ignored in silence (tests/test_field_honour.py keeps this list
    and the schema in step)."""
    modelled = set(policy.behaviour.events)
    notes = [f"sub-procedure '{p.title}' (starts on '{p.starts_on}') is played and judged, "
             f"but no generated case holds '{p.starts_on}', so `stress` cannot test its clock: "
             f"add behaviour.events.{p.starts_on} (how often, how long after the concern)"
             for p in policy.procedures if p.starts_on not in modelled]
    notes += [f"stage '{stage.id}' escalates automatically from any of its {len(stage.steps)} "
              "steps: played and judged, but `stress` moves a case one step on at that "
              "moment, not straight to the next stage" for stage in policy.stages[:-1]
              if stage.on_timeout == "escalate" and len(stage.steps) > 1]
    return notes + condition_notes(policy)


def merged_behaviour(policy: Policy, overrides: dict[str, Any]) -> Behaviour:
    """The policy's behaviour defaults with a scenario's overrides laid over them."""
    return Behaviour.model_validate(_deep_merge(policy.behaviour.model_dump(), overrides))


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def check_scenario(scenario: Scenario, policy: Policy) -> list[Finding]:
    return list(_scenario_findings(scenario, policy))


def _scenario_findings(scenario: Scenario, policy: Policy) -> Iterator[Finding]:
    roles = policy.role_ids()
    rules = {r.id for r in policy.rules}
    for name in ("seat", "other", "referrer"):
        seat = getattr(scenario, name)
        if seat is None:
            continue
        if seat.role not in roles:
            yield (name, "role"), _unknown(seat.role, roles, "role")
        elif policy.role(seat.role).agency != seat.agency:
            actual = policy.role(seat.role).agency
            yield (name, "agency"), f"role '{seat.role}' belongs to agency '{actual}'"
    # A policy that lists no categories has one disagreement in general (`sim.case`).
    categories = {c.id for c in policy.categories} or {"general"}
    if scenario.category not in categories:
        yield ("category",), _unknown(scenario.category, categories, "category")
    for index, objective in enumerate(scenario.objectives):
        yield from _check_refs(objective.rules, rules, ("objectives", index, "rules"), "rule")
    yield from _check_refs(scenario.teaches, rules, ("teaches",), "rule")
    yield from _check_events(scenario, policy)
    yield from _check_matter(scenario, policy)
    yield from _check_fixed(scenario, policy)
    priorities = {p.id for p in policy.priorities}
    if scenario.priority is not None and scenario.priority not in priorities:
        yield ("priority",), _unknown(scenario.priority, priorities, "priority")
    settable = set_by_items(policy)
    for item in scenario.set_deadlines:
        if item not in settable:
            yield ("set_deadlines", item), (f"'{item}' has no deadline set during the case "
                                            "('set_by')" + (f" (those that do: "
                                            f"{', '.join(sorted(settable))})" if settable
                                            else ""))
    yield from check_conversation(scenario, policy)
    if scenario.home_authority is not None and not policy.emergency_routes:
        yield ("home_authority",), (f"policy '{policy.id}' has no emergency route whose front "
                                    "door the home authority's could take the place of")
    yield from _check_playable_scenario(scenario, policy)
    try:
        merged_behaviour(policy, scenario.behaviour)
    except ValidationError as exc:
        for error in exc.errors():
            yield ("behaviour", *error["loc"]), error["msg"]


def _check_events(scenario: Scenario, policy: Policy) -> Iterator[Finding]:
    roles = policy.role_ids()
    stages = {s.id for s in policy.stages}
    for index, event in enumerate(scenario.events):
        at = ("events", index)
        if event.sender and event.sender not in roles:
            yield (*at, "sender"), _unknown(event.sender, roles, "role")
        timings = [event.at is not None, event.after_hours is not None,
                   event.after_minutes is not None, event.on is not None]
        if sum(timings) != 1:
            yield at, "an event needs exactly one of 'at', 'after_hours', 'after_minutes' or 'on'"
        if event.child_unsafe and event.after_hours is not None:
            yield (*at, "after_hours"), ("the child being back with the person who may harm "
                                         "them happens on the clock: give 'at' or "
                                         "'after_minutes', not working hours")
        if event.on:
            kind, _, ref = event.on.partition(":")
            if kind == "contact" and ref not in roles:
                yield (*at, "on"), _unknown(ref, roles, "role")
            elif kind == "stage" and ref not in stages:
                yield (*at, "on"), _unknown(ref, stages, "stage")
            elif kind not in ("contact", "stage", "resolved"):
                yield (*at, "on"), "expected 'contact:ROLE', 'stage:STAGE' or 'resolved'"
        yield from _check_unless(event, roles, stages, at)
        if event.at is not None:
            if event.at.tzinfo is not None:
                yield (*at, "at"), f"give {LOCAL_TIME}, with no time zone or UTC offset"
            elif scenario.start.tzinfo is None and event.at < scenario.start:
                yield (*at, "at"), "event happens before the scenario starts"


CONDITIONS = ("contact", "stage", "resolved", "referred")


def _check_unless(event: Any, roles: set[str], stages: set[str],
                  at: Path) -> Iterator[Finding]:
    """A consequence of delay names something the trainee can do, and has a time."""
    if event.because and not event.unless:
        yield (*at, "because"), "'because' explains a consequence: give 'unless' too"
    if not event.unless:
        return
    kind, _, ref = event.unless.partition(":")
    if kind == "contact" and ref not in roles:
        yield (*at, "unless"), _unknown(ref, roles, "role")
    elif kind == "stage" and ref not in stages:
        yield (*at, "unless"), _unknown(ref, stages, "stage")
    elif kind not in CONDITIONS or (kind in ("resolved", "referred") and ref):
        yield (*at, "unless"), ("expected 'contact:ROLE', 'stage:STAGE', 'resolved' or "
                                "'referred'")
    if event.on is not None:
        yield (*at, "unless"), ("a consequence of delay happens at a time ('at', "
                                "'after_minutes' or 'after_hours'), not on a trigger")


def _check_matter(scenario: Scenario, policy: Policy) -> Iterator[Finding]:
    """A matter outside the ladder needs the policy's route for it; a sound view needs the
    rationale the trainee hears by asking."""
    routed = {r.matter for r in policy.outside_routes}
    if scenario.matter != "disagreement" and scenario.matter not in routed:
        yield ("matter",), (f"policy '{policy.id}' has no route for '{scenario.matter}' "
                            "(outside_routes)")
    for index, event in enumerate(scenario.events):
        if event.matter is not None and event.matter not in routed:
            yield ("events", index, "matter"), (f"policy '{policy.id}' has no route for "
                                                f"'{event.matter}' (outside_routes)")
    beside = {r.matter for r in policy.outside_routes if r.alongside}
    for index, matter in enumerate(scenario.alongside):
        if matter not in beside:
            yield ("alongside", index), (f"policy '{policy.id}' has no route that runs "
                                         f"alongside the ladder for '{matter}' (outside_routes "
                                         "with alongside: true)")
    conversation = scenario.conversation
    explained = conversation is not None and any(
        n.ending is not None and n.ending.outcome == "rationale_sound" for n in conversation.nodes)
    if scenario.other_view_sound and not explained and not any(
            e.kind == "rationale" for e in scenario.events):
        yield ("other_view_sound",), ("a sound view needs the reasons the trainee hears by "
                                      "asking: an event of kind 'rationale', or a conversation "
                                      "ending 'rationale_sound'")


def _check_fixed(scenario: Scenario, policy: Policy) -> Iterator[Finding]:
    steps = {step.id for _, step in policy.steps()} | {s.id for s in policy.stages} | {"never"}
    agree = scenario.fixed.agree_at
    if agree and agree not in steps:
        yield ("fixed", "agree_at"), _unknown(agree, steps, "step")
    for role_id in scenario.fixed.reply_hours:
        if role_id not in policy.role_ids():
            yield ("fixed", "reply_hours", role_id), _unknown(role_id, policy.role_ids(), "role")
