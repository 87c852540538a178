"""PINN on viscous Burgers: rel. L2 error at a fixed wall-time budget, ours vs the Raissi et al. set-up.

Both train in the same process on the same device (the first CUDA GPU, else the CPU) for the
same wall-time budget (`budget_s` in each config: 120 s each on full, 6 s on smoke), judged
against the Cole–Hopf solution on Raissi's 256 x 100 grid. Raissi: 9 x 20 tanh, N_u = 100,
N_f = 10,000, torch's L-BFGS only (fp64, strong Wolfe). Ours (`gpulab.workloads.pinn.best`):
4 x 20 tanh with hard initial/boundary conditions, fp64 dense self-scaled BFGS (strong Wolfe)
from the start, 2,000 points added where the residual is largest every 300 iterations (5,000
to 40,000).
Lower is better, so ratio = Raissi's error / ours. On smoke both stop after seconds,
far from converged, and no ratio is given. GPULAB_PINN_BUDGET_S overrides the budget.
"""

from __future__ import annotations

import os
from typing import Any

from gpulab import profiles
from gpulab.bench import BenchResult
from gpulab.workloads.pinn import best, raissi, train

BUDGET_S = {profiles.SMOKE: 6.0, profiles.FULL: 120.0}
BUDGET_ENV = "GPULAB_PINN_BUDGET_S"  # overrides the profile's budget (seconds per side)


def configs_for(profile: str) -> dict[str, Any]:
    """The two configs the bench trains, at the profile's budget (or GPULAB_PINN_BUDGET_S)."""
    budget = float(os.environ.get(BUDGET_ENV) or BUDGET_S[profiles.check(profile)])
    return {"ours": best(budget_s=budget), "raissi": raissi(budget_s=budget)}


def run(profile: str) -> BenchResult:
    configs = configs_for(profile)
    results = {}
    for name, config in configs.items():
        print(f"training {name} for up to {config.budget_s:g} s", flush=True)
        results[name] = train(config)
        print(f"  {name}: rel. L2 {results[name].rel_l2:.3e}", flush=True)
    ours, peer = results["ours"], results["raissi"]
    no_ratio = ""
    if profiles.check(profile) == profiles.SMOKE:
        no_ratio = "smoke budgets of seconds leave both far from converged: the errors are not comparable results"
    return BenchResult(
        metric="Burgers rel. L2 error at a fixed wall-time budget",
        ours=ours.rel_l2,
        peer_name="Raissi et al. 2019 set-up (9 x 20 tanh, N_f = 10,000, fp64 L-BFGS)",
        peer_value=peer.rel_l2,
        unit="",
        higher_is_better=False,
        details={
            "device": ours.device,
            "budget_s": configs["ours"].budget_s,
            "goal": "rel. L2 <= 1e-4 within 3 minutes, >= 5x better than Raissi at the same budget",
            "ours": ours.summary() | {"history": _history(ours)},
            "raissi": peer.summary() | {"history": _history(peer)},
            "config": {name: c.to_dict() for name, c in configs.items()},
        },
        no_ratio_because=no_ratio,
    )


def _history(result: Any) -> list[dict[str, Any]]:
    return [
        {"seconds": p.seconds, "step": p.step, "phase": p.phase, "rel_l2": p.rel_l2, "loss": p.loss}
        for p in result.history
    ]
