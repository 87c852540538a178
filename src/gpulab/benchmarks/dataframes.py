"""GPU dataframes: pandas vs the fastest correct engine (polars, cudf.pandas, polars GPU), 9 ops.

ratio = geometric mean over the operations of pandas' median time / the best engine's median time,
where "best" is the fastest engine other than pandas whose result matched pandas; no ratio where
no GPU engine ran (it would compare CPU engines on one CPU). Smoke: 10^4 rows; full: 10^7 rows
(lowered to fit free host and GPU memory, and recorded when it is). Every engine's timings, its
equality status, cudf.pandas' CPU fallbacks, GPU utilisation per operation, the engines that were
missing (with their install commands) and the config that ran are in `details`.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

from gpulab.bench import BenchResult
from gpulab.progress import ProgressFn
from gpulab.workloads.dataframes import (
    ENGINES,
    REFERENCE,
    SuiteConfig,
    SuiteResult,
    describe,
    geomean_times,
    prepare_synthetic,
    run_suite,
    size_cap,
    telemetry_summary_by_op,
)


def config_for(profile: str) -> SuiteConfig:
    """The benchmark's settings for `profile` (`SuiteConfig.bench_for_profile`).

    $GPULAB_DATAFRAMES_ENGINES (comma-separated engine names) narrows the engines, e.g. to fit
    a time-limited GPU session; pandas always runs as the reference."""
    config = SuiteConfig.bench_for_profile(profile)
    chosen = os.environ.get("GPULAB_DATAFRAMES_ENGINES", "")
    if chosen:
        config = replace(config, engines=tuple(e.strip() for e in chosen.split(",") if e.strip()))
    return config


def run(profile: str) -> BenchResult:
    from gpulab.telemetry import TelemetrySampler

    config = config_for(profile)
    requested = config.sizes[0]
    cap = size_cap()
    rows = cap.fit(requested)
    with tempfile.TemporaryDirectory(prefix="gpulab-dataframes-") as tmp:
        workdir = Path(tmp)
        started = time.perf_counter()
        dataset = prepare_synthetic(rows, workdir)
        generate_s = time.perf_counter() - started
        with TelemetrySampler(interval_s=0.1) as sampler:
            result = run_suite(dataset, config, workdir, progress=_say())
        samples = sampler.samples()
    details = describe(result)
    details.update(
        requested_rows=requested,
        size_cap={"max_rows": cap.max_rows, "limited_by": cap.limited_by},
        generate_s=generate_s,
        telemetry_by_op=telemetry_summary_by_op(samples, result),
    )
    if rows != requested:
        details["note"] = f"rows lowered from {requested:,}: {cap.explain(requested)}"
    details["config"] = asdict(config)
    ours, peer = geomean_times(result)
    return BenchResult(
        metric="geomean op time (best engine vs pandas)",
        ours=ours,
        peer_name=ENGINES[REFERENCE].label,
        peer_value=peer,
        unit="s",
        higher_is_better=False,
        details=details,
        no_ratio_because=_no_gpu_ratio(result),
    )


def _no_gpu_ratio(result: SuiteResult) -> str:
    """Why there is no ratio when no GPU engine ran: it would compare CPU engines on one CPU."""
    if result.gpu_ran():
        return ""
    missing = "; ".join(
        f"{ENGINES[name].label}: {why['reason']}" for name, why in result.missing().items()
    )
    return (
        "no GPU engine ran here"
        + (f" ({missing})" if missing else " (none was chosen)")
        + ", so the best engine vs pandas would compare CPU engines on the same CPU; "
        "the per-operation figures are in details"
    )


def _say() -> ProgressFn:
    """Print each engine once, as it starts (the suite's notes begin with the engine's label)."""
    seen: set[str] = set()

    def say(done: float, total: float, note: str = "") -> None:
        label = note.split(":")[0]
        if label and label not in seen:
            seen.add(label)
            print(f"  running {label} ...", flush=True)

    return say
