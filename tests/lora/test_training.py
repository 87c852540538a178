"""The loop, LoRA wiring, adapters and merging, run for real on a tiny model on the CPU.

The tiny random Llama goes through exactly the code path of the pretrained model (tokenizer ->
blocks -> PEFT -> loop -> evaluation); only its size and tokenizer differ.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from gpulab.workloads import lora


def _blocks(bundle, split, config):
    pad = bundle.tokenizer.pad_token_id
    train = lora.tokenize_examples(split.train, bundle.tokenizer, config.seq_len)
    val = lora.tokenize_examples(split.val, bundle.tokenizer, config.seq_len)
    return (
        # Across documents: every packed position but a row's first is a target.
        lora.make_blocks(train, config.seq_len, pad, packing=True, documents_apart=False),
        lora.make_blocks(val, config.seq_len, pad, packing=False),
    )


def test_finetune_lowers_validation_loss(tiny_bundle, tiny_config, pydoc_split) -> None:
    """The smoke run's claim: held-out documents get a lower loss after a few steps."""
    train_blocks, val_blocks = _blocks(tiny_bundle, pydoc_split, tiny_config)
    model = lora.apply_lora(tiny_bundle.model, tiny_config)
    before = lora.evaluate(model, val_blocks)
    logged = []
    result = lora.train(model, train_blocks, tiny_config, on_log=logged.append)
    after = lora.evaluate(model, val_blocks)
    assert after.loss < before.loss - 0.5, (before, after)
    assert after.perplexity < before.perplexity
    # The callback came every log_every steps, with every step's loss and a throughput.
    assert [p.step for p in logged] == [10, 20, 30]
    assert [s for s, _ in result.losses] == list(range(1, 31))
    assert all(p.tokens_per_s > 0 for p in logged)
    assert result.trained_tokens == 30 * 8 * 63  # packed rows: no padding, 63 targets per row


def test_only_adapter_weights_change(tiny_bundle, tiny_config, pydoc_split) -> None:
    train_blocks, _ = _blocks(tiny_bundle, pydoc_split, tiny_config)
    model = lora.apply_lora(tiny_bundle.model, replace(tiny_config, steps=3))
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    trainable, total = lora.count_parameters(model)
    assert 0 < trainable < total
    lora.train(model, train_blocks, replace(tiny_config, steps=3, warmup_steps=1))
    assert all(torch.equal(p, frozen[n]) for n, p in model.named_parameters() if n in frozen)
    assert all("lora_" in n for n, p in model.named_parameters() if p.requires_grad)


def test_gradient_accumulation_weights_tokens_like_one_big_batch(tiny_config) -> None:
    """2 micro-batches of 2 must give the update of one batch of 4 (token-weighted loss)."""
    torch.manual_seed(0)
    ids = torch.randint(3, 259, (4, 32))
    labels = ids.clone()
    labels[1, 10:] = lora.IGNORE_INDEX  # uneven token counts make batch-averaging visible
    blocks = lora.Blocks(ids, labels, packed=True)
    weights = []
    for batch, accum in ((4, 1), (2, 2)):
        config = replace(tiny_config, batch_size=batch, grad_accum=accum, steps=1, warmup_steps=0)
        model = lora.apply_lora(lora.load_model(config.model, device="cpu").model, config)
        with torch.no_grad():  # B starts at zero; make A's gradient non-trivial too
            for name, p in model.named_parameters():
                if "lora_B" in name:
                    p.normal_(0, 0.1, generator=torch.Generator().manual_seed(1))
        lora.train(model, blocks, config)
        weights.append({n: p.detach() for n, p in model.named_parameters() if p.requires_grad})
    for name, value in weights[0].items():
        torch.testing.assert_close(weights[1][name], value, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize(
    ("spec", "kind", "names"),
    [
        ("random:tiny-llama", "Linear", {"q_proj", "k_proj", "v_proj", "o_proj", "down_proj"}),
        ("random:tiny-gpt2", "Conv1D", {"c_attn", "c_proj", "c_fc"}),
    ],
)
def test_target_modules_are_detected_per_architecture(spec, kind, names) -> None:
    model = lora.load_model(spec, device="cpu").model
    found = lora.find_target_modules(model)
    assert names <= set(found) and set(found.values()) == {kind}
    assert "lm_head" not in found
    config = lora.FinetuneConfig(model=spec, rank=4)
    predicted = lora.lora_parameter_count(model, config)
    peft_model = lora.apply_lora(model, config)
    assert lora.count_parameters(peft_model)[0] == predicted > 0
    assert peft_model.peft_config["default"].fan_in_fan_out is (kind == "Conv1D")
    ids = torch.randint(3, 259, (1, 12))
    assert peft_model(input_ids=ids).logits.shape == (1, 12, 259)


def _trained(config, split, steps=4):
    bundle = lora.load_model(config.model, device="cpu", seed=config.seed)
    train_blocks, _ = _blocks(bundle, split, config)
    model = lora.apply_lora(bundle.model, config)
    lora.train(model, train_blocks, replace(config, steps=steps, warmup_steps=1))
    return bundle, model


def test_adapter_save_load_reproduces_outputs(tiny_config, pydoc_split, tmp_path) -> None:
    bundle, model = _trained(tiny_config, pydoc_split)
    path = lora.save_adapter(model, tmp_path / "adapter")
    assert (path / "adapter_config.json").is_file()
    assert sum(f.stat().st_size for f in path.iterdir()) < 1_000_000  # adapter only, not the base

    fresh_base = lora.load_model(tiny_config.model, device="cpu", seed=tiny_config.seed).model
    reloaded = lora.load_adapter(fresh_base, path)
    ids = torch.randint(3, 259, (2, 24), generator=torch.Generator().manual_seed(5))
    model.eval()
    reloaded.eval()
    assert lora.max_logit_difference(model, reloaded, ids) == 0.0
    # ... and the adapter matters: the base alone gives different outputs.
    with reloaded.disable_adapter():
        assert lora.max_logit_difference(model, reloaded, ids) > 1e-3


def test_load_adapter_from_a_folder_without_one_is_a_clear_error(tiny_bundle, tmp_path) -> None:
    from gpulab.errors import UsageError

    with pytest.raises(UsageError, match="holds no adapter"):
        lora.load_adapter(tiny_bundle.model, tmp_path)


@pytest.mark.parametrize("spec", ["random:tiny-llama", "random:tiny-gpt2"])
def test_merged_model_matches_adapter_outputs(spec, tiny_config, pydoc_split, tmp_path) -> None:
    bundle, model = _trained(replace(tiny_config, model=spec), pydoc_split)
    model.eval()
    with model.disable_adapter():  # the trained adapter changes the outputs...
        base_logits = model(input_ids=torch.tensor([[5, 6, 7, 8]])).logits
    assert (model(input_ids=torch.tensor([[5, 6, 7, 8]])).logits - base_logits).abs().max() > 1e-3
    merged, path = lora.merge_and_export(model, bundle.tokenizer, tmp_path / "merged")
    ids = torch.randint(3, 259, (2, 24), generator=torch.Generator().manual_seed(6))
    assert lora.max_logit_difference(model, merged, ids) < 1e-4
    assert not any("lora_" in n for n, _ in merged.named_parameters())

    import transformers

    exported = transformers.AutoModelForCausalLM.from_pretrained(path)
    assert lora.max_logit_difference(model, exported, ids) < 1e-4
    text = "with open(path) as f:"
    reloaded_tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    assert reloaded_tokenizer(text)["input_ids"] == bundle.tokenizer(text)["input_ids"]


def test_generation_is_reproducible_for_a_seed(tiny_bundle) -> None:
    prompts = ["The with statement", "A list"]
    first = lora.generate_text(tiny_bundle.model, tiny_bundle.tokenizer, prompts, 12, seed=7)
    again = lora.generate_text(tiny_bundle.model, tiny_bundle.tokenizer, prompts, 12, seed=7)
    other = lora.generate_text(tiny_bundle.model, tiny_bundle.tokenizer, prompts, 12, seed=8)
    assert first == again and first != other
    assert all(isinstance(text, str) and text for text in first)


def test_bf16_autocast_path_trains_on_cpu(tiny_bundle, tiny_config, pydoc_split) -> None:
    """The GPU's precision path (autocast + fp32 loss) runs and learns; CPU supports bf16 too."""
    train_blocks, val_blocks = _blocks(tiny_bundle, pydoc_split, tiny_config)
    config = replace(tiny_config, precision="bf16", steps=10)
    model = lora.apply_lora(tiny_bundle.model, config)
    before = lora.evaluate(model, val_blocks, precision="bf16")
    result = lora.train(model, train_blocks, config)
    assert result.precision == "bf16"
    assert lora.evaluate(model, val_blocks, precision="bf16").loss < before.loss


def _train_fresh(config, split, steps):
    bundle = lora.load_model(config.model, device="cpu", seed=config.seed)
    train_blocks, _ = _blocks(bundle, split, config)
    model = lora.apply_lora(bundle.model, config)
    result = lora.train(model, train_blocks, replace(config, steps=steps, warmup_steps=1))
    return model, result


def test_chunked_loss_training_curve_matches_the_full_logits_curve(tiny_config, pydoc_split):
    """Same seed, same dropout masks: the chunked head + loss is the same objective."""
    config = replace(tiny_config, dropout=0.05)
    full_model, full = _train_fresh(replace(config, loss_chunk_tokens=0), pydoc_split, 12)
    model, chunked = _train_fresh(replace(config, loss_chunk_tokens=100), pydoc_split, 12)
    assert full.loss_path == "full logits"
    assert chunked.loss_path.startswith("head + cross-entropy in chunks of 100")
    torch.testing.assert_close(
        [v for _, v in chunked.losses], [v for _, v in full.losses], rtol=1e-4, atol=1e-5
    )
    for (name, p), q in zip(model.named_parameters(), full_model.parameters(), strict=True):
        if p.requires_grad:
            torch.testing.assert_close(p, q, rtol=1e-3, atol=1e-5, msg=name)


def test_compiled_layers_train_like_eager_and_leave_the_model_eager(tiny_config, pydoc_split):
    """aot_eager traces and partitions like inductor without generating kernels (fast on CPU)."""
    config = replace(tiny_config, compile_backend="aot_eager")
    model, compiled = _train_fresh(replace(config, compile=True), pydoc_split, 4)
    _, eager = _train_fresh(config, pydoc_split, 4)
    assert compiled.compiled and compiled.compile_error is None
    assert compiled.compiled_graphs <= 2  # the layers share graphs (0: cached by an earlier run)
    assert compiled.compile_seconds is not None and eager.compile_seconds is None
    torch.testing.assert_close(
        [v for _, v in compiled.losses], [v for _, v in eager.losses], rtol=1e-5, atol=1e-6
    )
    layers = lora.decoder_layers(model)
    assert len(layers) == 2 and not any("forward" in vars(layer) for layer in layers)


def _failing_backend(graph_module, example_inputs):
    raise RuntimeError("no C compiler on this machine")


@pytest.mark.parametrize(
    ("backend", "reason"),
    [("gpulab-test-failing", "no C compiler on this machine"), ("no-such-backend", "Invalid")],
)
def test_compile_failure_falls_back_to_eager_and_says_why(
    backend, reason, tiny_config, pydoc_split
) -> None:
    import torch._dynamo

    if backend not in torch._dynamo.list_backends(exclude_tags=()):
        torch._dynamo.register_backend(name=backend)(_failing_backend)
    config = replace(tiny_config, compile_backend=backend)
    if backend == "no-such-backend":
        torch._dynamo.backends.registry._BACKENDS.pop(backend, None)
    _, fallen_back = _train_fresh(replace(config, compile=True), pydoc_split, 3)
    _, eager = _train_fresh(config, pydoc_split, 3)
    assert not fallen_back.compiled
    assert reason in fallen_back.compile_error
    # The failed first step was redone in eager from the same state: the same run as eager.
    assert [v for _, v in fallen_back.losses] == [v for _, v in eager.losses]
