# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "gpulab[inference]",
#     "marimo>=0.25.2,<0.26",
# ]
# ///
"""Inference optimisation ladder: eager FP32 -> TF32 -> bf16 -> layout/attention -> compile -> CUDA graphs.

Runs one model on one input batch through a ladder of optimisations, each rung measured on its own:
IEEE FP32 eager PyTorch, TF32, bf16/fp16, channels_last (CNN) or SDPA/flash attention
(transformer), torch.compile, CUDA graphs, ONNX Runtime and TensorRT. Every rung reports its median
latency with the p10-p90 spread and p99 (flagged noisy when p99 is far above the median, and so
is every ratio built from it), samples/s, peak memory, compile time (apart from steady state) and
its drift from the FP32 reference; a rung whose output drifts past its precision's threshold is
not verified and cannot be the winner. Speed-ups are shown from FP32 *and* precision-matched, so
each gain is attributed to the step that made it. The progress bar counts forward passes of the
batch across the rungs; a run that fails keeps the last good results on screen.

Models: ResNet-50 (written here from its architecture) and a BERT-base encoder (transformers),
random weights by default (labelled as such), or real ones from a local path or hub id.

Requirements: NVIDIA GPU with >= 8 GiB free for ResNet-50 / BERT-base at batch 64 (bf16 needs
compute capability 8.0+; CUDA graphs and TensorRT need a GPU). A CPU runs the smoke profile: tiny
models (batch 4, 32 px images or 16 tokens) through the eager, compile and ONNX Runtime rungs;
torch.compile on a CPU needs a C++ compiler.
Dependencies: gpulab[inference] (transformers, onnx, onnxscript, onnxruntime); torch-tensorrt for
the TensorRT rung and onnxruntime-gpu for ONNX Runtime on the GPU (both optional, detected).
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import inspect

    import altair as alt
    import marimo as mo

    from gpulab import ui
    from gpulab.device import probe
    from gpulab.profiles import default_for_this_machine
    from gpulab.workloads import inference

    return alt, default_for_this_machine, inference, inspect, mo, probe, ui


@app.cell
def _(mo):
    mo.md(r"""
    # The inference optimisation ladder

    How much faster can the *same* model answer the *same* batch, and which step buys what?
    This notebook climbs a ladder of optimisations, one change per rung, and measures each rung:

    **eager FP32 → TF32 → bf16 → channels-last (CNN) / SDPA attention (transformer) →
    torch.compile → CUDA graphs**, with side rungs for fp16, compile max-autotune, ONNX Runtime
    and TensorRT.

    You will learn

    - why a speed-up must be **precision-matched**: most of "FP32 eager vs optimised FP16" is the
      precision, not the optimiser (the mistake this notebook exists to avoid);
    - why throughput is **samples/s = batch ÷ latency**, not calls per second;
    - why compile time is reported **apart from steady state**, and when it pays for itself;
    - why every fast result is **checked against the FP32 reference** before it counts.
    """)
    return


@app.cell
def _(default_for_this_machine, mo, probe, ui):
    # Without a GPU (and no profile asked for) the profile is smoke: full sizes crawl on a CPU.
    profile = ui.read_profile(default=default_for_this_machine())
    system = probe()
    _guide = ui.run_guide(
        profile,
        """
        - **Run the ladder**: builds the chosen model, then times every planned rung on the same
          batch (its first call apart, then warm-up and timed calls) and checks each output against
          the FP32 reference; the compile, ONNX and TensorRT rungs spend most of their time
          compiling or exporting
        """,
    )
    mo.vstack([ui.gpu_card(system, profile), _guide])
    return profile, system


@app.cell
def _(inference, mo):
    _rows = [
        {
            "rung": rung.name,
            "what it changes": rung.changes,
            "why it can be faster": rung.why,
            "models": " and ".join(rung.families),
        }
        for rung in inference.RUNGS.values()
    ]
    mo.vstack(
        [
            mo.md(
                "## The rungs\n\n"
                "Rungs are cumulative where that is the lesson: *compile* runs the fast-precision "
                "model with channels-last (CNN) or SDPA (transformer), and *CUDA graphs* replays "
                "that compiled forward. Every rung starts from a fresh copy of the same FP32 "
                "weights and runs the same input batch."
            ),
            mo.ui.table(_rows, selection=None, page_size=20),
        ]
    )
    return


@app.cell
def _(inference, mo):
    _thresholds = "\n".join(
        f"| {name} | {t.max_relative_error:g} | {t.min_top1:g} |"
        for name, t in inference.THRESHOLDS.items()
    )
    _text = (
        r"""
    ## Measuring fairly

    - **FP32 means IEEE FP32.** PyTorch lets cuDNN convolutions use TF32 by default
      (`torch.backends.cudnn.allow_tf32 = True`), so an "FP32" ResNet is usually TF32 already.
      The eager-fp32 rung switches TF32 off; the tf32 rung switches it on: that is the gap a
      default PyTorch user has already pocketed.
    - **Three speed-ups per rung.** *vs fp32*: the whole ladder so far. *Precision-matched*:
      against the eager rung of the same precision (bf16 compiled vs bf16 eager), what the
      non-precision tricks bought. *This step*: against the rung it builds on.
    - **Timing.** A first call is timed alone (compilation, autotuning, lazy initialisation);
      then warm-up calls are discarded and at least 50 calls on a GPU are timed with CUDA events
      (`gpulab.timing.benchmark`). Every latency is shown with its spread (p10-p90 and p99), and
      a rung whose p99 is far above its median is flagged **noisy**: something else used the
      machine while it was timed, so its median and every ratio built from it are marked
      *(noisy)*. Peak memory is torch's allocator during the timed calls, weights included.
    - **Verified.** Each rung's output is compared with the FP32 reference on the same inputs:
      max |diff|, cosine similarity, top-1 agreement (CNN), and the worst sample's relative error
      $\lVert y - y_{ref}\rVert / \lVert y_{ref}\rVert$, which decides together with top-1:

    | precision | max relative error | min top-1 agreement |
    |---|---|---|
    """
        + _thresholds
        + "\n\nRandom weights make these checks harsher, not easier: a random ResNet-50's deep "
        "residual stack amplifies rounding, and its logits are near-tied, so top-1 flips more "
        "than a trained model's would."
    )
    mo.md(_text)
    return


@app.cell
def _(inference, mo, profile):
    # The defaults are the profile's (smoke: a tiny model on the rungs that run on a CPU).
    _defaults = inference.LadderConfig.for_profile(profile.name)
    _models = {
        "ResNet-50 (CNN)": "resnet50",
        "BERT-base encoder (transformer)": "bert-base",
        "tiny ResNet (CPU-sized)": "resnet-tiny",
        "tiny BERT (CPU-sized)": "bert-tiny",
    }
    model_choice = mo.ui.dropdown(
        options=_models,
        value=next(label for label, name in _models.items() if name == _defaults.model),
        label="Model",
    )
    batch_size = mo.ui.number(start=1, stop=1024, step=1, value=_defaults.batch, label="Batch")
    resolution = mo.ui.dropdown(
        options=["32", "64", "128", "224", "288"],
        value=str(_defaults.resolution),
        label="Resolution (CNN)",
    )
    seq_len = mo.ui.dropdown(
        options=["16", "32", "64", "128", "256", "512"],
        value=str(_defaults.seq_len),
        label="Sequence length (transformer)",
    )
    fast_precision = mo.ui.dropdown(
        options=list(inference.PRECISIONS),
        value=_defaults.fast_precision,
        label="Precision of the fast rungs",
    )
    rung_choice = mo.ui.multiselect(
        options=list(inference.RUNG_ORDER),
        value=list(_defaults.rungs),
        label="Rungs (max-autotune compiles for minutes)",
    )
    weights = mo.ui.text(
        placeholder="empty = random weights; or a local path / hub id",
        label="Weights",
        full_width=True,
    )
    run_button = mo.ui.run_button(label="Run the ladder", kind="success")
    mo.vstack(
        [
            mo.hstack([model_choice, batch_size, resolution, seq_len], wrap=True),
            mo.hstack([fast_precision, rung_choice], wrap=True),
            weights,
            run_button,
        ]
    )
    return (
        batch_size,
        fast_precision,
        model_choice,
        resolution,
        run_button,
        rung_choice,
        seq_len,
        weights,
    )


@app.cell
def _(
    batch_size,
    fast_precision,
    inference,
    mo,
    model_choice,
    profile,
    resolution,
    rung_choice,
    seq_len,
    system,
    weights,
):
    # The chosen model and sizes; how long each rung is timed comes from the profile.
    ladder_settings = {
        "model": model_choice.value,
        "batch": int(batch_size.value or 0),
        "resolution": int(resolution.value),
        "seq_len": int(seq_len.value),
        "rungs": tuple(rung_choice.value),
        "fast_precision": fast_precision.value,
        "weights": weights.value.strip() or None,
        "allow_max_autotune": "max-autotune" in rung_choice.value,
    }
    try:
        _config = inference.LadderConfig.for_profile(profile.name, **ladder_settings)
    except ValueError as _err:
        _config, _problem = None, str(_err)
    if _config is None:
        _plan_view = mo.callout(
            mo.md(
                f"**These settings cannot run:** {_problem}. Change them above; pressing "
                "**Run the ladder** now shows this error and keeps the last results."
            ),
            kind="warn",
        )
    else:
        _plan = inference.plan_rungs(_config)
        _added = [r for r in _plan if r not in rung_choice.value]
        _note = (
            f" Added as reference / precision-matched baselines: **{', '.join(_added)}**."
            if _added
            else ""
        )
        _plan_view = mo.md(
            f"**Plan:** {_config.preset.label} on {_config.input_label}; rungs "
            f"{' → '.join(_plan)}.{_note}"
        )
    _cpu_warning = (
        mo.callout(
            mo.md(
                "**No CUDA GPU**: the ladder runs on the CPU, and the GPU-only rungs (CUDA "
                "graphs, TensorRT, ONNX Runtime's GPU providers) will be reported as skipped. "
                "A full-size model on a CPU takes minutes per rung: the tiny models show the "
                "same mechanics quickly, and their timings say nothing about a GPU."
            ),
            kind="warn",
        )
        if not system.cuda_available
        else mo.md("")
    )
    mo.vstack([_plan_view, _cpu_warning])
    return (ladder_settings,)


@app.cell
def _(mo):
    # The last ladder that finished: set only after a run succeeds, so a failure keeps it shown.
    get_ladder, set_ladder = mo.state(None)
    return get_ladder, set_ladder


@app.cell
def _(inference, ladder_settings, mo, profile, run_button, set_ladder, ui):
    ui.run_gate(run_button, profile, "the ladder")
    with ui.gpu_step("the ladder", results_kept=True):
        _config = inference.LadderConfig.for_profile(profile.name, **ladder_settings)
        # Progress counts forward passes of the batch: the same work on every rung.
        with ui.work_progress(
            "Climbing the ladder (progress in forward passes of the batch)",
            inference.planned_passes(_config),
        ) as _bar:
            _ladder = inference.run_ladder(_config, progress=_bar)
        _ladder.require_reference()
    set_ladder(_ladder)
    _counts = {s: sum(r.status == s for r in _ladder.rungs) for s in ("ok", "skipped", "failed")}
    mo.md(
        f"Ran {_ladder.model_label}, {_ladder.weights_label}, on **{_ladder.device}**: "
        f"{_counts['ok']} rungs measured, {_counts['skipped']} skipped, "
        f"{_counts['failed']} failed (reasons in the list below)."
    )
    return


@app.cell
def _(get_ladder, inference, mo):
    # Every result below is the last ladder that finished (kept while a new one runs or fails).
    ladder = get_ladder()
    mo.stop(ladder is None)
    _cards = [
        mo.stat(
            value=_figure.value,
            label=_figure.label,
            caption=_figure.full_caption,
            bordered=True,
        )
        for _figure in inference.headline_figures(ladder)
    ]
    _headline = (
        mo.hstack(_cards, justify="start", wrap=True)
        if _cards
        else mo.callout(mo.md("**No verified rung** besides the reference."), kind="warn")
    )
    _warning = inference.noise_warning(ladder)
    mo.vstack(
        [
            mo.md(f"## Results: {ladder.model_label} on {ladder.config.input_label}"),
            _headline,
            mo.callout(mo.md(_warning), kind="warn") if _warning else mo.md(""),
        ]
    )
    return (ladder,)


@app.cell
def _(alt, inference, ladder):
    _rows = []
    for _r in ladder.rungs:
        if not (_r.ok and _r.samples_per_s and _r.speedup_vs_fp32 and _r.speedup_matched):
            continue
        _vs = inference.format_ratio(
            _r.speedup_vs_fp32, inference.ratio_noise(_r, ladder.get("eager-fp32"))
        )
        _matched = inference.format_ratio(
            _r.speedup_matched, inference.ratio_noise(_r, ladder.get(_r.baseline or ""))
        )
        _rows.append(
            {
                "rung": _r.rung,
                "samples/s": _r.samples_per_s,
                "verified": "verified" if _r.verified else "NOT verified",
                "precision": _r.precision,
                "vs fp32": _vs,
                "precision-matched": _matched,
                "p50 per batch": inference.clean_spread(_r),
                "noise": _r.noise_note() or "clean",
                "label": f"{_vs} · matched {_matched}",
            }
        )
    _order = [r["rung"] for r in _rows]
    _top = max((r["samples/s"] for r in _rows), default=1.0)
    _base = alt.Chart(alt.Data(values=_rows)).encode(
        y=alt.Y("rung:N", sort=_order, title=None),
        x=alt.X(
            "samples/s:Q",
            title="throughput, samples/s (batch ÷ median latency)",
            scale=alt.Scale(domain=[0, _top * 1.8]),  # room for the labels
        ),
    )
    _bars = _base.mark_bar().encode(
        color=alt.Color(
            "verified:N",
            scale=alt.Scale(domain=["verified", "NOT verified"], range=["#4c78a8", "#e45756"]),
            title=None,
            legend=alt.Legend(orient="bottom"),
        ),
        tooltip=[
            "rung:N",
            "precision:N",
            alt.Tooltip("samples/s:Q", format=",.0f"),
            "p50 per batch:N",
            "noise:N",
            "vs fp32:N",
            "precision-matched:N",
        ],
    )
    _labels = _base.mark_text(align="left", dx=4).encode(text="label:N")
    (_bars + _labels).properties(
        width=500,
        height=28 * max(len(_rows), 1),
        title="Throughput ladder (speed-up vs FP32, and precision-matched)",
    )
    return


@app.cell
def _(alt, ladder):
    _rows = [
        {"rung": r.rung, "speed-up": value, "measured against": kind}
        for r in ladder.rungs
        if r.ok
        for kind, value in (
            ("eager FP32", r.speedup_vs_fp32),
            ("eager, same precision", r.speedup_matched),
            ("the rung it builds on", r.speedup_step),
        )
        if value is not None
    ]
    _order = [r.rung for r in ladder.rungs if r.ok]
    (
        alt.Chart(alt.Data(values=_rows))
        .mark_bar()
        .encode(
            x=alt.X("rung:N", sort=_order, title=None),
            y=alt.Y("speed-up:Q", title="speed-up (×)"),
            xOffset=alt.XOffset("measured against:N"),
            color=alt.Color(
                "measured against:N",
                title="measured against",
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=["rung:N", "measured against:N", alt.Tooltip("speed-up:Q", format=".2f")],
        )
        .properties(width=560, height=240, title="Where each gain comes from")
    )
    return


@app.cell
def _(alt, ladder):
    _rows = [
        {"rung": r.rung, "latency ms": value}
        for r in ladder.rungs
        if r.ok
        for value in r.latencies_ms
    ]
    _order = [r.rung for r in ladder.rungs if r.ok]
    (
        alt.Chart(alt.Data(values=_rows))
        .mark_boxplot(extent="min-max")
        .encode(
            y=alt.Y("rung:N", sort=_order, title=None),
            x=alt.X(
                "latency ms:Q", scale=alt.Scale(type="log"), title="latency per batch, ms (log)"
            ),
        )
        .properties(
            width=520,
            height=28 * max(len(_order), 1),
            title="Latency distribution per rung (every timed call)",
        )
    )
    return


@app.cell
def _(inference, ladder, mo):
    mo.vstack(
        [
            mo.md(
                "## Every rung\n\n"
                "**Timing.** Latencies are per batch: the median (p50) with the spread of the "
                "timed calls; *noise* flags a rung whose p99 is far above its median."
            ),
            mo.ui.table(inference.timing_rows(ladder), selection=None, page_size=20),
            mo.md(
                "**Speed-ups and cost.** *compile s* is setup plus the first call (export, "
                "compilation, graph capture), kept out of the steady-state figures; a ratio "
                "built from a noisy timing is marked *(noisy)*."
            ),
            mo.ui.table(inference.speedup_rows(ladder), selection=None, page_size=20),
            mo.md("**Drift from the FP32 reference** (see the thresholds above)."),
            mo.ui.table(inference.drift_rows(ladder), selection=None, page_size=20),
            mo.md(
                "**What ran each rung**, and why a rung was skipped or failed:\n\n"
                + "\n".join(inference.status_lines(ladder))
            ),
        ]
    )
    return


@app.cell
def _(inference, ladder, mo):
    _lines = []
    for _r in ladder.rungs:
        if not _r.ok or _r.rung == "eager-fp32":
            continue
        _noise = inference.ratio_noise(_r, ladder.get(_r.builds_on or ""))
        _step = (
            f"{inference.format_ratio(_r.speedup_step, _noise)} over {_r.builds_on}"
            if _r.speedup_step is not None
            else f"{_r.builds_on or 'its base rung'} not run, so no step speed-up"
        )
        _flag = (
            ""
            if _r.verified
            else " **Not verified:** " + (_r.drift.reason if _r.drift else _r.reason)
        )
        _lines.append(f"- **{_r.rung}** ({_step}): {inference.RUNGS[_r.rung].why}{_flag}")
    _text = "## Why each rung helps, and what it bought here\n\n" + (
        "\n".join(_lines) or "_Only the reference ran._"
    )
    mo.md(_text)
    return


@app.cell
def _(inference, ladder, mo):
    _lines = []
    for _r in ladder.rungs:
        _base = ladder.get(_r.baseline or "")
        if not (_r.ok and _r.compile_s and _base and _base.ok and _r.rung != _base.rung):
            continue
        _saved_per_sample = 1 / _base.samples_per_s - 1 / _r.samples_per_s
        _noisy = [n.rung for n in inference.noisy_rungs(_r, _base)]
        _caveat = f" (rough: noisy timing of {', '.join(_noisy)})" if _noisy else ""
        if _saved_per_sample > 0:
            _lines.append(
                f"- **{_r.rung}**: {_r.compile_s:.1f} s before the first result; it saves "
                f"{_saved_per_sample * 1e6:.1f} µs per sample over {_base.rung}, so it pays for "
                f"itself after **{_r.compile_s / _saved_per_sample:,.0f} samples**{_caveat}."
            )
        else:
            _lines.append(
                f"- **{_r.rung}**: {_r.compile_s:.1f} s before the first result, and not faster "
                f"than {_base.rung} here: it never pays for itself at this size{_caveat}."
            )
    _text = (
        "## When does compilation pay?\n\nCompile time is a one-off cost; the saving is per "
        "sample. Break-even = compile time ÷ time saved per sample, against the eager rung of "
        "the same precision:\n\n" + ("\n".join(_lines) or "_No compiled rung ran._")
    )
    mo.md(_text)
    return


@app.cell
def _(inference, inspect, mo):
    _source = inspect.getsource(inference.capture_cuda_graph)
    _text = (
        "## The key idea of the last rung: capture once, replay\n\n"
        "A CUDA graph records every kernel of one forward pass with its arguments and pointers; a "
        "replay launches them all with one call, so the CPU no longer spends microseconds per "
        "kernel. The price: static shapes, and inputs copied into the buffer the graph was "
        "recorded with. From `gpulab.workloads.inference.torch_rungs`:\n\n"
        f"```python\n{_source}```"
    )
    mo.md(_text)
    return


if __name__ == "__main__":
    app.run()
