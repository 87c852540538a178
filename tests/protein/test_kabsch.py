"""Batched Kabsch against biotite, pair by pair, including the reflection case."""

from __future__ import annotations

import biotite.structure as struc
import numpy as np
import pytest
import torch

from gpulab.workloads.protein import ProteinConfig, kabsch, load_vendored, rmsd_run
from gpulab.workloads.protein.ensemble import interpolated


@pytest.fixture(scope="module")
def ensemble() -> np.ndarray:
    return interpolated(load_vendored("adk_open"), load_vendored("adk_closed"), 40, 0.5, 3)


def test_pairwise_matrix_equals_biotite_every_pair(ensemble: np.ndarray) -> None:
    ours = kabsch.pairwise_rmsd(torch.from_numpy(ensemble), block=7).numpy()
    reference = kabsch.biotite_rows(ensemble, range(len(ensemble)))
    assert np.abs(ours - reference).max() < 1e-4
    assert np.allclose(ours, ours.T, atol=1e-8) and np.abs(np.diag(ours)).max() < 1e-4


def test_rows_and_block_size_do_not_change_the_answer(ensemble: np.ndarray) -> None:
    x = torch.from_numpy(ensemble)
    full = kabsch.pairwise_rmsd(x, block=64).numpy()
    some = kabsch.pairwise_rmsd(x, rows=[3, 17], block=1).numpy()
    assert np.abs(some - full[[3, 17]]).max() < 1e-6  # sqrt of rounding on the self-pair


def test_a_mirror_image_is_not_superimposed_by_a_reflection(ensemble: np.ndarray) -> None:
    mirrored = ensemble[:1] * np.array([-1.0, 1.0, 1.0])
    pair = np.concatenate([ensemble[:1], mirrored])
    ours = kabsch.pairwise_rmsd(torch.from_numpy(pair)).numpy()[0, 1]
    fitted, _ = struc.superimpose(pair[0], pair[1])
    assert ours == pytest.approx(float(struc.rmsd(pair[0], fitted)), abs=1e-4)
    assert ours > 1.0  # a proper rotation cannot undo a reflection


def test_known_rotation_and_shift_give_zero(ensemble: np.ndarray) -> None:
    angle = 0.7
    rotation = np.array(
        [[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]
    )
    moved = ensemble[0] @ rotation.T + np.array([5.0, -3.0, 12.0])
    ours = kabsch.pairwise_rmsd(torch.from_numpy(np.stack([ensemble[0], moved]))).numpy()
    assert ours[0, 1] == pytest.approx(0.0, abs=1e-5)


def test_block_rows_respects_the_memory_fraction() -> None:
    per_row = 1000 * kabsch.BYTES_PER_PAIR
    assert kabsch.block_rows(1000, free_bytes=10 * per_row, fraction=0.5) == 5
    assert kabsch.block_rows(1000, free_bytes=0) == 1
    assert kabsch.block_rows(10, free_bytes=10**12) == 10


def test_run_rmsd_smoke_checks_and_times_both_sides() -> None:
    result = rmsd_run.run_rmsd(ProteinConfig(ensemble=24, peer_rows=4, repeats=1), "cpu")
    assert result.equal and result.max_abs_diff < 1e-4
    assert result.matrix.shape == (24, 24)
    assert result.ours_pairs_per_s > 0 and result.peer_pairs_per_s > 0


def test_newton_finds_the_largest_eigenvalue_of_horns_matrix() -> None:
    import torch

    generator = torch.Generator().manual_seed(3)
    h = torch.randn(5000, 3, 3, dtype=torch.float64, generator=generator) * 40
    k = kabsch.horn_matrix(h)
    upper = k.abs().sum(dim=-1).max(dim=-1).values  # Gershgorin: no eigenvalue exceeds it
    expected = torch.linalg.eigvalsh(k)[..., -1]
    found = kabsch.largest_horn_eigenvalue(h, upper)
    assert torch.allclose(found, expected, rtol=1e-10, atol=1e-9)
