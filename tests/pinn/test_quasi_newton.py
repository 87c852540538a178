"""The dense self-scaled BFGS: Rosenbrock to 1e-8 in < 200 iterations, a lower PINN loss than
torch's L-BFGS for the same iterations, a non-finite loss keeps the last good point, and the
optimizer switch is validated."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from gpulab.errors import UsageError
from gpulab.workloads.pinn import PinnConfig, best, loop, train
from gpulab.workloads.pinn.quasi_newton import SelfScaledBFGS, minimise

SMOKE = PinnConfig.for_profile("smoke")


def _rosenbrock(x: torch.Tensor) -> tuple[float, torch.Tensor]:
    x = x.detach().requires_grad_(True)
    f = ((1 - x[:-1]) ** 2 + 100 * (x[1:] - x[:-1] ** 2) ** 2).sum()
    (g,) = torch.autograd.grad(f, x)
    return float(f.detach()), g


@pytest.mark.parametrize("n", [2, 10])
def test_minimises_rosenbrock_to_1e_8_in_under_200_iterations(n: int) -> None:
    x0 = torch.full((n,), -1.2, dtype=torch.float64)
    x0[1::2] = 1.0
    opt = minimise(_rosenbrock, x0, 199)
    assert opt.f < 1e-8, (opt.f, opt.iterations, opt.stopped)
    assert torch.allclose(opt.x, torch.ones(n, dtype=torch.float64), atol=1e-4)
    assert opt.iterations < 200


def test_non_finite_loss_keeps_the_last_good_point() -> None:
    """A bowl centred at 0 that is NaN inside |x| < 1: the line search walks into the hole."""

    def holed(x: torch.Tensor) -> tuple[float, torch.Tensor]:
        if float(x.norm()) < 1.0:
            return math.nan, torch.full_like(x, math.nan)
        return float(x @ x), 2 * x

    x0 = torch.tensor([3.0, -4.0], dtype=torch.float64)
    opt = minimise(holed, x0, 50)
    assert opt.diverged and "non-finite" in opt.stopped
    assert math.isfinite(opt.f) and torch.isfinite(opt.x).all()
    assert float(opt.x.norm()) >= 1.0 and opt.f == pytest.approx(float(opt.x @ opt.x))
    assert not opt.step()  # it stays stopped


def _pinn_config(optimizer: str) -> PinnConfig:
    return replace(
        SMOKE,
        pde="burgers",
        hard=True,
        depth=2,
        width=10,
        n_f=300,
        adam_steps=0,
        lbfgs_steps=150,
        lbfgs_history=50,
        budget_s=0.0,
        optimizer=optimizer,
    )


def test_lower_pinn_loss_than_lbfgs_for_the_same_iterations() -> None:
    ours = train(_pinn_config("ssbfgs"))
    theirs = train(_pinn_config("lbfgs"))
    assert ours.lbfgs_iterations == theirs.lbfgs_iterations == 150
    assert ours.summary()["optimizer"] == "ssbfgs"
    assert ours.history[-1].loss < theirs.history[-1].loss, (
        ours.history[-1].loss,
        theirs.history[-1].loss,
    )
    assert ours.warning == ""


def test_ssbfgs_runs_with_resampling_rounds() -> None:
    config = replace(_pinn_config("ssbfgs"), lbfgs_steps=30, resample=True, resample_lbfgs_every=10)
    result = train(replace(config, resample_add=40))
    assert result.lbfgs_iterations == 30
    assert result.collocation == 300 + 2 * 40  # after rounds one and two, not the last
    assert all(math.isfinite(p.loss) for p in result.history)


def test_refresh_after_the_objective_changes_keeps_h() -> None:
    scale = {"a": 1.0}

    def bowl(x: torch.Tensor) -> tuple[float, torch.Tensor]:
        return scale["a"] * float(x @ x), 2 * scale["a"] * x

    opt = SelfScaledBFGS(bowl, torch.tensor([1.0, 2.0], dtype=torch.float64))
    assert opt.step()
    h = opt.H.clone()
    scale["a"] = 3.0
    opt.refresh()
    assert opt.f == pytest.approx(3.0 * float(opt.x @ opt.x))
    assert torch.equal(opt.H, h)


def test_unknown_optimizer_is_named() -> None:
    with pytest.raises(UsageError, match="choose lbfgs"):
        replace(SMOKE, optimizer="adamw").validate()
    with pytest.raises(UsageError, match="choose lbfgs"):
        train(replace(SMOKE, optimizer="bfgs"))


def test_best_uses_ssbfgs_and_is_valid() -> None:
    config = best()
    config.validate()
    assert config.optimizer == "ssbfgs" and config.hard and config.dtype == "float64"


@pytest.mark.parametrize(
    "changes",
    [{}, {"depth": 9}, {"fourier": True, "width": 7, "depth": 3}, {"width": 64, "depth": 2}],
)
def test_parameter_count_matches_the_network(changes: dict) -> None:
    from gpulab.workloads.pinn.model import PinnNet
    from gpulab.workloads.pinn.problems import problem_for

    config = replace(best(), **changes)
    net = PinnNet(config, problem_for(config), torch.Generator().manual_seed(0))
    assert config.parameter_count() == sum(p.numel() for p in net.parameters())


def test_a_network_too_large_for_a_dense_hessian_is_refused() -> None:
    too_wide = replace(best(), width=128, depth=10)  # 150,000 weights: a 180 GB matrix
    with pytest.raises(UsageError, match="dense .* inverse Hessian.*choose L-BFGS"):
        too_wide.validate()
    replace(too_wide, optimizer="lbfgs").validate()


def test_memory_need_counts_the_dense_hessian() -> None:
    n = best().parameter_count()
    ssbfgs, lbfgs = loop.memory_need(best()), loop.memory_need(replace(best(), optimizer="lbfgs"))
    assert ssbfgs - lbfgs == 3 * n * n * 8


def test_ssbfgs_history_is_labelled_as_such() -> None:
    result = train(replace(_pinn_config("ssbfgs"), lbfgs_steps=20))
    assert {p.phase for p in result.history} <= {"ssbfgs"} and result.history
    assert result.config.optimizer_label == "self-scaled BFGS"
