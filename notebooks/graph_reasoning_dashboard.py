# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "gpulab[graph-reasoning]",
#     "marimo>=0.25.2,<0.26",
# ]
# ///
"""Graph-reasoning training dashboard: a hierarchical R-GCN against a flat R-GCN and an MLP.

Three generated reasoning domains of labelled graphs (causal: does the treatment affect the
outcome; planning: can the robot reach the goal; knowledge graph: does a queried triple hold
under the rules), labelled by a search on each instance's structure. A hierarchical R-GCN
(basis-decomposed relational layers, SAGPooling over 2-3 levels, unpooling with a reconstruction
loss) trains against two baselines in the same run, from several seeds, with live curves, a
Stop button, verified checkpoints (atomic writes, SHA-256 manifest, resume), a collapse
detector, test and cross-domain evaluation, confusion matrices, GPU telemetry and export.

Requirements: an NVIDIA GPU for the full profile (under 1 GiB of GPU memory: the graphs have a
dozen nodes); the CPU runs every part at smoke sizes. Extras: gpulab[graph-reasoning]
(torch_geometric, vl-convert-python for PNG/SVG chart export).
Profiles: smoke trains every domain x model from one seed on 60 graphs per domain for 3
epochs on the CPU (seconds); full starts from ReasoningConfig.for_profile("full"): 1500 graphs
per domain, 3 seeds, 16 epochs, batch 256, on the GPU.
Checkpoints go to ~/.cache/gpulab/graph_reasoning (smoke: a temporary folder), never into the
repository.
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
    from gpulab.errors import UsageError
    from gpulab.workloads import graph_reasoning as gr

    return UsageError, gr, inspect, mo, probe, ui


@app.cell
def _(mo):
    mo.md(r"""
    # Graph reasoning: does a hierarchy of pooled graphs help a relational GNN?

    Three families of small labelled graphs, generated from a seed, each asking a yes/no question
    that only the graph's structure answers:

    | domain | nodes | relations | label (decided by a search on the instance) |
    | --- | --- | --- | --- |
    | **causal** | treatment, outcome, mediators, confounders, variables | causes, correlates | a directed *causes* path leads from treatment to outcome |
    | **planning** | robot, locations, key, goal, move / pick actions | connects, locked door, at, can | a planner over (location, holding the key) reaches the goal |
    | **knowledge graph** | entities, a query head and tail | r0–r5 facts, rules r6 ← r0∘r1, r7 ← r2∘r3 | the queried triple follows from the facts by a rule |

    Three models train on each from the same seeds: a **hierarchical R-GCN** (ours), a **flat
    R-GCN** with the same relational layers and no pooling, and an **MLP on the bag of
    relations** (how many edges of each relation and nodes of each type: no structure). You will
    see whether pooling earns its cost, how far structure beats counts, how to tell a model that
    learned from one that collapsed onto one class, and how checkpoints can be made safe to
    resume.
    """)
    return


@app.cell
def _(mo, probe, ui):
    profile = ui.read_profile()
    system = probe()
    _guide = ui.run_guide(
        profile,
        """
        - **Train**: generates the chosen domains, trains every model from every seed (curves live
          below, checkpoints written each epoch), tests the best-validation epoch and evaluates each
          first-seed model on every domain; a progress line shows the graph-epochs left. A failed
          run leaves the last results in place.
        - **Stop**: ends training after the current epoch; Train again resumes it.
        - **Verify and test**: loads the checkpoint selected in the browser after checking its
          SHA-256 against the manifest and tests it on its domain's test split.
        """,
    )
    mo.vstack([ui.gpu_card(system, profile), _guide])
    return profile, system


@app.cell
def _(gr, inspect, mo):
    _source = inspect.getsource(gr.train_epoch)
    _text = f"""
    ## 1. The key idea: one loss for the answer, one for the round trip

    The hierarchical model convolves the graph with relational layers (each relation's weight a
    mix of a few shared basis matrices), pools it with SAGPooling to a coarser graph, convolves
    again, and repeats for 2–3 levels; the classifier reads every level. Then it goes back up:
    each pooled level is scattered to the nodes it kept and convolved over the finer graph, where
    a decoder must name every input node's type. That reconstruction loss, weighted against the
    cross-entropy, makes pooling keep what the graph said. One epoch, as it runs:

    ```python
    {_source}
    ```

    Every epoch seeds its batch order and torch from (seed, epoch), so a run resumed from a
    checkpoint takes exactly the steps an uninterrupted run takes (a test proves the curves
    equal).
    """
    mo.md(_text)
    return


@app.cell
def _(gr, mo):
    _charts = [
        gr.charts.example_chart(
            gr.generate(_domain, 2, seed=0)[0], f"{gr.DOMAIN_LABELS[_domain]} (one example)"
        )
        for _domain in gr.DOMAINS
    ]
    mo.vstack(
        [
            mo.md(
                "### One generated graph per domain\n\nNodes on a circle, coloured by type; hover "
                "an edge for its relation. The class balance of each split is shown after a run."
            ),
            mo.hstack([mo.ui.altair_chart(_c) for _c in _charts], wrap=True, justify="start"),
        ]
    )
    return


@app.cell
def _(gr, profile):
    base_config = gr.ReasoningConfig.for_profile(profile.name)
    return (base_config,)


@app.cell
def _(base_config, gr, mo):
    domains_input = mo.ui.multiselect(
        options={gr.DOMAIN_LABELS[d]: d for d in gr.DOMAINS},
        value=[gr.DOMAIN_LABELS[d] for d in base_config.domains],
        label="domains",
    )
    models_input = mo.ui.multiselect(
        options={gr.MODEL_LABELS[m]: m for m in gr.MODELS},
        value=[gr.MODEL_LABELS[m] for m in base_config.models],
        label="models",
        full_width=True,
    )
    seeds_input = mo.ui.slider(1, 5, value=len(base_config.seeds), label="seeds", show_value=True)
    epochs_input = mo.ui.slider(1, 60, value=base_config.epochs, label="epochs", show_value=True)
    graphs_input = mo.ui.slider(
        20,
        4000,
        step=20,
        value=base_config.graphs_per_domain,
        label="graphs per domain",
        show_value=True,
    )
    levels_input = mo.ui.slider(
        1, 3, value=base_config.levels, label="pooling levels", show_value=True
    )
    recon_input = mo.ui.slider(
        0.0,
        1.0,
        step=0.05,
        value=base_config.recon_weight,
        label="reconstruction weight",
        show_value=True,
    )
    device_input = mo.ui.dropdown(options=["auto", "cpu", "cuda"], value="auto", label="device")
    folder_input = mo.ui.text(
        value=base_config.checkpoint_dir, label="checkpoint folder", full_width=True
    )
    resume_input = mo.ui.checkbox(value=True, label="resume from good checkpoints")
    train_button = mo.ui.run_button(label="Train")
    stop_button = mo.ui.run_button(label="Stop", kind="danger")
    mo.vstack(
        [
            mo.hstack([domains_input, device_input], justify="start"),
            models_input,
            mo.hstack([seeds_input, epochs_input], justify="start", wrap=True),
            mo.hstack([graphs_input, levels_input], justify="start", wrap=True),
            recon_input,
            folder_input,
            resume_input,
            mo.hstack([train_button, stop_button], justify="start"),
        ]
    )
    return (
        device_input,
        domains_input,
        epochs_input,
        folder_input,
        graphs_input,
        levels_input,
        models_input,
        recon_input,
        resume_input,
        seeds_input,
        stop_button,
        train_button,
    )


@app.cell
def _(
    UsageError,
    base_config,
    device_input,
    domains_input,
    epochs_input,
    folder_input,
    gr,
    graphs_input,
    levels_input,
    mo,
    models_input,
    recon_input,
    seeds_input,
    system,
):
    # What the controls chose, checked before anything runs: a bad choice is named here.
    config = base_config.with_changes(
        domains=tuple(domains_input.value),
        models=tuple(models_input.value),
        seeds=tuple(range(seeds_input.value)),
        epochs=epochs_input.value,
        graphs_per_domain=graphs_input.value,
        levels=levels_input.value,
        recon_weight=recon_input.value,
        device=device_input.value,
        checkpoint_dir=folder_input.value.strip(),
    )
    _slow = ""
    _on_cpu = config.device == "cpu" or (config.device == "auto" and not system.cuda_available)
    if _on_cpu and gr.planned_work(config) > 20_000:  # graph-epochs: smoke trains ~1,100
        _slow = (
            " These are GPU sizes: on the CPU, training takes many minutes; lower graphs, "
            "epochs or seeds for a quick look."
        )
    try:
        config.validate()
        _note = mo.md(
            f"{config.total_runs} runs ({len(config.domains)} domains x {len(config.models)} "
            f"models x {len(config.seeds)} seeds), {config.epochs} epochs each; checkpoints in "
            f"`{config.checkpoint_dir}`.{_slow}"
        )
    except UsageError as _err:
        _note = mo.callout(mo.md(f"**Cannot train with these settings:** {_err}"), kind="warn")
    _note
    return (config,)


@app.cell
def _(mo):
    # The running job and the last results that finished (set only after a run succeeded).
    get_job, set_job = mo.state(None)
    get_results, set_results = mo.state(None)
    return get_job, get_results, set_job, set_results


@app.cell
def _(
    config,
    gr,
    mo,
    profile,
    resume_input,
    set_job,
    set_results,
    train_button,
    ui,
):
    ui.run_gate(train_button, profile, "training")
    with ui.gpu_step("training", results_kept=True):
        gr.require_pyg()
        _job = gr.TrainingJob(config, resume=resume_input.value)
        if profile.background:  # a browser: train in the background, Stop stays live
            set_job(_job.start())
            _view = mo.md("Training started: the curves below update every second.")
        else:
            with ui.work_progress("Training", gr.planned_work(config)) as _bar:
                _result = _job.run_here(_bar)
            set_job(_job)
            set_results(_result)
            _view = mo.md(f"Trained {len(_result.runs)} runs in {_result.seconds:.1f} s.")
    _view
    return


@app.cell
def _(gr, mo, stop_button):
    _job = gr.active_job() if stop_button.value else None
    if _job is not None:
        _job.stop()
    _text = "Stopping after the current epoch." if _job else "No training is running."
    mo.md(_text if stop_button.value else "")
    return


@app.cell
def _(mo):
    refresh = mo.ui.refresh(options=["1s", "2s", "5s"], default_interval="1s", label="refresh")
    return (refresh,)


@app.cell
def _(get_job, gr, mo, refresh, set_results, ui):
    refresh.value
    _job = get_job()
    if _job is None:
        _view = mo.md("_No training yet: press **Train** above._")
    else:
        _rows = _job.live_rows
        _state = "stopping" if _job.stopping else "finished" if _job.finished else "training"
        _parts = [mo.md(f"**{_state}** · {_job.estimator.describe()} · {_job.note}")]
        if _job.error is not None:
            _parts.insert(0, ui.failure_callout("training", _job.error))
        elif _job.finished and _job.result is not None and not _job.published:
            _job.published = True
            set_results(_job.result)
        if _rows:
            _parts.append(mo.ui.altair_chart(gr.charts.curves_chart(_rows, "Live curves")))
        _view = mo.vstack(_parts)
    mo.vstack([refresh, _view])
    return


@app.cell
def _():
    from gpulab.telemetry import TelemetrySampler

    sampler = TelemetrySampler(interval_s=1.0, history=600).start()
    return (sampler,)


@app.cell
def _(mo, refresh, sampler, ui):
    refresh.value
    mo.vstack([mo.md("### GPU telemetry"), ui.telemetry_panel(sampler, window_s=300)])
    return


@app.cell
def _(get_results, gr, mo):
    # The last results that finished, read by every cell below.
    shown = get_results()
    if shown is None:
        _view = mo.md("## 2. Results\n\nNo results yet: press **Train** above.")
    else:
        _parts = [mo.md("## 2. Results")]
        if shown.device == "cpu":
            _parts.append(
                mo.callout(
                    mo.md(
                        "Trained on the **CPU**: accuracies are what they are on any device; the "
                        "graphs/s compare this CPU with itself."
                    ),
                    kind="info",
                )
            )
        if shown.stopped:
            _parts.append(
                mo.callout(
                    mo.md(
                        "Training was **stopped**: the runs below are those that finished; Train again "
                        "resumes the stopped one from its checkpoint."
                    ),
                    kind="warn",
                )
            )
        for _line in gr.collapses(shown):
            _parts.append(
                mo.callout(
                    mo.md(
                        f"**Collapse:** {_line}. The model answers one class whatever the graph: its "
                        "accuracy on balanced data is chance, not learning."
                    ),
                    kind="warn",  # a finding about the model, not a failure of the run
                )
            )
        _parts += [
            mo.ui.altair_chart(gr.charts.interval_chart(shown.summary())),
            mo.ui.table(gr.summary_rows(shown), selection=None, page_size=9),
            mo.md("\n".join(gr.verdict_lines(shown)) or "_No comparison yet._"),
        ]
        _view = mo.vstack(_parts)
    _view
    return (shown,)


@app.cell
def _(gr, mo, shown):
    if shown is None:
        _view = mo.md("")
    else:
        _view = mo.vstack(
            [
                mo.md(
                    "### Every run: per-class accuracy and the prediction histogram (test split)"
                ),
                mo.ui.table(
                    gr.run_rows(shown), selection=None, page_size=9, wrapped_columns=["run"]
                ),
                mo.ui.altair_chart(gr.charts.curves_chart(gr.history_rows(shown), "Final curves")),
                mo.ui.altair_chart(gr.charts.confusion_chart(gr.confusion_rows(shown))),
                mo.md("### Class balance of each split"),
                mo.ui.table(gr.balance_rows(shown), selection=None, page_size=9),
            ]
        )
    _view
    return


@app.cell
def _(gr, mo, shown):
    if shown is None or not shown.cross_domain:
        _view = mo.md("")
    else:
        _view = mo.vstack(
            [
                mo.md("### Cross-domain: trained on one domain (first seed), tested on each"),
                mo.ui.table(gr.cross_domain_rows(shown), selection=None),
            ]
        )
    _view
    return


@app.cell
def _(UsageError, config, get_results, gr, mo):
    get_results()  # re-read the folder after every run
    _warn = []
    try:
        _entries = gr.CheckpointStore(config.checkpoint_dir).entries()
    except UsageError as _err:
        _entries = []
        _warn = [mo.callout(mo.md(f"Checkpoint folder: {_err}"), kind="warn")]
    checkpoint_table = mo.ui.table(
        gr.checkpoint_rows(_entries),
        selection="single",
        page_size=8,
        label="Checkpoints in the folder (select one to verify and test)",
    )
    verify_button = mo.ui.run_button(label="Verify and test")
    mo.vstack([mo.md("## 3. Checkpoint browser"), *_warn, checkpoint_table, verify_button])
    return checkpoint_table, verify_button


@app.cell
def _(checkpoint_table, config, gr, mo, profile, ui, verify_button):
    ui.run_gate(verify_button, profile, "the checkpoint check")
    _picked = checkpoint_table.value
    mo.stop(not _picked, mo.callout(mo.md("Select a checkpoint in the table first."), kind="info"))
    with ui.gpu_step("the checkpoint check", results_kept=True):
        _row = _picked[0]  # run and epoch name the file
        _file = f"{_row['run']}-e{int(_row['epoch']):04d}.pt"
        _check = gr.checkpoint_test(config, _file)
    mo.callout(mo.md(_check), kind="success")
    return


@app.cell
def _(gr, mo, shown):
    if shown is None:
        _view = mo.md("")
    else:
        _chart = gr.charts.interval_chart(shown.summary())
        _view = mo.vstack(
            [
                mo.md("## 4. Export"),
                mo.hstack(
                    [
                        mo.download(
                            lambda: gr.results_json(shown).encode(),
                            "graph_reasoning.json",
                            label="results (JSON)",
                        ),
                        mo.download(
                            lambda: gr.history_csv(shown).encode(),
                            "graph_reasoning.csv",
                            label="curves (CSV)",
                        ),
                        mo.download(
                            lambda: gr.chart_bytes(_chart, "png"),
                            "accuracy.png",
                            label="chart (PNG)",
                        ),
                        mo.download(
                            lambda: gr.chart_bytes(_chart, "svg"),
                            "accuracy.svg",
                            label="chart (SVG)",
                        ),
                    ],
                    justify="start",
                    wrap=True,
                ),
            ]
        )
    _view
    return


@app.cell
def _(gr, mo, shown):
    if shown is None:
        _text = "## 5. What it means\n\nThe figures appear here after a run."
    else:
        _text = "## 5. What it means\n\n" + gr.meaning_text(shown)
    mo.md(_text)
    return


if __name__ == "__main__":
    app.run()
