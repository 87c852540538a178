# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "gpulab[serving]",
#     "marimo>=0.25.2,<0.26",
# ]
# ///
"""Serving several models on a real NVIDIA Triton Inference Server, with dynamic batching.

PyTriton (nvidia-pytriton 0.7.0, which bundles tritonserver 2.51) serves ResNet-50, a BERT-base
encoder and a small MLP (random weights, real architectures), each twice: with Triton's dynamic
batcher and without it. A gRPC asyncio client load-tests every variant in a closed loop
(requests in flight) and an open loop (target request rates), bounded in requests and seconds,
on 127.0.0.1 only; the server's answers are checked against a direct forward pass, a model that
raises and a server killed mid-load show what a client then sees.

Requirements: the server runs in its own venv (numpy 1.26 and nvidia-pytriton, about 370 MB,
built once under ~/.cache/gpulab/serving-env-<hash> or $GPULAB_SERVING_ENV, offline from
$GPULAB_SERVING_WHEELS); torch and transformers come from this environment through a .pth
entry. Full profile: an NVIDIA GPU, bf16, about 2 GiB of GPU memory at batch 64 (the batch
shrinks to what fits `memory_budget`). Profiles: smoke serves a narrow ResNet-50 and the MLP on
the CPU at concurrency 1, 4 and 8 (under a minute); full serves all three at full size in bf16
on the GPU at concurrency 1..64 and 200 and 1000 requests/s (about two minutes).
Dependencies: gpulab[serving] (torch, transformers), the server env above.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import inspect

    import marimo as mo

    from gpulab import ui
    from gpulab.device import probe
    from gpulab.workloads import serving

    return inspect, mo, probe, serving, ui


@app.cell
def _(mo):
    mo.md(r"""
    # Serving models on a real Triton server, with and without dynamic batching

    A model server turns a model into an endpoint many clients call at once. Each request
    usually carries one input, and a GPU running one input at a time idles most of its cores.
    Triton's **dynamic batcher** holds requests for up to a *max queue delay*, joins those that
    arrived into one batch of up to *max batch size*, runs one forward pass and answers each
    client its own row. This notebook starts a real Triton Inference Server (through PyTriton)
    that serves each model twice, with the batcher and without, and load-tests both with the same
    client, so you see what batching buys in throughput and what it costs in latency, and where
    the latency knee lies.

    The weights are **random** (the architectures are the real ResNet-50 and BERT-base): the
    figures are about serving speed, and every served answer is checked against a direct
    forward pass of the same weights, not against labels.
    """)
    return


@app.cell
def _(mo, probe, ui):
    profile = ui.read_profile()
    system = probe()
    _guide = ui.run_guide(
        profile,
        """
        - **Build the server environment**: creates the server's own venv (numpy 1.26,
          nvidia-pytriton) once, with pip run by the workload as a child process; an existing one is
          used at once.
        - **Start the server and load-test**: starts Triton with the chosen models, checks their
          answers against a direct forward pass, sends a request to a model that raises, then
          load-tests each model with and without batching; a live chart fills in level by level and
          the server is stopped at the end.
        - **Kill the server mid-load**: starts a second server, loads it, kills its process group
          one second in and shows what the client saw.
        """,
    )
    mo.vstack([ui.gpu_card(system, profile), _guide])
    return (profile,)


@app.cell
def _(mo, serving):
    _root = serving.env.default_root()
    _state = "built" if serving.find_env(_root) else "not built yet"
    _reqs = ", ".join(f"`{r}`" for r in serving.REQUIREMENTS)
    mo.md(f"""
    ## 1. The server's own environment

    PyTriton pins numpy below 2: under numpy 2 it returns **empty outputs without an error**, so
    the server and its client run in a venv of their own with {_reqs}. torch, transformers and
    gpulab are not installed twice: a `.pth` file adds this environment's directories after the
    venv's own, so the venv's numpy wins. The server child gets `LD_LIBRARY_PATH` set to this
    interpreter's library folder, so Triton's Python stub loads the matching libpython.

    Where: `{_root}` (**{_state}**; set `GPULAB_SERVING_ENV` to choose, and
    `GPULAB_SERVING_WHEELS` to a wheel folder to build offline). The notebook never runs pip
    itself: the button below runs the workload's builder, the same as this shell command:

    ```
    {serving.BUILD_COMMAND}
    ```
    """)
    return


@app.cell
def _(mo):
    build_button = mo.ui.run_button(label="Build the server environment")
    build_button
    return (build_button,)


@app.cell
def _(build_button, mo, profile, serving, ui):
    server_env = serving.find_env()
    if server_env is None:
        ui.run_gate(build_button, profile, "building the server environment")
        _steps = len(serving.env.STEPS)
        with (
            ui.gpu_step("building the server environment"),
            ui.work_progress("Building the server venv", _steps) as _bar,
        ):
            server_env = serving.ensure_env(progress=_bar)
    mo.md(f"Server environment ready: `{server_env.root}`.")
    return (server_env,)


@app.cell
def _(inspect, mo, serving):
    _source = inspect.getsource(serving.server_main._bind)
    mo.md(f"""
    ## 2. The key idea: one model, bound twice

    Each model is bound to Triton under two names: `<model>` with a `DynamicBatcher` (Triton
    joins waiting requests into one batch, up to the max batch size, waiting at most the max
    queue delay) and `<model>_nobatch` without one (each request runs alone). Both use the same
    weights and instances in the same server, so the load test compares only the batcher. The
    PyTriton `@batch` decorator hands the function the batch Triton formed. An image request
    carries its raw 8-bit pixels (150 KB at 224², a quarter of float32's); the model's first
    layer normalises them on the server, as a production endpoint would:

    ```python
    {_source}
    ```

    On a GPU each model's forward pass is recorded once per batch size (1 to the max batch
    size) as a **CUDA graph** and replayed (`GraphedForward`): ResNet-50 in eager PyTorch is a
    couple of hundred kernel launches, which take Python longer to issue than the GPU takes to
    run at small batches. Both names call the same graphed forward, so the comparison is still
    of the batcher alone; the server's log says whether the graphs were captured.
    """)
    return


@app.cell
def _(profile, serving):
    base_config = serving.ServingConfig.for_profile(profile.name)
    return (base_config,)


@app.cell
def _(base_config, mo, serving):
    models_input = mo.ui.multiselect(
        options=list(serving.MODEL_NAMES), value=list(base_config.models), label="models"
    )
    batch_input = mo.ui.slider(
        1, 128, value=base_config.max_batch_size, label="max batch size", show_value=True
    )
    delay_input = mo.ui.slider(
        0,
        10_000,
        step=250,
        value=base_config.max_queue_delay_us,
        label="max queue delay (µs)",
        show_value=True,
    )
    instances_input = mo.ui.dropdown(
        options=["1", "2"], value=str(base_config.instances), label="instances per model"
    )
    concurrency_input = mo.ui.multiselect(
        options=[str(c) for c in (1, 2, 4, 8, 16, 32, 64)],
        value=[str(c) for c in base_config.concurrency],
        label="closed loop: requests in flight",
    )
    rates_input = mo.ui.text(
        value=", ".join(f"{r:g}" for r in base_config.rates),
        label="open loop: requests / s (comma-separated, may be empty)",
        full_width=True,
    )
    seconds_input = mo.ui.number(
        0.5, 10, step=0.5, value=base_config.seconds_per_level, label="seconds per level"
    )
    p99_input = mo.ui.number(1, 1000, value=base_config.p99_limit_ms, label="p99 limit (ms)")
    port_input = mo.ui.number(0, 65533, value=base_config.port, label="HTTP port (0: free)")
    run_button = mo.ui.run_button(label="Start the server and load-test")
    mo.vstack(
        [
            models_input,
            mo.hstack([batch_input, delay_input], justify="start"),
            mo.hstack([instances_input, concurrency_input], justify="start"),
            rates_input,
            mo.hstack([seconds_input, p99_input, port_input], justify="start"),
            run_button,
        ]
    )
    return (
        batch_input,
        concurrency_input,
        delay_input,
        instances_input,
        models_input,
        p99_input,
        port_input,
        rates_input,
        run_button,
        seconds_input,
    )


@app.cell
def _(
    base_config,
    batch_input,
    concurrency_input,
    delay_input,
    instances_input,
    mo,
    models_input,
    p99_input,
    port_input,
    rates_input,
    seconds_input,
    serving,
):
    # What the controls chose, checked before anything runs: a bad choice is named here.
    config, problem = serving.chosen_config(
        base_config,
        models=models_input.value,
        max_batch_size=batch_input.value,
        max_queue_delay_us=delay_input.value,
        instances=instances_input.value,
        concurrency=concurrency_input.value,
        rates=rates_input.value,
        seconds=seconds_input.value,
        p99_limit_ms=p99_input.value,
        port=port_input.value,
    )
    _view = (
        mo.callout(mo.md(f"**Cannot run this choice:** {problem}"), kind="warn")
        if problem
        else mo.md(
            f"Will serve **{', '.join(config.models)}** on `{config.device}` in "
            f"{config.dtype}, {config.levels()} levels per model and variant, each at most "
            f"{config.requests_per_level:,} requests and {config.seconds_per_level:g} s."
        )
    )
    _view
    return config, problem


@app.cell
def _(mo):
    # The last results that finished: set only by a run that succeeded, so a failed run leaves
    # them on screen below its error.
    get_results, set_results = mo.state(None)
    return get_results, set_results


@app.cell
def _(
    config,
    mo,
    problem,
    profile,
    run_button,
    server_env,
    serving,
    set_results,
    ui,
):
    ui.run_gate(run_button, profile, "the server and its load test")
    mo.stop(bool(problem), mo.callout(mo.md(f"**Not started:** {problem}"), kind="warn"))
    if config.device == "cuda":
        ui.require_gpu("Serving on the GPU (the full profile)")
    _rows = []

    def _live(row):
        _rows.append(row)
        _chart = serving.display.charts(_rows, config.p99_limit_ms)
        if _chart is not None:
            mo.output.replace(_chart)

    with (
        ui.gpu_step("serving and load-testing", results_kept=True),
        ui.work_progress("Serving and load-testing", 1) as _bar,
    ):
        _result = serving.run_suite(config, server_env, progress=_bar, on_row=_live)
    set_results(_result)
    _gone = "gone" if _result.server_gone else "STILL RUNNING"
    mo.output.replace(
        mo.md(
            f"Served {len(config.models)} models (ready in {_result.ready_s:.1f} s), measured "
            f"{len(_result.rows)} levels; server pid {_result.server_pid} is {_gone}."
        )
    )
    return


@app.cell
def _(get_results):
    shown = get_results()
    return (shown,)


@app.cell
def _(mo):
    mo.md(r"""
    ## 3. Results

    **Gain** is the highest throughput among the error-free closed-loop levels whose p99 stays
    within the limit, with the batcher divided by without, same server and client. On the
    latency chart the ringed point is that knee: past it, more requests in flight only queue.
    On a CPU the figures compare the CPU with itself (tiny models); the GPU is what the
    batcher is for.
    """)
    return


@app.cell
def _(mo, serving, shown):
    if shown is None:
        _view = mo.md("No results yet: press **Start the server and load-test** above.")
    else:
        _chart = serving.display.charts(shown.rows, shown.config.p99_limit_ms)
        _view = mo.vstack(
            [
                mo.ui.table(serving.display.gains(shown), selection=None),
                _chart if _chart is not None else mo.md("No level finished without errors."),
                mo.ui.table(serving.display.load_table(shown.rows), selection=None, page_size=12),
            ]
        )
    _view
    return


@app.cell
def _(mo, shown):
    if shown is None:
        _view = mo.md("")
    else:
        _checks = [c.to_dict() for c in shown.checks]
        _faults = [f.to_dict() for f in shown.faults]
        _ok = all(c.passed for c in shown.checks)
        _gpu = shown.gpu or {"available": False, "reason": "CPU run: no GPU to sample"}
        _view = mo.vstack(
            [
                mo.md("### Served answers vs a direct forward pass"),
                mo.callout(
                    mo.md("All equal within tolerance." if _ok else "**A model disagrees.**"),
                    kind="success" if _ok else "danger",
                ),
                mo.ui.table(_checks, selection=None),
                mo.md("### A model that raises"),
                mo.ui.table(_faults, selection=None, wrapped_columns=["client_error"]),
                mo.md(f"GPU telemetry during the load: `{_gpu}`"),
            ]
        )
    _view
    return


@app.cell
def _(mo):
    kill_button = mo.ui.run_button(label="Kill the server mid-load")
    mo.vstack(
        [
            mo.md(
                "## 4. A server killed mid-load\n\nStarts a server with the first chosen "
                "model, loads it at the highest concurrency and kills its process group one "
                "second in. The client's requests then fail; press the load-test button above "
                "to start a fresh server."
            ),
            kill_button,
        ]
    )
    return (kill_button,)


@app.cell
def _(config, kill_button, mo, problem, profile, server_env, serving, ui):
    ui.run_gate(kill_button, profile, "the kill test")
    mo.stop(bool(problem), mo.callout(mo.md(f"**Not started:** {problem}"), kind="warn"))
    if config.device == "cuda":
        ui.require_gpu("The kill test on the GPU (the full profile)")
    with ui.gpu_step("the kill test"):
        _fault = serving.kill_during_load(config, server_env)
    # The test passes when the client saw the failure and nothing of the server is left.
    _contained = bool(_fault.client_error) and not _fault.still_serving
    mo.callout(
        mo.md(
            f"**The server was killed mid-load.** The client reported: {_fault.client_error}. "
            f"Server still running afterwards: {_fault.still_serving} (its process group was "
            "killed). Press **Start the server and load-test** to start a fresh one."
        ),
        kind="success" if _contained else "danger",
    )
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## 5. What it means

    - Without the batcher, throughput stops growing once one request occupies the device:
      more clients only wait longer, and p99 climbs with concurrency.
    - With it, throughput grows with the requests in flight until the batch is full or the
      device is busy; the queue delay adds at most its own length to each request.
    - The knee is the operating point: the most requests per second whose p99 still meets the
      limit. Beyond it a server needs more instances or another GPU, not more clients.
    - "batch" is how many requests the server ran together and "server ms" the queue and
      compute time it counted per request; the rest of p50 is the wire and the client. The
      load comes from several client processes (one Python process tops out at a few hundred
      large requests per second), and it still bounds the highest rates: the figures are a
      lower bound on what the server holds.
    """)
    return


if __name__ == "__main__":
    app.run()
