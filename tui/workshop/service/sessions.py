"""A trainee's session, rebuilt from the workshop's scenario, seed and stored action log.

The scenario is stored in the workshop row as validated JSON when the workshop is made, so
a workshop keeps replaying the same case even if the YAML it came from is edited or moved.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from scenarios.scenario_schema import Scenario
from sim import actions as A
from sim.session import Session

S = TypeVar("S", bound=Session)


def scenario_of(row: Any) -> Scenario:
    return Scenario.model_validate_json(row["scenario_json"])


def entry(at: datetime, action: A.Action) -> dict[str, Any]:
    """One action as the log stores it (the shape of `Session.to_dict()['actions']`)."""
    return {"at": at.isoformat(), **action.model_dump(mode="json")}


def apply(session: Session, rows: Iterable[Any]) -> None:
    """Replay stored actions onto a session, exactly as `Session.from_dict` does."""
    for row in rows:
        session.apply_logged(json.loads(row["action_json"]))

def rebuild(scenario: Scenario, seed: int, rows: Iterable[Any], cls: type[S] = Session) -> S:  # type: ignore[assignment]
    session = cls(scenario, seed)
    apply(session, rows)
    return session
