# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "gpulab[diffusion]",
#     "marimo>=0.25.2,<0.26",
# ]
# ///
"""Text-to-image with Stable Diffusion: a real diffusers pipeline, every speed-up measured.

Generates images from a prompt with any diffusers text-to-image pipeline (a hub id or a local
folder: SD 1.5, SD 2.x, SDXL, SD 3 where you have the weights). Offline, the default is SD 1.5's
architecture built from its configs with random weights (UNet 859.5 M, VAE 83.7 M, CLIP ViT-L/14
text encoder 123.1 M parameters) and the real CLIP BPE tokenizer: it measures speed only, and
its images are noise. Then the optimisation ladder: the diffusers default (fp16, SDPA) ->
channels_last -> fused QKV -> torch.compile (reduce-overhead, CUDA graphs) -> max-autotune
(opt-in), TensorRT where torch-tensorrt is installed, and lossy rungs apart (DeepCache, fewer
steps with DPM-Solver++, a tiny VAE), each timed warm and compared with the default's image.

Requirements: an NVIDIA GPU for the full profile, about 4 GiB of free GPU memory for SD 1.5 at
512 x 512, batch 1 (attention slicing, VAE slicing/tiling and CPU offload are switched on from
free memory when less is left). Dependencies: gpulab[diffusion] (diffusers, transformers,
pillow, DeepCache); optional torch-tensorrt.
Profiles: smoke runs a tiny pipeline of the same classes at 64 x 64, 4 steps, batch 2, the eager
rungs of the ladder (seconds on a CPU); full runs SD 1.5's architecture at 512 x 512, 25 steps,
batch 1 and the whole ladder (compile on CUDA), from DiffusionConfig.for_profile("full").
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import dataclasses
    import inspect

    import marimo as mo

    from gpulab import ui
    from gpulab.device import probe
    from gpulab.errors import UsageError
    from gpulab.workloads import diffusion

    return UsageError, dataclasses, diffusion, inspect, mo, probe, ui


@app.cell
def _(mo):
    mo.md(r"""
    # Text-to-image with Stable Diffusion, every speed-up measured

    Stable Diffusion turns a prompt into an image in three networks: the **CLIP text encoder**
    reads the prompt (77 tokens at most), the **UNet** removes noise from a 64 x 64 x 4 latent
    over tens of steps, guided by the text, and the **VAE decoder** turns the latent into
    pixels. This notebook runs a real diffusers pipeline, shows its images with their seed, and
    then climbs an optimisation ladder: each rung is timed warm on the same prompt and seed,
    and its image is compared with the default's, so a speed-up that changes the picture is
    seen to change it.

    You will learn where the time goes (the UNet, twice per step for classifier-free
    guidance), which optimisations keep the same maths (layout, fused projections, a compiler
    with CUDA graphs) and which trade quality for speed (caching features, fewer steps, a
    smaller decoder), and why each is reported with its drift.
    """)
    return


@app.cell
def _(mo, probe, ui):
    profile = ui.read_profile()
    system = probe()
    _guide = ui.run_guide(
        profile,
        """
        - **Generate**: builds the pipeline, fits the batch to free memory (memory savers if
          needed), generates twice with one seed: a gallery and the seed check; a bar counts steps.
        - **Run the ladder**: builds a fresh pipeline and runs every rung in order: each rung's
          first call (compile included), warm-up, timed calls, peak memory and the comparison with
          the default's image. A chart of seconds per image grows as each rung finishes; a failed
          run leaves the last results in place with the error above.
        """,
    )
    mo.vstack([ui.gpu_card(system, profile), _guide])
    return (profile,)


@app.cell
def _(diffusion, mo):
    _counts = diffusion.SD15_PARAMS_M
    mo.md(
        f"""
    ## 1. The model

    With a hub id or a local folder, the pipeline loads real weights through
    `DiffusionPipeline.from_pretrained`. Offline (nothing can be downloaded here) the default is
    **SD 1.5's architecture built from its published configs, with random weights**: UNet
    {_counts["unet"]} M, VAE {_counts["vae"]} M and CLIP ViT-L/14 text encoder
    {_counts["text_encoder"]} M parameters (the run counts them again from the networks it
    built). It has SD 1.5's layers, shapes and cost, so its timings are real; **random weights:
    speed only, images are noise.** The tokenizer is CLIP's own BPE vocabulary (49,408 tokens,
    shipped with gpulab), limited to 77 tokens: a longer prompt is cut, and the run says where.
    """
    )
    return


@app.cell
def _(diffusion, inspect, mo):
    _source = inspect.getsource(diffusion.generate)
    mo.md(
        f"""
    ## 2. The key idea: one seeded call

    Every image below and every rung of the ladder comes from this function. The seed fixes
    the initial noise, so the same settings give the same image; the ladder compares each
    rung's image with the default's at the same seed.

    ```python
    {_source}
    ```
    """
    )
    return


@app.cell
def _(dataclasses, diffusion, profile):
    # The profile's settings; the controls below start from them.
    base_config = diffusion.DiffusionConfig.for_profile(profile.name)
    sizes = sorted({64, 256, 512, 768, 1024, base_config.height})
    fields = {f.name for f in dataclasses.fields(base_config)}
    return base_config, sizes


@app.cell
def _(base_config, diffusion, mo, sizes):
    model_input = mo.ui.text(
        value=base_config.model,
        label="model: sd15 / tiny (random weights), a hub id or a local folder",
        full_width=True,
    )
    prompt_input = mo.ui.text_area(
        value=base_config.prompt, label="prompt", rows=2, full_width=True
    )
    negative_input = mo.ui.text(
        value=base_config.negative_prompt, label="negative prompt", full_width=True
    )
    steps_input = mo.ui.slider(1, 100, value=base_config.steps, label="steps", show_value=True)
    guidance_input = mo.ui.slider(
        0.0, 15.0, step=0.5, value=base_config.guidance, label="guidance", show_value=True
    )
    height_input = mo.ui.dropdown(
        options={str(s): s for s in sizes}, value=str(base_config.height), label="height"
    )
    width_input = mo.ui.dropdown(
        options={str(s): s for s in sizes}, value=str(base_config.width), label="width"
    )
    seed_input = mo.ui.number(start=0, stop=2**31 - 1, value=base_config.seed, label="seed")
    batch_input = mo.ui.slider(1, 16, value=base_config.batch, label="batch", show_value=True)
    scheduler_input = mo.ui.dropdown(
        options={label: name for name, label in diffusion.SCHEDULER_LABELS.items()},
        value=diffusion.SCHEDULER_LABELS[base_config.scheduler],
        label="scheduler",
    )
    rungs_input = mo.ui.multiselect(
        options={r.label: r.name for r in diffusion.RUNGS},
        value=[diffusion.RUNG_BY_NAME[r].label for r in base_config.rungs],
        label="ladder rungs",
        full_width=True,
    )
    autotune_input = mo.ui.checkbox(label="run max-autotune (many minutes of autotuning)")
    generate_button = mo.ui.run_button(label="Generate")
    ladder_button = mo.ui.run_button(label="Run the ladder")
    mo.vstack(
        [
            model_input,
            prompt_input,
            negative_input,
            mo.hstack([steps_input, guidance_input, batch_input], justify="start"),
            mo.hstack([height_input, width_input, seed_input, scheduler_input], justify="start"),
            rungs_input,
            autotune_input,
            mo.hstack([generate_button, ladder_button], justify="start"),
        ]
    )
    return (
        autotune_input,
        batch_input,
        generate_button,
        guidance_input,
        height_input,
        ladder_button,
        model_input,
        negative_input,
        prompt_input,
        rungs_input,
        scheduler_input,
        seed_input,
        steps_input,
        width_input,
    )


@app.cell
def _(
    UsageError,
    autotune_input,
    base_config,
    batch_input,
    dataclasses,
    diffusion,
    guidance_input,
    height_input,
    mo,
    model_input,
    negative_input,
    prompt_input,
    rungs_input,
    scheduler_input,
    seed_input,
    steps_input,
    width_input,
):
    # What the controls chose, checked before anything runs: a bad choice is named here.
    _rungs = tuple(r.name for r in diffusion.RUNGS if r.name in set(rungs_input.value))
    config = dataclasses.replace(
        base_config,
        model=model_input.value.strip(),
        prompt=prompt_input.value,
        negative_prompt=negative_input.value,
        steps=steps_input.value,
        guidance=guidance_input.value,
        height=height_input.value,
        width=width_input.value,
        seed=int(seed_input.value or 0),
        batch=batch_input.value,
        scheduler=scheduler_input.value,
        rungs=_rungs,
        max_autotune=autotune_input.value,
    )
    config_error = ""
    try:
        config.validate()
    except UsageError as _err:
        config_error = str(_err)
    _notes = []
    if config_error:
        _notes.append(mo.callout(mo.md(f"**Cannot run:** {config_error}"), kind="danger"))
    if not _rungs:
        _notes.append(mo.callout(mo.md("Choose at least the default rung."), kind="warn"))
    if not config_error:
        # checked against free GPU memory now (the budget's, where one is set); None on a CPU
        _plan = diffusion.memory_plan(config, diffusion.resolve_device(config.device))
        if _plan is not None:
            _kind = "success" if _plan.fits and not _plan.savers else "warn"
            _kind = _kind if _plan.fits else "danger"
            _notes.append(mo.callout(mo.md(f"Memory: {_plan.describe()}."), kind=_kind))
    _weights = (
        "random weights: speed only, images are noise"
        if config.random_weights
        else "real weights, loaded when a button is pressed"
    )
    _notes.append(
        mo.md(
            f"`{config.model}` ({_weights}): {config.batch} x {config.width} x {config.height}, "
            f"{config.steps} steps, {diffusion.SCHEDULER_LABELS[config.scheduler]}."
        )
    )
    mo.vstack(_notes)
    return config, config_error


@app.cell
def _(mo):
    # The last results that finished: set only by a run that succeeded, so a failed run leaves
    # them on screen below its error.
    get_gallery, set_gallery = mo.state(None)
    get_ladder, set_ladder = mo.state(None)
    return get_gallery, get_ladder, set_gallery, set_ladder


@app.cell
def _(mo):
    mo.md(r"""
    ## 3. Generate

    Before it runs, the batch is checked against free GPU memory (an estimate from SD 1.5's
    shape; the run's measured peak is shown after): VAE slicing, VAE tiling, attention slicing
    and finally CPU offload are switched on, in that order, only as far as needed. A batch that
    does not fit even then stops with the largest that would. The images are made twice with
    the same seed: the check below says whether the second call reproduced the first.
    """)
    return


@app.cell
def _(
    config,
    config_error,
    diffusion,
    generate_button,
    mo,
    profile,
    set_gallery,
    ui,
):
    ui.run_gate(generate_button, profile, "the generation", problem=config_error)
    with (
        ui.gpu_step("the generation", results_kept=True),
        ui.work_progress("Generating (twice, same seed)", 2 * config.steps) as _bar,
    ):
        _generation = diffusion.run_generation(config, progress=_bar)
    set_gallery(_generation)
    mo.md(
        f"Generated {config.batch} image(s) in {_generation.seconds:.2f} s: the gallery is below."
    )
    return


@app.cell
def _(diffusion, get_gallery, mo):
    gallery = get_gallery()
    mo.stop(gallery is None, mo.md("_No images yet: press **Generate** above._"))
    _cards = [
        mo.vstack(
            [
                mo.image(diffusion.to_png(_image), width=200),
                mo.md(diffusion.gallery_caption(gallery.settings, gallery.scheduler, _index)),
            ]
        )
        for _index, _image in enumerate(gallery.images)
    ]
    _check = gallery.seed_check
    _kind = "success" if gallery.reproduced else "warn"
    _verdict = (
        "the second call reproduced every pixel"
        if gallery.reproduced
        else f"the second call differs: {_check.describe()} (non-deterministic kernels)"
    )
    _notes = [
        mo.callout(mo.md(f"**Seed check** (same seed and settings, twice): {_verdict}."), _kind)
    ]
    if gallery.random_weights:
        _notes.append(
            mo.callout(mo.md("**Random weights: speed only, images are noise.**"), "info")
        )
    for _name, _length in (("prompt", gallery.prompt), ("negative prompt", gallery.negative)):
        _kind = "warn" if _length.truncated else "neutral"
        _notes.append(mo.callout(mo.md(f"The {_name}: {_length.describe()}."), kind=_kind))
    _memory = gallery.plan.describe() if gallery.plan else "CPU run: no GPU memory plan"
    _peak = f"; measured peak {gallery.peak_mib:,.0f} MiB" if gallery.peak_mib else ""
    _notes.append(mo.md(f"On `{gallery.device}` ({gallery.dtype}): {_memory}{_peak}."))
    mo.vstack([mo.hstack(_cards, wrap=True, justify="start"), *_notes])
    return


@app.cell
def _(diffusion, mo):
    _rows = [
        {
            "rung": r.label,
            "what it does": r.what,
            "kind": "lossy" if r.lossy else "lossless",
        }
        for r in diffusion.RUNGS
    ]
    mo.vstack(
        [
            mo.md(
                "## 4. The optimisation ladder\n\nLossless rungs build on each other in order "
                "and must reproduce the default's image (PSNR of at least "
                f"{diffusion.LOSSLESS_PSNR_DB:g} dB: fp16 rounding in other kernel orders). "
                "TensorRT and the lossy rungs run on top of the chain so far and are undone "
                "after; the lossy ones are reported apart. A rung that cannot run here says "
                "why (GPU only, opt-in, not installed)."
            ),
            mo.ui.table(_rows, selection=None, wrapped_columns=["what it does"]),
        ]
    )
    return


@app.cell
def _(diffusion):
    def ladder_chart(result):
        """Seconds per image per rung, lossless and lossy coloured apart."""
        # altair is imported on the first chart, not when the notebook opens
        import altair as alt

        from gpulab.ui.charts import series_colors

        points = diffusion.chart_points(result) if result is not None else []
        order = [p["rung"] for p in points]
        colors = {"lossless": "#4c78a8", "lossy": "#f58518"}
        return (
            alt.Chart(alt.Data(values=points))
            .mark_bar()
            .encode(
                x=alt.X("s_per_image:Q", title="seconds per image (median, lower is better)"),
                y=alt.Y("rung:N", sort=order, title=None),
                color=series_colors("kind", colors, [p["kind"] for p in points]),
                tooltip=["rung:N", "s_per_image:Q", "kind:N"],
            )
            .properties(width=480, height=max(60, 28 * len(points)), title="Seconds per image")
        )

    return (ladder_chart,)


@app.cell
def _(
    config,
    config_error,
    diffusion,
    ladder_button,
    ladder_chart,
    mo,
    profile,
    set_ladder,
    ui,
):
    ui.run_gate(ladder_button, profile, "the optimisation ladder", problem=config_error)

    def _on_rung(result):
        mo.output.replace_at_index(ladder_chart(result), 1)

    _device = diffusion.resolve_device(config.device)
    mo.stop(
        config.model == diffusion.SD15 and not _device.startswith("cuda"),
        mo.callout(
            mo.md(
                "The ladder of SD 1.5's full architecture needs a CUDA GPU (on a CPU each "
                "image takes minutes, and the compiled rungs do not run): choose model `tiny` "
                "for the same ladder at test size here."
            ),
            kind="warn",
        ),
    )
    with ui.gpu_step("the optimisation ladder", results_kept=True):
        _total = diffusion.planned_work(config, _device)
        with ui.work_progress("The ladder (denoising steps)", _total) as _bar:
            mo.output.append(ladder_chart(None))
            _ladder = diffusion.run_ladder(config, progress=_bar, on_rung=_on_rung)
    set_ladder(_ladder)
    mo.md(f"The ladder finished in {_ladder.seconds:.1f} s: its results are below.")
    return


@app.cell
def _(diffusion, get_ladder, ladder_chart, mo):
    ladder = get_ladder()
    mo.stop(ladder is None, mo.md("_No ladder yet: press **Run the ladder** above._"))
    _params = ", ".join(f"{k} {v:.1f} M" for k, v in ladder.parameters_m.items())
    _weights = "random weights: speed only" if ladder.random_weights else "real weights"
    _wrapped = {"speed": ["note"], "check": ["vs default's image"]}

    def _tables(lossy):
        return [
            mo.ui.table(
                diffusion.ladder_rows(ladder, lossy, _part),
                selection=None,
                wrapped_columns=_wrapped[_part],
            )
            for _part in ("speed", "check")
        ]

    mo.vstack(
        [
            mo.md(diffusion.headline(ladder)),
            mo.md(f"`{ladder.model}` ({_weights}): {_params}."),
            mo.md("### Lossless rungs: speed, then cost and check"),
            *_tables(False),
            mo.md("### Lossy rungs (a different image, reported apart)"),
            *_tables(True),
            ladder_chart(ladder),
        ]
    )
    return (ladder,)


@app.cell
def _(diffusion, ladder, mo):
    _shown = [r for r in ladder.rungs if r.ran and r.images is not None]
    _cards = [
        mo.vstack(
            [
                mo.image(diffusion.to_png(r.images[0]), width=150),
                mo.md(f"{r.label}<br>{r.drift.describe() if r.drift else ''}"),
            ]
        )
        for r in _shown
    ]
    mo.vstack(
        [
            mo.md("### Each rung's first image at the same seed"),
            mo.hstack(_cards, wrap=True, justify="start"),
        ]
    )
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## 5. What it means

    The UNet runs twice per step (with and without the prompt, for guidance), so its cost
    times the step count is most of an image; the lossless rungs make that same computation
    cheaper. **channels_last** lets cuDNN pick NHWC convolution kernels; **fused QKV** turns
    three attention projections into one matmul; **torch.compile** fuses the elementwise work
    between them, and **reduce-overhead** replays the whole UNet as one CUDA graph, removing
    the per-kernel launch cost that dominates at batch 1. Their images match the default's up
    to fp16 rounding, which the drift column shows. The lossy rungs are faster because they do
    less: DeepCache reuses deep features between steps, fewer steps with a better sampler skip
    work, a tiny VAE decodes approximately. They make a different picture, so they are
    reported apart. On a CPU the compiled rungs do not run and the timings compare the CPU with
    itself; `gpulab bench diffusion` is the command-line version of the ladder at 512 x 512 and
    50 steps.
    """)
    return


if __name__ == "__main__":
    app.run()
