"""The rule table: one small check per rule id of the catalogue, keyed by that id.

`evaluate` runs a check only when the session's policy has the rule id and the check says
it applies to the trainee's seat; which rules ran is part of the assessment, so a debrief
can say what was and was not judged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from scoring.context import Ctx
from scoring.model import Finding

Check = Callable[[Ctx], list[Finding]]
Applies = Callable[[Ctx], bool]


@dataclass(frozen=True)
class RuleCheck:
    rule: str
    check: Check
    applies: Applies
    doc: str


RULES: dict[str, RuleCheck] = {}


def _always(ctx: Ctx) -> bool:
    return True


def rule(rule_id: str, applies: Applies | None = None) -> Callable[[Check], Check]:
    """Register ``check`` as the judge of ``rule_id`` (ids are unique across policies)."""

    def register(check: Check) -> Check:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id} registered twice")
        doc = (check.__doc__ or "").strip().splitlines()[0] if check.__doc__ else ""
        RULES[rule_id] = RuleCheck(rule_id, check, applies or _always, doc)
        return check

    return register
