"""`escalate stress` (not yet built)."""

from __future__ import annotations

import argparse

from tui.commands.common import fail


def register(subparsers: argparse._SubParsersAction) -> None:
    subparsers.add_parser("stress", help="(coming soon)")


def run(args: argparse.Namespace) -> int:
    fail("'stress' is not built yet")
