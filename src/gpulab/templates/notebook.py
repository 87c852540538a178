# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "gpulab",
#     "marimo>=0.25.2,<0.26",
# ]
# ///
"""__NOTEBOOK_TITLE__: one sentence on what this notebook teaches.

Replace the example workload (matmul throughput at a few sizes) with yours: put its maths in
`src/gpulab/workloads/__NOTEBOOK_NAME__.py` (a config dataclass whose `for_profile(name)` gives the
smoke and full sizes, and a few pure functions, tested on the CPU) and keep this file to
explanation, settings, the gated run and the results.

Requirements: NVIDIA GPU with >= 3 GiB free (full profile); CPU runs the smoke profile.
Dependencies: gpulab core (marimo, torch, nvidia-ml-py, altair). List any extra here, e.g.
gpulab[llm] (transformers, peft).
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    from gpulab.device import probe, torch_device
    from gpulab.memory import release_memory
    from gpulab.repro import seed_everything
    from gpulab.ui import gpu_card, gpu_step, read_profile, run_gate
    from gpulab.workloads.gpu_validation import ValidationConfig, matmul_tflops

    return (
        ValidationConfig,
        gpu_card,
        gpu_step,
        matmul_tflops,
        mo,
        probe,
        read_profile,
        release_memory,
        run_gate,
        seed_everything,
        torch_device,
    )


@app.cell
def _(mo):
    mo.md(r"""
    # __NOTEBOOK_TITLE__

    **What you will learn:** say it here in two or three sentences, and why it matters on a GPU.

    The example below measures matrix-multiply throughput at a few sizes: small products leave
    most of the GPU idle, large ones keep every SM busy. Replace it with your own workload.
    """)
    return


@app.cell
def _(gpu_card, probe, read_profile):
    profile = read_profile()
    system = probe()
    gpu_card(system)
    return (profile,)


@app.cell
def _(ValidationConfig, mo, profile):
    config = ValidationConfig.for_profile(profile.name)  # the workload's sizes for this profile
    sizes = mo.ui.multiselect(
        options=[str(n) for n in config.sizes],
        value=[str(n) for n in config.sizes],
        label="Matrix sizes n",
    )
    run_button = mo.ui.run_button(label="Run", kind="success")
    mo.hstack([sizes, run_button], justify="start")
    return config, run_button, sizes


@app.cell
def _(
    config,
    gpu_step,
    matmul_tflops,
    mo,
    profile,
    run_button,
    run_gate,
    seed_everything,
    sizes,
    torch_device,
):
    run_gate(run_button, profile, "the measurement")  # headless smoke runs pass straight through
    seed_everything(0)
    _device = torch_device()
    results = []
    # An out-of-memory error becomes a callout with the memory released, bad settings an error
    # callout; either way the cell stops there instead of showing a traceback.
    with gpu_step("the measurement"):
        for _n in mo.status.progress_bar(sorted(int(n) for n in sizes.value), title="Measuring"):
            results.append(matmul_tflops("fp32", _n, _device, config))
    mo.md(f"Measured {len(results)} sizes on `{_device}`.")
    return (results,)


@app.cell
def _(mo, results):
    results_table = mo.ui.table([r.row() for r in results], selection=None)
    mo.vstack([mo.md("## Results"), results_table])
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## What it means

    Explain the result here: what the numbers show, what would make them better or worse, and
    where to go next. Every figure you quote must come from this run (use an f-string).
    """)
    return


@app.cell
def _(mo, release_memory, results):
    _measured = len(results)  # runs after the measurement
    release_memory()  # hand the CUDA cache back so other programs can use the memory
    mo.md(f"Cleanup: GPU cache released after {_measured} measurements.")
    return


if __name__ == "__main__":
    app.run()
