"""Burgers rel. L2 of torch's L-BFGS against the dense self-scaled BFGS, on the GPU.

    python scripts/device/pinn_probe.py [budget_s] [ssbfgs nets, e.g. 4x20,3x30] [--no-lbfgs]

Trains the L-BFGS set-up `best()` had before SSBFGS (6 x 32, `optimizer="lbfgs"`), then
`best()` (SSBFGS) on each small tanh net named, all with the same hard conditions,
resampling rounds and fp64, each for `budget_s` seconds (default 100: two variants plus
start-up stay inside 240 s; `180 4x20 --no-lbfgs` checks the 180 s target alone). Prints
rel. L2, iterations, iterations per second and collocation points for each, so a GPU session
can tell whether SSBFGS holds its CPU lead where L-BFGS iterations are cheap.
"""

from __future__ import annotations

import sys
import time

import torch

from gpulab.workloads.pinn import PinnConfig, best, train

DEFAULT_BUDGET_S = 100.0
DEFAULT_NETS = "4x20"


def variants(budget: float, nets: str, lbfgs: bool = True) -> dict[str, PinnConfig]:
    """Name -> config: the former L-BFGS best (unless not `lbfgs`), then SSBFGS on each
    depth x width in `nets`."""
    out = {}
    if lbfgs:
        out["lbfgs 6x32"] = best(budget_s=budget, optimizer="lbfgs", depth=6, width=32)
    for net in nets.split(","):
        depth, width = (int(v) for v in net.lower().split("x"))
        out[f"ssbfgs {depth}x{width}"] = best(
            budget_s=budget, optimizer="ssbfgs", depth=depth, width=width
        )
    return out


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--no-lbfgs"]
    budget = float(args[0]) if args else DEFAULT_BUDGET_S
    nets = args[1] if len(args) > 1 else DEFAULT_NETS
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none (CPU)"
    print(f"torch {torch.__version__}, GPU {gpu}, budget {budget:g} s per variant", flush=True)
    for name, config in variants(budget, nets, "--no-lbfgs" not in sys.argv).items():
        start = time.perf_counter()
        result = train(config)
        wall = time.perf_counter() - start
        rate = result.lbfgs_iterations / max(result.seconds, 1e-9)
        print(
            f"{name:18} rel. L2 {result.rel_l2:.3e}  {result.lbfgs_iterations:6} it  "
            f"{rate:7.1f} it/s  {result.collocation:6} points  {wall:5.1f} s  "
            f"{result.warning or result.stopped}",
            flush=True,
        )


if __name__ == "__main__":
    main()
