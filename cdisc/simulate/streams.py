"""Independent random streams: one generator per named part of the simulation, all from one seed.

Each module draws from its own stream, so changing how one part draws leaves the others' data alone.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator for ``name`` under ``seed`` (stable across runs and platforms)."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("ascii"))])


def pick(rng: np.random.Generator, n: int, weights) -> np.ndarray:
    """``n`` indices drawn with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())
