"""Seeded randomness that does not depend on processing order or worker count."""

from __future__ import annotations

import hashlib

import numpy as np


def rng_for(seed: int, name: str) -> np.random.Generator:
    """A generator for one file: the same (seed, name) always draws the same numbers."""
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))
