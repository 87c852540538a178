"""The PDEs, each with its residual, its initial/boundary data and its exact solution.

Inputs are rows (x, t) (or (x, y) for Poisson); derivatives come from autograd on the network's
output, so the residual is the PDE as written. Exact solutions are NumPy functions of the grid.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from gpulab.workloads.pinn.cole_hopf import burgers_exact
from gpulab.workloads.pinn.config import PinnConfig

HEAT_ALPHA = 0.1
WAVE_C = 1.0
Field = Callable[[torch.Tensor], torch.Tensor]
# (inputs, raw network output) -> u with the initial and boundary data built in
Transform = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class Condition:
    """Points where the solution (order 0) or its time derivative (order 1) is prescribed."""

    term: str  # "initial" or "boundary": the loss term it feeds
    points: torch.Tensor
    target: torch.Tensor
    order: int = 0


@dataclass(frozen=True)
class Problem:
    name: str
    axes: tuple[str, str]
    bounds: tuple[tuple[float, float], tuple[float, float]]
    time_axis: int | None  # the column that is time (None: a steady problem)
    residual: Callable[[Field, torch.Tensor], torch.Tensor]
    exact: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grid_shape: tuple[int, int] = (256, 100)
    grid_top: float | None = None  # the second axis' last grid value (Raissi's t = 0.99)
    hard: Transform | None = None  # the output transform of the `hard` switch

    def grid(self) -> tuple[np.ndarray, np.ndarray]:
        """The evaluation grid: first axis values, second axis values."""
        (a0, a1), (b0, b1) = self.bounds
        top = b1 if self.grid_top is None else self.grid_top
        return np.linspace(a0, a1, self.grid_shape[0]), np.linspace(b0, top, self.grid_shape[1])


def grad(u: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """du/dx per row, keeping the graph for higher derivatives."""
    return torch.autograd.grad(u, x, torch.ones_like(u), create_graph=True)[0]


def _heat_residual(net: Field, x: torch.Tensor) -> torch.Tensor:
    x = x.requires_grad_(True)
    u = net(x)
    du = grad(u, x)
    u_xx = grad(du[:, :1], x)[:, :1]
    return du[:, 1:2] - HEAT_ALPHA * u_xx


def _wave_residual(net: Field, x: torch.Tensor) -> torch.Tensor:
    x = x.requires_grad_(True)
    u = net(x)
    du = grad(u, x)
    u_xx = grad(du[:, :1], x)[:, :1]
    u_tt = grad(du[:, 1:2], x)[:, 1:2]
    return u_tt - WAVE_C**2 * u_xx


def _burgers_residual(nu: float) -> Callable[[Field, torch.Tensor], torch.Tensor]:
    def residual(net: Field, x: torch.Tensor) -> torch.Tensor:
        x = x.requires_grad_(True)
        u = net(x)
        du = grad(u, x)
        u_xx = grad(du[:, :1], x)[:, :1]
        return du[:, 1:2] + u * du[:, :1] - nu * u_xx

    return residual


def _poisson_residual(net: Field, x: torch.Tensor) -> torch.Tensor:
    x = x.requires_grad_(True)
    u = net(x)
    du = grad(u, x)
    lap = grad(du[:, :1], x)[:, :1] + grad(du[:, 1:2], x)[:, 1:2]
    return lap + _poisson_source(x[:, :1], x[:, 1:2])


def _poisson_source(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return 5 * math.pi**2 * torch.sin(math.pi * x) * torch.sin(2 * math.pi * y)


def _heat_exact(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.exp(-HEAT_ALPHA * np.pi**2 * t) * np.sin(np.pi * x)


def _wave_exact(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    one = np.sin(np.pi * x) * np.cos(np.pi * WAVE_C * t)
    return one + 0.5 * np.sin(3 * np.pi * x) * np.cos(3 * np.pi * WAVE_C * t)


def _poisson_exact(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.sin(np.pi * x) * np.sin(2 * np.pi * y)


def _heat_hard(x: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
    a, t = x[:, :1], x[:, 1:2]
    return torch.sin(math.pi * a) + t * a * (1 - a) * n


def _wave_hard(x: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
    """t^2 makes u_t(x, 0) = 0 hold too."""
    a, t = x[:, :1], x[:, 1:2]
    u0 = torch.sin(math.pi * a) + 0.5 * torch.sin(3 * math.pi * a)
    return u0 + t**2 * a * (1 - a) * n


def _poisson_hard(x: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
    a, b = x[:, :1], x[:, 1:2]
    return a * (1 - a) * b * (1 - b) * n


def _burgers_hard(x: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
    """u = -sin(pi x) + t (1 - x^2) N: the initial line and both walls hold exactly."""
    a, t = x[:, :1], x[:, 1:2]
    return -torch.sin(math.pi * a) + t * (1 - a**2) * n


def problem_for(config: PinnConfig) -> Problem:
    """The Problem `config.pde` names (Burgers at `config.nu`)."""
    unit = ((0.0, 1.0), (0.0, 1.0))
    if config.pde == "heat":
        return Problem(
            "heat", ("x", "t"), unit, 1, _heat_residual, _heat_exact, (101, 101), hard=_heat_hard
        )
    if config.pde == "wave":
        return Problem(
            "wave", ("x", "t"), unit, 1, _wave_residual, _wave_exact, (101, 101), hard=_wave_hard
        )
    if config.pde == "poisson2d":
        return Problem(
            "poisson2d",
            ("x", "y"),
            unit,
            None,
            _poisson_residual,
            _poisson_exact,
            (101, 101),
            hard=_poisson_hard,
        )
    nu = config.nu
    return Problem(
        "burgers",
        ("x", "t"),
        ((-1.0, 1.0), (0.0, 1.0)),
        1,
        _burgers_residual(nu),
        lambda x, t: burgers_exact(x, t, nu),
        (256, 100),
        grid_top=0.99,
        hard=_burgers_hard,
    )
