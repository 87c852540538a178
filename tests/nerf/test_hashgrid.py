"""The hash encoding against a reference written point by point in float64: the level
resolutions, the dense/hashed indexing, trilinear blending, and the gradients of both the table
and the input points."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gpulab.workloads.nerf import HashGrid, level_resolutions

PRIMES = (1, 2654435761, 805459861)


def reference_encode(table: np.ndarray, resolutions: list[int], x: np.ndarray) -> np.ndarray:
    """Trilinear interpolation as three nested lerps (x, then y, then z), one point at a time."""
    levels, size, features = table.shape
    out = np.zeros((x.shape[0], levels * features))
    for n, point in enumerate(x):
        for level, res in enumerate(resolutions):
            side = res + 1

            def feature(i: int, j: int, k: int, level: int = level, side: int = side) -> np.ndarray:
                if side**3 <= size:
                    row = i + side * (j + side * k)
                else:
                    row = ((i * PRIMES[0]) ^ (j * PRIMES[1]) ^ (k * PRIMES[2])) % size
                return table[level, row]

            scaled = point * res
            base = [min(max(int(math.floor(s)), 0), res - 1) for s in scaled]
            fx, fy, fz = (scaled[a] - base[a] for a in range(3))
            i, j, k = base
            c00 = feature(i, j, k) * (1 - fx) + feature(i + 1, j, k) * fx
            c10 = feature(i, j + 1, k) * (1 - fx) + feature(i + 1, j + 1, k) * fx
            c01 = feature(i, j, k + 1) * (1 - fx) + feature(i + 1, j, k + 1) * fx
            c11 = feature(i, j + 1, k + 1) * (1 - fx) + feature(i + 1, j + 1, k + 1) * fx
            c0 = c00 * (1 - fy) + c10 * fy
            c1 = c01 * (1 - fy) + c11 * fy
            out[n, level * features : (level + 1) * features] = c0 * (1 - fz) + c1 * fz
    return out


@pytest.fixture
def grid() -> HashGrid:
    torch.manual_seed(0)
    # log2_table 10: the coarse levels index densely, the fine ones hash (both paths tested)
    grid = HashGrid(levels=6, features=2, log2_table=10, base=4, finest=64).double()
    with torch.no_grad():
        grid.table.uniform_(-1, 1)
    return grid


def test_resolutions_grow_geometrically() -> None:
    res = level_resolutions(16, 16, 2048)
    assert res[0] == 16 and res[-1] == 2048 and len(res) == 16
    assert all(b > a for a, b in zip(res, res[1:], strict=False))


def test_both_index_paths_are_used(grid: HashGrid) -> None:
    dense = [(r + 1) ** 3 <= grid.table_size for r in grid.resolutions]
    assert any(dense) and not all(dense)


def test_values_equal_the_reference(grid: HashGrid) -> None:
    x = torch.rand(64, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    x[0] = torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64)  # the box's far corner
    x[1] = 0.0
    ours = grid(x).detach().numpy()
    ref = reference_encode(grid.table.detach().numpy(), grid.resolutions, x.numpy())
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)


def test_table_gradient_equals_the_reference(grid: HashGrid) -> None:
    x = torch.rand(16, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    weights = torch.randn(16, grid.out_features, dtype=torch.float64)
    (grid(x) * weights).sum().backward()
    table = grid.table.detach().numpy()
    # d(sum w * f)/d(table) by central differences of the reference, on the touched rows
    touched = np.argwhere(grid.table.grad.abs().numpy() > 0)[:40]
    assert len(touched) > 10
    for level, row, feat in touched:
        plus, minus = table.copy(), table.copy()
        plus[level, row, feat] += 1e-6
        minus[level, row, feat] -= 1e-6
        diff = reference_encode(plus, grid.resolutions, x.numpy()) - reference_encode(
            minus, grid.resolutions, x.numpy()
        )
        expected = float((diff * weights.numpy()).sum() / 2e-6)
        assert grid.table.grad[level, row, feat].item() == pytest.approx(expected, rel=1e-6)


def test_input_gradient_passes_gradcheck(grid: HashGrid) -> None:
    # away from cell boundaries, where the encoding is smooth in x
    x = (torch.rand(8, 3, dtype=torch.float64) * 0.8 + 0.1).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda p: grid(p), (x,), eps=1e-7, atol=1e-6)


def reference_sh(d: np.ndarray) -> np.ndarray:
    """Degree-3 real spherical harmonics term by term (the Instant-NGP / Plenoxels ordering)."""
    x, y, z = d[:, 0], d[:, 1], d[:, 2]
    xx, yy, zz = x * x, y * y, z * z
    return np.stack(
        [
            np.full_like(x, 0.28209479177387814),
            -0.4886025119029199 * y,
            0.4886025119029199 * z,
            -0.4886025119029199 * x,
            1.0925484305920792 * x * y,
            -1.0925484305920792 * y * z,
            0.31539156525252005 * (3 * zz - 1),
            -1.0925484305920792 * x * z,
            0.5462742152960396 * (xx - yy),
            -0.5900435899266435 * y * (3 * xx - yy),
            2.890611442640554 * x * y * z,
            -0.4570457994644658 * y * (5 * zz - 1),
            0.3731763325901154 * z * (5 * zz - 3),
            -0.4570457994644658 * x * (5 * zz - 1),
            1.445305721320277 * z * (xx - yy),
            -0.5900435899266435 * x * (xx - 3 * yy),
        ],
        -1,
    )


@pytest.mark.parametrize(("dtype", "tol"), [(torch.float64, 1e-12), (torch.float32, 1e-6)])
def test_spherical_harmonics_equal_the_terms(dtype: torch.dtype, tol: float) -> None:
    from gpulab.workloads.nerf import spherical_harmonics

    d = torch.randn(200, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    d = d / d.norm(dim=-1, keepdim=True)
    ours = spherical_harmonics(d.to(dtype))
    assert ours.dtype == dtype
    np.testing.assert_allclose(ours.double().numpy(), reference_sh(d.numpy()), rtol=tol, atol=tol)
    # orthonormal on the sphere: the Monte Carlo Gram matrix of many directions is I / (4 pi)
    many = torch.randn(200_000, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(7))
    sh = spherical_harmonics(many / many.norm(dim=-1, keepdim=True))
    gram = (sh.T @ sh / many.shape[0] * 4 * math.pi).numpy()
    np.testing.assert_allclose(gram, np.eye(16), atol=0.02)
