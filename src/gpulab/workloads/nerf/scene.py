"""The procedural scene: signed-distance objects with high-frequency textures, a specular term,
occlusion and a backdrop, rendered by our sphere tracer from known poses.

Five objects stand on a checkered floor inside [-1, 1]^3: a striped sphere, a box with a fine
checker, a torus with a sine pattern, a mirror-like glossy sphere and a small cylinder. A pixel
is the mean of supersample^2 traced rays; rays that miss everything see a constant sky.
"""

from __future__ import annotations

import math

import torch

SKY = (0.93, 0.95, 1.0)
LIGHT = (0.45, -0.35, 0.82)
_STEPS, _EPS, _FAR = 96, 1e-3, 8.0


def _sd_box(p: torch.Tensor, centre: tuple, half: tuple) -> torch.Tensor:
    q = (p - p.new_tensor(centre)).abs() - p.new_tensor(half)
    return q.clamp(min=0).norm(dim=-1) + q.max(dim=-1).values.clamp(max=0)


def _sd_sphere(p: torch.Tensor, centre: tuple, radius: float) -> torch.Tensor:
    return (p - p.new_tensor(centre)).norm(dim=-1) - radius


def _sd_torus(p: torch.Tensor, centre: tuple, big: float, small: float) -> torch.Tensor:
    q = p - p.new_tensor(centre)
    ring = torch.stack([q[..., :2].norm(dim=-1) - big, q[..., 2]], dim=-1)
    return ring.norm(dim=-1) - small


def _sd_cylinder(p: torch.Tensor, centre: tuple, radius: float, half: float) -> torch.Tensor:
    q = p - p.new_tensor(centre)
    d = torch.stack([q[..., :2].norm(dim=-1) - radius, q[..., 2].abs() - half], dim=-1)
    return d.clamp(min=0).norm(dim=-1) + d.max(dim=-1).values.clamp(max=0)


def distances(p: torch.Tensor) -> torch.Tensor:
    """Signed distance to each object, [..., 6] (floor first)."""
    return torch.stack(
        [
            _sd_box(p, (0.0, 0.0, -0.55), (0.95, 0.95, 0.05)),
            _sd_sphere(p, (-0.45, -0.35, -0.2), 0.3),
            _sd_box(p, (0.4, -0.4, -0.25), (0.22, 0.22, 0.25)),
            _sd_torus(p, (0.35, 0.45, -0.38), 0.28, 0.09),
            _sd_sphere(p, (-0.35, 0.45, -0.28), 0.22),
            _sd_cylinder(p, (0.0, 0.0, -0.15), 0.1, 0.35),
        ],
        dim=-1,
    )


def _albedo(p: torch.Tensor, which: torch.Tensor) -> torch.Tensor:
    """Per-object procedural textures (high frequency on purpose)."""
    x, y, z = p.unbind(-1)
    checker = ((torch.floor(x * 8) + torch.floor(y * 8)) % 2)[..., None]
    floor = 0.25 + 0.6 * checker * p.new_tensor([0.9, 0.85, 0.7])
    stripes = (torch.sin(z * 40) > 0).float()[..., None]
    sphere = p.new_tensor([0.85, 0.2, 0.15]) * stripes + p.new_tensor([0.1, 0.2, 0.8]) * (
        1 - stripes
    )
    fine = ((torch.floor(x * 20) + torch.floor(y * 20) + torch.floor(z * 20)) % 2)[..., None]
    box = 0.15 + 0.75 * fine * p.new_tensor([0.2, 0.9, 0.3])
    wave = (0.5 + 0.5 * torch.sin(30 * torch.atan2(y - 0.45, x - 0.35)))[..., None]
    torus = p.new_tensor([0.95, 0.75, 0.1]) * wave + 0.05
    glossy = p.new_tensor([0.75, 0.75, 0.8]).expand_as(p)
    rings = (0.5 + 0.5 * torch.sin(z * 60))[..., None]
    cylinder = p.new_tensor([0.6, 0.2, 0.7]) * rings + 0.2
    table = torch.stack([floor, sphere, box, torus, glossy, cylinder], dim=-2)
    return table.gather(-2, which[..., None, None].expand(*which.shape, 1, 3)).squeeze(-2)


def _normal(p: torch.Tensor) -> torch.Tensor:
    h = 1e-3
    grads = []
    for axis in range(3):
        step = torch.zeros(3, dtype=p.dtype, device=p.device)
        step[axis] = h
        plus = distances(p + step).min(-1).values
        minus = distances(p - step).min(-1).values
        grads.append(plus - minus)
    n = torch.stack(grads, dim=-1)
    return n / n.norm(dim=-1, keepdim=True).clamp(min=1e-8)


def trace(origins: torch.Tensor, dirs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Sphere-trace rays [N, 3]: colour [N, 3] and hit distance [N] (inf for the sky)."""
    t = torch.zeros(origins.shape[0], device=origins.device)
    hit = torch.zeros_like(t, dtype=torch.bool)
    for _ in range(_STEPS):
        d = distances(origins + t[:, None] * dirs).min(-1).values
        hit = hit | (d < _EPS)
        t = torch.where(hit, t, t + d.clamp(min=0))
        if bool((hit | (t > _FAR)).all()):
            break
    p = origins + t[:, None] * dirs
    which = distances(p).argmin(-1)
    n = _normal(p)
    light = origins.new_tensor(LIGHT) / math.sqrt(sum(c * c for c in LIGHT))
    diffuse = (n * light).sum(-1).clamp(min=0)
    half = light - dirs
    half = half / half.norm(dim=-1, keepdim=True)
    shine = torch.where(which == 4, 120.0, 30.0)
    strength = torch.where(which == 4, 0.9, 0.35)
    specular = strength * (n * half).sum(-1).clamp(min=0) ** shine
    colour = _albedo(p, which) * (0.25 + 0.75 * diffuse[:, None]) + specular[:, None]
    sky = origins.new_tensor(SKY).expand_as(colour)
    colour = torch.where(hit[:, None], colour.clamp(0, 1), sky)
    return colour, torch.where(hit, t, torch.full_like(t, math.inf))
