"""Small helpers shared by the sub-commands: clean failures and JSON output."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn


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
