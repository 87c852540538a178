"""Scaling efficiency, agreement verdicts and their tables, from runs with known numbers."""

from __future__ import annotations

from typing import Any

from gpulab.workloads import distributed
from gpulab.workloads.distributed import TrainConfig


def _run(strategy: str, world: int, seconds: float, losses: list[float]) -> dict[str, Any]:
    steps = [seconds] * 4
    return {
        "strategy": strategy,
        "world": world,
        "losses": losses,
        "timing": {
            "samples_s": steps,
            "method": "perf_counter",
            "warmup": 1,
            "throughput": 8 / seconds,
            "noisy": False,
        },  # fmt: skip
        "peak_bytes_per_rank": [2**30] * world,
        "batch": {"per_rank": 8 // world, "global_batch": 8},
    }


def _result() -> Any:
    result = distributed.SuiteResult(TrainConfig(world_sizes=(1, 2)).to_dict(), "cpu")
    result.runs = [
        _run("single", 1, 1.0, [5.0, 4.0]),
        _run("ddp", 1, 1.0, [5.0, 4.0]),
        _run("ddp", 2, 0.625, [5.0, 4.0001]),  # 12.8 samples/s: 80 % of 2 x 8
        _run("fsdp2", 2, 0.5, [5.0, 4.5]),  # no fsdp2 at world 1: no efficiency
    ]
    return result


def test_efficiency_is_throughput_over_n_times_one_rank() -> None:
    rows = {(r["strategy"], r["world"]): r for r in distributed.scaling(_result())}
    assert rows["ddp", 2]["samples_per_s"] == 12.8
    assert rows["ddp", 2]["efficiency"] == 0.8 and rows["ddp", 2]["speedup"] == 1.6
    assert rows["fsdp2", 2]["efficiency"] is None
    assert rows["ddp", 2]["peak_gib_per_rank"] == 1.0


def test_agreement_uses_the_single_device_run_and_the_tolerance() -> None:
    rows = {(r["strategy"], r["world"]): r for r in distributed.agreement(_result())}
    assert rows["ddp", 2]["agrees"] and abs(rows["ddp", 2]["max_rel_diff"] - 0.0001 / 4.0) < 1e-12
    assert not rows["fsdp2", 2]["agrees"] and rows["fsdp2", 2]["reference"] == "single x1"


def test_tables_and_meaning_read_the_numbers() -> None:
    data = _result().to_dict()
    table = distributed.scaling_table(data["scaling"])
    assert table[2]["efficiency"] == "80.0 %" and table[2]["peak memory / rank"] == "1.00 GiB"
    assert "p10-p90" in distributed.timing_table(data["runs"])[0]["step time (warm)"]
    assert "n/a" in table[3]["efficiency"]
    lines = distributed.meaning_lines(data)
    assert lines[0].startswith("1 run(s) disagree")
    assert any("80 % scaling efficiency" in line for line in lines)
    assert "CPU with CPU" in lines[-1]
    probes = distributed.probe_table({1: {"ran": False, "reason": "world size 1", "bytes": 2**20}})
    assert probes == [{"world": 1, "size": "1.0 MiB", "bus bandwidth": "skipped",
                       "why / backend": "world size 1"}]  # fmt: skip
