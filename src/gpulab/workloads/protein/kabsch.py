"""Batched optimal superposition on the GPU: every pair of conformations in one GEMM.

For centred conformations X_i, X_j (A atoms x 3) the optimal-rotation RMSD needs only the 3 x 3
correlation H_ij = X_i^T X_j and the squared norms G_i. All the H_ij of a block of rows are one
matrix product of the (3N x A) stacked coordinates with their transpose. Horn's quaternion method
turns each H_ij into a symmetric 4 x 4 matrix K whose largest eigenvalue L gives
RMSD^2 = (G_i + G_j - 2 L) / A, with the reflection case excluded by construction (a quaternion
is always a proper rotation). L is found as in Theobald's QCP method: Newton's method on K's
characteristic polynomial, started at the upper bound (G_i + G_j) / 2, all elementwise (a batched
eigensolver over millions of 4 x 4 matrices asks cuSOLVER for terabytes of workspace). Computed
in float64, so it matches biotite's SVD well inside 1e-4 Å.
"""

from __future__ import annotations

from typing import Any

from gpulab.progress import ProgressFn, no_progress

from .fit import superimposed

BYTES_PER_PAIR = 1024  # H, K and the Newton iteration's temporaries, float64 (measured < 1 KiB)
NEWTON_STEPS = 60  # quadratic convergence: a handful suffice; the cap covers near-double roots


def centred(coords: Any) -> Any:
    """(N, A, 3) conformations moved to their centroids."""
    return coords - coords.mean(dim=1, keepdim=True)


def horn_matrix(h: Any) -> Any:
    """(..., 3, 3) correlations -> (..., 4, 4) Horn key matrices."""
    import torch

    return torch.stack([torch.stack(r, dim=-1) for r in horn_rows(h)], dim=-2)


def horn_rows(h: Any) -> list[list[Any]]:
    """The 16 entries of Horn's key matrix of each (..., 3, 3) correlation, as 4 rows of 4."""
    sxx, sxy, sxz = h[..., 0, 0], h[..., 0, 1], h[..., 0, 2]
    syx, syy, syz = h[..., 1, 0], h[..., 1, 1], h[..., 1, 2]
    szx, szy, szz = h[..., 2, 0], h[..., 2, 1], h[..., 2, 2]
    rows = [
        [sxx + syy + szz, syz - szy, szx - sxz, sxy - syx],
        [syz - szy, sxx - syy - szz, sxy + syx, szx + sxz],
        [szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy],
        [sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz],
    ]
    return rows


def _det4(m: list[list[Any]]) -> Any:
    """Determinant of 4 x 4 matrices given as rows of tensors: Laplace over 2 x 2 minors."""
    s0 = m[0][0] * m[1][1] - m[1][0] * m[0][1]
    s1 = m[0][0] * m[1][2] - m[1][0] * m[0][2]
    s2 = m[0][0] * m[1][3] - m[1][0] * m[0][3]
    s3 = m[0][1] * m[1][2] - m[1][1] * m[0][2]
    s4 = m[0][1] * m[1][3] - m[1][1] * m[0][3]
    s5 = m[0][2] * m[1][3] - m[1][2] * m[0][3]
    c5 = m[2][2] * m[3][3] - m[3][2] * m[2][3]
    c4 = m[2][1] * m[3][3] - m[3][1] * m[2][3]
    c3 = m[2][1] * m[3][2] - m[3][1] * m[2][2]
    c2 = m[2][0] * m[3][3] - m[3][0] * m[2][3]
    c1 = m[2][0] * m[3][2] - m[3][0] * m[2][2]
    c0 = m[2][0] * m[3][1] - m[3][0] * m[2][1]
    return s0 * c5 - s1 * c4 + s2 * c3 + s3 * c2 - s4 * c1 + s5 * c0


def _det3(h: Any) -> Any:
    a, b, c = h[..., 0, :], h[..., 1, :], h[..., 2, :]
    return (
        a[..., 0] * (b[..., 1] * c[..., 2] - b[..., 2] * c[..., 1])
        - a[..., 1] * (b[..., 0] * c[..., 2] - b[..., 2] * c[..., 0])
        + a[..., 2] * (b[..., 0] * c[..., 1] - b[..., 1] * c[..., 0])
    )


def largest_horn_eigenvalue(h: Any, upper: Any) -> Any:
    """Largest eigenvalue of each correlation's Horn matrix, by Newton's method from `upper`.

    K is traceless, so its characteristic polynomial is L^4 + c2 L^2 + c1 L + c0 with
    c2 = -2 |H|^2, c1 = -8 det H, c0 = det K. All its roots are real; started to the right of the
    largest, Newton's method descends to it monotonically. `upper` = (G_i + G_j) / 2 bounds it
    (the RMSD cannot be negative).
    """
    import torch

    c2 = -2 * (h * h).sum(dim=(-2, -1))
    c1 = -8 * _det3(h)
    c0 = _det4(horn_rows(h))
    lam = upper.clone()
    for step_index in range(NEWTON_STEPS):
        lam2 = lam * lam
        value = (lam2 + c2) * lam2 + c1 * lam + c0
        slope = 4 * lam2 * lam + 2 * c2 * lam + c1
        step = torch.where(slope != 0, value / slope, torch.zeros_like(value))
        lam = lam - step
        if step_index % 8 == 7 and bool((step.abs() <= 1e-13 * upper.abs().clamp_min(1)).all()):
            break
    return lam


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
        pair_norms = norms[chunk, None] + norms[None, :]
        largest = largest_horn_eigenvalue(h, pair_norms / 2)
        msd = (pair_norms - 2 * largest) / atoms
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
