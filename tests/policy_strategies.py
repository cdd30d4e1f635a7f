"""Hypothesis strategies for VALID escalation policies (issue #13).

`valid_policies()` draws a `Policy` that pydantic accepts and `scenarios.checks` finds no
problem with: random agencies and roles, a 1–5 stage ladder of 1–3 steps whose
representation is per agency, "*" or both, deadlines of every form the schema allows, skip
rights, emergency routes, notifications, records of every kind, rules with quotes and
duties that judge every rule with every judge kind.

Generation draws a plain dict (cheap) and validates it once, so shrinking stays fast. Office
hours come from a short list: each distinct pair builds an 18-year working calendar once.
"""

from __future__ import annotations

from datetime import time
from typing import Any, get_args

from hypothesis import strategies as st

from scenarios.checks import check_policy
from scenarios.conditions import every_case
from scenarios.policy_schema import (
    DEADLINE_JUDGES,
    AgencyKind,
    Condition,
    Deadline,
    DutyAction,
    JudgeKind,
    PlanStatus,
    Policy,
    RecordKind,
    RecordType,
    Severity,
    StepKind,
    WrittenPart,
)

AGENCY_KINDS: tuple[str, ...] = get_args(AgencyKind)
RECORD_KINDS: tuple[str, ...] = get_args(RecordKind)
JUDGE_KINDS: tuple[str, ...] = get_args(JudgeKind)
DUTY_ACTIONS: tuple[str, ...] = get_args(DutyAction)
SEVERITIES: tuple[str, ...] = get_args(Severity)
STEP_KINDS: tuple[str, ...] = get_args(StepKind)
PLAN_STATUSES: tuple[str, ...] = get_args(PlanStatus)
WRITTEN_PARTS: tuple[str, ...] = get_args(WrittenPart)
TIMED_UNITS = ("working_days", "calendar_days", "working_hours", "hours")
UNTIMED_UNITS = ("asap", "same_working_day")
THEMES = ("safety", "timeliness", "right_person", "recording", "communication")
OFFICE_HOURS = ((time(9), time(17)), (time(8, 30), time(16, 30)), (time(10), time(18)))
WORDS = ("the", "professional", "must", "escalate", "concern", "child", "within", "record",
         "manager", "agency", "discuss", "safeguarding", "refer", "immediately", "days",
         "stage", "resolve", "disagreement", "inform", "written")

LEVELS = ("universal", "early_help", "s17", "s47")


@st.composite
def conditions(draw: st.DrawFn, police: bool = False) -> dict[str, Any]:
    """A condition that some case meets and some does not: one or more parts, each a
    proper subset (a plan, an allocation, a level of need; a police matter for routes)."""
    parts = ["plan_status", "allocated_social_worker", "level_of_need"]
    parts += ["police_matter"] if police else []
    out: dict[str, Any] = {}
    for part in draw(st.lists(st.sampled_from(parts), min_size=1, max_size=2, unique=True)):
        if part == "plan_status":
            out[part] = draw(st.lists(st.sampled_from(PLAN_STATUSES), min_size=1, max_size=2,
                                      unique=True))
        elif part == "level_of_need":
            out[part] = draw(st.lists(st.sampled_from(LEVELS), min_size=1, max_size=3,
                                      unique=True))
        else:
            out[part] = draw(st.booleans())
    if draw(st.booleans()):
        out["text"] = "only where " + draw(sentences).lower()
    return out


sentences = st.lists(st.sampled_from(WORDS), min_size=3, max_size=10).map(
    lambda words: (" ".join(words).capitalize() + ".").ljust(10, "."))


@st.composite
def deadlines(draw: st.DrawFn, anchors: list[str], depth: int = 0,
              guide: bool = False, tiers: tuple[list[str], bool] = ([], False),
              setters: list[str] | None = None) -> dict[str, Any]:
    """Any deadline the schema allows: "Day N"; ``within`` + every unit; asap or
    same_working_day; "asap and within N"; ``earliest_of`` (with or without a form of its
    own); counted from the start, an earlier step or stage, or an event; where ``guide``
    (a ladder limit, the total cap, a duty's ``by``), sometimes only "as a guide"; where
    ``tiers`` (the policy's priority ids, and whether one is the default), sometimes a tier
    per priority (``by_priority``); where ``setters`` (a ladder step or stage), sometimes
    set during the case by a role or the parties (``set_by``)."""
    if setters and depth == 0 and draw(st.integers(0, 5)) == 0:
        return {"set_by": draw(st.sampled_from([*setters, "parties"])),
                "within": draw(st.sampled_from([1, 2, 5])),
                "unit": draw(st.sampled_from(TIMED_UNITS))}
    out = draw(_plain_deadlines(anchors, depth, guide))
    priorities, has_default = tiers
    if priorities and depth == 0 and draw(st.integers(0, 2)) == 0:
        named = _sub(draw, priorities, min_size=1, max_size=len(priorities))
        out["by_priority"] = {p: draw(_plain_deadlines(anchors, 1, False)) for p in named}
        if has_default and len(named) == len(priorities) and draw(st.booleans()):
            for key in ("day", "unit", "within", "asap", "earliest_of"):
                out.pop(key, None)  # the tiers alone: every priority has one
    return out


@st.composite
def _plain_deadlines(draw: st.DrawFn, anchors: list[str], depth: int = 0,
                     guide: bool = False) -> dict[str, Any]:
    forms = ["day", "timed", "untimed", "asap_within"]
    if depth == 0:
        forms += ["earliest_only", "earliest_with"]
    form = draw(st.sampled_from(forms))
    out: dict[str, Any] = {}
    if form == "day":
        out["day"] = draw(st.integers(1, 30))
    elif form in ("timed", "asap_within", "earliest_with"):
        out["unit"] = draw(st.sampled_from(TIMED_UNITS))
        out["within"] = draw(st.sampled_from([0.5, 1, 2, 3, 5, 10, 24]))
        if form == "asap_within":
            out["asap"] = True
    elif form == "untimed":
        out["unit"] = draw(st.sampled_from(UNTIMED_UNITS))
    if form in ("earliest_only", "earliest_with"):
        out["earliest_of"] = draw(st.lists(_plain_deadlines(anchors, depth + 1), min_size=1,
                                           max_size=3))
    after = draw(st.sampled_from(["start", "start", *anchors, "event:conference_dissent"]))
    if after != "start":
        out["after"] = after
    if draw(st.booleans()):
        out["text"] = draw(sentences)
    if guide and depth == 0 and draw(st.integers(0, 3)) == 0:
        out["advisory"] = True
    return out


def _sub(draw: st.DrawFn, items: list[str], min_size: int = 0, max_size: int = 3) -> list[str]:
    if not items:
        return []
    return draw(st.lists(st.sampled_from(items), min_size=min_size, max_size=max_size,
                         unique=True))


@st.composite
def policy_dicts(draw: st.DrawFn) -> dict[str, Any]:
    n_agencies = draw(st.integers(1, 4))
    agencies = [{"id": f"ag{i}", "name": f"Agency {i}",
                 "kind": draw(st.sampled_from(AGENCY_KINDS))} for i in range(n_agencies)]
    roles: list[dict[str, Any]] = []
    for agency in agencies:
        # An agency may have no role of its own (a body other roles act for).
        for j in range(draw(st.integers(0 if roles else 1, 3))):
            roles.append({"id": f"{agency['id']}.r{j}", "title": f"Role {j} of {agency['id']}",
                          "agency": agency["id"], "level": draw(st.integers(0, 9)),
                          "hours": draw(st.sampled_from(["office", "office", "always",
                                                         "out_of_hours"]))})
    role_ids = [r["id"] for r in roles]
    own = {a["id"]: [r["id"] for r in roles if r["agency"] == a["id"]] for a in agencies}

    n_rules = draw(st.integers(1, 6))
    rules = [{"id": f"R{i + 1}", "title": f"Rule {i + 1}", "clause": f"Section {i + 1}",
              "quote": draw(sentences), "severity": draw(st.sampled_from(SEVERITIES))}
             for i in range(n_rules)]
    rule_ids = [r["id"] for r in rules]

    # Records: one of every kind is likely over a run; each may cite a rule.
    kinds = draw(st.lists(st.sampled_from(RECORD_KINDS), min_size=0, max_size=5))
    records = []
    for i, kind in enumerate(kinds):
        record: dict[str, Any] = {"id": f"rec{i}", "title": f"Record {i}", "kind": kind,
                                  "fields": draw(st.lists(st.sampled_from(
                                      ["Date", "Role and Agency", "Outcome", "Actions"]),
                                      max_size=4))}
        if draw(st.booleans()):
            record["rule"] = draw(st.sampled_from(rule_ids))
        keys = RecordType(id="x", title="x", kind=kind, fields=record["fields"]).field_keys
        if keys and draw(st.booleans()):  # fields the trainee writes (the rest are facts)
            record["written"] = {k: draw(st.sampled_from(WRITTEN_PARTS))
                                 for k in _sub(draw, keys, min_size=1, max_size=4)}
        records.append(record)
    record_ids = [r["id"] for r in records]

    # Case priorities, sometimes: each picks a tier of the deadlines that have tiers.
    priorities = [{"id": f"p{i}", "title": f"Priority {i}"}
                  for i in range(draw(st.sampled_from([0, 0, 1, 2, 3])))]
    if priorities and draw(st.booleans()):
        draw(st.sampled_from(priorities))["default"] = True
    tiers = ([p["id"] for p in priorities], any(p.get("default") for p in priorities))

    stages: list[dict[str, Any]] = []
    anchors: list[str] = []  # earlier steps and stages, for `after`
    last_day = 0

    def ordered(deadline: dict[str, Any] | None) -> dict[str, Any] | None:
        """Day targets never go backwards up the ladder (a check refuses that)."""
        nonlocal last_day
        if deadline is not None and "day" in deadline:
            deadline["day"] = max(deadline["day"], last_day)
            last_day = deadline["day"]
        return deadline

    for s in range(draw(st.integers(1, 5))):
        stage_id = f"stage{s + 1}"
        steps = []
        # Sometimes a stage (never the first) applies only to some cases; its ids then
        # anchor no deadline outside it (`check` refuses a clock some case never starts).
        stage_if = draw(conditions()) if s and draw(st.integers(0, 7)) == 0 else None
        before = list(anchors)
        for t in range(draw(st.integers(1, 3))):
            step_id = f"s{s + 1}x{t + 1}"
            step_if = draw(conditions()) if t and draw(st.integers(0, 5)) == 0 else None
            representation = draw(representations(agencies, own, role_ids))
            named = sorted({r for roles in representation.values() for r in roles})
            steps.append({
                "id": step_id, "action": f"Step {t + 1} of stage {s + 1}",
                "kind": draw(st.sampled_from(STEP_KINDS)),
                "representation": representation,
                "deadline": ordered(draw(st.none() | deadlines(
                    anchors, guide=True, tiers=tiers, setters=named))),
                "records": _sub(draw, record_ids),
                "requires": _sub(draw, record_ids, max_size=2),
                "rules": _sub(draw, rule_ids),
            })
            if draw(st.integers(0, 9)) == 0:
                # A proxy who carries the step for the raiser: any role (it may be the
                # seat's own, the other party's, or a neutral body's).
                steps[-1]["carried_out_by"] = draw(st.sampled_from(role_ids))
            if step_if is not None:
                steps[-1]["only_if"] = step_if  # a conditional step anchors nothing
            else:
                anchors.append(step_id)
        stage: dict[str, Any] = {"id": stage_id, "number": s + 1, "name": f"Stage {s + 1}",
                                 "steps": steps, "rules": _sub(draw, rule_ids),
                                 "deadline": ordered(draw(st.none() | deadlines(
                                     anchors, guide=True, tiers=tiers, setters=sorted(
                                         {r for step in steps
                                          for roles in step["representation"].values()
                                          for r in roles}))))}
        for step in steps:  # a deadline is written once: never a step copy of its stage's
            if _same(step["deadline"], stage["deadline"]):
                step["deadline"] = None
        if not stage["rules"] and not any(step["rules"] for step in steps):
            stage["rules"] = [draw(st.sampled_from(rule_ids))]  # every stage cites a rule
        if stage_if is not None:
            stage["only_if"] = stage_if
            anchors[:] = before
        else:
            anchors.append(stage_id)
        stages.append(stage)
    step_ids = [step["id"] for stage in stages for step in stage["steps"]]
    stage_ids = [stage["id"] for stage in stages]

    routes = []
    n_routes = draw(st.integers(0, 3))
    for i in range(n_routes):
        in_hours = _sub(draw, role_ids, min_size=1)
        out_of_hours = _sub(draw, role_ids, min_size=1)
        route: dict[str, Any] = {
            "id": f"route{i}", "deadline": draw(deadlines(["s1x1"])),
            "in_hours": in_hours, "out_of_hours": out_of_hours,
            "only_if_police_matter": _sub(draw, sorted({*in_hours, *out_of_hours}),
                                          max_size=2),
            "rules": _sub(draw, rule_ids),
        }
        if draw(st.booleans()):
            route["out_of_hours_deadline"] = draw(deadlines([]))
        if draw(st.booleans()):
            route["immediately"] = {"within_minutes": draw(st.sampled_from([1, 15, 60, 240])),
                                    "text": "straight away"}
        if draw(st.booleans()):
            route["out_of_hours_rule"] = draw(st.sampled_from(rule_ids))
        if i < n_routes - 1:  # every route but the last is for some cases: the first
            route["only_if"] = draw(conditions(police=True))  # that matches is the case's
        routes.append(route)
    routes = _reachable(routes)

    notifications = [{"id": f"note{i}", "role": draw(st.sampled_from(role_ids)),
                      "when_plan_status": _sub(draw, list(PLAN_STATUSES), min_size=1),
                      "by_step": draw(st.none() | st.sampled_from(step_ids)),
                      "rule": draw(st.sampled_from(rule_ids))}
                     for i in range(draw(st.integers(0, 2)))]
    for note in notifications:  # sometimes a notify-only copy at one stage, any plan
        if draw(st.integers(0, 3)) == 0:
            note["at_stage"] = draw(st.sampled_from(stage_ids))
            if draw(st.booleans()):
                del note["when_plan_status"]
    skip_rights = [{"roles": _sub(draw, role_ids, min_size=1),
                    "to_stage": draw(st.sampled_from(stage_ids)),
                    "when": draw(st.sampled_from(["always", "immediate_risk"])),
                    "rule": draw(st.none() | st.sampled_from(rule_ids))}
                   for _ in range(draw(st.integers(0, 2)))]

    procedures = []
    if draw(st.integers(0, 4)) == 0:  # a sub-procedure started by an event
        steps = [{"id": "p1x1", "action": "Dissent recorded", "rules": [rule_ids[0]],
                  "representation": draw(representations(agencies, own, role_ids)),
                  "deadline": draw(st.none() | deadlines(["p1x1", *step_ids]))}]
        procedures.append({"id": "dissent", "title": "Conference dissent",
                           "starts_on": "conference_dissent",
                           "stages": [{"id": "pstage1", "number": 1, "name": "Dissent",
                                       "steps": steps}]})
    duties = draw(duty_lists(rules, rule_ids))
    for duty in duties:  # sometimes owed only for some outcomes
        if draw(st.integers(0, 4)) == 0:
            duty["if_resolved_at"] = _sub(draw, stage_ids + step_ids, min_size=1, max_size=2)
        if "trigger" in duty and draw(st.integers(0, 3)) == 0:  # set off during the case
            duty["trigger"] = draw(st.sampled_from([
                f"entered:{draw(st.sampled_from(stage_ids + step_ids))}",
                f"reply:{draw(st.sampled_from(role_ids))}", "event:conference_dissent",
                "new_information"]))
        if draw(st.integers(0, 5)) == 0:  # owed by some seats only
            duty["agencies"] = _sub(draw, [a["id"] for a in agencies], min_size=1)
        if draw(st.integers(0, 5)) == 0:
            duty["roles"] = _sub(draw, role_ids, min_size=1)
        if draw(st.integers(0, 5)) == 0:  # owed only in some cases
            duty["only_if"] = {"plan_status": _sub(draw, ["none", "CPP", "CLA"], min_size=1),
                               "allocated_social_worker": draw(st.none() | st.booleans())}
    cite_every_deadline(draw, stages, duties, rule_ids)
    stage_vocabulary(draw, stages, duties, rule_ids, role_ids)
    reading = sorted({d["rule"] for d in duties if d["judge"] in DEADLINE_JUDGES})
    for step in (t for p in procedures for s in p["stages"] for t in s["steps"]):
        # A sub-procedure's deadline ("as soon as possible" too) must be judged as well.
        if step.get("deadline") is not None and not set(reading) & set(step["rules"]):
            step["rules"] = [*step["rules"], draw(st.sampled_from(reading))]
    start, end = draw(st.sampled_from(OFFICE_HOURS))
    policy: dict[str, Any] = {
        "id": "fuzz", "version": 1, "title": "Generated escalation procedure",
        "source": {"file": "fuzz.txt", "title": "Generated"},
        "day_reading": {"day_unit": draw(st.sampled_from(["working_days", "calendar_days"])),
                        "day_one": draw(st.sampled_from(["start_day", "next_working_day"])),
                        "asap_working_days": draw(st.integers(0, 3)), "text": "Generated."},
        "office_hours": {"start": start, "end": end},
        "agencies": agencies, "roles": roles,
        "categories": [{"id": f"cat{i}", "text": f"Category {i}",
                        **({"terms": [f"category {i}"]} if draw(st.booleans()) else {})}
                       for i in range(draw(st.integers(0, 3)))],
        "stages": stages, "records": records, "rules": rules, "duties": duties,
        "emergency_routes": routes, "notifications": notifications,
        "skip_rights": skip_rights, "procedures": procedures,
        "outside_routes": [{
            "id": "beside", "matter": "private_law", "alongside": True,
            "action": "Tell the court adviser", "to": "the court adviser",
            "response": "Noted.", "rule": draw(st.sampled_from(rule_ids)),
            "deadline": draw(st.none() | deadlines([]))}] if draw(st.integers(0, 3)) == 0
        else [],
        "behaviour": draw(behaviours(stage_ids, step_ids)),
        "priorities": priorities,
    }
    if priorities and draw(st.booleans()):
        policy["behaviour"]["priority_mix"] = {
            p: draw(st.sampled_from([0.0, 0.2, 1.0])) for p in _sub(draw, tiers[0],
                                                                     min_size=1)}
    if draw(st.booleans()):
        policy["total_cap"] = draw(deadlines(["start", *step_ids], guide=True, tiers=tiers))
        policy["total_cap_rules"] = [draw(st.sampled_from(reading))]
    return policy


def _reachable(routes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The routes some case takes (the first whose condition it meets): a narrower route
    drawn after a wider one is dropped, as `check` would refuse it."""
    matchers = [Condition.model_validate(r["only_if"]) if "only_if" in r else None
                for r in routes]
    if not routes:
        return routes
    taken = set()
    for facts in every_case():
        taken.add(next(i for i, c in enumerate(matchers) if facts.meets(c)))
    return [r for i, r in enumerate(routes) if i in taken]


def _same(step: dict[str, Any] | None, stage: dict[str, Any] | None) -> bool:
    """As `escalate check` compares them: the same deadline, its words aside."""
    if step is None or stage is None:
        return False
    dump = [Deadline.model_validate(d).model_dump(exclude={"text"}) for d in (step, stage)]
    return dump[0] == dump[1]


def _dated(deadline: dict[str, Any] | None) -> bool:
    return deadline is not None and (deadline.get("unit") != "asap"
                                     or bool(deadline.get("earliest_of")))


def cite_every_deadline(draw: st.DrawFn, stages: list[dict[str, Any]],
                        duties: list[dict[str, Any]], rule_ids: list[str]) -> None:
    """`escalate check` refuses a dated deadline that no deadline-reading duty cites: give
    the policy such a duty if it has none, and list one of its rules beside each deadline."""
    reading = sorted({d["rule"] for d in duties if d["judge"] in DEADLINE_JUDGES})
    if not reading:
        duties.append({"id": "deadlines", "rule": rule_ids[0],
                       "judge": draw(st.sampled_from(sorted(DEADLINE_JUDGES))),
                       "seat": draw(st.sampled_from(["any", "representative"]))})
        reading = [rule_ids[0]]
    for stage in stages:
        for place in [*stage["steps"], stage]:
            if _dated(place.get("deadline")) and not set(reading) & set(place["rules"]):
                place["rules"] = [*place["rules"], draw(st.sampled_from(reading))]


def stage_vocabulary(draw: st.DrawFn, stages: list[dict[str, Any]],
                     duties: list[dict[str, Any]], rule_ids: list[str],
                     role_ids: list[str]) -> None:
    """Sometimes a stage escalates by itself on timeout (not the last; only with a dated
    governing deadline), and sometimes only named roles decide it (a decider duty cites a
    rule the stage lists)."""
    for index, stage in enumerate(stages):
        governing = stage.get("deadline") or stage["steps"][-1].get("deadline")
        if index + 1 < len(stages) and _dated(governing) and draw(st.integers(0, 3)) == 0:
            stage["on_timeout"] = "escalate"
            stage["on_timeout_rule"] = draw(st.sampled_from(rule_ids))
        if draw(st.integers(0, 3)) == 0:
            stage["decided_by"] = _sub(draw, role_ids, min_size=1, max_size=2)
            rule = draw(st.sampled_from(rule_ids))
            stage["rules"] = sorted({*stage["rules"], rule})
            duties.append({"id": f"decider{index}", "rule": rule, "judge": "decider"})


@st.composite
def representations(draw: st.DrawFn, agencies: list[dict[str, Any]],
                    own: dict[str, list[str]], role_ids: list[str]) -> dict[str, list[str]]:
    """Per agency (mostly its own roles, sometimes anyone's), "*" only, or both."""
    form = draw(st.sampled_from(["agencies", "agencies", "star", "both"]))
    out: dict[str, list[str]] = {}
    if form in ("agencies", "both"):
        for agency in agencies:
            pool = own[agency["id"]] if own[agency["id"]] and draw(
                st.integers(0, 4)) else role_ids
            if draw(st.booleans()) or not out:
                out[agency["id"]] = _sub(draw, pool, min_size=1, max_size=2)
    if form in ("star", "both"):
        out["*"] = _sub(draw, role_ids, min_size=1, max_size=3)
    return out


@st.composite
def duty_lists(draw: st.DrawFn, rules: list[dict[str, Any]],
               rule_ids: list[str]) -> list[dict[str, Any]]:
    """Every rule judged: a duty of a random kind (every kind in turn over a run), or
    ``judged_with`` a rule that has a duty. Sometimes a second duty on the same rule."""
    duties: list[dict[str, Any]] = []
    with_duty = [rule_ids[0], *(r for r in rule_ids[1:] if draw(st.integers(0, 5)))]
    for rule in rules:
        if rule["id"] not in with_duty:
            rule["judged_with"] = draw(st.sampled_from(with_duty))
    for index, rule_id in enumerate(with_duty + _sub(draw, rule_ids, max_size=2)):
        duty: dict[str, Any] = {"id": f"duty{index}", "rule": rule_id,
                                "judge": draw(st.sampled_from(JUDGE_KINDS)),
                                "seat": draw(st.sampled_from(
                                    ["any", "any", "representative", "staff_outside_table"])),
                                "theme": draw(st.sampled_from(THEMES))}
        if draw(st.booleans()):
            duty["severity"] = draw(st.sampled_from(SEVERITIES))
        if duty["judge"] == "action" or draw(st.integers(0, 4)) == 0:
            duty["satisfied_by"] = _sub(draw, list(DUTY_ACTIONS), min_size=1)
            duty["expected"] = draw(sentences)
            duty["missing"] = draw(sentences)
            duty["trigger"] = draw(st.sampled_from(["disagreement_raised",
                                                    "immediate_risk_known", "resolved"]))
            if draw(st.booleans()):
                duty["by"] = draw(deadlines([], guide=True))
        duties.append(duty)
    return duties


@st.composite
def behaviours(draw: st.DrawFn, stage_ids: list[str], step_ids: list[str]) -> dict[str, Any]:
    dist = st.sampled_from([
        {"dist": "lognormal", "median": 8.0, "sigma": 1.0},
        {"dist": "fixed", "median": 2.0}, {"dist": "fixed", "median": 0.0},
        {"dist": "exponential", "mean": 6.0}, {"dist": "exponential", "median": 4.0},
        {"dist": "never"},
    ])
    chances = st.sampled_from([0.0, 0.3, 0.75, 1.0])
    return {
        "reply_hours": draw(dist), "meeting_hours": draw(dist),
        "resolve_chance": {k: draw(chances) for k in _sub(draw, stage_ids + step_ids,
                                                          max_size=4)},
        "risk_per_working_day": draw(st.sampled_from([0.0, 0.0, 0.05, 0.5, 1.0])),
        "absence_chance": draw(st.sampled_from([0.0, 0.05, 1.0])),
        "phone_answer_chance": draw(st.sampled_from([0.0, 0.6, 1.0])),
    }


def valid_policies() -> st.SearchStrategy[Policy]:
    """Policies that validate and pass `escalate check`'s cross-checks."""
    return policy_dicts().map(_validated)


def _validated(data: dict[str, Any]) -> Policy:
    policy = Policy.model_validate(data)
    problems = check_policy(policy)
    assert not problems, f"the strategy drew an invalid policy: {problems}"
    return policy
