"""`escalate autoplay CASE --player NAME --seed N [--json] [--save FILE]`.

CASE is a bundled scenario id, a scenario YAML path, a bundled policy id or a policy YAML
path (a policy plays a case generated from it and the seed). ``--save`` writes the session
(its action log) as JSON: the input of `escalate report`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tui.commands.common import fail, print_json, seed_type

PLAYER_NAMES = ("perfect", "passive", "skipper", "late")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("autoplay", help="play a case with a scripted player")
    parser.add_argument("case", metavar="SCENARIO_OR_POLICY",
                        help="bundled scenario or policy id, or a YAML file of either")
    parser.add_argument("--player", choices=PLAYER_NAMES, default="perfect",
                        help="the scripted player")
    parser.add_argument("--seed", type=seed_type, default=1, help="random seed")
    parser.add_argument("--json", action="store_true", help="timeline, score and findings")
    parser.add_argument("--save", metavar="FILE", help="write the session JSON here")


def load_session(ref: str, seed: int) -> Any:
    """A fresh Session for a scenario or policy, by bundled id or YAML path."""
    from scenarios.loader import LoadError, bundled_policies, bundled_scenarios, load_any
    from scenarios.scenario_schema import Scenario
    from sim.session import Session

    try:
        if ref in bundled_scenarios():
            return Session.from_scenario(ref, seed)
        if ref in bundled_policies():
            return Session.generate(ref, seed)
        if not Path(ref).exists():
            known = ", ".join(sorted([*bundled_scenarios(), *bundled_policies()]))
            fail(f"no scenario or policy '{ref}' (bundled: {known}; or give a YAML path)", 1)
        loaded = load_any(ref)
    except LoadError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None
    if isinstance(loaded, Scenario):
        return Session(loaded, seed)
    return Session.generate(loaded, seed)


def run(args: argparse.Namespace) -> int:
    from scoring import evaluate
    from sim.players import play
    from sim.session import SessionError

    if args.seed < 0:
        fail("--seed must be 0 or more")
    session = load_session(args.case, args.seed)
    try:
        play(session, args.player)
    except (SessionError, ValueError) as exc:
        fail(f"the case could not be played: {exc}")
    assessment = evaluate(session)
    if args.save:
        data = session.to_dict()
        if Path(args.case).exists() and not session.generated:
            data["scenario_file"] = str(Path(args.case).resolve())
        try:
            Path(args.save).write_text(json.dumps(data, indent=1, default=str),
                                       encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {args.save}: {exc.strerror or exc}", 1)
    if args.json:
        print_json({
            "scenario": session.scenario.id,
            "seed": session.seed,
            "player": args.player,
            "status": session.status,
            "resolved_at": session.resolved_at,
            "timeline": [e.to_dict() for e in session.timeline],
            "score": assessment.score,
            "themes": assessment.themes,
            "capped": assessment.capped,
            "findings": [f.to_dict() for f in assessment.findings],
        })
        return 0
    print(f"{session.scenario.title} — seed {session.seed}, player {args.player}")
    for event in session.timeline:
        print(f"  {event.at:%a %d %b %H:%M}  {event.kind:<15} {event.text}")
    print(f"status {session.status}; score {assessment.score:g}/100"
          + (" (capped: critical finding)" if assessment.capped else ""))
    for finding in assessment.findings:
        print(f"  {finding.rule:<4} {finding.severity:<13} {finding.observed}")
    return 0
