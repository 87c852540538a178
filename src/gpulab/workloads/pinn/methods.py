"""The switches measured one at a time: the plain PINN, then each improvement alone on top of
it, then all of them, each under the same wall-time budget and seed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from gpulab.workloads.pinn.config import SWITCH_LABELS, SWITCHES, PinnConfig
from gpulab.workloads.pinn.loop import TrainResult, train


def method_configs(base: PinnConfig, budget_s: float) -> dict[str, PinnConfig]:
    """Method name -> config: 'plain', one per switch, 'all switches'."""
    plain = replace(base, budget_s=budget_s, **{s: False for s in SWITCHES})
    out = {"plain": plain}
    for switch in SWITCHES:
        out[SWITCH_LABELS[switch]] = replace(plain, **{switch: True})
    out["all switches"] = replace(plain, **{s: True for s in SWITCHES})
    return out


def compare(
    base: PinnConfig, budget_s: float, progress: Callable | None = None
) -> list[tuple[str, TrainResult]]:
    """Train every method of `method_configs`; progress counts methods (equal budgets)."""
    configs = method_configs(base, budget_s)
    rows = []
    for i, (name, config) in enumerate(configs.items()):
        if progress is not None:
            progress(i, len(configs), f"training: {name}")
        rows.append((name, train(config)))
    if progress is not None:
        progress(len(configs), len(configs), "done")
    return rows
