"""Training graphs per second: one optimiser step on a fixed batch, warm, timed on a device."""

from __future__ import annotations

from typing import Any

from gpulab.progress import ProgressFn, no_progress
from gpulab.timing import Timing, benchmark

from .config import ReasoningConfig


def train_throughput(
    model_name: str,
    graphs: list[Any],
    config: ReasoningConfig,
    device: str,
    repeats: int,
    batch_size: int,
    warmup: int = 2,
) -> Timing:
    """Seconds per training step (forward, both losses, backward, Adam) of one batch of
    `batch_size` graphs: `graphs` repeated as often as it takes (the cost of a step depends on
    the graphs' sizes, not on whether two of them are equal)."""
    import torch
    from torch_geometric.data import Batch

    from gpulab.repro import seed_everything

    from .model import build_model

    seed_everything(0)
    model = build_model(model_name, config).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    repeated = graphs * -(-batch_size // len(graphs))
    batch = Batch.from_data_list(repeated[:batch_size]).to(device)

    def step() -> None:
        logits, recon = model(batch)
        loss = torch.nn.functional.cross_entropy(logits, batch.y)
        if recon is not None:
            rec = torch.nn.functional.cross_entropy(recon, batch.node_type)
            loss = loss + config.recon_weight * rec
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()

    return benchmark(
        step,
        warmup=warmup,
        repeats=repeats,
        work_per_call=float(batch.num_graphs),
        unit="graphs",
        device=device if device.startswith("cuda") else None,
    )


MIN_GAIN = 0.05  # a bigger batch must add this share of graphs/s to be worth timing on the CPU


def stopped_gaining(before: list[float], latest: float, gain: float = MIN_GAIN) -> bool:
    """Whether `latest` graphs/s is less than `gain` above the best of `before`: a bigger batch
    no longer pays on that device."""
    return bool(before) and latest < (1 + gain) * max(before)


def device_comparison(
    config: ReasoningConfig, graphs: list[Any], progress: ProgressFn = no_progress
) -> dict[str, Any]:
    """Training graphs/s of the hierarchical model at each of `config.throughput_batches`, on the
    CPU and the GPU; each device is judged at its best batch.

    The CPU's thread count (one, or all of them where there are more than two) is chosen at the
    first batch and kept. Batches grow until the CPU gains under 5 % from the last one; the larger
    ones are timed on the GPU only (a CPU step of 16,384 graphs takes many seconds and the CPU has
    stopped getting faster)."""
    import torch

    from .config import HIERARCHICAL
    from .suite import cpu_threads

    cuda, all_threads = torch.cuda.is_available(), torch.get_num_threads()
    steps, sizes = config.cpu_throughput_batches, config.throughput_batches
    rows: list[dict[str, Any]] = []
    threads, cpu_saturated = 1, False
    for index, size in enumerate(sizes):
        row: dict[str, Any] = {"batch": size}
        if not cpu_saturated:
            with cpu_threads("cpu", threads):
                cpu = train_throughput(HIERARCHICAL, graphs, config, "cpu", steps, size, warmup=1)
            if index == 0 and all_threads > 2:
                many = train_throughput(HIERARCHICAL, graphs, config, "cpu", steps, size, warmup=1)
                if many.throughput > cpu.throughput:
                    cpu, threads = many, all_threads
            timed = [r["cpu_graphs_per_s"] for r in rows if "cpu_graphs_per_s" in r]
            cpu_saturated = stopped_gaining(timed, cpu.throughput)
            row |= {"cpu_graphs_per_s": cpu.throughput, "cpu_threads": threads}
            row["cpu"] = cpu.to_dict()
            progress(index + 0.5, len(sizes), f"batch {size}: CPU {cpu.throughput:.0f} graphs/s")
        else:
            row["cpu_skipped"] = (
                f"the CPU gained under {100 * MIN_GAIN:.0f} % from the batch before"
            )
        if cuda:
            gpu = train_throughput(HIERARCHICAL, graphs, config, "cuda", 20, size)
            row |= {"gpu_graphs_per_s": gpu.throughput, "gpu": gpu.to_dict()}
            progress(index + 1, len(sizes), f"batch {size}: GPU {gpu.throughput:.0f} graphs/s")
        rows.append(row)
    best_cpu = max(
        (r for r in rows if "cpu_graphs_per_s" in r), key=lambda r: r["cpu_graphs_per_s"]
    )
    out: dict[str, Any] = {
        "by_batch": rows,
        "graphs": "the training graphs of the first domain, repeated to fill each batch",
        "cpu_graphs_per_s": best_cpu["cpu_graphs_per_s"],
        "cpu_batch": best_cpu["batch"],
        "cpu_threads": best_cpu["cpu_threads"],
    }
    if not cuda:
        return out | {
            "gpu_over_cpu": None,
            "why_no_gpu": "torch sees no CUDA GPU: only the CPU was timed",
        }
    best_gpu = max(rows, key=lambda r: r["gpu_graphs_per_s"])
    return out | {
        "gpu_graphs_per_s": best_gpu["gpu_graphs_per_s"],
        "gpu_batch": best_gpu["batch"],
        "gpu_over_cpu": best_gpu["gpu_graphs_per_s"] / best_cpu["cpu_graphs_per_s"],
    }
