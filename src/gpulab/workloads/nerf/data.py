"""Posed views for training and evaluation: the procedural scene rendered by `scene.trace`, or a
folder in the NeRF-synthetic (Blender) layout. Training rays come from the training views only;
the held-out views are kept apart and used for PSNR alone."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from gpulab.errors import MissingDependencyError, UsageError

from . import scene
from .cameras import focal_from_fov, pixel_rays, sphere_poses
from .config import NerfConfig

CAMERA_RADIUS = 3.2
FOV = math.radians(40.0)
_CHUNK = 1 << 20  # rays traced at once: few launches per view on a GPU


@dataclass
class Views:
    """Images [N, H, W, 3] in [0, 1] with their camera-to-world poses [N, 4, 4]."""

    images: torch.Tensor
    poses: torch.Tensor
    focal: float

    @property
    def height(self) -> int:
        return int(self.images.shape[1])

    @property
    def width(self) -> int:
        return int(self.images.shape[2])

    def rays(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        """One view's rays, [H*W, 3] origins and directions, on the images' device."""
        o, d = pixel_rays(self.poses[index], self.height, self.width, self.focal)
        return o.reshape(-1, 3).to(self.images.device), d.reshape(-1, 3).to(self.images.device)


@dataclass
class Dataset:
    """Training and held-out views of one scene, its bounds and its background colour."""

    name: str
    train: Views
    test: Views
    bound: float
    background: tuple[float, float, float]

    def training_rays(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Every training pixel's ray and colour, [M, 3] each: the only rays a model fits."""
        origins, dirs = zip(
            *(self.train.rays(i) for i in range(len(self.train.images))), strict=False
        )
        return torch.cat(origins), torch.cat(dirs), self.train.images.reshape(-1, 3)


def render_views(poses: torch.Tensor, size: int, supersample: int, device: str) -> torch.Tensor:
    """Ground truth of the procedural scene for each pose: [N, size, size, 3]."""
    focal = focal_from_fov(size, FOV)
    images = []
    for pose in poses:
        o, d = pixel_rays(pose, size, size, focal, supersample)
        o, d = o.reshape(-1, 3).to(device), d.reshape(-1, 3).to(device)
        colour = torch.cat(
            [
                scene.trace(o[s : s + _CHUNK], d[s : s + _CHUNK])[0]
                for s in range(0, o.shape[0], _CHUNK)
            ]
        )
        images.append(colour.reshape(size, size, supersample**2, 3).mean(2))
    return torch.stack(images)


def procedural(config: NerfConfig, device: str) -> Dataset:
    """The procedural scene from n_train + n_test distinct poses on the upper hemisphere."""
    train_poses = sphere_poses(config.n_train, CAMERA_RADIUS, config.seed)
    test_poses = sphere_poses(config.n_test, CAMERA_RADIUS, config.seed, offset=1.1)
    focal = focal_from_fov(config.image_size, FOV)
    size, ss = config.image_size, config.supersample
    return Dataset(
        name="procedural",
        train=Views(render_views(train_poses, size, ss, device), train_poses, focal),
        test=Views(render_views(test_poses, size, ss, device), test_poses, focal),
        bound=1.0,
        background=scene.SKY,
    )


def _read_image(path: Path) -> torch.Tensor:
    try:
        from PIL import Image
    except ImportError as err:
        raise MissingDependencyError(
            "pillow", "pip install 'gpulab[nerf]'", "reading a Blender folder's images"
        ) from err
    import numpy as np

    with Image.open(path) as image:
        array = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255.0
    rgba = torch.from_numpy(array)
    return rgba[..., :3] * rgba[..., 3:] + (1.0 - rgba[..., 3:])  # onto white, as NeRF does


def _load_split(folder: Path, split: str, limit: int) -> Views:
    meta_path = folder / f"transforms_{split}.json"
    meta = json.loads(meta_path.read_text())
    frames = meta.get("frames", [])[:limit]
    if not frames:
        raise UsageError(f"{meta_path} lists no frames (zero {split} views)")
    images, poses = [], []
    for frame in frames:
        path = folder / frame["file_path"]
        path = path if path.suffix else path.with_suffix(".png")
        if not path.exists():
            raise UsageError(f"{meta_path} names {frame['file_path']}, but {path} is missing")
        images.append(_read_image(path))
        poses.append(torch.tensor(frame["transform_matrix"], dtype=torch.float32))
    sizes = sorted({tuple(i.shape[:2]) for i in images})
    if len(sizes) > 1:
        raise UsageError(f"{folder} {split}: images of mixed sizes {sizes}; resize them to one")
    width = images[0].shape[1]
    return Views(
        torch.stack(images), torch.stack(poses), focal_from_fov(width, meta["camera_angle_x"])
    )


def blender(config: NerfConfig, device: str) -> Dataset:
    """A NeRF-synthetic folder: transforms_train.json + transforms_test.json (or _val)."""
    folder = Path(config.scene).expanduser()
    if not folder.is_dir():
        raise UsageError(f"scene {config.scene!r} is neither 'procedural' nor a folder")
    if not (folder / "transforms_train.json").exists():
        raise UsageError(f"{folder} has no transforms_train.json (the NeRF-synthetic layout)")
    held = next((s for s in ("test", "val") if (folder / f"transforms_{s}.json").exists()), None)
    if held is None:
        raise UsageError(f"{folder} has neither transforms_test.json nor transforms_val.json")
    train = _load_split(folder, "train", config.n_train)
    test = _load_split(folder, held, config.n_test)
    if train.images.shape[1:] != test.images.shape[1:]:
        raise UsageError(f"{folder}: train and {held} images differ in size; resize them to one")
    train.images, test.images = train.images.to(device), test.images.to(device)
    return Dataset(folder.name, train, test, max(config.bound, 1.5), (1.0, 1.0, 1.0))


def load(config: NerfConfig, device: str, progress: Callable | None = None) -> Dataset:
    """The configured scene on `device` (config.validate() first)."""
    config.validate()
    data = procedural(config, device) if config.procedural else blender(config, device)
    if progress is not None:
        progress(1, 1, f"{data.name}: {len(data.train.images)} training views")
    return data
