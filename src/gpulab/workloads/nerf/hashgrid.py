"""Multiresolution hash encoding (Müller et al. 2022) in plain PyTorch.

Level l has resolution N_l = floor(N_min * b^l), b = exp((ln N_max - ln N_min) / (L - 1)). A
point's 8 surrounding grid corners index the level's table directly where (N_l + 1)^3 fits in
it, else through the spatial hash (x * 1) xor (y * 2654435761) xor (z * 805459861) mod T; the
corner features are blended trilinearly and the L levels concatenated. Autograd gives the
backward (a scatter-add into the table), so the same code trains and is tested.
"""

from __future__ import annotations

import math

import torch
from torch import nn

PRIMES = (1, 2654435761, 805459861)


def level_resolutions(levels: int, base: int, finest: int) -> list[int]:
    """N_l for each level, coarse to fine."""
    if levels == 1:
        return [base]
    growth = math.exp((math.log(finest) - math.log(base)) / (levels - 1))
    return [int(math.floor(base * growth**level)) for level in range(levels)]


def corner_index(corners: torch.Tensor, resolution: int, table_size: int) -> torch.Tensor:
    """Table rows of integer grid corners [..., 3] at one level: dense or hashed."""
    side = resolution + 1
    if side**3 <= table_size:
        return corners[..., 0] + side * (corners[..., 1] + side * corners[..., 2])
    hashed = corners[..., 0] * PRIMES[0]
    hashed = hashed ^ (corners[..., 1] * PRIMES[1])
    hashed = hashed ^ (corners[..., 2] * PRIMES[2])
    return hashed % table_size


_OFFSETS = torch.tensor([[(c >> 0) & 1, (c >> 1) & 1, (c >> 2) & 1] for c in range(8)])


class HashGrid(nn.Module):
    """Points in [0, 1]^3 -> [N, levels * features] features."""

    def __init__(
        self,
        levels: int = 16,
        features: int = 2,
        log2_table: int = 19,
        base: int = 16,
        finest: int = 2048,
    ) -> None:
        super().__init__()
        self.levels, self.features, self.table_size = levels, features, 2**log2_table
        self.resolutions = level_resolutions(levels, base, finest)
        table = torch.empty(levels, self.table_size, features).uniform_(-1e-4, 1e-4)
        self.table = nn.Parameter(table)

    @property
    def out_features(self) -> int:
        return self.levels * self.features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        offsets = _OFFSETS.to(x.device)
        flat = self.table.reshape(-1, self.features)
        out = []
        for level, resolution in enumerate(self.resolutions):
            scaled = x * resolution
            base = scaled.floor().long().clamp(0, resolution - 1)
            frac = scaled - base
            corners = base[:, None, :] + offsets  # [N, 8, 3]
            rows = corner_index(corners, resolution, self.table_size) + level * self.table_size
            weights = torch.where(offsets.bool(), frac[:, None, :], 1 - frac[:, None, :]).prod(-1)
            out.append((flat[rows] * weights[..., None]).sum(1))
        return torch.cat(out, dim=-1)


_SH = (
    0.28209479177387814,
    0.4886025119029199,
    1.0925484305920792,
    0.31539156525252005,
    0.5462742152960396,
    0.5900435899266435,
    2.890611442640554,
    0.4570457994644658,
    0.3731763325901154,
    1.445305721320277,
)


def spherical_harmonics(d: torch.Tensor) -> torch.Tensor:
    """Real spherical harmonics up to degree 3 of unit directions [N, 3]: [N, 16]."""
    x, y, z = d.unbind(-1)
    xx, yy, zz = x * x, y * y, z * z
    c = _SH
    return torch.stack(
        [
            torch.full_like(x, c[0]),
            -c[1] * y,
            c[1] * z,
            -c[1] * x,
            c[2] * x * y,
            -c[2] * y * z,
            c[3] * (3 * zz - 1),
            -c[2] * x * z,
            c[4] * (xx - yy),
            -c[5] * y * (3 * xx - yy),
            c[6] * x * y * z,
            -c[7] * y * (5 * zz - 1),
            c[8] * z * (5 * zz - 3),
            -c[7] * x * (5 * zz - 1),
            c[9] * z * (xx - yy),
            -c[5] * x * (xx - 3 * yy),
        ],
        dim=-1,
    )
