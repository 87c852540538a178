# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "gpulab",
#     "marimo>=0.25.2,<0.26",
# ]
# ///
"""GPU validation: inventory, live telemetry, benchmarks against the datasheet, and a safe stress test.

The first notebook to open on a new GPU machine: what is installed and how it is wired, is every GPU
healthy, does it reach the speed its datasheet promises, and does it stay correct and cool under a
sustained load. It installs nothing, compiles nothing, and only ever stops the one process it
started.

Requirements: any NVIDIA GPU for the GPU sections (the full profile's largest matmuls need about
3 GiB free; fp8 needs compute capability 8.9+, bf16/tf32 8.0+). Without a GPU the inventory says so,
and the CPU parts (CPU matmul and memory copy, the stress mechanics on a CPU load) still run; the
smoke profile runs everything in seconds on a CPU.
Dependencies: gpulab core only (marimo, torch, nvidia-ml-py, altair, psutil).
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    from dataclasses import replace

    import marimo as mo

    from gpulab.device import probe
    from gpulab.memory import memory_summary, release_memory
    from gpulab.telemetry import TelemetrySampler
    from gpulab.ui import (
        gpu_card,
        gpu_step,
        no_gpu_callout,
        read_profile,
        run_gate,
        telemetry_chart,
        telemetry_panel,
    )
    from gpulab.workloads.gpu_validation import (
        DTYPES,
        PATH_MEANING,
        StressConfig,
        StressRun,
        ValidationConfig,
        device_choices,
        peaks_for,
        probe_topology,
        stop_all,
        stress_rate_chart,
        summarise,
        throughput_chart,
        validation_steps,
    )

    return (
        DTYPES,
        PATH_MEANING,
        StressConfig,
        StressRun,
        TelemetrySampler,
        ValidationConfig,
        device_choices,
        gpu_card,
        gpu_step,
        memory_summary,
        mo,
        no_gpu_callout,
        peaks_for,
        probe,
        probe_topology,
        read_profile,
        release_memory,
        replace,
        run_gate,
        stop_all,
        stress_rate_chart,
        summarise,
        telemetry_chart,
        telemetry_panel,
        throughput_chart,
        validation_steps,
    )


@app.cell
def _(mo):
    mo.md(r"""
    # GPU validation

    Is this GPU healthy, and as fast as it should be? This notebook answers with measurements, in
    four steps:

    1. **Inventory**: every GPU, driver, CUDA and torch, how the GPUs are wired (NVLink / PCIe),
       MIG and ECC state, straight from NVML.
    2. **Live telemetry**: utilisation, memory, power, temperature, clocks and throttle reasons of
       every GPU, sampled in the background and charted over the last minutes.
    3. **Benchmarks with sound method**: matmul TFLOPS per number format and size, device memory
       bandwidth and host↔device transfers, each as a percentage of its ceiling, with a CPU
       matmul as the peer.
    4. **A safe stress test**: sustained load in one child process this notebook owns, with a
       numerical check that catches silent data corruption, and a clean stop.

    You will learn why a GPU benchmark needs warm-up, CUDA events and repeats, what "% of
    datasheet" can and cannot tell you, and how to run a load you can always stop.
    """)
    return


@app.cell
def _(gpu_card, probe, read_profile):
    profile = read_profile()
    system = probe()
    gpu_card(system)
    return profile, system


@app.cell
def _(mo):
    mo.md(r"""
    ## 1. Inventory

    NVML (the driver's management library) answers for every GPU without creating a CUDA context;
    torch adds what the CUDA runtime knows. The datasheet columns are the model's published
    *dense* peaks: the ceilings the benchmarks below are compared with, never results.
    """)
    return


@app.cell
def _(mo, no_gpu_callout, system):
    _rows = [
        {
            "GPU": gpu.index,
            "name": gpu.name,
            "memory GiB": round(gpu.memory_total_mib / 1024, 1),
            "compute capability": ".".join(map(str, gpu.compute_capability or ())) or "?",
            "architecture": gpu.architecture,
            "SMs": gpu.sm_count,
            "MIG": gpu.mig_enabled,
            "ECC": gpu.ecc_enabled,
            "datasheet": gpu.datasheet.model if gpu.datasheet else "unknown",
            "bf16 TFLOPS": gpu.datasheet.bf16 if gpu.datasheet else None,
            "GB/s": gpu.datasheet.bandwidth_gbs if gpu.datasheet else None,
        }
        for gpu in system.gpus
    ]
    _versions = mo.md(
        f"Driver **{system.driver_version or 'n/a'}** (CUDA {system.cuda_driver_version or 'n/a'}) · "
        f"torch **{system.torch_version}** built for CUDA {system.torch_cuda_version or 'none'} · "
        f"Python {system.python_version} on `{system.host}`"
    )
    _table = (
        mo.ui.table(_rows, selection=None)
        if _rows
        else no_gpu_callout("The GPU half of this notebook (GPU benchmarks, GPU stress)")
    )
    inventory_view = mo.vstack([_versions, _table])
    inventory_view
    return


@app.cell
def _(PATH_MEANING, mo, probe_topology):
    topology = probe_topology()
    _legend = " · ".join(f"**{k}** {v}" for k, v in PATH_MEANING.items())
    _links = [
        {
            "GPU": gpu.index,
            "PCI bus": gpu.pci_bus_id,
            "NUMA node": gpu.numa_node,
            "PCIe link (max)": gpu.pcie.label if gpu.pcie else "?",
            "PCIe now": f"gen{gpu.pcie.generation} x{gpu.pcie.width}" if gpu.pcie else "?",
            "NVLinks up": f"{len(gpu.active_nvlinks)}/{len(gpu.nvlinks)}",
            "MIG now/pending": f"{gpu.mig_current}/{gpu.mig_pending}",
            "ECC now/pending": f"{gpu.ecc_current}/{gpu.ecc_pending}",
            "uncorrectable ECC": gpu.ecc_uncorrected_volatile,
            "problems": "; ".join(gpu.problems()) or "none",
        }
        for gpu in topology.gpus
    ]
    _problems = [f"GPU {g.index}: {p}" for g in topology.gpus for p in g.problems()]
    _health = mo.callout(
        mo.md(
            "**Needs attention:**\n\n" + "\n".join(f"- {p}" for p in _problems)
            if _problems
            else "No ECC errors, pending mode changes, failed row remaps or down NVLinks reported."
        ),
        kind="danger" if _problems else "success",
    )
    _unavailable = mo.callout(
        mo.md(f"**No topology**: NVML is not available here ({topology.error})."), kind="info"
    )
    topology_view = (
        mo.vstack(
            [
                mo.md("### How the GPUs reach each other (like `nvidia-smi topo -m`)"),
                mo.ui.table(topology.matrix_rows(), selection=None),
                mo.md(_legend).style(font_size="0.85em"),
                mo.md("### Links and memory health"),
                mo.ui.table(_links, selection=None),
                _health,
            ]
        )
        if topology.gpus
        else _unavailable
    )
    topology_view
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## 2. Live telemetry

    A background thread samples every GPU through NVML each second into a bounded history (about
    ten minutes); the panel below redraws from it on each tick of the refresh control. Watch it
    while the benchmarks and the stress test run: utilisation is the share of time a kernel was
    running, and a **throttle reason** such as `sw_power_cap` or `hw_thermal_slowdown` says why
    the clocks are below their maximum.
    """)
    return


@app.cell
def _(TelemetrySampler, mo):
    sampler = TelemetrySampler(interval_s=1.0, history=600).start()
    refresh = mo.ui.refresh(options=["1s", "2s", "5s"], default_interval="2s", label="Refresh")
    refresh
    return refresh, sampler


@app.cell
def _(refresh, sampler, telemetry_panel):
    refresh.value
    telemetry_panel(sampler, window_s=300)
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## 3. Benchmarks

    Three rules make a GPU benchmark mean something:

    - **Time the GPU, not Python.** A CUDA launch returns before the work is done, so a wall clock
      around it measures the launch. Every figure here is timed with CUDA events recorded in the
      stream (`gpulab.timing.benchmark(..., device="cuda")`).
    - **Warm up.** The first calls pay for cuBLAS choosing a kernel and the clocks ramping up: each
      measurement first runs for a while and discards it.
    - **Repeat, report the median.** Each measurement times a fraction of a second of calls (at
      least ten); the value is work ÷ median call time, and the stored report keeps p10/p90.
      While each measurement runs, NVML is read every 50 ms: the table's note says which SM
      clock the GPU held, how much power it drew and what held it back. A datasheet peak assumes
      the boost clock; a dense matmul on a large GPU can reach the board's power limit within
      a fraction of a second, and the clock then drops to stay under it.

    What is counted: a matmul of two n×n matrices is 2·n³ floating-point operations (random data,
    output preallocated); a device copy reads and writes every byte, so it counts 2 × the buffer;
    a host↔device transfer moves the buffer once over PCIe. **Pinned** host memory can be read by
    the GPU's copy engine directly; **pageable** memory is first copied by the driver into a pinned
    staging buffer.
    """)
    return


@app.cell
def _(DTYPES, ValidationConfig, device_choices, mo, profile):
    bench_defaults = ValidationConfig.for_profile(profile.name)
    _devices = device_choices()
    bench_device = mo.ui.dropdown(
        options=_devices, value=next(iter(_devices)), label="Device", full_width=True
    )
    bench_dtypes = mo.ui.multiselect(
        options=list(DTYPES), value=list(bench_defaults.dtypes), label="Formats"
    )
    _sizes = profile.pick([64, 128, 256], [1024, 2048, 4096, 8192, 12288, 16384])
    bench_sizes = mo.ui.multiselect(
        options=[str(n) for n in _sizes],
        value=[str(n) for n in bench_defaults.sizes],
        label="Matrix sizes n (n×n @ n×n)",
    )
    bench_button = mo.ui.run_button(label="Run benchmarks", kind="success")
    mo.vstack([bench_device, mo.hstack([bench_dtypes, bench_sizes]), bench_button])
    return bench_button, bench_defaults, bench_device, bench_dtypes, bench_sizes


@app.cell
def _(
    bench_button,
    bench_defaults,
    bench_device,
    bench_dtypes,
    bench_sizes,
    gpu_step,
    mo,
    peaks_for,
    profile,
    replace,
    run_gate,
    validation_steps,
):
    run_gate(bench_button, profile, "the benchmarks")
    bench_results = []
    # Each measurement turns its own OOM into a skipped row; this catches bad settings.
    with gpu_step("the benchmarks"):
        _config = replace(
            bench_defaults,
            dtypes=tuple(bench_dtypes.value),
            sizes=tuple(sorted(int(n) for n in bench_sizes.value)),
        )
        _steps = validation_steps(_config, bench_device.value, peaks_for(bench_device.value))
        with mo.status.progress_bar(total=len(_steps), title="Benchmarking") as _bar:
            for _step in _steps:
                _bar.update(increment=0, subtitle=_step.label)
                bench_results.append(_step.run())
                _bar.update()
    mo.md(f"Ran {len(bench_results)} measurements on `{bench_device.value}`.")
    return (bench_results,)


@app.cell
def _(bench_results, mo, summarise, throughput_chart):
    bench_summary = summarise(bench_results)
    _rows = [r.row() for r in bench_results]
    _stats = [
        mo.stat(
            value=f"{r.tflops:.1f} TFLOPS",
            label=f"{r.dtype} matmul (best n={r.size})",
            caption=f"{r.pct_of_peak:.0f}% of datasheet" if r.pct_of_peak else "no datasheet peak",
            bordered=True,
        )
        for r in bench_summary.best_matmul.values()
    ]
    for _bw in [bench_summary.copy, *bench_summary.transfers]:
        if _bw is not None and _bw.gbs is not None:
            _stats.append(
                mo.stat(
                    value=f"{_bw.gbs:.1f} GB/s",
                    label=_bw.label,
                    caption=f"{_bw.pct_of_peak:.0f}% of {_bw.peak_name}"
                    if _bw.pct_of_peak
                    else "no known ceiling",
                    bordered=True,
                )
            )
    _cpu = bench_summary.cpu_matmul
    if _cpu is not None and _cpu.tflops:
        _stats.append(
            mo.stat(
                value=f"{_cpu.tflops:.3g} TFLOPS",
                label=f"CPU peer: fp32 matmul n={_cpu.size}",
                caption="torch on this machine's CPU",
                bordered=True,
            )
        )
    results_view = mo.vstack(
        [
            mo.hstack(_stats, justify="start", wrap=True),
            throughput_chart(bench_results),
            mo.ui.table(_rows, selection=None, page_size=40),
        ]
    )
    results_view
    return (bench_summary,)


@app.cell
def _(bench_summary, mo):
    _lines = []
    for _dtype, _r in bench_summary.best_matmul.items():
        if _r.pct_of_peak is not None:
            _lines.append(
                f"- **{_dtype}** reached {_r.pct_of_peak:.0f}% of the datasheet's "
                f"{_r.peak_tflops:g} TFLOPS at n={_r.size}"
                + (f" ({_r.clocks.describe()})." if _r.clocks else ".")
            )
    _copy = bench_summary.copy
    if _copy is not None and _copy.pct_of_peak is not None:
        _lines.append(
            f"- **Device memory copy** moved {_copy.gbs:.0f} GB/s, "
            f"{_copy.pct_of_peak:.0f}% of {_copy.peak_gbs:g} GB/s."
        )
    _cpu = bench_summary.cpu_matmul
    _best = max(bench_summary.best_matmul.values(), key=lambda r: r.tflops or 0, default=None)
    if _cpu is not None and _cpu.tflops and _best is not None and _best.device != "cpu":
        _lines.append(
            f"- The best GPU format ({_best.dtype}) ran {_best.tflops / _cpu.tflops:,.0f}× the "
            f"CPU's fp32 matmul in this run."
        )
    mo.md(
        "### What the numbers mean\n\n"
        + ("\n".join(_lines) if _lines else "_No datasheet ceiling is known for this device._")
        + "\n\n"
        "Datasheet peaks assume the boost clock on every SM. A matmul's rate scales with the SM "
        "clock it holds, so a GPU at its power limit (`sw_power_cap` above) computes below the "
        "datasheet however the matmul is written; compare the clock in brackets with the "
        "maximum. cuBLAS tiles also fit some sizes better than others, which is why the best "
        "size is reported. Well below the usual range for this model? Look at the telemetry "
        "for a power cap or thermal slowdown, check the "
        "PCIe link in the inventory runs at its maximum generation and width, and make sure "
        "nothing else is using the GPU (`gpulab monitor`)."
    )
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## 4. Stress test

    **Start** launches one worker, `python -m gpulab.workloads.gpu_validation.stress_worker`, in
    its own process group. It multiplies the same random matrices over and over on the chosen
    GPUs; every 32nd product is compared element by element with a reference computed once in
    higher precision, so a GPU that silently computes wrong numbers (a bit flip, an overheating
    SM) shows up as **mismatches**, not as a plausible-looking result. The worker reports its
    TFLOPS every second.

    It stops after the chosen duration, when you press **Stop**, or when this notebook's kernel
    dies (its stdin closes). Stopping sends SIGTERM and then SIGKILL to *its process group only*:
    nothing is looked up or killed by name. Without a GPU, the same mechanics run on a small CPU
    load.
    """)
    return


@app.cell
def _(mo, profile, system):
    stress_gpus = mo.ui.multiselect(
        options={f"GPU {g.index} · {g.name}": g.index for g in system.gpus},
        value=[f"GPU {g.index} · {g.name}" for g in system.gpus],
        label="GPUs" if system.gpus else "GPUs (none found: a CPU load runs)",
    )
    stress_duration = mo.ui.slider(
        start=2,
        stop=600,
        step=1,
        value=profile.pick(3, 60),
        label="Duration (s)",
        show_value=True,
    )
    stress_dtype = mo.ui.dropdown(options=["bf16", "fp16", "fp32"], value="bf16", label="Format")
    stress_button = mo.ui.run_button(label="Start stress", kind="warn")
    stop_button = mo.ui.run_button(label="Stop", kind="danger")
    mo.hstack([stress_gpus, stress_dtype, stress_duration, stress_button, stop_button], wrap=True)
    return stop_button, stress_button, stress_dtype, stress_duration, stress_gpus


@app.cell
def _(
    StressConfig,
    StressRun,
    gpu_step,
    mo,
    profile,
    run_gate,
    stop_all,
    stress_button,
    stress_dtype,
    stress_duration,
    stress_gpus,
    system,
):
    run_gate(stress_button, profile, "the stress test")
    with gpu_step("the stress test"):
        _config = StressConfig.for_machine(
            stress_gpus.value,
            stress_duration.value,
            cuda_available=system.cuda_available,
            **({"dtype": stress_dtype.value} if system.cuda_available else {}),
        )
        stop_all()  # a previous run of this notebook, if one is still going: our own process only
        stress_run = StressRun(_config).start()
    if profile.smoke:  # headless: no browser ticks the live panel, so wait for the end here
        with mo.status.spinner(title="Smoke stress run on the CPU"):
            stress_run.wait(timeout_s=_config.duration_s + 120)
    _where = f"GPUs {list(_config.gpus)}" if _config.gpus else "the CPU (no CUDA GPU)"
    mo.md(
        f"Started worker PID **{stress_run.pid}** (process group {stress_run.pgid}) on {_where}: "
        f"{_config.dtype} {_config.size}³ products for {_config.duration_s:g} s."
    )
    return (stress_run,)


@app.cell
def _(mo, stop_all, stop_button):
    if stop_button.value:
        stop_all()  # every stress worker this kernel started, and nothing else
    mo.md("Stopped." if stop_button.value else "")
    return


@app.cell
def _(mo, refresh, sampler, stress_rate_chart, stress_run, telemetry_chart):
    refresh.value
    _running = stress_run.running
    _summary = stress_run.summary(sampler.samples(), settle_s=5.0)
    _start = stress_run.started_at or 0.0
    _devices = [
        mo.stat(
            value=f"{d.sustained_tflops:.3g} TFLOPS" if d.sustained_tflops else "starting",
            label=d.device if d.gpu is None else f"GPU {d.gpu}",
            caption=f"{d.checks} checks · {d.mismatches} mismatches"
            + (f" · {d.errors[0]}" if d.errors else ""),
            bordered=True,
        )
        for d in _summary.devices.values()
    ]
    _telemetry_rows = [{"GPU": gpu, **stats} for gpu, stats in _summary.telemetry.items()]
    _leftover = stress_run.leftover_processes()
    _state = (
        mo.md(f"**Running** for {stress_run.elapsed_s():.0f} s · PID {stress_run.pid}")
        if _running
        else mo.callout(
            mo.md(
                f"**{'Passed' if _summary.passed else 'Failed'}**: {_summary.checks} checks, "
                f"{_summary.mismatches} mismatches, {len(_summary.errors)} device errors; "
                f"{_summary.ended} after {stress_run.elapsed_s():.0f} s. "
                f"Processes left in group {stress_run.pgid}: {len(_leftover)}."
                + (f"\n\n```\n{_summary.errors[0]}\n```" if _summary.errors else "")
            ),
            kind="success" if _summary.passed else "danger",
        )
    )
    _window = [s for s in sampler.samples() if s.t >= _start]
    stress_view = mo.vstack(
        [
            _state,
            mo.hstack(_devices, justify="start", wrap=True),
            stress_rate_chart(stress_run.events("interval"), _start),
            mo.ui.table(_telemetry_rows, selection=None) if _telemetry_rows else mo.md(""),
            telemetry_chart(_window) if _window else mo.md(""),
        ]
    )
    stress_view
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## Cleanup

    The benchmarks' tensors are freed after each measurement; the cell below hands the CUDA
    cache back to the driver so other programs can use the memory. The stress worker is stopped
    by **Stop**, by its duration, when this kernel exits, or when it dies.
    """)
    return


@app.cell
def _(bench_results, memory_summary, mo, release_memory):
    _measured = len(bench_results)  # run after the benchmarks
    release_memory()
    _memory = memory_summary()
    mo.md(
        f"Released cached GPU memory after {_measured} measurements: "
        f"{_memory.reserved_mib:.0f} MiB still reserved by this kernel."
        if _memory is not None
        else f"Nothing to release on the CPU ({_measured} measurements ran)."
    )
    return


if __name__ == "__main__":
    app.run()
