"""One case's random draws, drawn before anyone plays it: the seam between the engines
and the Session.

The stress engines draw a chunk of cases at once (`sim.race_model.ChunkDraws`); row i of
a chunk is one `CaseDraws`. A `Session` given one (`Session.from_draws`) takes the same
start, agencies, category, immediate-risk moment, replies and agreements instead of its own
seeded streams, so the Session with a scripted player, the SimPy race and the numpy engine
can be compared case by case on identical draws (tests/test_engine_differential.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class CaseDraws:
    start: float  # calendar minute the concern is raised
    raiser: str  # agency id of the professional raising it (the trainee's seat)
    other: str  # agency id of the professional they disagree with
    category: str
    risk: float  # calendar minute immediate risk arises (inf: never)
    answered: tuple[bool, ...]  # per ladder step: the phone is answered at once in office
    work: tuple[float, ...]  # per ladder step: working minutes until the reply (inf: never)
    agree: tuple[bool, ...]  # per ladder step: the counterpart agrees

    @property
    def risk_minute(self) -> float | None:
        return None if math.isinf(self.risk) else self.risk
