"""Run every strategy at every world size, then compare and scale: the notebook's and the
benchmark's one entry point.

Loss curves are compared step by step against the single-device run (or, without one, the
first strategy at the smallest world size); scaling efficiency = throughput(N) /
(N x throughput(1)) per strategy, against the same strategy at world size 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from gpulab.progress import ProgressFn, no_progress

from .config import SINGLE, TrainConfig, plan_batch
from .launch import StepFn, check_world, run_world, uses_cuda
from .sizing import fit_memory


@dataclass
class SuiteResult:
    """Per (strategy, world) the rank-0 result; the probes per world; the agreement rows."""

    config: dict[str, Any]
    device: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    probes: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def run(self, strategy: str, world: int) -> dict[str, Any] | None:
        return next(
            (r for r in self.runs if r["strategy"] == strategy and r["world"] == world), None
        )

    def to_dict(self) -> dict[str, Any]:
        return {"config": self.config, "device": self.device, "runs": self.runs,
                "probes": {str(k): v for k, v in self.probes.items()}, "notes": self.notes,
                "agreement": agreement(self), "scaling": scaling(self)}  # fmt: skip


def common_batch(config: TrainConfig) -> tuple[TrainConfig, str]:
    """One global batch every world size splits evenly (same batch -> comparable losses)."""
    unit = math.lcm(*config.world_sizes) * config.accumulation
    plan = plan_batch(config.global_batch, unit, 1)
    return replace(config, global_batch=plan.global_batch), plan.note.replace(
        f"{unit} rank(s) x 1 micro-batch(es)", f"world sizes {list(config.world_sizes)} x "
        f"{config.accumulation} micro-batch(es)")  # fmt: skip


def planned_steps(config: TrainConfig) -> int:
    """Work units: optimiser steps over all (strategy, world) runs."""
    per_world = [
        len([s for s in config.strategies if s != SINGLE or w == 1]) for w in config.world_sizes
    ]
    return config.steps * sum(per_world)


def run_suite(
    config: TrainConfig, progress: ProgressFn = no_progress, on_step: StepFn | None = None,
    on_line: Any = None,
) -> SuiteResult:  # fmt: skip
    """Every world size of `config` (each checked against the devices first), in order."""
    config.validate()
    for world in config.world_sizes:
        check_world(config, world)
    config, note = common_batch(config)
    cuda = uses_cuda(config)
    fitted = ""
    if cuda:
        from gpulab import memory_budget

        config, fitted = fit_memory(config, memory_budget.free_and_total("cuda:0")[0])
    result = SuiteResult(config.to_dict(), "cuda" if cuda else "cpu")
    result.notes += [n for n in (note, fitted) if n]
    total, done = planned_steps(config), 0

    def step(line: dict[str, Any]) -> None:
        nonlocal done
        done += 1
        progress(done, total, f"{line['strategy']} x{line['world']} step {line['step'] + 1}")
        if on_step is not None:
            on_step(line)

    for world in sorted(set(config.world_sizes)):
        out = run_world(config, world, step, on_line)
        result.runs += [out["results"][s] for s in config.strategies if s in out["results"]]
        result.probes[world] = out["probe"]
    return result


def _reference(result: SuiteResult) -> dict[str, Any]:
    return result.run(SINGLE, 1) or min(result.runs, key=lambda r: r["world"])


def agreement(result: SuiteResult) -> list[dict[str, Any]]:
    """Per run: the largest relative loss difference from the reference run, and the verdict."""
    reference = _reference(result)
    tolerance = TrainConfig.from_dict(result.config).loss_tolerance
    rows = []
    for run in result.runs:
        diff = max(
            abs(a - b) / max(abs(b), 1e-12)
            for a, b in zip(run["losses"], reference["losses"], strict=True)
        )
        rows.append({"strategy": run["strategy"], "world": run["world"],
                     "reference": f"{reference['strategy']} x{reference['world']}",
                     "max_rel_diff": diff, "tolerance": tolerance, "agrees": diff <= tolerance})  # fmt: skip
    return rows


def scaling(result: SuiteResult) -> list[dict[str, Any]]:
    """Per run: samples/s, speed-up and efficiency vs the same strategy at world size 1."""
    rows = []
    for run in result.runs:
        base = result.run(run["strategy"], 1)
        rate = run["timing"]["throughput"]
        base_rate = base["timing"]["throughput"] if base else None
        peaks = [p for p in run["peak_bytes_per_rank"] if p is not None]
        rows.append({
            "strategy": run["strategy"], "world": run["world"], "samples_per_s": rate,
            "per_rank_batch": run["batch"]["per_rank"], "global_batch": run["batch"]["global_batch"],
            "speedup": rate / base_rate if base_rate else None,
            "efficiency": rate / (run["world"] * base_rate) if base_rate else None,
            "peak_gib_per_rank": max(peaks) / 2**30 if peaks else None,
            "noisy": run["timing"]["noisy"],
        })  # fmt: skip
    return rows
