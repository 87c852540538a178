# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "gpulab",
#     "marimo>=0.25.2,<0.26",
# ]
# ///
"""GPU validation: inventory, live telemetry, benchmarks against the datasheet, and a safe stress test.

The first notebook to open on a new GPU machine: what is installed and how it is wired, is every GPU
healthy, does it reach the speed its datasheet promises (in a burst, and sustained at the clock its
power limit lets it hold), and does it stay correct and cool under a sustained load. It installs nothing, compiles nothing, and only ever stops the one process it
started.

Requirements: any NVIDIA GPU for the GPU sections (the full profile's largest matmuls need about
3 GiB free; fp8 needs compute capability 8.9+, bf16/tf32 8.0+). Without a GPU the inventory says so,
and the CPU parts (CPU matmul and memory copy, the stress mechanics on a CPU load) still run; the
smoke profile runs everything in seconds on a CPU. The full profile times every format at sizes up
to 16384³, then each format at 8192³ as a burst and over 5 s sustained.
Dependencies: gpulab core only (marimo, torch, nvidia-ml-py, altair, psutil).
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    from dataclasses import replace

    import marimo as mo

    import gpulab.workloads.gpu_validation as gv
    from gpulab import ui
    from gpulab.device import probe
    from gpulab.memory import memory_summary, release_memory
    from gpulab.telemetry import TelemetrySampler

    return (
        TelemetrySampler,
        gv,
        memory_summary,
        mo,
        probe,
        release_memory,
        replace,
        ui,
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
def _(mo, probe, ui):
    profile = ui.read_profile()
    system = probe()
    _buttons = """
               - **Run benchmarks**: times a matmul in each chosen format and size, the device
                 memory copy, the host↔device transfers and a CPU matmul as the peer, with a
                 progress bar
               - **Measure burst and sustained**: per chosen format: a burst of products after a
                 short rest, then seconds of products back to back, each with the SM clock and power
                 it ran at
               - **Start stress**: runs a sustained matmul load with a numerical check in one child
                 process for the chosen duration (a small CPU load without a GPU)
               - **Stop**: ends that load early: its own process group, nothing else
               """
    mo.vstack([ui.gpu_card(system, profile), ui.run_guide(profile, _buttons)])
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
def _(gv, mo, system, ui):
    _rows = gv.inventory_rows(system)
    _versions = mo.md(
        f"Driver **{system.driver_version or 'n/a'}** (CUDA {system.cuda_driver_version or 'n/a'}) · "
        f"torch **{system.torch_version}** built for CUDA {system.torch_cuda_version or 'none'} · "
        f"Python {system.python_version} on `{system.host}`"
    )
    _table = (
        mo.ui.table(_rows, selection=None)
        if _rows
        else ui.no_gpu_callout("The GPU half of this notebook (GPU benchmarks, GPU stress)")
    )
    inventory_view = mo.vstack([_versions, _table])
    inventory_view
    return


@app.cell
def _(gv, mo):
    topology = gv.probe_topology()
    _legend = " · ".join(f"**{k}** {v}" for k, v in gv.PATH_MEANING.items())
    _problems = [f"GPU {g.index}: {p}" for g in topology.gpus for p in g.problems()]
    _health_text = (
        "**Needs attention:**\n\n" + "\n".join(f"- {p}" for p in _problems)
        if _problems
        else "No ECC errors, pending mode changes, failed row remaps or down NVLinks reported."
    )
    _health = mo.callout(mo.md(_health_text), kind="danger" if _problems else "success")
    _unavailable = mo.callout(
        mo.md(f"**No topology**: NVML is not available here ({topology.error})."), kind="info"
    )
    topology_view = (
        mo.vstack(
            [
                mo.md("### How the GPUs reach each other (like `nvidia-smi topo -m`)"),
                mo.ui.table(topology.matrix_rows(), selection=None),
                mo.md(_legend).style(font_size="0.85em"),
                mo.md("### Links"),
                mo.ui.table(gv.link_rows(topology), selection=None),
                mo.md("### Memory health"),
                mo.ui.table(gv.health_rows(topology), selection=None),
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
def _(refresh, sampler, ui):
    refresh.value
    ui.telemetry_panel(sampler, window_s=300)
    return


@app.cell
def _(mo):
    get_bench, set_bench = mo.state(None)
    return get_bench, set_bench


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
    - **Repeat, report the median and its spread.** Each measurement times a fraction of a second
      of calls (at least ten); the value is work ÷ median call time, shown with the rates at the
      p10 and p90 call times, and flagged **noisy** when the slowest calls (p99) are far above
      the median: something else disturbed some repeats.
      While each measurement runs, NVML is read every 50 ms: the clock table says which SM
      clock the GPU held, how much power it drew and what held it back. A datasheet peak assumes
      the boost clock; a dense matmul on a large GPU can reach the board's power limit within
      a fraction of a second, and the clock then drops to stay under it.

    What is counted: a matmul of two n×n matrices is 2·n³ floating-point operations (random data,
    output preallocated); a device copy reads and writes every byte, so it counts 2 × the buffer;
    a host↔device transfer moves the buffer once over PCIe. **Pinned** host memory can be read by
    the GPU's copy engine directly; **pageable** memory is first copied by the driver into a pinned
    staging buffer. The progress bar counts seconds of measurement: each remaining measurement's
    FLOPs (or bytes) at the rate measured so far for its format, so its estimate does not come
    from the first, smallest matmul.
    """)
    return


@app.cell
def _(gv, mo, profile):
    bench_defaults = gv.ValidationConfig.for_profile(profile.name)
    _devices = gv.device_choices()
    bench_device = mo.ui.dropdown(
        options=_devices, value=next(iter(_devices)), label="Device", full_width=True
    )
    bench_dtypes = mo.ui.multiselect(
        options=list(gv.DTYPES), value=list(bench_defaults.dtypes), label="Formats"
    )
    bench_sizes = mo.ui.multiselect(
        options=[str(n) for n in gv.ValidationConfig.size_choices(profile.name)],
        value=[str(n) for n in bench_defaults.sizes],
        label="Matrix sizes n (n×n @ n×n)",
    )
    bench_button = mo.ui.run_button(label="Run benchmarks", kind="success")
    mo.vstack([bench_device, mo.hstack([bench_dtypes, bench_sizes], justify="start"), bench_button])
    return (
        bench_button,
        bench_defaults,
        bench_device,
        bench_dtypes,
        bench_sizes,
    )


@app.cell
def _(bench_defaults, bench_dtypes, bench_sizes, gv, mo, replace):
    # The chosen formats and sizes as one config; an empty choice is named here and runs nothing.
    _problems = gv.selection_problems(bench_dtypes.value, bench_sizes.value)
    bench_problem = "**Nothing to run yet**: " + "; ".join(_problems) + "." if _problems else ""
    bench_config = None
    if not _problems:
        bench_config = replace(
            bench_defaults,
            dtypes=tuple(bench_dtypes.value),
            sizes=tuple(sorted(int(n) for n in bench_sizes.value)),
        )
    mo.callout(mo.md(bench_problem), kind="warn") if bench_problem else mo.md("")
    return bench_config, bench_problem


@app.cell
def _(
    bench_button,
    bench_config,
    bench_device,
    bench_problem,
    gv,
    mo,
    profile,
    set_bench,
    ui,
):
    ui.run_gate(bench_button, profile, "the benchmarks", problem=bench_problem)
    # Each measurement turns its own OOM into a skipped row; this catches the rest.
    with ui.gpu_step("the benchmarks", results_kept=True):
        _peaks = gv.peaks_for(bench_device.value)
        _run = gv.ValidationRun(bench_config, bench_device.value, _peaks)
        with ui.work_progress("Benchmarking", total=gv.estimated_seconds(_run)) as _bar:
            _results = _run.run(progress=_bar)
        set_bench((bench_device.value, _results))
    _skipped = sum(1 for r in _results if r.skipped)
    _why = f"; {_skipped} skipped (the table says why)." if _skipped else "."
    _text = f"Measured {len(_results) - _skipped} figures on `{bench_device.value}`{_why}"
    mo.md(_text)
    return


@app.cell
def _(get_bench, gv, mo):
    bench_last = get_bench()  # the last run that finished: a failed run leaves it on screen
    bench_summary = gv.summarise(bench_last[1]) if bench_last else None
    _title = (
        f"### Results on `{bench_last[0]}`"
        if bench_last
        else "_No benchmark results yet: press **Run benchmarks** above._"
    )
    _stats = [
        mo.stat(value=_value, label=_label, caption=_caption, bordered=True)
        for _label, _value, _caption in (
            gv.headline_figures(bench_summary) if bench_summary else []
        )
    ]
    mo.vstack([mo.md(_title), mo.hstack(_stats, justify="start", wrap=True)])
    return bench_last, bench_summary


@app.cell
def _(bench_last, gv):
    gv.throughput_chart(bench_last[1]) if bench_last else None
    return


@app.cell
def _(bench_last, gv, mo):
    _rows = gv.results_table(bench_last[1]) if bench_last else []
    mo.ui.table(_rows, selection=None, page_size=40) if _rows else None
    return


@app.cell
def _(bench_last, gv, mo):
    _clocks = gv.clock_rows(bench_last[1]) if bench_last else []
    mo.ui.table(_clocks, selection=None, page_size=40) if _clocks else None
    return


@app.cell
def _(bench_summary, gv, mo):
    _lines = gv.meaning_lines(bench_summary) if bench_summary is not None else []
    _found = "\n".join(_lines) if _lines else "_No datasheet ceiling is known for this device._"
    _text = (
        f"### What the numbers mean\n\n{_found}\n\n"
        "Datasheet peaks assume the boost clock on every SM. A matmul's rate scales with the SM "
        "clock it holds, so a GPU at its power limit (`sw_power_cap` above) computes below the "
        "datasheet however the matmul is written; compare the clock in the clock table with the "
        "maximum. cuBLAS tiles also fit some sizes better than others, which is why the best "
        "size is reported. Well below the usual range for this model? Look at the telemetry "
        "for a power cap or thermal slowdown, check the "
        "PCIe link in the inventory runs at its maximum generation and width, and make sure "
        "nothing else is using the GPU (`gpulab monitor`)."
    )
    mo.md(_text if bench_summary is not None else "")
    return


@app.cell
def _(mo):
    mo.md(r"""
    ### Burst and sustained: the rate at the clock the GPU actually held

    A datasheet peak is SMs × FLOP per clock per SM × the boost clock. Under a dense tensor-core
    load a power-capped board (700 W on an H100 or H200 SXM) pulls its SM clock down within a
    fraction of a second, so one figure cannot answer both *how fast is it* and *is it healthy*.
    This step measures each format at one size twice: a **burst** (a few products after a short
    warm-up and a rest that lets the board's power average fall back: the datasheet's
    situation; a few untimed products run just before it, back to back with it, so the clock
    has climbed from idle when timing starts) and **sustained** (products back to back for
    several seconds: what a training job gets). NVML is read every few milliseconds during each;
    the efficiency column divides the rate by the peak *at the median clock of that window*. A
    sustained rate well below the datasheet but close to its own clock's peak is a healthy GPU
    at its power limit; one well below its clock's peak is not.
    """)
    return


@app.cell
def _(gv, mo, profile):
    burst_defaults = gv.BurstConfig.for_profile(profile.name)
    burst_dtypes = mo.ui.multiselect(
        options=list(gv.DTYPES), value=list(burst_defaults.dtypes), label="Formats"
    )
    burst_seconds = mo.ui.slider(
        start=0.2 if profile.smoke else 1.0,
        stop=30.0,
        step=0.2 if profile.smoke else 1.0,
        value=burst_defaults.sustained_s,
        label="Sustained window (s)",
        show_value=True,
    )
    burst_button = mo.ui.run_button(label="Measure burst and sustained", kind="success")
    mo.hstack([burst_dtypes, burst_seconds, burst_button], justify="start", wrap=True)
    return burst_button, burst_defaults, burst_dtypes, burst_seconds


@app.cell
def _(burst_dtypes, mo):
    _text = "**Nothing to run yet**: choose at least one format for the burst."
    mo.callout(mo.md(_text), kind="warn") if not burst_dtypes.value else mo.md("")
    return


@app.cell
def _(mo):
    get_burst, set_burst = mo.state(None)
    return get_burst, set_burst


@app.cell
def _(
    bench_device,
    burst_button,
    burst_defaults,
    burst_dtypes,
    burst_seconds,
    gv,
    profile,
    replace,
    set_burst,
    ui,
):
    ui.run_gate(burst_button, profile, "the burst and sustained matmuls")
    with ui.gpu_step("the burst and sustained matmuls", results_kept=True):
        _config = replace(
            burst_defaults,
            dtypes=tuple(burst_dtypes.value),
            sustained_s=float(burst_seconds.value),
        )
        _sheet = gv.peaks_for(bench_device.value).datasheet
        with ui.work_progress("Burst and sustained", total=2 * len(_config.dtypes)) as _bar:
            _bursts = gv.run_burst(_config, bench_device.value, _sheet, progress=_bar)
        set_burst((bench_device.value, _bursts))
    return


@app.cell
def _(get_burst, gv, mo):
    _last = get_burst()
    _rows = gv.burst_rows(_last[1]) if _last else []
    _title = (
        f"#### Burst and sustained on `{_last[0]}`"
        if _last
        else "_No burst results yet: press **Measure burst and sustained**._"
    )
    _table = mo.ui.table(_rows, selection=None) if _rows else mo.md("")
    mo.vstack([mo.md(_title), _table, mo.md(gv.burst_meaning(_last[1]) if _last else "")])
    return


@app.cell
def _(mo):
    get_stress, set_stress = mo.state(None)
    return get_stress, set_stress


@app.cell
def _(mo):
    mo.md(r"""
    ## 4. Stress test

    **Start stress** launches one worker, `python -m gpulab.workloads.gpu_validation.stress_worker`,
    in its own process group. It multiplies the same random matrices over and over on the chosen
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
    return (
        stop_button,
        stress_button,
        stress_dtype,
        stress_duration,
        stress_gpus,
    )


@app.cell
def _(mo, stress_gpus, system):
    _none = system.cuda_available and not stress_gpus.value
    _text = "**No GPU is selected**: choose at least one under **GPUs** to stress."
    mo.callout(mo.md(_text), kind="warn") if _none else mo.md("")
    return


@app.cell
def _(
    gv,
    mo,
    profile,
    set_stress,
    stress_button,
    stress_dtype,
    stress_duration,
    stress_gpus,
    system,
    ui,
):
    ui.run_gate(stress_button, profile, "the stress test")
    with ui.gpu_step("the stress test", results_kept=True):
        _config = gv.StressConfig.for_machine(
            stress_gpus.value,
            stress_duration.value,
            cuda_available=system.cuda_available,
            **({"dtype": stress_dtype.value} if system.cuda_available else {}),
        )
        gv.stop_all()  # a previous run of this notebook, if still going: our own process only
        _run = gv.StressRun(_config).start()
        if profile.smoke:  # smoke sizes: wait here for the short load, with its progress
            with ui.work_progress("Stress load", total=_config.duration_s) as _bar:
                _run.wait(timeout_s=_config.duration_s + 120, progress=_bar)
        set_stress(_run)
    _where = f"GPUs {list(_config.gpus)}" if _config.gpus else "the CPU (no CUDA GPU)"
    _text = (
        f"Started worker PID **{_run.pid}** (process group {_run.pgid}) on {_where}: "
        f"{_config.dtype} {_config.size}³ products for {_config.duration_s:g} s."
    )
    mo.md(_text)
    return


@app.cell
def _(gv, mo, stop_button):
    _running = len(gv.active_runs()) if stop_button.value else 0
    if stop_button.value:
        gv.stop_all()  # every stress worker this kernel started, and nothing else
    _text = f"Stopped {_running} stress worker(s)." if _running else "No stress worker is running."
    mo.md(_text if stop_button.value else "")
    return


@app.cell
def _(get_stress, gv, mo, refresh, sampler, ui):
    refresh.value
    stress_run = get_stress()  # the last run that started: a failed start leaves it on screen
    stress_view = mo.md("_No stress run yet: press **Start stress** above._")
    if stress_run is not None:
        _summary = stress_run.summary(sampler.samples(), settle_s=5.0)
        _start = stress_run.started_at or 0.0
        _devices = [
            mo.stat(
                value=_value,
                label=d.device if d.gpu is None else f"GPU {d.gpu}",
                caption=_caption,
                bordered=True,
            )
            for d in _summary.devices.values()
            for _value, _caption in [gv.stress_figures(d)]
        ]
        _telemetry_rows = gv.stress_telemetry_rows(_summary.telemetry)
        _window = [s for s in sampler.samples() if s.t >= _start]
        _text, _kind = gv.stress_verdict(stress_run, _summary)
        stress_view = mo.vstack(
            [
                mo.callout(mo.md(_text), kind=_kind) if _kind else mo.md(_text),
                mo.hstack(_devices, justify="start", wrap=True),
                gv.stress_rate_chart(stress_run.events("interval"), _start),
                mo.ui.table(_telemetry_rows, selection=None) if _telemetry_rows else mo.md(""),
                ui.telemetry_chart(_window) if _window else mo.md(""),
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
def _(get_bench, memory_summary, mo, release_memory):
    _last = get_bench()  # runs again after each benchmark run
    _measured = len(_last[1]) if _last else 0
    release_memory()
    _memory = memory_summary()
    _text = (
        f"Released cached GPU memory after {_measured} measurements: "
        f"{_memory.reserved_mib:.0f} MiB still reserved by this kernel."
        if _memory is not None
        else "Nothing to release on the CPU: the benchmarks' buffers were freed as they ran."
    )
    mo.md(_text)
    return


if __name__ == "__main__":
    app.run()
