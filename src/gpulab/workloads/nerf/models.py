"""The two radiance fields: ours (hash grid + tiny MLPs + spherical-harmonics view encoding)
and vanilla NeRF (positional encoding + an 8 x 256 MLP with a skip), both mapping points and
view directions to density and colour."""

from __future__ import annotations

import torch
from torch import nn

from .hashgrid import HashGrid, spherical_harmonics


class _TruncExp(torch.autograd.Function):
    """exp with its gradient clamped (Instant-NGP's density activation)."""

    @staticmethod
    def forward(ctx, x):  # noqa: ANN001, ANN205
        ctx.save_for_backward(x)
        return torch.exp(x)

    @staticmethod
    def backward(ctx, grad):  # noqa: ANN001, ANN205
        (x,) = ctx.saved_tensors
        return grad * torch.exp(x.clamp(max=15))


def trunc_exp(x: torch.Tensor) -> torch.Tensor:
    return _TruncExp.apply(x.float().clamp(max=15))


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class HashField(nn.Module):
    """Ours: hash encoding -> 1-hidden-layer density MLP (64 wide) -> 15 geometry features +
    SH(view, degree 3) -> 2-hidden-layer colour MLP (64 wide)."""

    def __init__(self, grid: HashGrid, bound: float) -> None:
        super().__init__()
        self.grid, self.bound = grid, bound
        self.density_net = _mlp([grid.out_features, 64, 16])
        self.colour_net = _mlp([16 + 15, 64, 64, 3])

    def _geometry(self, points: torch.Tensor) -> torch.Tensor:
        unit = ((points + self.bound) / (2 * self.bound)).clamp(0, 1)
        return self.density_net(self.grid(unit))

    def density(self, points: torch.Tensor) -> torch.Tensor:
        return trunc_exp(self._geometry(points)[:, 0])

    def forward(self, points: torch.Tensor, dirs: torch.Tensor):  # noqa: ANN201
        geo = self._geometry(points)
        colour_in = torch.cat([spherical_harmonics(dirs).to(geo.dtype), geo[:, 1:]], -1)
        return trunc_exp(geo[:, 0]), torch.sigmoid(self.colour_net(colour_in).float())


def positional_encoding(x: torch.Tensor, frequencies: int) -> torch.Tensor:
    """[x, sin(2^k pi x), cos(2^k pi x) for k < frequencies] (Mildenhall et al.)."""
    scales = 2.0 ** torch.arange(frequencies, device=x.device) * torch.pi
    angles = (x[..., None] * scales).flatten(-2)
    return torch.cat([x, torch.sin(angles), torch.cos(angles)], -1)


class VanillaField(nn.Module):
    """Vanilla NeRF: PE(x, 10) -> depth x width ReLU layers with the input re-fed halfway ->
    density, and a feature + PE(d, 4) -> width/2 -> colour."""

    def __init__(self, width: int = 256, depth: int = 8, bound: float = 1.0) -> None:
        super().__init__()
        self.bound, self.skip = bound, depth // 2
        in_x, in_d = 3 + 3 * 2 * 10, 3 + 3 * 2 * 4
        self.layers = nn.ModuleList(
            nn.Linear(in_x if i == 0 else width + (in_x if i == self.skip else 0), width)
            for i in range(depth)
        )
        self.sigma = nn.Linear(width, 1)
        self.feature = nn.Linear(width, width)
        self.view = nn.Linear(width + in_d, width // 2)
        self.rgb = nn.Linear(width // 2, 3)

    def forward(self, points: torch.Tensor, dirs: torch.Tensor):  # noqa: ANN201
        x_in = positional_encoding(points / self.bound, 10)
        h = x_in
        for i, layer in enumerate(self.layers):
            h = torch.relu(layer(torch.cat([h, x_in], -1) if i == self.skip else h))
        sigma = torch.relu(self.sigma(h)[:, 0].float())
        v = torch.relu(self.view(torch.cat([self.feature(h), positional_encoding(dirs, 4)], -1)))
        return sigma, torch.sigmoid(self.rgb(v).float())
