"""`escalate deadlines POLICY --start WHEN`: due instant of every stage and step."""

from __future__ import annotations

import argparse
from datetime import datetime

from tui.commands.common import fail, load_policy_or_fail, print_json


def _when(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date and time like 2025-12-19T16:40, got {text!r}"
        ) from None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("deadlines", help="due dates of every stage under a policy")
    parser.add_argument("policy", metavar="POLICY", help="bundled policy id or YAML file")
    parser.add_argument("--start", type=_when, required=True, metavar="YYYY-MM-DDTHH:MM",
                        help="when the disagreement arises")
    parser.add_argument("--event-at", type=_when, metavar="YYYY-MM-DDTHH:MM",
                        help="when the event that starts a sub-procedure or another dated "
                        "duty happens (the conference, the outcome, new information); "
                        "default: the start")
    parser.add_argument("--reading", choices=["working", "calendar"],
                        help="override the policy's reading of 'Day N'")
    parser.add_argument("--priority", metavar="ID",
                        help="a case of this priority (default: every priority's tier)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def _stage(policy, stage_id: str) -> str:
    try:
        return f"Stage {policy.stage(stage_id).number}"
    except (KeyError, ValueError, StopIteration):
        return stage_id.replace("_", " ")


def run(args: argparse.Namespace) -> int:
    from scenarios.case_deadlines import for_case
    from sim.deadlines import (
        event_deadlines,
        procedure_deadlines,
        tiered_deadlines,
        with_reading,
    )
    from sim.emergency import emergency_deadlines

    policy = load_policy_or_fail(args.policy)
    if args.reading:
        policy = with_reading(policy, f"{args.reading}_days")
    priority = args.priority
    if priority is not None and policy.priority(priority) is None:
        known = ", ".join(p.id for p in policy.priorities) or "none"
        fail(f"unknown priority '{priority}' (the policy's priorities: {known})")
    try:
        tiered = tiered_deadlines(policy, args.start, priority)
        items = [item for _, item in tiered]
        emergency = emergency_deadlines(policy, args.start)
        event_at = args.event_at or args.start
        procedures = [(p, procedure_deadlines(policy, p, event_at, priority))
                      for p in policy.procedures]
        on_events = event_deadlines(for_case(policy, priority), event_at)
    except ValueError as exc:
        fail(str(exc))
    reading = policy.day_reading
    if args.json:
        print_json({
            "policy": policy.id,
            "start": args.start.isoformat(),
            "day_unit": reading.day_unit,
            "day_one": reading.day_one,
            "deadlines": [
                {"stage": i.stage, "step": i.step, "label": i.label, "rule": i.rule_text,
                 "due": i.due.isoformat() if i.due else None, "advisory": i.advisory,
                 "priority": tier}
                for tier, i in tiered
            ],
            "procedures": [
                {"procedure": p.id, "starts_on": p.starts_on, "event_at": event_at.isoformat(),
                 "step": i.step, "label": i.label, "rule": i.rule_text,
                 "due": i.due.isoformat() if i.due else None}
                for p, dues in procedures for i in dues
            ],
            "emergency": [
                {"route": i.stage, "label": i.label, "rule": i.rule_text,
                 "due": i.due.isoformat() if i.due else None}
                for i in emergency
            ],
            "on_events": [
                {"event": i.stage.removeprefix("event:"), "duty": i.step, "label": i.label,
                 "rule": i.rule_text, "event_at": event_at.isoformat(),
                 "due": i.due.isoformat() if i.due else None, "advisory": i.advisory}
                for i in on_events
            ],
        })
        return 0
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(f"{policy.title}\nstart {args.start:%a %d %b %Y %H:%M}; "
                             f"'Day N' read as "
                             f"{reading.day_unit.replace('_', ' ')}, Day 1 = "
                             f"{reading.day_one.replace('_', ' ')}"))
    table.add_column("Stage", max_width=9)
    table.add_column("Step", ratio=1)
    table.add_column("Policy says", ratio=1)
    table.add_column("Due", no_wrap=True)
    for _tier, item in tiered:
        due = f"{item.due:%a %d %b %Y %H:%M}" if item.due else "no fixed time"
        table.add_row(*(Text(c) for c in (_stage(policy, item.stage), item.label,
                                          item.rule_text, due)))
    if emergency and items:
        table.add_section()  # outside the stages: if the child is at risk at the start
    for item in emergency:
        due = f"{item.due:%a %d %b %Y %H:%M}" if item.due else "no fixed time"
        table.add_row(*(Text(c) for c in ("Immediate risk", item.label, item.rule_text, due)))
    for procedure, dues in procedures:
        table.add_section()  # its own clock: from the event that starts it
        table.add_row(Text("Event"), Text(f"{procedure.title}: its own clock from event "
                                          f"'{procedure.starts_on}'"), Text(""),
                      Text(f"{event_at:%a %d %b %Y %H:%M}"))
        for item in dues:
            due = f"{item.due:%a %d %b %Y %H:%M}" if item.due else "from the event"
            table.add_row(*(Text(c) for c in ("", item.label, item.rule_text, due)))
    if on_events:
        table.add_section()  # clocks started by an event of the case
        table.add_row(Text("Event"), Text("Owed when something happens in the case, as if "
                                          "it happened at"), Text(""),
                      Text(f"{event_at:%a %d %b %Y %H:%M}"))
    for item in on_events:
        due = f"{item.due:%a %d %b %Y %H:%M}" if item.due else "from the event"
        table.add_row(*(Text(c) for c in ("", item.label, item.rule_text, due)))
    Console().print(table)  # the terminal's width, 80 when piped (or $COLUMNS)
    return 0
