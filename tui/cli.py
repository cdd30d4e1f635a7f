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


class DefaultsFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, where it has a meaningful one and the
    help does not already say it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (not action.option_strings or default in (None, False, [], argparse.SUPPRESS)
                or "default" in text or action.nargs == 0):
            return text
        return f"{text} (default: %(default)s)" if text else "(default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """The `escalate` parser and, through add_subparsers, every sub-command's."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", DefaultsFormatter)
        super().__init__(*args, **kwargs)


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("escalation-trainer")
    except PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="escalate",
        description="Train and stress-test inter-agency safeguarding escalation. "
        "With no command, the trainer opens on a bundled scenario.",
    )
    parser.add_argument("--version", action="version",
                        version=f"escalate (escalation-trainer) {version()}")
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
