"""Named random streams derived from one scenario seed.

Each stage (and each raid inside the truth stage) gets its own ``numpy.random.Generator`` from
``SeedSequence(seed, spawn_key=key)``, so changing one stage or adding one raid does not reshuffle the
others, and results do not depend on process or worker count.
"""

from __future__ import annotations

import numpy as np

TRUTH, SENSING, TRACKING, ENGAGEMENT, IDENTIFICATION, SWEEP = 1, 2, 3, 4, 5, 6


def stream(seed: int, *key: int) -> np.random.Generator:
    """The generator for stream ``key`` (e.g. ``(TRUTH, 0, 3)``) of scenario seed ``seed``."""
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=tuple(int(k) for k in key)))
