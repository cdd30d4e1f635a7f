"""`escalate check FILE...`: validate policy and scenario files."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="validate policy and scenario YAML files")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--no-lint", action="store_true",
                        help="only validate; skip playing scenarios through the lint")
    parser.add_argument("--json", action="store_true",
                        help="one object per file: ok, kind, id, errors, lint problems")


def run(args: argparse.Namespace) -> int:
    from scenarios.loader import LoadError, load_any

    failed = 0
    report = []
    for file in args.files:
        try:
            loaded = load_any(file)
        except LoadError as exc:
            failed += 1
            report.append({"file": file, "ok": False, "kind": None, "id": None,
                           "errors": str(exc).splitlines(), "lint": []})
            if not args.json:
                print(exc, file=sys.stderr)
            continue
        problems = [] if args.no_lint else _lint(loaded)
        kind = type(loaded).__name__.lower()
        report.append({"file": file, "ok": not problems, "kind": kind, "id": loaded.id,
                       "errors": [], "lint": problems, "notes": _not_yet_honoured(loaded)})
        failed += bool(problems)
        if args.json:
            continue
        for problem in problems:
            print(f"{file}: lint: {problem}", file=sys.stderr)
        if not problems:
            print(f"{file}: ok ({kind} '{loaded.id}')" + _unchecked_quotes(file, loaded))
        for note in _not_yet_honoured(loaded):
            print(f"{file}: note: {note}")
    if args.json:
        from tui.commands.common import print_json

        print_json(report)
    return 1 if failed else 0


def _not_yet_honoured(loaded: object) -> list[str]:
    from scenarios.checks import unhonoured
    from scenarios.policy_schema import Policy

    return unhonoured(loaded) if isinstance(loaded, Policy) else []


def _unchecked_quotes(file: str, loaded: object) -> str:
    """A note when a policy's quotes could not be checked: its source file is not there."""
    from pathlib import Path

    from scenarios.loader import source_document
    from scenarios.policy_schema import Policy

    if not isinstance(loaded, Policy) or source_document(Path(file), loaded) is not None:
        return ""
    return f"; quotes not checked: source file '{loaded.source.file}' not found"


def _lint(loaded: object) -> list[str]:
    """Scenario lint (playing it through the scripted players), when available."""
    from scenarios.scenario_schema import Scenario

    if not isinstance(loaded, Scenario):
        return []
    try:
        from scoring.lint import lint_scenario
    except ImportError:
        return []
    return lint_scenario(loaded)
