"""The switches measured one at a time: the plain PINN, then each improvement alone on top of
it, then all of them, each under the same wall-time budget and seed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from gpulab.workloads.pinn.config import SWITCH_LABELS, SWITCHES, PinnConfig
from gpulab.workloads.pinn.loop import TrainResult, train

ADAM_ONLY = ("balance", "causal")  # they reweight Adam's loss; L-BFGS needs a fixed one
WARMUP_STEPS = 1000  # the Adam steps such a switch gets when the base has none


def method_configs(base: PinnConfig, budget_s: float) -> dict[str, PinnConfig]:
    """Method name -> config: 'plain', one per switch, 'all switches'.

    A base without Adam steps (ours on Burgers) would make the Adam-only switches no-ops, so
    their rows get a warm-up of WARMUP_STEPS, named in the row, inside the same budget.
    """
    plain = replace(base, budget_s=budget_s, **{s: False for s in SWITCHES})
    out = {"plain": plain}
    for switch in SWITCHES:
        out.update([_warmed(SWITCH_LABELS[switch], replace(plain, **{switch: True}), (switch,))])
    out.update([_warmed("all switches", replace(plain, **{s: True for s in SWITCHES}), SWITCHES)])
    return out


def _warmed(name: str, config: PinnConfig, switches: tuple[str, ...]) -> tuple[str, PinnConfig]:
    if config.adam_steps or not set(switches) & set(ADAM_ONLY):
        return name, config
    return f"{name} (+ {WARMUP_STEPS:,} Adam steps)", replace(config, adam_steps=WARMUP_STEPS)


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
