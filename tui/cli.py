"""The `escalate` command line.

Each sub-command lives in its own module under `tui.commands` and exposes
``register(subparsers)`` and ``run(args) -> int``. Heavy imports happen inside ``run`` so
that `escalate --help` stays quick.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS = (
    "play",
    "check",
    "policy",
    "scenario",
    "deadlines",
    "autoplay",
    "report",
    "stress",
    "calibrate",
    "workshop",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="escalate",
        description="Train and stress-test inter-agency safeguarding escalation. "
        "With no command, the trainer opens on a bundled scenario.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"tui.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["play", "--default"])
    args.argv = list(argv) if argv is not None else sys.argv[1:]  # for provenance
    module = importlib.import_module(f"tui.commands.{args.command}")
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
