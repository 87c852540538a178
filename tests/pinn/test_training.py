"""Training for real on the CPU: heat to rel. L2 < 1e-2 in seconds, each switch runs and the
residuals are the PDEs' (zero on the exact solutions)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import torch

from gpulab.workloads.pinn import PinnConfig, problem_for, train
from gpulab.workloads.pinn.problems import HEAT_ALPHA, WAVE_C

SMOKE = PinnConfig.for_profile("smoke")


def test_heat_trains_below_one_percent() -> None:
    result = train(replace(SMOKE, budget_s=60.0))
    assert result.rel_l2 < 1e-2, result.summary()
    assert result.lbfgs_iterations > 0
    assert set(result.history[-1].terms) == {"pde", "initial", "boundary"}


def _exact_net(pde: str):
    def net(x: torch.Tensor) -> torch.Tensor:
        a, b = x[:, :1], x[:, 1:2]
        if pde == "heat":
            return torch.exp(-HEAT_ALPHA * math.pi**2 * b) * torch.sin(math.pi * a)
        if pde == "wave":
            one = torch.sin(math.pi * a) * torch.cos(math.pi * WAVE_C * b)
            return one + 0.5 * torch.sin(3 * math.pi * a) * torch.cos(3 * math.pi * WAVE_C * b)
        return torch.sin(math.pi * a) * torch.sin(2 * math.pi * b)

    return net


def test_residuals_vanish_on_the_exact_solutions() -> None:
    x = torch.rand(200, 2, dtype=torch.float64)
    for pde in ("heat", "wave", "poisson2d"):
        problem = problem_for(replace(SMOKE, pde=pde))
        r = problem.residual(_exact_net(pde), x.clone())
        assert r.abs().max() < 1e-9, pde
        exact = _exact_net(pde)

        def wrong_net(y: torch.Tensor, f=exact) -> torch.Tensor:
            return f(y) + 0.1 * torch.sin(2 * y[:, :1]) * y[:, 1:2] ** 2

        wrong = problem.residual(wrong_net, x.clone())
        assert wrong.abs().max() > 1e-3, pde


def test_every_switch_and_pde_runs_through_both_optimisers() -> None:
    tiny = replace(
        SMOKE,
        n_f=200,
        adam_steps=60,
        lbfgs_steps=10,
        log_every=20,
        budget_s=0.0,
        resample_every=30,
        resample_add=50,
        balance_every=20,
    )
    for pde, hard in (("wave", False), ("burgers", False), ("poisson2d", False), ("wave", True)):
        config = replace(
            tiny, pde=pde, hard=hard, fourier=True, balance=True, causal=True, resample=True
        )
        result = train(config)
        assert np.isfinite(result.rel_l2)
        assert all(np.isfinite(p.loss) for p in result.history), pde
        assert result.history[-1].phase == "lbfgs", pde
        assert result.collocation > config.n_f  # resampling added points
        assert result.prediction.shape == result.exact.shape


def test_float32_runs_in_float32() -> None:
    result = train(replace(SMOKE, dtype="float32", adam_steps=40, lbfgs_steps=5, log_every=20))
    assert np.isfinite(result.rel_l2)
