"""Events on a case timeline: what happened, when, who did it.

Scoring, debriefs, exports and the TUI inbox all read this one list.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

EVENT_KINDS = (
    "start", "action", "reply", "no_answer", "message", "new_information", "injury",
    "disclosure", "conference_dissent", "immediate_risk", "stage", "resolved", "referred",
    "record", "deadline", "system", "inject", "finished", "rationale",
)
INBOX_KINDS = frozenset({
    "reply", "no_answer", "message", "new_information", "injury", "disclosure",
    "conference_dissent", "immediate_risk", "deadline", "inject", "resolved", "rationale",
})


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str
    text: str
    actor: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["at"] = self.at.isoformat()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        return cls(**{**data, "at": datetime.fromisoformat(data["at"])})


# Case facts a chronology must hold: what happened to the child, not the escalation's own
# business (calls, replies and deadlines are on the records of each step).
SIGNIFICANT_KINDS = frozenset({
    "new_information", "injury", "disclosure", "conference_dissent", "immediate_risk",
})


def significant(events: list[Event]) -> list[Event]:
    """The timeline's significant events, each of which owes a dated chronology entry: new
    information, an injury, a disclosure, dissent at conference, an immediate risk, or a
    scripted message that signals harm (`referral_needed`)."""
    return [e for e in events if e.kind in SIGNIFICANT_KINDS
            or e.data.get("immediate_risk") or e.data.get("referral_needed")]
