"""The batched-RMSD comparison: our pairwise matrix on the device against biotite's rows.

biotite computes `peer_rows` rows of the matrix (one `superimpose` call per row, vectorised over
the ensemble); ours computes all of it. Both are timed warm and compared as pairs per second;
the rows biotite computed are checked against ours to 1e-4 Å before any figure is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpulab import memory_budget
from gpulab.progress import ProgressFn, no_progress
from gpulab.timing import Timing, benchmark

from . import kabsch
from .config import ProteinConfig
from .ensemble import interpolated
from .structures import load_vendored

TOLERANCE_ANGSTROM = 1e-4


@dataclass
class RmsdResult:
    """Timings of both sides, the agreement, and the matrix for the heat map."""

    device: str
    conformations: int
    atoms: int
    ours: Timing
    peer: Timing
    peer_rows: int
    max_abs_diff: float
    matrix: Any  # (N, N) NumPy array of ours

    @property
    def ours_pairs_per_s(self) -> float:
        return self.conformations**2 / self.ours.median_s

    @property
    def peer_pairs_per_s(self) -> float:
        return self.peer_rows * self.conformations / self.peer.median_s

    @property
    def equal(self) -> bool:
        return self.max_abs_diff <= TOLERANCE_ANGSTROM


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def run_rmsd(
    config: ProteinConfig, device: str | None = None, progress: ProgressFn = no_progress
) -> RmsdResult:
    """Ensemble -> ours (all pairs) and biotite (peer rows), timed, checked; work = 2 + repeats."""
    import numpy as np
    import torch

    config.validate()
    device = device or default_device()
    total = 2 + 2 * config.repeats
    coords = interpolated(
        load_vendored("adk_open"),
        load_vendored("adk_closed"),
        config.ensemble,
        config.noise_angstrom,
        config.seed,
    )
    progress(1, total, f"{config.ensemble} conformations drawn")
    on_device = torch.from_numpy(coords).to(device)
    free = memory_budget.free_and_total(device)[0] if device.startswith("cuda") else 2**31
    block = kabsch.block_rows(config.ensemble, free)
    rows = np.linspace(0, config.ensemble - 1, config.peer_rows).astype(int)
    ours = benchmark(
        lambda: kabsch.pairwise_rmsd(on_device, block=block),
        warmup=1,
        repeats=config.repeats,
        device=device,
    )
    progress(1 + config.repeats, total, f"ours: {ours.median_s:.4f} s")
    peer = benchmark(lambda: kabsch.biotite_rows(coords, rows), warmup=0, repeats=config.repeats)
    matrix = kabsch.pairwise_rmsd(on_device, block=block).cpu().numpy()
    reference = kabsch.biotite_rows(coords, rows)
    diff = float(np.abs(matrix[rows] - reference).max())
    progress(total, total, f"max |ours - biotite| = {diff:.1e} Å")
    return RmsdResult(device, config.ensemble, coords.shape[1], ours, peer, len(rows), diff, matrix)
