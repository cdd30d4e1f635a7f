"""`escalate scenario list|show|schema`: browse the bundled scenario library.

``list`` is the trainer's catalogue (id, title, seat, policy, difficulty, audience);
``show`` prints what a trainee reads before starting (the briefing), and with ``--trainer``
also what the scenario is built to teach. ``schema`` prints the JSON Schema for editors.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from typing import Any

from tui.commands.common import fail, print_json

WIDTH = 88


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("scenario", help="list, show or describe training scenarios")
    actions = parser.add_subparsers(dest="scenario_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the bundled scenarios")
    listing.add_argument("--json", action="store_true", help="one object per scenario")
    listing.add_argument("--policy", metavar="ID", help="only scenarios of this policy")
    listing.add_argument("--audience", choices=("induction", "dsl_refresher", "workshop"),
                         help="only scenarios tagged for this audience")
    show = actions.add_parser("show", help="a scenario's briefing")
    show.add_argument("scenario", metavar="ID_OR_YAML")
    show.add_argument("--trainer", action="store_true",
                      help="also the trainer's notes: traps, rules taught, scripted events, "
                      "debrief")
    show.add_argument("--json", action="store_true", help="the validated scenario as JSON")
    actions.add_parser("schema", help="print the JSON Schema of a scenario file")


def run(args: argparse.Namespace) -> int:
    if args.scenario_command == "schema":
        from scenarios.scenario_schema import Scenario

        print_json(Scenario.model_json_schema())
        return 0
    if args.scenario_command == "list":
        return _list(args)
    scenario = _load(args.scenario)
    if args.json:
        print_json(scenario.model_dump(mode="json"))
        return 0
    print(briefing_text(scenario, trainer=args.trainer))
    return 0


# ---------------------------------------------------------------------- list


def summary(scenario: Any) -> dict[str, Any]:
    """The catalogue entry of one scenario (what `list --json` prints)."""
    from scenarios.loader import policy_of

    policy = policy_of(scenario)
    return {
        "id": scenario.id,
        "version": scenario.version,
        "title": scenario.title,
        "policy": scenario.policy,
        "seat": {"agency": scenario.seat.agency, "role": scenario.seat.role,
                 "title": _seat_title(policy, scenario.seat)},
        "other": {"agency": scenario.other.agency, "role": scenario.other.role,
                  "title": _seat_title(policy, scenario.other)},
        "difficulty": scenario.difficulty,
        "audience": list(scenario.audience),
        "minutes": scenario.minutes,
        "category": scenario.category,
        "plan_status": scenario.plan_status,
        "traps": list(scenario.traps),
    }


def _list(args: argparse.Namespace) -> int:
    from scenarios.loader import LoadError, bundled_policies, bundled_scenarios

    try:
        scenarios = list(bundled_scenarios().values())
    except LoadError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.policy and args.policy not in bundled_policies():
        known = ", ".join(sorted(bundled_policies()))
        fail(f"unknown policy '{args.policy}' (bundled: {known})")
    chosen = [s for s in scenarios
              if (not args.policy or s.policy == args.policy)
              and (not args.audience or args.audience in s.audience)]
    rows = [summary(s) for s in sorted(chosen, key=lambda s: (s.policy, s.id))]
    if args.json:
        print_json(rows)
        return 0
    _print_table(rows)
    return 0


def _print_table(rows: list[dict[str, Any]]) -> None:
    """Columns that fit the terminal (80 when piped, or $COLUMNS): the id in full, then the
    most useful others while they fit, the title taking what is left."""
    import shutil

    from tui.format import audience

    width = shutil.get_terminal_size((80, 24)).columns
    if not rows:
        print("(no scenarios match)")
        return
    columns = [("ID", [r["id"] for r in rows]),
               ("LEVEL", [r["difficulty"] for r in rows]),
               ("POLICY", [r["policy"] for r in rows]),
               ("SEAT", [_clip(r["seat"]["title"], 30) for r in rows]),
               ("FOR", [audience(r["audience"]) for r in rows])]
    widths = [max(len(h), *(len(c) for c in cells)) for h, cells in columns]
    shown = 1
    min_title = 24
    while shown < len(columns) and \
            sum(widths[: shown + 1]) + 2 * (shown + 1) + min_title <= width:
        shown += 1
    room = max(min_title, width - sum(widths[:shown]) - 2 * shown)
    headers = [h for h, _ in columns[:shown]] + ["TITLE"]
    table = [[cells[i] for _, cells in columns[:shown]] + [_clip(r["title"], room)]
             for i, r in enumerate(rows)]
    def line(row: list[str]) -> str:
        cells = [cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=False)]
        return "  ".join([*cells, row[-1]]).rstrip()

    print(line(headers))
    policy = None
    for row, r in zip(table, rows, strict=True):
        if shown <= 2 and r["policy"] != policy:  # no POLICY column: a heading per policy
            policy = r["policy"]
            print(f"-- policy {policy} --")
        print(line(row))


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------------- show


def _load(ref: str) -> Any:
    """A bundled scenario by id, or a scenario YAML file; problems exit cleanly."""
    from pathlib import Path

    from scenarios.loader import LoadError, bundled_scenarios, load_scenario

    try:
        bundled = bundled_scenarios()
        if ref in bundled:
            return bundled[ref]
        if not Path(ref).exists():
            fail(f"no scenario '{ref}' (see `escalate scenario list`; or give a YAML path)", 1)
        return load_scenario(ref)
    except LoadError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None


def _seat_title(policy: Any, seat: Any) -> str:
    return seat.title or policy.role(seat.role).label


def _para(text: str, indent: str = "") -> str:
    return textwrap.fill(" ".join(text.split()), WIDTH, initial_indent=indent,
                         subsequent_indent=indent)


def _field(label: str, text: str) -> str:
    """``Label:      value`` with the value wrapped under itself."""
    head = f"{label + ':':<14}"
    return textwrap.fill(" ".join(text.split()), WIDTH, initial_indent=head,
                         subsequent_indent=" " * len(head))


def _bullets(items: list[str]) -> list[str]:
    return [textwrap.fill(" ".join(item.split()), WIDTH, initial_indent="  - ",
                          subsequent_indent="    ") for item in items]


LEVELS = {"universal": "Universal", "early_help": "Early Help",
          "s17": "Child in need (Section 17)", "s47": "Child protection (Section 47)"}
PLANS = {"none": "none", "CPP": "Child Protection Plan", "CLA": "Child Looked After"}


def briefing_text(scenario: Any, trainer: bool = False) -> str:
    """The briefing as plain text: who you are, the child, the worry, what you know."""
    from scenarios.loader import policy_of
    from tui.format import audience, clock

    policy = policy_of(scenario)
    category = next((c.text for c in policy.categories if c.id == scenario.category),
                    scenario.category)
    other_agency = policy.agency(scenario.other.agency).name
    lines = [scenario.title, "=" * min(len(scenario.title), WIDTH), ""]
    assumed = "  (stage ladder assumed)" if policy.ladder_is_assumption else ""
    lines += [
        _field("Policy", policy.title + assumed),
        _field("You are", f"{_seat_title(policy, scenario.seat)} "
                          f"({policy.agency(scenario.seat.agency).name})"),
        _field("Other", f"{_seat_title(policy, scenario.other)} ({other_agency})"),
    ]
    if scenario.referrer:
        lines.append(_field("Raised by", _seat_title(policy, scenario.referrer)))
    lines += [
        _field("Starts", clock(scenario.start)),
        _field("For", f"{audience(scenario.audience)}; {scenario.difficulty}; "
                      f"about {scenario.minutes} minutes"),
    ]
    if scenario.child:
        lines.append(_field("Child", f"{scenario.child.name}, {scenario.child.age_text}"))
    if scenario.family:
        family = "; ".join(f"{p.name} ({p.relation})" for p in scenario.family)
        lines.append(_field("Family", family))
    lines += [
        _field("Need", f"{LEVELS.get(scenario.level_of_need, scenario.level_of_need)}; "
                       f"plan: {PLANS.get(scenario.plan_status, scenario.plan_status)}"),
        _field("Disagreement", category),
        "", _para(scenario.briefing), "", "Your worry:", _para(scenario.worry, "  "),
    ]
    if scenario.known:
        lines += ["", "What you know:", *_bullets(scenario.known)]
    lines += ["", "You will be judged on:",
              *_bullets([f"{o.text} [{', '.join(o.rules)}]" for o in scenario.objectives])]
    if trainer:
        lines += ["", *_trainer_notes(scenario)]
    return "\n".join(lines)


def _trigger(policy: Any, on: str) -> str:
    """'stage:stage2' -> 'on reaching Stage 2 – …'; 'contact:cs.team_manager' -> 'when you
    contact Team manager'; anything else in plain words."""
    kind, _, ref = on.partition(":")
    try:
        if kind == "stage":
            return f"on reaching {policy.stage(ref).name}"
        if kind == "contact":
            return f"when you contact {policy.role(ref).label}"
    except StopIteration:
        pass
    return "on " + on.replace("_", " ").replace(":", " ")


def _trainer_notes(scenario: Any) -> list[str]:
    import re

    from scenarios.loader import policy_of
    from tui.format import clock

    def words(trap_id: str) -> str:  # resolve_at_stage1 -> resolve at Stage 1
        return re.sub(r"\bstage(\d+)\b", r"Stage \1", trap_id.replace("_", " "))

    policy = policy_of(scenario)
    lines = ["Trainer's notes", "---------------",
             f"Traps: {', '.join(words(t) for t in scenario.traps) or 'none'}",
             f"A passive trainee is caught by: {', '.join(scenario.teaches) or '—'}"]
    fixed = scenario.fixed
    agree = "left to the seed"
    if fixed.agree_at:
        try:
            agree = policy.stage(fixed.agree_at).name
        except StopIteration:
            agree = words(str(fixed.agree_at))
    lines.append(f"The other side agrees at: {agree}")
    if scenario.immediate_risk_at_start:
        lines.append("The child is at immediate risk from the start.")
    events = []
    for event in scenario.events:
        when = (clock(event.at) if event.at else
                f"after {event.after_hours:g} working hours" if event.after_hours is not None
                else _trigger(policy, str(event.on)))
        flag = " (immediate risk)" if event.immediate_risk else ""
        events.append(f"{when} — {event.kind.replace('_', ' ')}{flag}: {event.text}")
    if events:
        lines += ["Scripted events:", *_bullets(events)]
    if scenario.debrief:
        lines += ["Debrief:", _para(scenario.debrief, "  ")]
    return lines
