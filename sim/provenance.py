"""Provenance of a stress run: what was run, on what, when — enough to reproduce it."""

from __future__ import annotations

import hashlib
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from scenarios.policy_schema import Policy

PACKAGES = ("escalation-trainer", "numpy", "simpy", "joblib", "distributed", "matplotlib",
            "pydantic", "holidays")


def policy_file(ref: str, policy: Policy) -> Path | None:
    """The YAML file a policy came from: the path given, or the bundled file of its id."""
    path = Path(ref)
    if path.is_file():
        return path
    from scenarios.loader import POLICY_DIR

    for candidate in sorted(POLICY_DIR.glob("*.yaml")):
        text = candidate.read_text(encoding="utf-8")
        if f"\nid: {policy.id}\n" in f"\n{text}":
            return candidate
    return None


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def provenance(run: Any, policy: Policy, ref: str, argv: list[str] | None = None,
               now: datetime | None = None) -> dict:
    """Seed, cases, engine, player and mix, policy file and hashes, versions, date."""
    path = policy_file(ref, policy)
    file_hash = hashlib.sha256(path.read_bytes()).hexdigest() if path else None
    model_hash = hashlib.sha256(policy.model_dump_json().encode()).hexdigest()
    when = (now or datetime.now(UTC)).replace(microsecond=0)
    return {
        "seed": run.seed,
        "cases": run.cases,
        "engine": run.engine,
        "player": run.player,
        "population": run.mixes[0] if run.mixes and len(set(map(str, run.mixes))) == 1
        else run.mixes,
        "jobs": run.jobs,
        "policy": {"id": policy.id, "version": policy.version, "title": policy.title,
                   "file": str(path) if path else None, "sha256": file_hash,
                   "model_sha256": model_hash,
                   "ladder_is_assumption": policy.ladder_is_assumption},
        "versions": versions(),
        "date_utc": when.isoformat().replace("+00:00", "Z"),
        "command": " ".join(["escalate", *argv]) if argv is not None else
        " ".join(["escalate", *sys.argv[1:]]),
    }
