"""Start `train_script` under torchrun at one world size and follow it until it ends.

The child's environment turns NVLink multicast off (NCCL NVLS, torch symmetric memory,
NVSHMEM), which these multi-GPU hosts require, and puts gpulab on PYTHONPATH. Rank 0's step
lines are read back while it runs (`on_step`), so a notebook can chart them live. A rank that
fails is reported with its rank and message (`RankFailed`); torchrun stops the other ranks, and
the launch's process group is stopped in every case.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gpulab import memory_budget
from gpulab.errors import UsageError
from gpulab.owned_process import OwnedProcess

from .config import CPU_MAX_WORLD, TrainConfig

NO_MULTICAST = {
    "NCCL_NVLS_ENABLE": "0",
    "TORCH_SYMM_MEM_DISABLE_MULTICAST": "1",
    "NVSHMEM_DISABLE_NVLS": "1",
}
StepFn = Callable[[dict[str, Any]], None]


class RankFailed(RuntimeError):
    """A rank raised: `rank` is the first to fail (the root cause), `message` its error."""

    def __init__(self, rank: int, message: str, log: str) -> None:
        super().__init__(f"rank {rank} failed: {message}\n{log}".rstrip())
        self.rank, self.message, self.log = rank, message, log
        self.pgid = 0  # the launch's process group, set by run_world


def uses_cuda(config: TrainConfig) -> bool:
    """Whether the ranks run on CUDA GPUs (nccl) or on the CPU (gloo)."""
    if config.device == "cpu":
        return False
    import torch

    if config.device == "cuda" and not torch.cuda.is_available():
        raise UsageError("device 'cuda' was chosen but torch sees no CUDA GPU: choose 'auto'")
    return torch.cuda.is_available()


def max_world(config: TrainConfig) -> int:
    """The largest world size this machine runs: its GPU count, or CPU_MAX_WORLD processes."""
    if uses_cuda(config):
        import torch

        return torch.cuda.device_count()
    return min(CPU_MAX_WORLD, os.cpu_count() or 1)


def check_world(config: TrainConfig, world: int) -> None:
    """A UsageError for a world size larger than the devices present."""
    limit = max_world(config)
    if world > limit:
        where = f"{limit} GPU(s)" if uses_cuda(config) else f"{limit} CPU process(es) here"
        raise UsageError(
            f"world size {world} needs {world} ranks but this machine has {where}: "
            f"choose a world size of at most {limit}"
        )


def child_env(config: TrainConfig, world: int) -> dict[str, str]:
    """The parent's environment with multicast off, gpulab importable, one thread per CPU rank."""
    env = dict(os.environ) | NO_MULTICAST
    src = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    if not uses_cuda(config):
        env["CUDA_VISIBLE_DEVICES"] = ""
        env["OMP_NUM_THREADS"] = "1"  # one thread per rank: CPU ranks must not fight over cores
    elif (budget := memory_budget.active("cuda:0")) is not None:
        env[memory_budget.ENV_VAR] = f"{budget.bytes}b"  # each rank caps itself likewise
    return env


def command(world: int, config_path: Path, run_dir: Path) -> list[str]:
    return [
        sys.executable, "-m", "torch.distributed.run", "--standalone",
        f"--nproc-per-node={world}",
        "-m", "gpulab.workloads.distributed.train_script", str(config_path), str(run_dir),
    ]  # fmt: skip


def run_world(
    config: TrainConfig,
    world: int,
    on_step: StepFn | None = None,
    on_line: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Every strategy of `config` at `world` ranks: {"results": {strategy: ...}, "probe": ...,
    "log": last lines, "pgid": the launch's stopped process group}. Raises RankFailed
    (with `pgid`) for a failed rank, UsageError past the timeout."""
    check_world(config, world)
    with tempfile.TemporaryDirectory(prefix="gpulab-ddp-") as tmp:
        run_dir = Path(tmp)
        config_path = run_dir / "config.json"
        config_path.write_text(json.dumps(config.to_dict()))
        launch = OwnedProcess(
            command(world, config_path, run_dir), child_env(config, world), on_line
        )
        try:
            _follow(launch, run_dir / "steps.jsonl", config.timeout_s, on_step)
            code = launch.finish()
            out = _collect(run_dir, code, "\n".join(list(launch.lines)[-15:]))
        except RankFailed as err:
            err.pgid = launch.pgid
            raise
        finally:
            launch.stop()
        return out | {"pgid": launch.pgid}


def _follow(launch: OwnedProcess, steps: Path, timeout_s: float, on_step: StepFn | None) -> None:
    """Hand each new step line to `on_step` until the launch exits (or stop it at the timeout)."""
    start, seen = time.monotonic(), 0
    while True:
        done = launch.poll() is not None
        if steps.exists():
            lines = steps.read_text().splitlines()
            complete = lines if done else lines[:-1]  # the last line may be half written
            for line in complete[seen:]:
                if on_step is not None:
                    on_step(json.loads(line))
            seen = max(seen, len(complete))
        if done:
            return
        if time.monotonic() - start > timeout_s:
            launch.stop()
            raise UsageError(f"the launch ran past its {timeout_s:.0f} s limit and was stopped")
        time.sleep(0.1)


def _collect(run_dir: Path, code: int, log: str) -> dict[str, Any]:
    errors = sorted(
        (json.loads(p.read_text()) for p in run_dir.glob("error-rank*.json")),
        key=lambda e: e["time"],
    )
    if errors:
        first = errors[0]
        raise RankFailed(first["rank"], first["error"], first["traceback"].strip()[-1500:])
    if code != 0:
        raise RankFailed(-1, f"torchrun exited with status {code}", log)
    results = {}
    for path in sorted(run_dir.glob("result-*.json")):
        data = json.loads(path.read_text())
        results[data["strategy"]] = data
    probe = run_dir / "probe.json"
    return {"results": results, "probe": json.loads(probe.read_text()) if probe.exists() else {},
            "log": log}  # fmt: skip
