"""PSNR and differences against their definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gpulab.workloads.diffusion import compare_images


def test_identical_images_have_infinite_psnr() -> None:
    image = np.random.default_rng(0).random((2, 8, 8, 3))
    drift = compare_images(image, image.copy())
    assert drift.identical and math.isinf(drift.psnr_db)
    assert drift.to_dict()["psnr_db"] is None  # JSON has no infinity


def test_a_uniform_offset_of_a_tenth_is_20_db() -> None:
    image = np.full((1, 4, 4, 3), 0.5)
    drift = compare_images(image, image + 0.1)
    assert drift.psnr_db == pytest.approx(20.0)  # 10 log10(1 / 0.01)
    assert drift.max_abs_diff == pytest.approx(0.1) == drift.mean_abs_diff


def test_shapes_must_match() -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        compare_images(np.zeros((1, 4, 4, 3)), np.zeros((2, 4, 4, 3)))
