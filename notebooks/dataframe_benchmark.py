# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "gpulab[dataframes]",
#     "marimo>=0.25.2,<0.26",
# ]
# ///
"""GPU dataframes: pandas vs polars vs cuDF (cudf.pandas and the polars GPU engine).

The same nine dataframe operations (filter, groupby with five aggregations, a join with a
dimension table, a two-column sort, a rolling mean, string operations, a time resample, parquet
read and write) on up to five engines, measured with warm-up, repeats, median and spread, GPU work
synchronised before the clock stops and device-to-host copies timed on their own. Every engine's
result is checked against pandas before any speedup is shown. Data: a synthetic table from 10^4 to
10^8 rows (capped by free host and GPU memory) or your own parquet/CSV file.

Requirements: the GPU engines need an NVIDIA GPU with about 8x the table's size free (10^7
synthetic rows: ~4 GiB; 10^8: ~40 GiB) and cuDF (`pip install cudf-cu12`, or `cudf-cu13` for a
CUDA 13 driver) / cudf-polars (`pip install cudf-polars-cu12`). Without them the notebook explains
what is missing and runs pandas and polars on the CPU; the smoke profile runs in seconds on a CPU.
Dependencies: gpulab[dataframes] (pandas, pyarrow, polars); optional cudf-cu12/13, cudf-polars.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import inspect
    import tempfile
    import time
    from dataclasses import replace
    from pathlib import Path

    import marimo as mo

    from gpulab.device import probe
    from gpulab.errors import UsageError
    from gpulab.telemetry import TelemetrySampler
    from gpulab.ui import gpu_card, gpu_step, missing_dependency_callout, read_profile, run_gate
    from gpulab.workloads import dataframes as frames

    return (
        Path,
        TelemetrySampler,
        UsageError,
        frames,
        gpu_card,
        gpu_step,
        inspect,
        missing_dependency_callout,
        mo,
        probe,
        read_profile,
        replace,
        run_gate,
        tempfile,
        time,
    )


@app.cell
def _(mo):
    mo.md(r"""
    # GPU dataframes: pandas vs polars vs cuDF

    How much faster is a dataframe workload on the GPU, and is the answer still *correct*? This
    notebook runs the same operations on up to five engines and measures them the way a RAPIDS
    engineer would accept:

    | engine | what runs |
    | --- | --- |
    | **pandas (NumPy dtypes)** | the reference: every speedup and every equality check is against it |
    | **pandas (pyarrow dtypes)** | the same pandas code on Arrow-backed columns |
    | **polars (CPU)** | the same queries written as polars lazy queries, multi-threaded |
    | **cudf.pandas** | the *unchanged* pandas code, accelerated on the GPU with zero code change |
    | **polars GPU engine** | the same polars queries with `collect(engine=pl.GPUEngine(...))` |

    You will learn what "zero-code-change acceleration" means in practice (and where it falls back
    to the CPU), why a GPU timing must synchronise before the clock stops, why copying results back
    to host memory is measured apart from the operation, and why a speedup means nothing until the
    result has been compared with the baseline's.
    """)
    return


@app.cell
def _(gpu_card, probe, read_profile):
    profile = read_profile()
    system = probe(use_torch=False)
    gpu_card(system)
    return (profile,)


@app.cell
def _(mo):
    mo.md(r"""
    ## 1. Which engines can run here

    Each engine is checked without importing it. A missing one is explained with the command that
    installs it; the others still run. cuDF wheels are built per CUDA major version: the hint
    below names the one that matches this machine's driver.
    """)
    return


@app.cell
def _(frames, missing_dependency_callout, mo):
    statuses = {name: frames.engine_status(name) for name in frames.ENGINES}
    _rows = [
        {
            "engine": frames.ENGINES[name].label,
            "device": "GPU" if frames.ENGINES[name].gpu else "CPU",
            "available": "yes" if status.available else "no",
            "how it runs": frames.ENGINES[name].note,
        }
        for name, status in statuses.items()
    ]
    _notes = []
    for _name, _status in statuses.items():
        if _status.available:
            continue
        _err = _status.error()
        _notes.append(
            missing_dependency_callout(_err)
            if _err is not None
            else mo.callout(
                mo.md(f"**{frames.ENGINES[_name].label}** cannot run here: {_status.reason}."),
                kind="warn",
            )
        )
    engines_view = mo.vstack([mo.ui.table(_rows, selection=None), *_notes])
    engines_view
    return (statuses,)


@app.cell
def _(frames, inspect, mo):
    _pandas = inspect.getsource(frames.pandas_groupby)
    _polars = inspect.getsource(frames.polars_query).split('    if op == "join"')[0]
    mo.md(
        f"""
    ## 2. The key idea: one pandas program, two devices

    Below is the groupby exactly as every pandas engine runs it. The **cudf.pandas** engine runs
    *this same function*: `cudf.pandas.install()` replaces the `pandas` module with a proxy that
    executes each call on the GPU through cuDF and falls back to real pandas (on the CPU) for
    anything cuDF does not support. Because the proxy must be installed *before* pandas is first
    imported, the benchmark runs that engine in a fresh worker process
    (`python -m gpulab.workloads.dataframes --worker ...`) and brings back timings as JSON and
    results as parquet. After timing, each op runs once more under cudf.pandas' profiler, which
    reports any function that fell back to the CPU.

    ```python
    {_pandas}
    ```

    polars expresses the same work as a lazy query. The CPU and GPU engines run the same query;
    only `collect(engine=...)` differs. The GPU engine is created with `raise_on_fail=True`, so a
    query it cannot run raises instead of silently running on the CPU and being timed as GPU.

    ```python
    {_polars}
    ```
    """
    )
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## 3. How it is measured

    - **Warm-up, then repeats.** The first call pays for CUDA context creation, kernel compilation
      (JIT) and memory-pool growth, so it is run and discarded. Then at least three timed calls —
      more for fast operations, until 0.25 s were measured — give a **median** and a
      **p10–p90 spread**.
    - **Synchronise before the clock stops.** cuDF launches GPU kernels asynchronously; the timed
      call ends with `cudaDeviceSynchronize()`, so the time is the time to a finished result.
    - **Device → host apart.** A cudf.pandas result stays in GPU memory. Converting it to a host
      pandas object (`result.as_cpu_object()`, a fresh cuDF → pandas copy on every call) is timed
      separately (the *to host* column), never hidden inside the operation. Two untimed
      conversions come first: if they hand back the very same object, the data was already in
      host memory (for example, the op fell back to the CPU) and there is nothing to time, so the *note*
      column says so instead of showing a meaningless few microseconds. The polars GPU engine
      always takes host data in and returns host data, so its times *include* both copies; its
      input round trip is reported with the engine.
    - **Fallbacks are findings.** When cuDF cannot run a call, cudf.pandas quietly runs pandas on
      the CPU instead, copying the data it needs to host memory first. The answer stays right,
      but the time can be *slower* than plain pandas. Each such op is named, with the function
      that fell back, next to its time.
    - **Equality first.** Every result is put in a canonical form (index reset, unordered results
      sorted) and compared with pandas: exact for integers, strings, booleans and timestamps;
      floats within a relative tolerance of 1e-6 (sums and means are reduced in a different order
      on a GPU). A mismatching engine gets no speedup for that operation.
    - Memory: cudf.pandas uses a plain `cudaMalloc` pool (`CUDF_PANDAS_RMM_MODE=pool`) and the
      polars GPU engine plain async device memory, rather than their managed-memory defaults.
    """)
    return


@app.cell
def _(frames, profile):
    # The profile's settings; the controls below change operations, engines, repeats and sizes.
    base_config = frames.SuiteConfig.for_profile(profile.name)
    size_limit = frames.size_cap()
    size_options = {f"{rows:,} rows": rows for rows in size_limit.allowed()} or {
        f"{frames.SIZES[0]:,} rows": frames.SIZES[0]
    }
    default_sizes = [
        label for label, rows in size_options.items() if rows in base_config.sizes
    ] or list(size_options)[:1]
    return base_config, default_sizes, size_limit, size_options


@app.cell
def _(default_sizes, frames, mo, size_options, statuses):
    sizes_input = mo.ui.multiselect(
        options=size_options, value=default_sizes, label="table sizes (scaling chart)"
    )
    ops_input = mo.ui.multiselect(
        options=list(frames.OPERATIONS), value=list(frames.OPERATIONS), label="operations"
    )
    engines_input = mo.ui.multiselect(
        options={frames.ENGINES[name].label: name for name in frames.ENGINES},
        value=[frames.ENGINES[n].label for n, s in statuses.items() if s.available],
        label="engines (pandas always runs: it is the reference)",
    )
    repeats_input = mo.ui.slider(3, 15, value=3, label="minimum timed repeats", show_value=True)
    source_input = mo.ui.radio(
        options=["synthetic table", "my file"], value="synthetic table", label="data"
    )
    path_input = mo.ui.text(
        placeholder="path to a .parquet or .csv file", label="file path", full_width=True
    )
    upload_input = mo.ui.file(filetypes=[".parquet", ".csv"], label="or upload a file")
    run_button = mo.ui.run_button(label="Run the benchmark")
    controls = mo.vstack(
        [
            mo.hstack([sizes_input, ops_input], justify="start"),
            mo.hstack([engines_input, repeats_input], justify="start"),
            source_input,
            mo.hstack([path_input, upload_input], justify="start"),
            run_button,
        ]
    )
    controls
    return (
        engines_input,
        ops_input,
        path_input,
        repeats_input,
        run_button,
        sizes_input,
        source_input,
        upload_input,
    )


@app.cell
def _(
    base_config,
    engines_input,
    frames,
    gpu_step,
    mo,
    ops_input,
    repeats_input,
    replace,
    size_limit,
    sizes_input,
):
    with gpu_step("the benchmark"):
        suite_config = replace(
            base_config,
            operations=tuple(op for op in frames.OPERATIONS if op in ops_input.value),
            engines=tuple(engines_input.value),
            repeats=repeats_input.value,
            sizes=tuple(sorted(sizes_input.value)),
        )
    cap_note = mo.md(
        f"Up to **{size_limit.max_rows:,} rows** fit this machine (limited by "
        f"{size_limit.limited_by}: {size_limit.explain(max(frames.SIZES))}). Sizes above the "
        "cap are not offered."
    )
    cap_note
    return (suite_config,)


@app.cell
def _(TelemetrySampler):
    # GPU telemetry sampled in the background during the run; each sample is later matched to
    # the operation that was running when it was taken.
    sampler = TelemetrySampler(interval_s=0.1).start()
    return (sampler,)


@app.cell
def _(
    Path,
    UsageError,
    frames,
    gpu_step,
    mo,
    path_input,
    profile,
    run_button,
    run_gate,
    size_limit,
    source_input,
    statuses,
    suite_config,
    tempfile,
    time,
    upload_input,
):
    run_gate(run_button, profile, "the benchmark")
    runs = []
    run_origin = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gpulab-dataframes-") as _tmp:
        _workdir = Path(_tmp)
        _use_file = source_input.value == "my file" and not profile.smoke
        _steps = ["file"] if _use_file else suite_config.sizes
        for _step in mo.status.progress_bar(_steps, title="Running", show_eta=True):
            _what = "your file" if _use_file else f"{_step:,} rows"
            with gpu_step(f"the benchmark on {_what}"):
                if _use_file:
                    _path = Path(path_input.value).expanduser() if path_input.value else None
                    if upload_input.value:
                        _path = _workdir / upload_input.name(0)
                        _path.write_bytes(upload_input.contents(0))
                    if _path is None:
                        raise UsageError("give a file path or upload a file")
                    _dataset = frames.prepare_file(_path, _workdir / "data", size_limit.max_rows)
                else:
                    _dataset = frames.prepare_synthetic(_step, _workdir / f"rows-{_step}")
                runs.append(frames.run_suite(_dataset, suite_config, _workdir, statuses=statuses))
    run_view = mo.md(
        f"Ran {len(runs)} table size(s) in {time.monotonic() - run_origin:.1f} s: "
        + "; ".join(r.dataset.source for r in runs)
    )
    run_view
    return run_origin, runs


@app.cell
def _(mo):
    mo.md(r"""
    ## 4. Results

    One row per engine and operation, for every size. *speedup* is pandas' median time divided by
    the engine's; it is left empty when the result did not match pandas. *to host* is the
    device → host copy of a GPU result, timed apart; *note* says when an op ran on the CPU under
    cudf.pandas (a fallback) or why a copy was not timed.
    """)
    return


@app.cell
def _(frames, mo, runs):
    result_rows = [row for _run in runs for row in _run.rows()]
    _table = [
        {
            "rows": r["rows"],
            "operation": r["op"],
            "engine": r["label"],
            "median ms": None if r["median_s"] is None else round(r["median_s"] * 1e3, 3),
            "p10–p90 ms": None
            if r["median_s"] is None
            else f"{r['p10_s'] * 1e3:.3f}–{r['p90_s'] * 1e3:.3f}",
            "repeats": r["repeats"],
            "to host": "" if r["to_host_s"] is None else frames.format_seconds(r["to_host_s"]),
            "speedup vs pandas": None if r["speedup"] is None else round(r["speedup"], 2),
            "check": r["status"],
            "note": "; ".join(n for n in (r["note"], r["to_host_note"]) if n),
        }
        for r in result_rows
    ]
    results_table = mo.ui.table(_table, selection=None, page_size=20)
    results_table
    return (result_rows,)


@app.cell
def _():
    # Only the charts below need altair; importing it here keeps it off the first render.
    import altair as alt

    return (alt,)


@app.cell
def _(mo, runs):
    _mismatches = [
        (run.dataset.rows, name, op, rec) for run in runs for name, op, rec in run.mismatches()
    ]
    _errors = [
        (run.dataset.rows, name, op, rec.error)
        for run in runs
        for name, op, rec in run.records()
        if rec.error
    ] + [
        (run.dataset.rows, name, "(engine)", report.error)
        for run in runs
        for name, report in run.engines.items()
        if report.error
    ]
    _checked = sum(run.checked() for run in runs)
    _parts = []
    if _mismatches:
        _lines = "\n".join(
            f"- {rows:,} rows, **{name}** `{op}`: {rec.equality.summary}; first differences: "
            f"`{rec.equality.examples[:3]}`"
            for rows, name, op, rec in _mismatches
        )
        _parts.append(
            mo.callout(mo.md(f"**Results that differ from pandas**\n\n{_lines}"), kind="danger")
        )
    else:
        _parts.append(
            mo.callout(mo.md(f"All {_checked} checked results match pandas."), kind="success")
        )
    if _errors:
        _lines = "\n".join(f"- {r:,} rows, **{n}** `{o}`: `{e[:300]}`" for r, n, o, e in _errors)
        _parts.append(mo.callout(mo.md(f"**Failed operations**\n\n{_lines}"), kind="warn"))
    _fallbacks = [
        f"- {run.dataset.rows:,} rows `{op}`: {_summary}"
        for run in runs
        for op in run.config.operations
        if (_summary := run.fallback_summary(op))
    ]
    if _fallbacks:
        _parts.append(
            mo.callout(
                mo.md(
                    "**cudf.pandas ran these on the CPU (fallback)**: a finding about "
                    "cudf.pandas, not an error. The result was still checked against pandas; the "
                    "time is what a user of cudf.pandas would see, and can be slower than plain "
                    "pandas because the data goes to host memory first.\n\n" + "\n".join(_fallbacks)
                ),
                kind="info",
            )
        )
    checks_view = mo.vstack(_parts)
    checks_view
    return


@app.cell
def _(alt, mo, result_rows):
    _largest = max((r["rows"] for r in result_rows), default=0)
    _data = [r for r in result_rows if r["rows"] == _largest and r["median_s"] is not None]
    # A dot per median and a line from p10 to p90 (bars cannot start at 0 on a log axis).
    _base = alt.Chart(alt.Data(values=_data)).encode(
        y=alt.Y("label:N", title=None),
        color=alt.Color("label:N", title="engine"),
    )
    _medians = _base.mark_point(filled=True, size=70).encode(
        x=alt.X("median_s:Q", title="median seconds (log)", scale=alt.Scale(type="log")),
        tooltip=["label:N", "op:N", "median_s:Q", "p10_s:Q", "p90_s:Q", "repeats:Q", "status:N"],
    )
    _spread = _base.mark_rule(strokeWidth=2).encode(x="p10_s:Q", x2="p90_s:Q")
    time_chart = (
        (_spread + _medians)
        .properties(width=260, height=110)
        .facet(facet=alt.Facet("op:N", title=None), columns=3)
        .resolve_scale(x="independent")
        .properties(title=f"Time per operation at {_largest:,} rows (dot: median, line: p10–p90)")
    )
    _view = mo.ui.altair_chart(time_chart) if _data else mo.md("No timings yet.")
    _view
    return


@app.cell
def _(alt, mo, result_rows):
    _largest = max((r["rows"] for r in result_rows), default=0)
    _data = [
        r
        for r in result_rows
        if r["rows"] == _largest and r["speedup"] is not None and r["engine"] != "pandas"
    ]
    _bars = (
        alt.Chart(alt.Data(values=_data))
        .mark_bar()
        .encode(
            x=alt.X("op:N", title=None),
            xOffset="label:N",
            y=alt.Y("speedup:Q", title="speedup vs pandas (log)", scale=alt.Scale(type="log")),
            y2=alt.datum(1),  # bars grow up or down from parity (1x), not from 0
            color=alt.Color("label:N", title="engine"),
            tooltip=["label:N", "op:N", "speedup:Q", "status:N", "note:N"],
        )
    )
    _parity = alt.Chart(alt.Data(values=[{"y": 1}])).mark_rule(strokeDash=[4, 4]).encode(y="y:Q")
    speedup_chart = (_bars + _parity).properties(
        width=640, height=260, title=f"Speedup vs pandas at {_largest:,} rows (dashed: parity)"
    )
    _view = (
        mo.ui.altair_chart(speedup_chart) if _data else mo.md("No speedups yet (only pandas ran).")
    )
    _view
    return


@app.cell
def _(alt, mo, result_rows):
    _data = [r for r in result_rows if r["median_s"] is not None]
    _sizes = {r["rows"] for r in _data}
    scaling_chart = (
        alt.Chart(alt.Data(values=_data))
        .mark_line(point=True)
        .encode(
            x=alt.X("rows:Q", scale=alt.Scale(type="log"), title="rows (log)"),
            y=alt.Y("median_s:Q", scale=alt.Scale(type="log"), title="median s (log)"),
            color=alt.Color("label:N", title="engine"),
            tooltip=["label:N", "op:N", "rows:Q", "median_s:Q"],
        )
        .properties(width=260, height=150)
        .facet(facet=alt.Facet("op:N", title=None), columns=3)
        .properties(title="Scaling: time vs table size")
    )
    _view = (
        mo.ui.altair_chart(scaling_chart)
        if len(_sizes) > 1
        else mo.md("Choose two or more table sizes to see how each engine scales.")
    )
    _view
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## 5. What the GPU did during each operation

    NVML samples taken every 0.1 s while the benchmark ran, each attributed to the engine and
    operation that was running. Low utilisation during a GPU operation usually means the time
    went to host work: Python overhead, a CPU fallback, or copies between host and device.
    """)
    return


@app.cell
def _(alt, frames, mo, run_origin, runs, sampler):
    _samples = sampler.samples(since=run_origin)
    _rows = [row for run in runs for row in frames.telemetry_by_op(_samples, run, run_origin)]
    _windows = [w for run in runs for w in frames.op_windows(run, run_origin)]
    if not sampler.available:
        telemetry_view = mo.callout(
            mo.md(f"GPU telemetry is unavailable here: {sampler.error}"), kind="info"
        )
    elif not _rows:
        telemetry_view = mo.md("No GPU samples fell inside an operation yet.")
    else:
        _spans = (
            alt.Chart(alt.Data(values=_windows))
            .mark_rect(opacity=0.12)
            .encode(
                x="start:Q", x2="end:Q", color=alt.Color("engine:N"), tooltip=["engine:N", "op:N"]
            )
        )
        _lines = (
            alt.Chart(alt.Data(values=_rows))
            .mark_line(point=True)
            .encode(
                x=alt.X("t:Q", title="seconds since the run started"),
                y=alt.Y("utilization_pct:Q", title="GPU utilisation %"),
                color=alt.Color("engine:N"),
                detail="op:N",
                tooltip=["engine:N", "op:N", "utilization_pct:Q", "memory_used_mib:Q", "power_w:Q"],
            )
        )
        telemetry_view = mo.ui.altair_chart(
            (_spans + _lines).properties(width=680, height=220, title="GPU utilisation per op")
        )
    telemetry_view
    return


@app.cell
def _(frames, mo, runs):
    _largest = max(runs, key=lambda r: r.dataset.rows) if runs else None
    if _largest is None:
        summary_view = mo.md("")
    else:
        _lines = []
        for _op in _largest.config.operations:
            _best = _largest.best(_op)
            _fallback = _largest.fallback_summary(_op)
            _lines.append(
                f"- `{_op}`: "
                + (
                    f"fastest correct alternative **{frames.ENGINES[_best[0]].label}**, "
                    f"{_best[1]:.2f}× pandas' speed"
                    if _best
                    else "no engine besides pandas produced a matching result"
                )
                + (f". cudf.pandas: {_fallback}" if _fallback else "")
            )
        _headline = _largest.headline()
        _missing = _largest.missing()
        summary_view = mo.md(
            f"## 6. What it means\n\nAt **{_largest.dataset.rows:,} rows** on this machine:\n\n"
            + "\n".join(_lines)
            + (
                f"\n\nGeometric mean over the operations of pandas time / best engine time: "
                f"**{_headline:.2f}×**."
                if _headline
                else ""
            )
            + (
                "\n\nNot measured here: "
                + ", ".join(
                    f"{frames.ENGINES[n].label} ({m['reason']})" for n, m in _missing.items()
                )
                + ". Install them (section 1) and run again to see the GPU columns."
                if _missing
                else ""
            )
            + "\n\nA GPU engine pays fixed costs per call (kernel launches, and for the polars "
            "GPU engine the copies in and out), so read these figures together with the scaling "
            "chart: the size at which each GPU line crosses pandas' is where the GPU starts to "
            "pay off on this machine. The command-line version of this benchmark is "
            "`gpulab bench dataframes`."
        )
    summary_view
    return


if __name__ == "__main__":
    app.run()
