"""`escalate autoplay` (not yet built)."""

from __future__ import annotations

import argparse

from tui.commands.common import fail


def register(subparsers: argparse._SubParsersAction) -> None:
    subparsers.add_parser("autoplay", help="(coming soon)")


def run(args: argparse.Namespace) -> int:
    fail("'autoplay' is not built yet")
