"""Batched optimal superposition on the GPU: every pair of conformations in one GEMM.

For centred conformations X_i, X_j (A atoms x 3) the optimal-rotation RMSD needs only the 3 x 3
correlation H_ij = X_i^T X_j and the squared norms G_i. All the H_ij of a block of rows are one
matrix product of the (3N x A) stacked coordinates with their transpose. Horn's quaternion method
turns each H_ij into a symmetric 4 x 4 matrix K whose largest eigenvalue L gives
RMSD^2 = (G_i + G_j - 2 L) / A, with the reflection case excluded by construction (a quaternion
is always a proper rotation). Computed in float64, so it matches biotite's SVD well inside 1e-4 Å.
"""

from __future__ import annotations

from typing import Any

from gpulab.progress import ProgressFn, no_progress

from .fit import superimposed

BYTES_PER_PAIR = 16 * 8 * 3  # K, its workspace and eigenvalues, float64


def centred(coords: Any) -> Any:
    """(N, A, 3) conformations moved to their centroids."""
    return coords - coords.mean(dim=1, keepdim=True)


def horn_matrix(h: Any) -> Any:
    """(..., 3, 3) correlations -> (..., 4, 4) Horn key matrices."""
    import torch

    sxx, sxy, sxz = h[..., 0, 0], h[..., 0, 1], h[..., 0, 2]
    syx, syy, syz = h[..., 1, 0], h[..., 1, 1], h[..., 1, 2]
    szx, szy, szz = h[..., 2, 0], h[..., 2, 1], h[..., 2, 2]
    rows = [
        [sxx + syy + szz, syz - szy, szx - sxz, sxy - syx],
        [syz - szy, sxx - syy - szz, sxy + syx, szx + sxz],
        [szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy],
        [sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz],
    ]
    return torch.stack([torch.stack(r, dim=-1) for r in rows], dim=-2)


def pairwise_rmsd(
    coords: Any, rows: Any = None, block: int = 256, progress: ProgressFn = no_progress
) -> Any:
    """RMSD after optimal superposition between `coords[rows]` and every conformation.

    coords: (N, A, 3) tensor on any device (cast to float64). Returns (len(rows), N). The rows
    are processed `block` at a time so that memory stays at block x N x BYTES_PER_PAIR bytes.
    """
    import torch

    x = centred(coords.to(torch.float64))
    n, atoms, _ = x.shape
    row_index = torch.arange(n, device=x.device) if rows is None else torch.as_tensor(rows)
    norms = (x * x).sum(dim=(1, 2))
    stacked = x.permute(0, 2, 1).reshape(3 * n, atoms)  # row 3*i + a: coordinate a of i
    out = torch.empty((len(row_index), n), dtype=torch.float64, device=x.device)
    for start in range(0, len(row_index), block):
        chunk = row_index[start : start + block].to(x.device)
        left = x[chunk].permute(0, 2, 1).reshape(3 * len(chunk), atoms)
        h = (left @ stacked.T).view(len(chunk), 3, n, 3).permute(0, 2, 1, 3)
        largest = torch.linalg.eigvalsh(horn_matrix(h))[..., -1]
        msd = (norms[chunk, None] + norms[None, :] - 2 * largest) / atoms
        out[start : start + len(chunk)] = msd.clamp_min(0).sqrt()
        progress(start + len(chunk), len(row_index), f"{start + len(chunk)} rows")
    return out


def block_rows(n: int, free_bytes: int, fraction: float = 0.5) -> int:
    """Rows per block so that one block's work uses at most `fraction` of the free bytes."""
    per_row = max(1, n * BYTES_PER_PAIR)
    return int(max(1, min(n, fraction * free_bytes // per_row)))


def biotite_rows(coords: Any, rows: Any) -> Any:
    """The same rows by biotite on the CPU: superimpose every conformation onto row i, RMSD."""
    import biotite.structure as struc
    import numpy as np

    out = np.empty((len(rows), coords.shape[0]))
    for k, i in enumerate(rows):
        fitted = superimposed(coords[i], coords)
        out[k] = struc.rmsd(coords[i], fitted)
    return out
