"""Small scenes and a Blender-layout folder written on the fly (no downloads). Triton's CPU
interpreter, for the fused encoding's tests, is chosen in tests/conftest.py."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gpulab.workloads.nerf import NerfConfig


@pytest.fixture
def tiny_config() -> NerfConfig:
    """The smoke profile at 16² with few views: seconds on a CPU."""
    return replace(NerfConfig.for_profile("smoke"), image_size=16, n_train=4, n_test=2)


def write_blender(folder: Path, sizes: list[int], test_frames: int = 2) -> Path:
    """A NeRF-synthetic folder: RGBA PNGs and transforms_train/test.json with real poses."""
    from gpulab.workloads.nerf.cameras import sphere_poses

    folder.mkdir(parents=True, exist_ok=True)
    poses = sphere_poses(len(sizes) + test_frames, 3.0, 0)
    rng = np.random.default_rng(0)
    frames = {"train": [], "test": []}
    all_sizes = sizes + [sizes[0]] * test_frames
    for i, size in enumerate(all_sizes):
        split = "train" if i < len(sizes) else "test"
        name = f"{split}/r_{i}"
        (folder / split).mkdir(exist_ok=True)
        pixels = rng.integers(0, 255, (size, size, 4), dtype=np.uint8)
        Image.fromarray(pixels, "RGBA").save(folder / f"{name}.png")
        frames[split].append({"file_path": f"./{name}", "transform_matrix": poses[i].tolist()})
    for split, items in frames.items():
        text = json.dumps({"camera_angle_x": 0.69, "frames": items})
        (folder / f"transforms_{split}.json").write_text(text)
    return folder
