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
    from pathlib import Path

    import marimo as mo

    from gpulab import ui
    from gpulab.device import probe
    from gpulab.telemetry import TelemetrySampler
    from gpulab.workloads import dataframes as frames

    return Path, TelemetrySampler, frames, inspect, mo, probe, tempfile, ui


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
def _(mo, probe, ui):
    profile = ui.read_profile()
    system = probe(use_torch=False)
    _guide = ui.run_guide(
        profile,
        """
        - **Run the benchmark**: prepares each chosen table size (or reads your file), runs every
          chosen operation on pandas and on every chosen engine with warm-up and repeats, and checks
          each result against pandas; a progress bar shows the work left. The results, charts and
          summary below fill in when it finishes, and a failed run leaves the last results in place
          with the error above them.
        """,
    )
    mo.vstack([ui.gpu_card(system, profile), _guide])
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
def _(frames, mo, ui):
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
            ui.missing_dependency_callout(_err)
            if _err is not None
            else mo.callout(
                mo.md(f"**{frames.ENGINES[_name].label}** cannot run here: {_status.reason}."),
                kind="warn",
            )
        )
    engines_view = mo.vstack(
        [
            mo.ui.table(
                _rows,
                selection=None,
                wrapped_columns=["how it runs"],
                column_widths={"how it runs": 480},
            ),
            *_notes,
        ]
    )
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
      in the full profile more for fast operations, until 0.25 s were measured — give a
      **median** and a **p10–p90 spread**; a timing whose p99 is far above its median is marked
      *noisy* beside it.
    - **Synchronise before the clock stops.** cuDF launches GPU kernels asynchronously; the timed
      call ends with `cudaDeviceSynchronize()`, so the time is the time to a finished result.
    - **Device → host apart.** A cudf.pandas result stays in GPU memory. Converting it to a host
      pandas object (`result.as_cpu_object()`, a fresh cuDF → pandas copy on every call) is timed
      separately (the *to host* column), never hidden inside the operation. Two untimed
      conversions come first: if they hand back the very same object, the data was already in
      host memory (for example, the op fell back to the CPU) and there is nothing to time, so the
      notes below the results table say so instead of showing a meaningless few microseconds.
      The polars GPU engine always takes host data in and returns host data, so its times
      *include* both copies; its input round trip is reported with the engine.
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
        placeholder="path to a .parquet or .csv file (used when data is 'my file')",
        label="file path",
        full_width=True,
    )
    upload_input = mo.ui.file(filetypes=[".parquet", ".csv"], label="or upload a file")
    run_button = mo.ui.run_button(label="Run the benchmark")
    controls = mo.vstack(
        [
            mo.hstack([sizes_input, ops_input], justify="start"),
            mo.hstack([engines_input, repeats_input], justify="start"),
            mo.hstack([source_input, upload_input], justify="start"),
            path_input,
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
    engines_input,
    frames,
    mo,
    ops_input,
    path_input,
    size_limit,
    sizes_input,
    source_input,
    upload_input,
):
    # What the controls chose, checked before anything runs: an empty choice is named here.
    use_file = source_input.value == "my file"
    _problems = frames.selection_problems(
        sizes_input.value,
        ops_input.value,
        engines_input.value,
        use_file,
        path_input.value,
        bool(upload_input.value),
    )
    _cap = mo.md(
        f"Up to **{size_limit.max_rows:,} rows** fit this machine (limited by "
        f"{size_limit.limited_by}: {size_limit.explain(max(frames.SIZES))}). Sizes above the "
        "cap are not offered."
    )
    selection_view = mo.vstack(
        [*(mo.callout(mo.md(text), kind=kind) for kind, text in _problems), _cap]
    )
    selection_view
    return (use_file,)


@app.cell
def _(mo):
    # The last results that finished: set only by a run that produced some, so a failed or
    # invalid run leaves them on screen below its error.
    get_results, set_results = mo.state(None)
    return get_results, set_results


@app.cell
def _(TelemetrySampler):
    # GPU telemetry sampled in the background during the run; each sample is later matched to
    # the operation that was running when it was taken.
    sampler = TelemetrySampler(interval_s=0.1).start()
    return (sampler,)


@app.cell
def _(
    Path,
    base_config,
    engines_input,
    frames,
    mo,
    ops_input,
    path_input,
    profile,
    repeats_input,
    run_button,
    set_results,
    size_limit,
    sizes_input,
    statuses,
    tempfile,
    ui,
    upload_input,
    use_file,
):
    ui.run_gate(run_button, profile, "the benchmark")
    with ui.gpu_step("the benchmark", results_kept=True):
        _config = frames.chosen_config(
            base_config,
            sizes_input.value,
            ops_input.value,
            engines_input.value,
            repeats_input.value,
            use_file,
        )
        with tempfile.TemporaryDirectory(prefix="gpulab-dataframes-") as _tmp:
            if use_file:
                _uploaded = bool(upload_input.value)
                _file = frames.chosen_file(
                    path_input.value,
                    Path(_tmp),
                    upload_input.name(0) if _uploaded else None,
                    upload_input.contents(0) if _uploaded else None,
                )
                _tables = [frames.file_table(_file, size_limit.max_rows)]
            else:
                _tables = frames.synthetic_tables(_config.sizes)
            _work = frames.planned_work(_tables, _config, statuses)
            with ui.work_progress("Running the benchmark", _work) as _bar:
                _run = frames.run_tables(_tables, _config, Path(_tmp), statuses, _bar)
        if _run.error is not None and not _run.runs:
            raise _run.error  # nothing finished: the last results stay as they were
    set_results(_run)
    if _run.error is None:
        run_view = mo.md(_run.summary())
    else:  # some tables finished before the failure: they are the results below
        run_view = mo.vstack(
            [
                ui.failure_callout(f"the benchmark on {_run.failed}", _run.error),
                mo.md(f"_{_run.kept_note()}_"),
            ]
        )
    run_view
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## 4. Results

    One row per table size, operation and engine: the **median** time with its **p10–p90**
    spread over the timed **runs**, and a **noise** warning when the slowest runs are far above
    the median. *vs pandas* is pandas' median time divided by the engine's; it is left empty
    when the result did not match pandas. *to host* (shown once a GPU engine ran) is the
    device → host copy of a GPU result, timed apart. The notes below the table say why a copy
    was not timed or an operation was skipped.
    """)
    return


@app.cell
def _(get_results):
    # The last results that finished (see the state above), read by every cell below.
    shown = get_results()
    runs = shown.runs if shown is not None else []
    result_rows = [row for _run in runs for row in _run.rows()]
    return result_rows, runs, shown


@app.cell
def _(frames, mo, runs, shown):
    if shown is None:
        results_view = mo.md("No results yet: press **Run the benchmark** above.")
    else:
        _notes = frames.result_notes(runs)
        results_view = mo.vstack(
            [
                mo.md(f"_{shown.summary()}_"),
                mo.ui.table(
                    frames.result_table(runs),
                    selection=None,
                    page_size=20,
                    wrapped_columns=["noise"],
                ),
                mo.md("\n".join(_notes)),
            ]
        )
    results_view
    return


@app.cell
def _(frames):
    # Only the charts below need altair; importing it here keeps it off the first render.
    import altair as alt

    from gpulab.ui.charts import series_colors

    def engine_color(rows):
        """Each engine in its own colour in every chart; the legend below, names in full."""
        return series_colors("engine", frames.ENGINE_COLORS, [r["engine"] for r in rows])

    return alt, engine_color


@app.cell
def _(frames, mo, runs):
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
    _verdict = frames.check_verdict(runs)
    _parts = []
    if _verdict is not None:
        _parts.append(mo.callout(mo.md(_verdict[1]), kind=_verdict[0]))
    if _mismatches:
        _lines = "\n".join(
            f"- {rows:,} rows, **{name}** `{op}`: {rec.equality.summary}; first differences: "
            f"`{rec.equality.examples[:3]}`"
            for rows, name, op, rec in _mismatches
        )
        _parts.append(
            mo.callout(mo.md(f"**Results that differ from pandas**\n\n{_lines}"), kind="danger")
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
def _(alt, engine_color, mo, result_rows):
    _largest = max((r["rows"] for r in result_rows), default=0)
    _data = [r for r in result_rows if r["rows"] == _largest and r["median_s"] is not None]
    # A dot per median and a line from p10 to p90 (bars cannot start at 0 on a log axis).
    _base = alt.Chart(alt.Data(values=_data)).encode(
        y=alt.Y("engine:N", title=None, axis=alt.Axis(labels=False, ticks=False)),
        color=engine_color(_data),
    )
    _medians = _base.mark_point(filled=True, size=70).encode(
        x=alt.X("median_s:Q", title="median seconds (log)", scale=alt.Scale(type="log")),
        tooltip=["engine:N", "op:N", "median_s:Q", "p10_s:Q", "p90_s:Q", "repeats:Q", "status:N"],
    )
    _spread = _base.mark_rule(strokeWidth=2).encode(x="p10_s:Q", x2="p90_s:Q")
    time_chart = (
        (_spread + _medians)
        .properties(width=250, height=90)
        .facet(facet=alt.Facet("op:N", title=None), columns=3)
        .resolve_scale(x="independent")
        .properties(title=f"Time per operation at {_largest:,} rows (dot: median, line: p10–p90)")
    )
    _view = mo.ui.altair_chart(time_chart) if _data else mo.md("No timings yet.")
    _view
    return


@app.cell
def _(alt, engine_color, frames, mo, result_rows, runs):
    _largest = max((r["rows"] for r in result_rows), default=0)
    _data = [
        r
        for r in result_rows
        if r["rows"] == _largest and r["speedup"] is not None and r["engine"] != "pandas"
    ]
    _cpu_only = " (CPU engines only: no GPU engine ran)" if frames.cpu_only_note(runs) else ""
    _bars = (
        alt.Chart(alt.Data(values=_data))
        .mark_bar()
        .encode(
            x=alt.X("op:N", title=None, axis=alt.Axis(labelAngle=-30)),
            xOffset="engine:N",
            y=alt.Y("speedup:Q", title="speedup vs pandas (log)", scale=alt.Scale(type="log")),
            y2=alt.datum(1),  # bars grow up or down from parity (1x), not from 0
            color=engine_color(_data),
            tooltip=["engine:N", "op:N", "speedup:Q", "status:N", "note:N"],
        )
    )
    _parity = alt.Chart(alt.Data(values=[{"y": 1}])).mark_rule(strokeDash=[4, 4]).encode(y="y:Q")
    speedup_chart = (_bars + _parity).properties(
        width=760,
        height=240,
        title=f"Speedup vs pandas at {_largest:,} rows{_cpu_only} (dashed: parity)",
    )
    _view = (
        mo.ui.altair_chart(speedup_chart)
        if _data
        else mo.md("No speedups yet: no engine besides pandas produced a matching result.")
    )
    _view
    return


@app.cell
def _(alt, engine_color, mo, result_rows, runs):
    _data = [r for r in result_rows if r["median_s"] is not None]
    _sizes = sorted({r["rows"] for r in _data})
    _base = alt.Chart(alt.Data(values=_data)).encode(
        x=alt.X(
            "rows:Q",
            scale=alt.Scale(type="log"),
            title="rows (log)",
            axis=alt.Axis(values=_sizes, format="~s"),
        ),
        color=engine_color(_data),
    )
    _lines = _base.mark_line(point=True).encode(
        y=alt.Y(
            "median_s:Q",
            scale=alt.Scale(type="log"),
            title="median s (log)",
            axis=alt.Axis(tickCount=4, format="~g"),
        ),
        tooltip=["engine:N", "op:N", "rows:Q", "median_s:Q", "p10_s:Q", "p90_s:Q"],
    )
    _spread = _base.mark_rule().encode(y="p10_s:Q", y2="p90_s:Q")
    scaling_chart = (
        (_spread + _lines)
        .properties(width=250, height=130)
        .facet(facet=alt.Facet("op:N", title=None), columns=3)
        .properties(title="Scaling: time vs table size (line: median, bars: p10–p90)")
    )
    if len(_sizes) > 1:
        _view = mo.ui.altair_chart(scaling_chart)
    elif runs:
        _view = mo.md(
            f"The scaling chart needs timings at two or more table sizes; the results shown "
            f"have one ({_sizes[0]:,} rows). Run again with two or more sizes to see how each "
            "engine scales."
            if _sizes
            else "The scaling chart needs timings at two or more table sizes."
        )
    else:
        _view = mo.md("The scaling chart appears after a run over two or more table sizes.")
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
def _(alt, engine_color, frames, mo, runs, sampler, shown):
    _origin = shown.origin if shown is not None else 0.0
    _samples = sampler.samples(since=_origin)
    _rows = [row for run in runs for row in frames.telemetry_by_op(_samples, run, _origin)]
    _windows = [w for run in runs for w in frames.op_windows(run, _origin)]
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
                x="start:Q",
                x2="end:Q",
                color=engine_color(_windows),
                tooltip=["engine:N", "op:N"],
            )
        )
        _lines = (
            alt.Chart(alt.Data(values=_rows))
            .mark_line(point=True)
            .encode(
                x=alt.X("t:Q", title="seconds since the run started"),
                y=alt.Y("utilization_pct:Q", title="GPU utilisation %"),
                color=engine_color(_windows),
                detail="op:N",
                tooltip=["engine:N", "op:N", "utilization_pct:Q", "memory_used_mib:Q", "power_w:Q"],
            )
        )
        telemetry_view = mo.ui.altair_chart(
            (_spans + _lines).properties(width=760, height=220, title="GPU utilisation per op")
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
                    f"{frames.format_ratio(_best[1])} pandas' speed"
                    if _best
                    else "no engine besides pandas produced a matching result"
                )
                + (f". cudf.pandas: {_fallback}" if _fallback else "")
            )
        _headline = _largest.headline()
        _missing = _largest.missing()
        _cpu_only = frames.cpu_only_note([_largest])
        _text = (
            f"## 6. What it means\n\nAt **{_largest.dataset.rows:,} rows** on this machine:\n\n"
            + (f"**{_cpu_only}**\n\n" if _cpu_only else "")
            + "\n".join(_lines)
            + (
                f"\n\nGeometric mean over the operations of pandas time / best engine time: "
                f"**{frames.format_ratio(_headline)}**."
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
        summary_view = mo.md(_text)
    summary_view
    return


if __name__ == "__main__":
    app.run()
