# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "gpulab",
#     "marimo>=0.25.2,<0.26",
# ]
# ///
"""Multi-GPU training with DDP and FSDP2, launched by torchrun from the notebook.

One GPT-style byte-level language model (trained on the Python standard library's own source
text: nothing to download) is trained on a single device, with DistributedDataParallel and with
FSDP2 (`fully_shard` per block), from the same seed on the same global batch, so their loss
curves must agree; the notebook shows that they do, within a stated tolerance. Each world size
is one `torchrun --standalone --nproc-per-node=N` launch that the notebook owns (its own
process group, logs streamed, stopped on re-run and at exit); rank 0 writes one JSON line per
step, charted live. Measured: samples/s per strategy and world size with spread, scaling
efficiency throughput(N) / (N x throughput(1)), peak memory per GPU, and the all-reduce bus
bandwidth for the gradient's size (skipped at world size 1, with why).

Requirements: NVIDIA GPUs for the full profile (world sizes up to the GPU count; about 4 GiB
per GPU for the default model, micro-batches sized from free memory so a 22 GiB budget runs the
same global batch with accumulation); a CPU runs the same script on gloo. Extras: none beyond
gpulab (torch, altair).
Profiles: smoke trains a 2-layer, 64-wide model for 8 steps at world sizes 1 and 2 on CPU
processes (gloo; tens of seconds). full starts from TrainConfig.for_profile("full"): a
12-layer, 768-wide GPT (about 86 M parameters), 1024 tokens, global batch 32, bf16, 30 steps,
single device, DDP and FSDP2 at world size 1 (choose larger world sizes on a multi-GPU host).
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
    from gpulab.profiles import default_for_this_machine
    from gpulab.workloads import distributed

    return default_for_this_machine, distributed, inspect, mo, probe, ui


@app.cell
def _(mo):
    mo.md(r"""
    # Multi-GPU training: DDP and FSDP2, launched by torchrun

    A model too slow to train on one GPU is trained on N: each GPU (a **rank**) takes 1/N of
    every global batch, and the ranks agree on one set of weights by communicating gradients.
    This notebook launches real distributed training with `torchrun`, as a process group it
    owns, and compares three strategies on the same model, seed and global batch:

    | strategy | what each rank holds | communication per step |
    | --- | --- | --- |
    | **single device** | everything | none |
    | **DDP** | a full replica | gradients all-reduced in buckets, overlapped with backward |
    | **FSDP2** | 1/N of every parameter, gradient and optimiser state | all-gather per block (forward and backward), reduce-scatter of gradients |

    Because every rank's loss is the mean over its slice and both wrappers average gradients
    over ranks, the step is the same as one device's step on the whole batch: the loss curves
    must coincide, and the table below checks that they do. You will also see what
    throughput N ranks buy (**scaling efficiency** = throughput(N) / (N x throughput(1))),
    what each rank's memory is, and how fast the all-reduce moves a gradient-sized buffer.
    """)
    return


@app.cell
def _(default_for_this_machine, mo, probe, ui):
    profile = ui.read_profile(default_for_this_machine())
    system = probe()
    _guide = ui.run_guide(
        profile,
        """
        - **Train every strategy**: launches torchrun once per chosen world size; each launch trains
          the chosen strategies one after the other (single device only at world size 1) and then
          times an all-reduce of the gradient's size. The loss chart fills in live from rank 0's
          step log and a progress bar counts the optimiser steps. Results replace the last run's
          only when every launch finishes; a failed rank is shown with its rank and error, and the
          other ranks are stopped.
        """,
    )
    mo.vstack([ui.gpu_card(system, profile), _guide])
    return profile, system


@app.cell
def _(distributed, inspect, mo):
    mo.vstack(
        [
            mo.md(r"""
    ## 1. The key idea: wrapping and one step

    `wrap` is all that differs between the strategies; `train_step` is the same loop for all
    three. With gradient accumulation, DDP's `no_sync()` (and FSDP2's
    `set_requires_gradient_sync(False)`) skip the communication on all but the last
    micro-batch.
    """),
            mo.ui.code_editor(
                inspect.getsource(distributed.wrap)
                + "\n\n"
                + inspect.getsource(distributed.train_step),
                language="python",
                disabled=True,
            ),
        ]
    )
    return


@app.cell
def _(distributed, mo, profile, system):
    defaults = distributed.TrainConfig.for_profile(profile.name)
    gpu_count = len(system.gpus) if system.cuda_available else 0
    _worlds = [str(n) for n in range(1, 9)]
    strategies = mo.ui.multiselect(
        options={distributed.LABELS[s]: s for s in distributed.STRATEGIES},
        value=[distributed.LABELS[s] for s in defaults.strategies],
        label="strategies",
    )
    world_sizes = mo.ui.multiselect(
        options=_worlds, value=[str(n) for n in defaults.world_sizes], label="world sizes (ranks)"
    )
    global_batch = mo.ui.number(1, 4096, value=defaults.global_batch, label="global batch")
    accumulation = mo.ui.number(1, 64, value=defaults.accumulation, label="micro-batches per step")
    steps = mo.ui.number(2, 1000, value=defaults.steps, label="steps")
    layers = mo.ui.number(1, 48, value=defaults.n_layers, label="layers")
    width = mo.ui.number(16, 4096, step=16, value=defaults.d_model, label="width (d_model)")
    heads = mo.ui.number(1, 64, value=defaults.n_heads, label="heads")
    seq_len = mo.ui.number(8, 8192, value=defaults.seq_len, label="tokens per sequence")
    precision = mo.ui.dropdown(
        list(distributed.PRECISIONS), value=defaults.precision, label="precision"
    )
    bucket_mb = mo.ui.number(1, 1024, value=defaults.bucket_mb, label="DDP bucket (MB)")
    bucket_view = mo.ui.checkbox(
        value=defaults.gradient_as_bucket_view, label="gradient_as_bucket_view"
    )
    compile_box = mo.ui.checkbox(value=defaults.compile, label="torch.compile")
    crash_rank = mo.ui.number(-1, 7, value=-1, label="make this rank fail at step 2 (-1: none)")
    return (
        accumulation,
        bucket_mb,
        bucket_view,
        compile_box,
        crash_rank,
        defaults,
        global_batch,
        gpu_count,
        heads,
        layers,
        precision,
        seq_len,
        steps,
        strategies,
        width,
        world_sizes,
    )


@app.cell
def _(
    accumulation,
    bucket_mb,
    bucket_view,
    compile_box,
    crash_rank,
    defaults,
    distributed,
    global_batch,
    gpu_count,
    heads,
    layers,
    mo,
    precision,
    seq_len,
    steps,
    strategies,
    width,
    world_sizes,
):
    from dataclasses import replace as _replace

    from gpulab.errors import UsageError as _UsageError

    config = _replace(
        defaults,
        strategies=tuple(strategies.value),
        world_sizes=tuple(sorted(int(n) for n in world_sizes.value)),
        global_batch=int(global_batch.value),
        accumulation=int(accumulation.value),
        steps=int(steps.value),
        warmup_steps=min(defaults.warmup_steps, int(steps.value) - 1),
        n_layers=int(layers.value),
        d_model=int(width.value),
        n_heads=int(heads.value),
        seq_len=int(seq_len.value),
        precision=precision.value,
        bucket_mb=float(bucket_mb.value),
        gradient_as_bucket_view=bucket_view.value,
        compile=compile_box.value,
        crash_rank=int(crash_rank.value),
    )
    problems = []
    if not config.strategies:
        problems.append("Choose at least one strategy.")
    if not config.world_sizes:
        problems.append("Choose at least one world size.")
    try:
        if not problems:
            config.validate()
            for _world in config.world_sizes:
                distributed.check_world(config, _world)
    except _UsageError as _err:
        problems.append(str(_err))
    _where = f"{gpu_count} CUDA GPU(s), nccl" if gpu_count else "no CUDA GPU: CPU processes on gloo"
    _splits = [
        distributed.plan_batch(config.global_batch, _w, config.accumulation)
        for _w in config.world_sizes
    ]
    _rows = [
        {
            "world": p.world,
            "per rank": p.per_rank,
            "micro-batch": p.micro_batch,
            "global": p.global_batch,
        }
        for p in _splits
    ]
    _notes = [p.note for p in _splits if p.note]
    mo.vstack(
        [
            mo.md(f"## 2. What runs\n\nThis machine: **{_where}**."),
            mo.hstack([strategies, world_sizes], justify="start"),
            mo.hstack([global_batch, accumulation, steps, precision], justify="start", wrap=True),
            mo.hstack([layers, width, heads, seq_len], justify="start", wrap=True),
            mo.hstack(
                [bucket_mb, bucket_view, compile_box, crash_rank], justify="start", wrap=True
            ),
            *[mo.callout(mo.md(p), kind="warn") for p in problems],
            *[
                mo.callout(mo.md(n + " (every world size then uses one common batch)"), kind="info")
                for n in _notes
            ],
            mo.ui.table(_rows, selection=None, label="the global batch, split per rank"),
        ]
    )
    return config, problems


@app.cell
def _(mo):
    train_button = mo.ui.run_button(label="Train every strategy", kind="success")
    train_button
    return (train_button,)


@app.cell
def _(mo):
    get_run, set_run = mo.state(None)
    return get_run, set_run


@app.cell
def _(
    config,
    distributed,
    mo,
    problems,
    profile,
    set_run,
    system,
    train_button,
    ui,
):
    ui.run_gate(train_button, profile, "distributed training")
    mo.stop(
        not profile.smoke and not system.cuda_available,
        ui.no_gpu_callout("The full profile (an 86 M-parameter GPT per rank)"),
    )
    mo.stop(bool(problems), mo.callout(mo.md("Fix the settings above first."), kind="warn"))
    _steps: list[dict] = []
    _log: list[str] = []

    def _live() -> object:
        _tail = (
            "\n".join(_l[:100] for _l in _log[-6:]) or "(starting torchrun: the ranks import torch)"
        )
        _chart = distributed.loss_chart(_steps, "live: rank 0's loss per step")
        return mo.vstack([_chart, mo.md("torchrun's log (last lines):"), mo.plain_text(_tail)])

    def _on_step(line: dict) -> None:
        _steps.append(line)
        mo.output.replace_at_index(_live(), 1)

    with (
        ui.gpu_step("distributed training", results_kept=True),
        ui.work_progress(
            "Training: optimiser steps over all launches", total=distributed.planned_steps(config)
        ) as _bar,
    ):
        mo.output.append(_live())
        _result = distributed.run_suite(
            config, progress=_bar, on_step=_on_step, on_line=_log.append
        )
    set_run(_result.to_dict())
    mo.md(
        f"Training finished: {len(_result.runs)} run(s) over world sizes {list(config.world_sizes)}."
    )
    return


@app.cell
def _(distributed, get_run, mo):
    run = get_run()  # the last run that finished: a failed one keeps it on screen
    mo.stop(run is None, mo.md("_No run has finished yet: press **Train every strategy** above._"))
    _steps = [
        {"strategy": r["strategy"], "world": r["world"], "step": i, "loss": loss}
        for r in run["runs"]
        for i, loss in enumerate(r["losses"])
    ]
    _notes = [mo.callout(mo.md(n), kind="info") for n in run["notes"]]
    mo.vstack(
        [
            mo.md("## 3. Results\n\n### Do the strategies train the same model?"),
            *_notes,
            distributed.loss_chart(_steps),
            mo.ui.table(distributed.agreement_table(run["agreement"]), selection=None),
            mo.md("### Throughput, scaling efficiency and memory per rank"),
            mo.ui.table(distributed.scaling_table(run["scaling"]), selection=None),
            mo.ui.table(distributed.timing_table(run["runs"]), selection=None),
            distributed.throughput_chart(run["scaling"]),
            mo.md(
                "### All-reduce of the gradient's size (bus bandwidth = 2 (N-1)/N x bytes / time)"
            ),
            mo.ui.table(distributed.probe_table(run["probes"]), selection=None),
        ]
    )
    return (run,)


@app.cell
def _(distributed, mo, run):
    _lines = "\n".join(f"- {line}" for line in distributed.meaning_lines(run))
    mo.md(f"""
    ## 4. What this run means

    {_lines}

    Where efficiency falls below 100 %, the cause is communication that backward did not hide,
    or per-rank work too small to keep a device busy: a larger model or per-rank batch raises
    it. FSDP2 trades extra all-gathers for memory: each rank holds 1/N of the weights, gradients
    and optimiser state, where DDP holds them all (compare the peak memory column).
    """)
    return


if __name__ == "__main__":
    app.run()
