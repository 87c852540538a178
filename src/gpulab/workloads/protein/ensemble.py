"""A conformational ensemble between adenylate kinase's open and closed states.

Linear interpolation of the CA atoms (closed superimposed onto open) plus Gaussian noise: a
stand-in for a trajectory with real structural variety, drawn reproducibly from the seed.
"""

from __future__ import annotations

from typing import Any

from gpulab import repro

from .fit import superimposed
from .structures import Structure


def interpolated(open_: Structure, closed: Structure, n: int, noise: float, seed: int) -> Any:
    """(n, A, 3) float64 CA coordinates, t from 0 (open) to 1 (closed), noise in Å."""
    import numpy as np

    repro.seed_everything(seed)
    rng = np.random.default_rng(seed)
    start = open_.ca().coord.astype(np.float64)
    end = superimposed(start, closed.ca().coord.astype(np.float64))
    t = np.linspace(0.0, 1.0, n)[:, None, None]
    path = (1 - t) * start[None] + t * end[None]
    return path + rng.normal(0.0, noise, size=path.shape)
