"""Where training rays come from (training views only), the Blender loader and its errors."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from gpulab.errors import UsageError
from gpulab.workloads.nerf import NerfConfig, Ours, load
from gpulab.workloads.nerf.training import Budget, train

from .conftest import write_blender


def test_training_rays_are_the_training_pixels_only(tiny_config: NerfConfig) -> None:
    data = load(tiny_config, "cpu")
    origins, dirs, colours = data.training_rays()
    assert colours.shape[0] == tiny_config.n_train * 16 * 16
    torch.testing.assert_close(colours, data.train.images.reshape(-1, 3))
    test_eyes = data.test.poses[:, :3, 3]
    # no training ray starts at a held-out camera
    assert torch.cdist(origins.unique(dim=0), test_eyes).min() > 1e-3


def test_held_out_pixels_never_reach_training(tiny_config: NerfConfig) -> None:
    data = load(tiny_config, "cpu")
    data.test.images[:] = float("nan")  # any held-out pixel in a batch would poison the loss
    method = Ours(tiny_config, data.bound, data.background, "cpu")
    probe = tuple(t[:8] for t in data.training_rays())
    curve = train(
        method,
        data.training_rays(),
        probe,
        Budget(math.inf, 24, math.inf),
        lambda c: None,
        torch.Generator().manual_seed(0),
    )
    assert curve.steps == 24
    assert all(torch.isfinite(p).all() for p in method.field.parameters())


def test_blender_folder_loads(tmp_path: Path, tiny_config: NerfConfig) -> None:
    folder = write_blender(tmp_path / "lego", [12, 12, 12])
    data = load(replace(tiny_config, scene=str(folder)), "cpu")
    assert data.train.images.shape == (3, 12, 12, 3) and data.test.images.shape[0] == 2
    assert data.name == "lego" and data.bound == 1.5
    assert data.train.images.min() >= 0 and data.train.images.max() <= 1


def test_folder_without_transforms(tmp_path: Path, tiny_config: NerfConfig) -> None:
    with pytest.raises(UsageError, match="no transforms_train.json"):
        load(replace(tiny_config, scene=str(tmp_path)), "cpu")


def test_not_a_folder(tiny_config: NerfConfig) -> None:
    with pytest.raises(UsageError, match="neither 'procedural' nor a folder"):
        load(replace(tiny_config, scene="/no/such/scene"), "cpu")


def test_mixed_sizes(tmp_path: Path, tiny_config: NerfConfig) -> None:
    folder = write_blender(tmp_path / "mixed", [12, 16, 12])
    with pytest.raises(UsageError, match="mixed sizes"):
        load(replace(tiny_config, scene=str(folder)), "cpu")


def test_zero_training_frames(tmp_path: Path, tiny_config: NerfConfig) -> None:
    folder = write_blender(tmp_path / "empty", [12])
    (folder / "transforms_train.json").write_text(json.dumps({"camera_angle_x": 0.7, "frames": []}))
    with pytest.raises(UsageError, match="zero train views"):
        load(replace(tiny_config, scene=str(folder)), "cpu")


def test_zero_training_views_setting(tiny_config: NerfConfig) -> None:
    with pytest.raises(UsageError, match="zero training views"):
        replace(tiny_config, n_train=0).validate()
