"""Independent random streams per source of randomness, from one seed.

Streams are keyed by name (and by role for replies), never by the order in which they are
first used, so two trainees on the same seed meet the same world however differently they
play it: the common random numbers the debrief and what-if comparisons rely on.
"""

from __future__ import annotations

import zlib

import numpy as np

SOURCES = ("case", "stance", "risk", "reply", "absence", "phone", "events", "priority",
           "allocation", "alongside")


def stream(seed: int, source: str, key: str = "") -> np.random.Generator:
    """The generator for one source (and optional key such as a role id) under a seed."""
    if source not in SOURCES:
        raise ValueError(f"unknown random source {source!r}; expected one of {SOURCES}")
    words = [seed & 0xFFFFFFFF, seed >> 32 & 0xFFFFFFFF, SOURCES.index(source)]
    if key:
        words.append(zlib.crc32(key.encode()))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words)))
