"""The network: inputs scaled to [-1, 1], optional random Fourier features, a tanh MLP
with Xavier-normal weights and zero biases (Raissi et al.'s initialisation), and with the
`hard` switch an output transform that satisfies the initial and boundary data exactly."""

from __future__ import annotations

import math

import torch
from torch import nn

from gpulab.workloads.pinn.config import PinnConfig
from gpulab.workloads.pinn.problems import Problem


class PinnNet(nn.Module):
    def __init__(self, config: PinnConfig, problem: Problem, gen: torch.Generator) -> None:
        super().__init__()
        lo = torch.tensor([b[0] for b in problem.bounds], dtype=torch.float64)
        hi = torch.tensor([b[1] for b in problem.bounds], dtype=torch.float64)
        self.register_buffer("lo", lo)
        self.register_buffer("scale", 2.0 / (hi - lo))
        width_in = 2
        if config.fourier:
            b = torch.randn(2, config.fourier_features, generator=gen, dtype=torch.float64)
            self.register_buffer("fourier_b", b * config.fourier_sigma * math.pi)
            width_in += 2 * config.fourier_features
        else:
            self.fourier_b = None
        self.hard = problem.hard if config.hard else None
        sizes = [width_in] + [config.width] * config.depth + [1]
        self.layers = nn.ModuleList(
            nn.Linear(a, b, dtype=torch.float64) for a, b in zip(sizes, sizes[1:], strict=False)
        )
        for layer in self.layers:
            std = math.sqrt(2.0 / (layer.in_features + layer.out_features))
            with torch.no_grad():
                layer.weight.copy_(
                    torch.randn(layer.weight.shape, generator=gen, dtype=torch.float64) * std
                )
                layer.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = (x - self.lo) * self.scale - 1.0
        if self.fourier_b is not None:
            proj = h @ self.fourier_b
            h = torch.cat([h, torch.sin(proj), torch.cos(proj)], dim=1)
        for layer in self.layers[:-1]:
            h = torch.tanh(layer(h))
        out = self.layers[-1](h)
        return out if self.hard is None else self.hard(x, out)
