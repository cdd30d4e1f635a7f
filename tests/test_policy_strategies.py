"""The fuzz strategy (`policy_strategies`) draws valid policies of every form the schema
allows: each feature below is found among its draws."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from policy_strategies import (
    DUTY_ACTIONS,
    JUDGE_KINDS,
    RECORD_KINDS,
    TIMED_UNITS,
    UNTIMED_UNITS,
    policy_dicts,
)

Feature = Callable[[dict[str, Any]], bool]


def all_deadlines(p: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(d: dict[str, Any] | None) -> None:
        if d:
            found.append(d)
            for option in d.get("earliest_of", []):
                walk(option)

    for stage in p["stages"]:
        walk(stage["deadline"])
        for step in stage["steps"]:
            walk(step["deadline"])
    walk(p.get("total_cap"))
    for route in p["emergency_routes"]:
        walk(route["deadline"])
        walk(route.get("out_of_hours_deadline"))
    for duty in p["duties"]:
        walk(duty.get("by"))
    return found


def steps(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for stage in p["stages"] for step in stage["steps"]]


def judge_is(kind: str) -> Feature:
    return lambda p: any(d["judge"] == kind for d in p["duties"])


def record_is(kind: str) -> Feature:
    return lambda p: any(r["kind"] == kind for r in p["records"])


def unit_is(unit: str) -> Feature:
    return lambda p: any(d.get("unit") == unit for d in all_deadlines(p))


def satisfied_by(action: str) -> Feature:
    return lambda p: any(action in d.get("satisfied_by", []) for d in p["duties"])


FEATURES: dict[str, Feature] = {
    **{f"judge {k}": judge_is(k) for k in JUDGE_KINDS},
    **{f"record {k}": record_is(k) for k in RECORD_KINDS},
    **{f"unit {u}": unit_is(u) for u in (*TIMED_UNITS, *UNTIMED_UNITS)},
    **{f"satisfied_by {a}": satisfied_by(a) for a in DUTY_ACTIONS},
    "day N": lambda p: any("day" in d for d in all_deadlines(p)),
    "asap and within": lambda p: any(d.get("asap") for d in all_deadlines(p)),
    "earliest_of only": lambda p: any(d.get("earliest_of") and "unit" not in d
                                      and "day" not in d for d in all_deadlines(p)),
    "earliest_of with a form": lambda p: any(d.get("earliest_of") and "unit" in d
                                             for d in all_deadlines(p)),
    "after a step": lambda p: any(d.get("after", "start").startswith("s")
                                  and "x" in d.get("after", "") for d in all_deadlines(p)),
    "after a stage": lambda p: any(d.get("after", "").startswith("stage")
                                   for d in all_deadlines(p)),
    "after an event": lambda p: any(d.get("after", "").startswith("event:")
                                    for d in all_deadlines(p)),
    "'*' only first step": lambda p: set(p["stages"][0]["steps"][0]["representation"])
    == {"*"},
    "'*' beside agencies": lambda p: any("*" in s["representation"]
                                         and len(s["representation"]) > 1 for s in steps(p)),
    "five stages of three steps": lambda p: len(p["stages"]) == 5
    and any(len(s["steps"]) == 3 for s in p["stages"]),
    "total_cap": lambda p: "total_cap" in p,
    "skip_rights": lambda p: bool(p["skip_rights"]),
    "two emergency routes": lambda p: len(p["emergency_routes"]) == 2,
    "out_of_hours_deadline": lambda p: any("out_of_hours_deadline" in r
                                           for r in p["emergency_routes"]),
    "immediately": lambda p: any("immediately" in r for r in p["emergency_routes"]),
    "only_if_police_matter": lambda p: any(r["only_if_police_matter"]
                                           for r in p["emergency_routes"]),
    "notifications": lambda p: bool(p["notifications"]),
    "no categories": lambda p: not p["categories"],
    "judged_with": lambda p: any("judged_with" in r for r in p["rules"]),
    "procedure": lambda p: bool(p["procedures"]),
    "every agency kind once": lambda p: len({a["kind"] for a in p["agencies"]}) == 4,
    "written fields": lambda p: any(r.get("written") for r in p["records"]),
    "category terms": lambda p: any(c.get("terms") for c in p["categories"]),
    "auto-escalation": lambda p: any(s.get("on_timeout") == "escalate" for s in p["stages"]),
    "decided_by": lambda p: any(s.get("decided_by") for s in p["stages"]),
    "stage copy": lambda p: any(n.get("at_stage") for n in p["notifications"]),
    "copy for every plan status": lambda p: any("when_plan_status" not in n
                                                for n in p["notifications"]),
}


def test_the_strategy_draws_every_feature():
    seen: set[str] = set()

    @settings(max_examples=200, database=None, deadline=None, derandomize=True,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(policy_dicts())
    def collect(policy: dict[str, Any]) -> None:
        seen.update(name for name, has in FEATURES.items() if has(policy))

    collect()
    assert sorted(set(FEATURES) - seen) == []
