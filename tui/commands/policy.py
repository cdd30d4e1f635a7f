"""`escalate policy list|show|schema`."""

from __future__ import annotations

import argparse

from tui.commands.common import load_policy_or_fail, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("policy", help="list, show or describe policies")
    actions = parser.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the bundled policies")
    listing.add_argument("--json", action="store_true", help="one object per policy")
    show = actions.add_parser("show", help="a policy's ladder: stages x agencies")
    show.add_argument("policy", metavar="ID_OR_FILE")
    show.add_argument("--json", action="store_true", help="the validated model as JSON")
    actions.add_parser("schema", help="print the JSON Schema of a policy file")


def run(args: argparse.Namespace) -> int:
    if args.policy_command == "schema":
        from scenarios.policy_schema import Policy

        print_json(Policy.model_json_schema())
        return 0
    if args.policy_command == "list":
        from scenarios.loader import bundled_policies

        if args.json:
            print_json([{"id": p.id, "version": p.version, "title": p.title,
                         "ladder_is_assumption": p.ladder_is_assumption,
                         "stages": [s.name for s in p.stages]}
                        for p in bundled_policies().values()])
            return 0
        for policy in bundled_policies().values():
            flag = "  (ladder is an assumption)" if policy.ladder_is_assumption else ""
            print(f"{policy.id:<20} v{policy.version}  {policy.title}{flag}")
        return 0
    policy = load_policy_or_fail(args.policy)
    if args.json:
        print_json(policy.model_dump(mode="json"))
        return 0
    from rich.console import Console
    from rich.text import Text

    from tui.ladder_table import assumption_lines, ladder_table, step_guidance_lines

    console = Console()
    console.print(ladder_table(policy))
    for heading, lines in (("What is done at each step", step_guidance_lines(policy)),
                           ("Assumptions", assumption_lines(policy))):
        if lines:
            console.print(Text(f"\n{heading}", style="bold"))
            for line in lines:
                console.print(Text(f"• {line}"))  # policy text, never markup
    return 0
