"""A population of practitioner behaviours: the policy measured, not one scripted player.

Each case is played by one practitioner type, drawn per case from its own stream
(``SeedSequence(seed, spawn_key=(chunk, POPULATION_KEY))``, apart from the model's draws)
with the shares of the mix:

* ``prompt``    — the `perfect` player: escalates at once on a "no", and without a reply
  two working hours before the deadline; refers at once under immediate risk.
* ``typical``   — the `late` player: takes each decision an hour after the deadline that
  governs it (the timescale is used up before anyone chases or escalates).
* ``stretched`` — the `passive` player: never escalates and never refers (the common
  mistake reviews describe, EVIDENCE.md).

The mix is an **assumption** (default 60 / 30 / 10 %, `DEFAULT_MIX`), set and swept as
``population.prompt`` and ``population.stretched``; ``typical`` is the remainder. The
engines are untouched: a chunk's cases are split by type, each part is played by its
player's model on its own draws, and the results are put back in case order. The type
uniform does not depend on the mix, so variants of the mix are coupled case by case
(raising ``stretched`` turns some typical cases stretched and no others).

With role queues (SimPy engine, ``run.cases_per_year`` > 0) cases of different types do
not share desks; the fast engine has no queues, so there the split is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.race_model import CHUNK, RESULT_FIELDS, ChunkResult, RaceModel

TYPES = ("prompt", "typical", "stretched")
PLAYER_OF = {"prompt": "perfect", "typical": "late", "stretched": "passive"}
DEFAULT_MIX = {"prompt": 0.6, "typical": 0.3, "stretched": 0.1}
POPULATION_KEY = 7919  # spawn-key suffix of the type stream (distinct from (chunk,))
SETTABLE = ("prompt", "stretched")


class MixError(ValueError):
    """A bad population share: one line for the user."""


def normalise(mix: dict[str, float]) -> dict[str, float]:
    """The full mix from prompt and stretched shares; typical is the remainder."""
    prompt = mix.get("prompt", DEFAULT_MIX["prompt"])
    stretched = mix.get("stretched", DEFAULT_MIX["stretched"])
    for name, share in (("prompt", prompt), ("stretched", stretched)):
        if not 0 <= share <= 1:
            raise MixError(f"population.{name} must be between 0 and 1, got {share:g}")
    typical = 1.0 - prompt - stretched
    if typical < -1e-9:
        raise MixError(f"population.prompt + population.stretched must not exceed 1, "
                       f"got {prompt:g} + {stretched:g}")
    return {"prompt": prompt, "typical": round(max(0.0, typical), 12), "stretched": stretched}


@dataclass
class Mix:
    """One variant played by a population: a model per practitioner type."""

    shares: dict[str, float]
    models: list[RaceModel]  # in TYPES order

    @property
    def model(self) -> RaceModel:
        """The model whose policy, stages and roles the metrics are named after."""
        return self.models[0]

    @property
    def n_steps(self) -> int:
        return self.models[0].n_steps


def type_uniforms(seed: int, chunk: int) -> np.ndarray:
    """One uniform per case of a whole chunk, from the population's own stream."""
    seq = np.random.SeedSequence(seed, spawn_key=(chunk, POPULATION_KEY))
    return np.random.Generator(np.random.PCG64(seq)).random(CHUNK)


def assign(shares: dict[str, float], u: np.ndarray) -> np.ndarray:
    """Type index (into TYPES) of each case: prompt below its share, stretched at the top."""
    prompt, stretched = shares["prompt"], shares["stretched"]
    kind = np.ones(u.shape, dtype=np.int64)
    kind[u < prompt] = 0
    kind[u >= 1.0 - stretched] = 2
    return kind


def scatter(parts: list[tuple[np.ndarray, ChunkResult]], n: int, n_stages: int,
            n_roles: int, n_items: int = 0) -> ChunkResult:
    """Per-type results put back in case order; contact sums add up."""
    out = ChunkResult.empty(n, n_stages, n_roles, n_items)
    for rows, part in parts:
        for name in RESULT_FIELDS:
            if getattr(part, name) is None:
                setattr(out, name, None)
            elif getattr(out, name) is not None:
                getattr(out, name)[rows] = getattr(part, name)
        out.contacts += part.contacts
        out.contacts_sq += part.contacts_sq
    return out
