"""The script torchrun starts on every rank: `python -m torch.distributed.run --standalone
--nproc-per-node=N -m gpulab.workloads.distributed.train_script CONFIG.json RUN_DIR`.

Each rank trains every strategy of the config that fits its world size (single only at N = 1),
one after the other from the same seed and batches. Rank 0 appends one JSON line per step to
RUN_DIR/steps.jsonl (the notebook charts it live) and writes RUN_DIR/result-<strategy>.json;
the all-reduce probe writes RUN_DIR/probe.json. A rank that fails writes RUN_DIR/error-rank<r>.json
before exiting non-zero (torchrun then stops the others). Model and optimiser are freed before
`destroy_process_group()`: FSDP2 on gloo aborts at exit otherwise.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from gpulab import memory_budget
from gpulab.repro import seed_everything
from gpulab.timing import Timing, benchmark, synchronize

from .config import SINGLE, TrainConfig, plan_batch
from .data import as_tensor, corpus_bytes, global_batch
from .model import Gpt, parameter_count
from .strategies import train_step, wrap


def _device() -> torch.device:
    if torch.cuda.is_available():
        index = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(index)
        memory_budget.apply(device=index)  # the parent's budget ($GPULAB_MEMORY_BUDGET), per rank
        return torch.device("cuda", index)
    return torch.device("cpu")


def _write(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)  # readers never see half a file


def _autocast(config: TrainConfig, device: torch.device, strategy: str) -> Any:
    """bf16 autocast for single and DDP; FSDP2 casts through its MixedPrecisionPolicy instead."""
    if config.precision != "bf16" or strategy == "fsdp2":
        return contextlib.nullcontext
    return lambda: torch.autocast(device.type, dtype=torch.bfloat16)


def run_strategy(strategy: str, config: TrainConfig, text: torch.Tensor, run_dir: Path) -> None:
    """Train `strategy` for config.steps steps; rank 0 logs each step and writes the result."""
    rank, world, device = dist.get_rank(), dist.get_world_size(), _device()
    plan = plan_batch(config.global_batch, world, config.accumulation)
    seed_everything(config.seed)  # the same initial weights on every rank and strategy
    model = wrap(
        Gpt(config.seq_len, config.d_model, config.n_layers, config.n_heads),
        strategy,
        config,
        device,
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr)
    autocast = _autocast(config, device, strategy)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    losses, seconds = [], []
    for step in range(config.steps):
        if rank == config.crash_rank and step == config.crash_step:
            raise RuntimeError(f"injected failure on rank {rank} at step {step} ({strategy})")
        batch = global_batch(text, step, plan.global_batch, config.seq_len, config.seed)
        mine = batch[rank * plan.per_rank : (rank + 1) * plan.per_rank].to(device)
        synchronize()
        start = time.perf_counter()
        loss = train_step(model, optimizer, list(mine.split(plan.micro_batch)), strategy, autocast)
        dist.all_reduce(loss, op=dist.ReduceOp.AVG if device.type == "cuda" else dist.ReduceOp.SUM)
        value = loss.item() / (1 if device.type == "cuda" else world)
        seconds.append(time.perf_counter() - start)
        losses.append(value)
        if rank == 0:
            line = {
                "strategy": strategy,
                "world": world,
                "step": step,
                "loss": value,
                "step_s": seconds[-1],
                "samples_per_s": plan.global_batch / seconds[-1],
            }
            with open(run_dir / "steps.jsonl", "a") as out:
                out.write(json.dumps(line) + "\n")
    peaks = [None] * world
    peak = torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None
    dist.all_gather_object(peaks, peak)
    if rank == 0:
        timed = Timing(
            seconds[config.warmup_steps :],
            "perf_counter, synchronised",
            config.warmup_steps,
            work_per_call=plan.global_batch,
            unit="samples",
        )
        _write(
            run_dir / f"result-{strategy}.json",
            {
                "strategy": strategy,
                "world": world,
                "device": str(device),
                "losses": losses,
                "timing": timed.to_dict(),
                "peak_bytes_per_rank": peaks,
                "parameters": parameter_count(model),
                "batch": plan.__dict__,
            },
        )
    del model, optimizer
    gc.collect()


def run_probe(config: TrainConfig, run_dir: Path) -> None:
    """All-reduce of the gradient's size: bus bandwidth = 2 (N-1)/N x bytes / time (NCCL's rule)."""
    world, device = dist.get_world_size(), _device()
    params = parameter_count(Gpt(config.seq_len, config.d_model, config.n_layers, config.n_heads))
    size = int(config.probe_mb * 2**20) if config.probe_mb else 4 * params
    if world == 1:
        result = {
            "ran": False,
            "reason": "world size 1: there is no other rank to all-reduce with",
            "bytes": size,
        }
    else:
        tensor = torch.ones(size // 4, dtype=torch.float32, device=device)
        timing = benchmark(
            lambda: dist.all_reduce(tensor),
            warmup=3,
            repeats=10,
            device=device if device.type == "cuda" else None,
        )
        result = {
            "ran": True,
            "bytes": size,
            "world": world,
            "backend": dist.get_backend(),
            "timing": timing.to_dict(),
            "bus_gb_per_s": 2 * (world - 1) / world * size / timing.median_s / 1e9,
            "algo_gb_per_s": size / timing.median_s / 1e9,
        }
        del tensor
    if dist.get_rank() == 0:
        _write(run_dir / "probe.json", result)


def main(config_path: str, run_dir_name: str) -> int:
    config = TrainConfig.from_dict(json.loads(Path(config_path).read_text()))
    run_dir = Path(run_dir_name)
    device = _device()
    dist.init_process_group(
        "nccl" if device.type == "cuda" else "gloo", timeout=dt.timedelta(seconds=config.timeout_s)
    )
    rank = dist.get_rank()
    try:
        text = as_tensor(corpus_bytes())
        for strategy in config.strategies:
            if strategy == SINGLE and dist.get_world_size() > 1:
                continue
            print(f"[rank {rank}] {strategy}: training", flush=True)
            run_strategy(strategy, config, text, run_dir)
        run_probe(config, run_dir)
    except BaseException as err:
        _write(
            run_dir / f"error-rank{rank}.json",
            {
                "rank": rank,
                "time": time.time(),
                "error": f"{type(err).__name__}: {err}",
                "traceback": traceback.format_exc(),
            },
        )
        print(f"[rank {rank}] failed: {type(err).__name__}: {err}", flush=True)
        return 1
    finally:
        gc.collect()
        if dist.is_initialized():
            dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
