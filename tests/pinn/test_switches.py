"""The hard-constraint transform holds the data exactly for any weights; L-BFGS rounds add
points where the residual is largest; the comparison gives Adam-only switches Adam steps."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from gpulab.workloads.pinn import (
    SWITCH_LABELS,
    PinnConfig,
    best,
    method_configs,
    problem_for,
    train,
)
from gpulab.workloads.pinn.methods import ADAM_ONLY, WARMUP_STEPS
from gpulab.workloads.pinn.model import PinnNet

SMOKE = PinnConfig.for_profile("smoke")


def _random_net(pde: str, hard: bool, seed: int) -> PinnNet:
    config = replace(SMOKE, pde=pde, hard=hard, depth=3, width=16)
    net = PinnNet(config, problem_for(config), torch.Generator().manual_seed(seed))
    with torch.no_grad():  # biases too, so the raw output is far from zero everywhere
        for layer in net.layers:
            layer.bias.normal_(0.0, 1.0, generator=torch.Generator().manual_seed(seed + 1))
    return net


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hard_burgers_satisfies_initial_and_boundary_data_exactly(seed: int) -> None:
    net = _random_net("burgers", hard=True, seed=seed)
    x = torch.linspace(-1, 1, 257, dtype=torch.float64)
    t = torch.rand(200, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    u0 = net(torch.stack([x, torch.zeros_like(x)], 1)).squeeze(1)
    assert torch.allclose(u0, -torch.sin(torch.pi * x), atol=1e-15, rtol=0)
    for side in (-1.0, 1.0):
        wall = net(torch.stack([torch.full_like(t, side), t], 1))
        assert wall.abs().max() < 1e-15, side
    # ... while the interior is the network's, not the initial profile carried forward
    inside = torch.tensor([[0.3, 0.5], [-0.6, 0.9]], dtype=torch.float64)
    soft = _random_net("burgers", hard=False, seed=seed)
    assert (net(inside) + torch.sin(torch.pi * inside[:, :1])).abs().min() > 1e-6
    assert not torch.allclose(soft(torch.stack([x, torch.zeros_like(x)], 1)).squeeze(1), u0)


@pytest.mark.parametrize("pde", ["heat", "wave", "poisson2d"])
def test_hard_transform_matches_the_exact_data_of_every_pde(pde: str) -> None:
    net = _random_net(pde, hard=True, seed=3)
    problem = problem_for(replace(SMOKE, pde=pde))
    s = torch.rand(100, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    zero, one = torch.zeros_like(s), torch.ones_like(s)
    edges = [torch.stack([zero, s], 1), torch.stack([one, s], 1), torch.stack([s, zero], 1)]
    if pde == "poisson2d":
        edges.append(torch.stack([s, one], 1))
    for pts in edges:
        exact = problem.exact(pts[:, 0].numpy(), pts[:, 1].numpy())
        got = net(pts).detach().squeeze(1).numpy()
        assert np.max(np.abs(got - exact)) < 1e-14, pde
    if pde == "wave":  # u_t(x, 0) = 0 as well
        pts = torch.stack([s, zero], 1).requires_grad_(True)
        u_t = torch.autograd.grad(net(pts).sum(), pts)[0][:, 1]
        assert u_t.abs().max() < 1e-14


def test_hard_training_has_only_the_residual_term() -> None:
    result = train(replace(SMOKE, hard=True, adam_steps=0, lbfgs_steps=30, budget_s=0.0))
    assert set(result.history[-1].terms) == {"pde"}
    assert result.rel_l2 < 5e-2, result.summary()


@pytest.mark.parametrize(("cap", "points"), [(0, 300 + 2 * 40), (350, 350)])
def test_lbfgs_rounds_add_points_between_rounds(cap: int, points: int) -> None:
    config = replace(
        SMOKE,
        pde="burgers",
        hard=True,
        n_f=300,
        adam_steps=0,
        lbfgs_steps=30,
        resample=True,
        resample_lbfgs_every=10,
        resample_add=40,
        resample_max=cap,
        budget_s=0.0,
    )
    result = train(config)
    assert result.lbfgs_iterations == 30
    # added after rounds one and two (not after the last), up to the cap
    assert result.collocation == points
    assert all(np.isfinite(p.loss) for p in result.history)


def test_adam_only_switches_get_a_warm_up_when_the_base_has_no_adam() -> None:
    rows = method_configs(best(), 7.0)
    assert rows["plain"].adam_steps == 0 and not rows["plain"].switches()
    assert rows["hard initial/boundary conditions"].switches() == ("hard",)
    for switch in ADAM_ONLY:
        (name,) = [n for n, c in rows.items() if c.switches() == (switch,)]
        assert rows[name].adam_steps == WARMUP_STEPS and "Adam steps" in name
    assert all(c.budget_s == 7.0 for c in rows.values())
    # a base that has Adam steps keeps its rows as they are
    kept = method_configs(SMOKE, 3.0)[SWITCH_LABELS["balance"]]
    assert kept.switches() == ("balance",) and kept.adam_steps == SMOKE.adam_steps
