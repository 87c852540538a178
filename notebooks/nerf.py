# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "gpulab[nerf]",
#     "marimo>=0.25.2,<0.26",
# ]
# ///
"""NeRF with a multiresolution hash grid (Instant-NGP) against vanilla NeRF, judged on held-out views.

A procedural scene (five textured objects on a checkered floor, a specular term, occlusion, a
sky) is rendered by our sphere tracer from known poses on a sphere; both radiance fields train
on the training views' rays only and are measured on held-out views they never saw. Ours: a
16-level hash encoding (2 features, 2^19 entries a level, trilinear), tiny density and colour
MLPs with a spherical-harmonics view encoding, an occupancy grid updated while training, ray
marching with early termination, bf16 matmuls on a GPU. Vanilla: positional encoding, coarse
and fine 8 x 256 MLPs, hierarchical sampling. A folder in the NeRF-synthetic (Blender) layout
(transforms_train/test.json + images) can replace the scene.

Requirements: an NVIDIA GPU for the full profile (about 13 GiB of GPU memory at its batch of
4096 rays a step for both models; on a smaller card the batch check names a size that fits).
Dependencies: gpulab[nerf] (torch, pillow).
Profiles: smoke runs 32² views (12 training, 3 held-out), a small hash grid and a few hundred
steps on the CPU (seconds); full runs NerfConfig.for_profile("full"): 100 training and 20
held-out 400² views, the paper's grid, 30 s of training per model.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    from gpulab import ui
    from gpulab.device import probe
    from gpulab.workloads import nerf

    return mo, nerf, probe, ui


@app.cell
def _(mo):
    mo.md(r"""
    # NeRF with a multiresolution hash grid, judged on views it never saw

    A neural radiance field (NeRF) learns a scene from photographs with known camera poses: a
    function from a 3-D point and a view direction to a density and a colour, rendered into a
    pixel by integrating along the camera ray. It is judged on **held-out views**: poses whose
    pixels never took part in training, so a high PSNR there means the field learned the scene,
    not the images.

    | model | what runs |
    | --- | --- |
    | **ours (hash grid)** | Instant-NGP's multiresolution hash encoding, tiny MLPs, an occupancy grid |
    | **vanilla NeRF** | Mildenhall et al. 2020: positional encoding, coarse + fine 8 x 256 MLPs |

    Both train on the same training rays, are rendered by the same volume renderer and are
    measured on the same held-out views; the chart plots held-out PSNR against training
    seconds for both.
    """)
    return


@app.cell
def _(mo, probe, ui):
    profile = ui.read_profile()
    system = probe()
    _guide = ui.run_guide(
        profile,
        """
        - **Train both models**: renders the scene's training and held-out views, trains ours and
          then vanilla NeRF for their time budgets (a live chart of held-out PSNR against training
          seconds), then renders every held-out view with both and an orbit of novel views with
          ours. A failed run leaves the last results in place with the error above them.
        """,
    )
    mo.vstack([ui.gpu_card(system, profile), _guide])
    return (profile,)


@app.cell
def _(mo, nerf):
    _source = nerf.source_of("hashgrid", "HashGrid._forward_reference")
    _text = f"""
    ## 1. The key idea: a hash table of features instead of a big MLP

    Vanilla NeRF asks one 8 x 256 MLP about every sample on every ray: about a million
    multiply-adds per sample. Instant-NGP stores learnable features in a grid at 16
    resolutions (16³ to 2048³); at the fine levels the grid's corners are hashed into a table of
    2^19 entries. A point reads its 8 surrounding corners at each level, blends them
    trilinearly and hands the 32 numbers to an MLP of one 64-wide layer. Most of the model's
    capacity is in the table, which a training step only touches where the rays went, so a
    step costs a few thousand operations per sample. This is the encoding written plainly (on a
    GPU the run uses fused Triton kernels, tested to give the same values and gradients):

    ```python
    {_source}
    ```

    Two more ideas make a step cheap: an **occupancy grid** (128³ cells, re-estimated from the
    field's own density every 16 steps) skips samples in empty space, and rendering stops a ray
    once its transmittance falls below 1e-4 (**early termination**). On a GPU the whole
    training step (march, encoding, MLPs, compositing, backward, Adam) is recorded once as a
    **CUDA graph** and replayed: a step is a couple of hundred small kernels, and replaying them
    as one launch lets the GPU, not Python, set the pace. For that the step evaluates a fixed,
    calibrated number of samples (re-chosen after each occupancy update), so its shapes do not
    change from step to step.
    """
    mo.md(_text)
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## 2. How it is measured

    - **Held-out views only.** The training rays are gathered from the training views alone;
      the held-out views supply PSNR and nothing else.
    - **The curve** is PSNR on a fixed random subset of held-out pixels, measured every few
      seconds of training with the training clock paused (and the GPU synchronised) while it is
      measured. **The final figure** is the mean per-view PSNR over every held-out view.
    - **A floor to beat:** predicting the mean training colour everywhere (the dashed line).
    - **Same rays per step** for both models, the same bounding box and the same renderer.
    """)
    return


@app.cell
def _(nerf, profile):
    # The profile's settings; the controls below start from them.
    base_config = nerf.NerfConfig.for_profile(profile.name)
    return (base_config,)


@app.cell
def _(base_config, mo):
    scene_input = mo.ui.text(
        value=base_config.scene,
        label="scene: 'procedural' or a NeRF-synthetic folder (transforms_*.json + images)",
        full_width=True,
    )
    size_input = mo.ui.slider(
        16, 800, step=16, value=base_config.image_size, label="view size (px)", show_value=True
    )
    views_input = mo.ui.slider(
        0, 200, value=base_config.n_train, label="training views", show_value=True
    )
    ours_input = mo.ui.slider(
        1, 300, value=int(base_config.ours_seconds), label="ours: training s", show_value=True
    )
    vanilla_input = mo.ui.slider(
        1,
        300,
        value=int(base_config.vanilla_seconds),
        label="vanilla: training s",
        show_value=True,
    )
    batch_input = mo.ui.number(
        start=1, stop=2**24, value=base_config.batch_rays, label="rays per step"
    )
    graph_input = mo.ui.checkbox(
        value=base_config.cuda_graph,
        label="ours: replay its training step from a CUDA graph (on a GPU)",
    )
    run_button = mo.ui.run_button(label="Train both models")
    mo.vstack(
        [
            scene_input,
            mo.hstack([size_input, views_input], justify="start"),
            mo.hstack([ours_input, vanilla_input], justify="start"),
            mo.hstack([batch_input, graph_input], justify="start"),
            run_button,
        ]
    )
    return (
        batch_input,
        graph_input,
        ours_input,
        run_button,
        scene_input,
        size_input,
        vanilla_input,
        views_input,
    )


@app.cell
def _(
    base_config,
    batch_input,
    graph_input,
    mo,
    nerf,
    ours_input,
    scene_input,
    size_input,
    vanilla_input,
    views_input,
):
    # What the controls chose, checked before anything runs: a bad choice is named here.
    config, config_error = nerf.chosen_config(
        base_config,
        scene_input.value,
        size_input.value,
        views_input.value,
        ours_input.value,
        vanilla_input.value,
        batch_input.value,
        graph_input.value,
    )
    if config is None:
        _view = mo.callout(mo.md(f"**Cannot run:** {config_error}"), kind="danger")
    else:
        _view = mo.md(
            f"Runs `{config.scene}` with {config.n_train} training and {config.n_test} "
            f"held-out views, ours for {config.ours_seconds:g} s and vanilla for "
            f"{config.vanilla_seconds:g} s of training, {config.batch_rays:,} rays a step; "
            + (
                "ours' step replayed from a CUDA graph where a GPU runs it."
                if config.cuda_graph
                else "ours' step eager (no CUDA graph)."
            )
        )
    _view
    return config, config_error


@app.cell
def _(mo):
    # The last results that finished: set only by a run that succeeded.
    get_results, set_results = mo.state(None)
    return get_results, set_results


@app.cell
def _(config, config_error, mo, nerf, profile, run_button, set_results, ui):
    ui.run_gate(run_button, profile, "training both models")
    mo.stop(config is None, mo.callout(mo.md(f"**Cannot run:** {config_error}"), kind="danger"))

    def _live(curves):
        mo.output.replace_at_index(nerf.curve_chart(curves), 1)

    with (
        ui.gpu_step("training both models", results_kept=True),
        ui.work_progress("Training ours, then vanilla NeRF", nerf.planned_work(config)) as _bar,
    ):
        mo.output.append(mo.md("The live chart appears after the first held-out point."))
        _result = nerf.run_nerf(config, progress=_bar, on_point=_live)
    set_results(_result)
    mo.md(
        f"Trained both on `{_result.device}` in {_result.seconds:.1f} s (scene, training, "
        "evaluation and the orbit). The results are below."
    )
    return


@app.cell
def _(get_results, mo, nerf):
    # The last results that finished, read by every cell below.
    shown = get_results()
    if shown is None:
        _view = mo.md("## 3. Results\n\nNo results yet: press **Train both models** above.")
    else:
        _view = mo.vstack(
            [
                mo.md(
                    f"## 3. Results\n\nScene `{shown.scene}`, {shown.stats['image_size'][0]}² "
                    f"views, {shown.stats['train_views']} training and "
                    f"{shown.stats['test_views']} held-out, on `{shown.device}`."
                ),
                mo.ui.table(nerf.summary_rows(shown), selection=None),
                mo.ui.altair_chart(nerf.curve_chart(shown.curves, shown.baseline_psnr)),
            ]
        )
    _view
    return (shown,)


@app.cell
def _(mo, nerf, shown):
    mo.stop(shown is None)  # nothing to show before the first run
    mo.vstack(
        [
            mo.md(
                "### A held-out view\n\nHeld-out view 0, which no training ray came from: "
                "ground truth, both renders, their errors (x4) and ours' expected depth."
            ),
            nerf.image_row(shown.views),
            mo.md(
                f"### A novel-view orbit (ours)\n\n{len(shown.orbit)} poses on a circle at "
                "30° elevation, none of them a training pose."
            ),
            nerf.orbit_strip(shown.orbit),
        ]
    )
    return


@app.cell
def _(mo, nerf, shown):
    if shown is None:
        _text = "## 4. What it means\n\nThe figures appear here after a run."
    else:
        _text = (
            "## 4. What it means\n\n"
            + nerf.meaning_text(shown)
            + "\n\nThe hash grid moves the model's capacity from MLP weights, which every "
            "sample pays for, into a table that each sample reads in 8 x 16 places; the "
            "occupancy grid and early termination cut the samples themselves. The "
            "command-line version is `gpulab bench nerf`: vanilla for a fixed 300 s budget, "
            "ours until it reaches vanilla's best held-out PSNR."
        )
    mo.md(_text)
    return


if __name__ == "__main__":
    app.run()
