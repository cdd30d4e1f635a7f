"""Small helpers shared by the sub-commands: clean failures and JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, NoReturn

# A seed is stored in SQLite (workshops) and JSON saves: keep it a 63-bit whole number.
MAX_SEED = 2**63 - 1


def fail(message: str, code: int = 2) -> NoReturn:
    """One clear line on stderr and an exit code, never a traceback."""
    print(f"escalate: error: {message}", file=sys.stderr)
    raise SystemExit(code)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def load_policy_or_fail(ref: str) -> Any:
    """A bundled policy id or a YAML path; problems become a clean exit 1."""
    from scenarios.loader import LoadError, resolve_policy

    try:
        return resolve_policy(ref)
    except LoadError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None


def seed_type(text: str) -> int:
    """argparse type for ``--seed``: a whole number from 0 to `MAX_SEED`."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"a seed is a whole number from 0 to {MAX_SEED}")
    return value
