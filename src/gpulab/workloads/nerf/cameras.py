"""Pinhole cameras in the NeRF-synthetic convention (camera looks down -z, y up), poses on a
sphere, and one ray per pixel: the same rays feed the ground-truth renderer and both models."""

from __future__ import annotations

import math

import torch


def look_at(eye: torch.Tensor, target: torch.Tensor | None = None) -> torch.Tensor:
    """A 4x4 camera-to-world matrix at `eye` looking at `target` (the origin), z up."""
    target = torch.zeros(3) if target is None else target
    back = eye - target
    back = back / back.norm()
    right = torch.linalg.cross(torch.tensor([0.0, 0.0, 1.0]), back)
    right = right / right.norm()
    up = torch.linalg.cross(back, right)
    pose = torch.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, up, back, eye
    return pose


def sphere_poses(count: int, radius: float, seed: int, offset: float = 0.0) -> torch.Tensor:
    """`count` poses spread over the upper hemisphere (a Fibonacci spiral, rotated by `offset`
    so a held-out set never repeats a training pose): [count, 4, 4]."""
    golden = math.pi * (3.0 - math.sqrt(5.0))
    poses = []
    for i in range(count):
        z = 0.15 + 0.8 * (i + 0.5) / count  # elevation from about 9 to 70 degrees
        ring = math.sqrt(1.0 - z * z)
        theta = golden * i + offset + 0.37 * seed
        eye = torch.tensor([ring * math.cos(theta), ring * math.sin(theta), z]) * radius
        poses.append(look_at(eye))
    return torch.stack(poses)


def orbit_poses(count: int, radius: float, elevation_deg: float = 30.0) -> torch.Tensor:
    """A circle of poses at one elevation, for the novel-view orbit: [count, 4, 4]."""
    z = math.sin(math.radians(elevation_deg))
    ring = math.cos(math.radians(elevation_deg))
    eyes = [
        torch.tensor([ring * math.cos(a), ring * math.sin(a), z]) * radius
        for a in (2 * math.pi * i / count for i in range(count))
    ]
    return torch.stack([look_at(e) for e in eyes])


def pixel_rays(
    pose: torch.Tensor, height: int, width: int, focal: float, supersample: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """Origins and unit directions of one view's rays, [H, W, s*s, 3] each (s = supersample:
    sub-pixel offsets on an s x s grid; s = 1 is the pixel centre)."""
    offsets = (torch.arange(supersample, dtype=torch.float32) + 0.5) / supersample
    oy, ox = torch.meshgrid(offsets, offsets, indexing="ij")
    j, i = torch.meshgrid(
        torch.arange(height, dtype=torch.float32),
        torch.arange(width, dtype=torch.float32),
        indexing="ij",
    )
    x = (i[..., None] + ox.reshape(-1) - width / 2) / focal
    y = -(j[..., None] + oy.reshape(-1) - height / 2) / focal
    camera = torch.stack([x, y, -torch.ones_like(x)], dim=-1)
    pose = pose.to(camera)
    directions = camera @ pose[:3, :3].T
    directions = directions / directions.norm(dim=-1, keepdim=True)
    origins = pose[:3, 3].expand_as(directions)
    return origins, directions


def focal_from_fov(width: int, fov_x: float) -> float:
    """The focal length in pixels for a horizontal field of view in radians."""
    return 0.5 * width / math.tan(0.5 * fov_x)
