"""Bad input: each mistake a user makes gets one clear UsageError, never a deep traceback."""

from __future__ import annotations

import pytest
import torch

from gpulab.errors import UsageError
from gpulab.workloads import lora


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rank", 0, "rank must be a positive integer"),
        ("alpha", 0, "alpha must be > 0"),
        ("dropout", 1.0, "dropout must be in [0, 1)"),
        ("seq_len", 4, "seq_len must be >= 8"),
        ("steps", 0, "steps must be >= 1"),
        ("warmup_steps", 500, "warmup_steps must be in [0, steps]"),
        ("precision", "fp8", "precision must be one of"),
        ("target_modules", (), "target_modules is empty"),
        ("loss_chunk_tokens", -1, "loss_chunk_tokens must be an integer >= 0"),
    ],
)
def test_invalid_config_is_rejected_with_the_reason(field, value, message) -> None:
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace(")", r"\)")):
        lora.FinetuneConfig(**{field: value})


def test_unknown_model_id_offline_names_the_alternatives(monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UsageError) as info:
        lora.load_model("no-such-org/no-such-model", device="cpu")
    text = str(info.value)
    assert "cannot load model 'no-such-org/no-such-model'" in text
    assert "unreachable" in text and "random:" in text and lora.SMOLLM2_GGUF in text


def test_local_directory_without_a_checkpoint_is_explained(tmp_path) -> None:
    with pytest.raises(UsageError, match="is not a transformers checkpoint"):
        lora.load_model(str(tmp_path), device="cpu")


def test_unknown_random_architecture_lists_the_known_ones() -> None:
    with pytest.raises(UsageError, match="known: smollm2-135m, tiny-llama, tiny-gpt2"):
        lora.load_model("random:gpt-17", device="cpu")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.jsonl", ""),
        ("blank.txt", "\n\n   \n"),
        ("wrong_columns.jsonl", '{"label": 1, "score": 0.3}\n'),
        ("header_only.csv", "text\n"),
    ],
)
def test_empty_dataset_is_a_clear_error(tmp_path, name, content) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(UsageError, match="is empty: no row with text"):
        lora.load_examples(str(path))


def test_missing_dataset_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(UsageError, match="is not a file"):
        lora.load_examples(str(tmp_path / "nope.jsonl"))


def test_no_tokens_after_tokenisation_is_a_clear_error() -> None:
    with pytest.raises(UsageError, match="no training tokens"):
        lora.make_blocks([], seq_len=64, pad_id=0, packing=True)


def test_target_modules_absent_lists_the_layers_that_exist(tiny_bundle) -> None:
    config = lora.FinetuneConfig(model="random:tiny-llama", target_modules=("c_attn", "q_proj"))
    with pytest.raises(UsageError) as info:
        lora.apply_lora(tiny_bundle.model, config)
    text = str(info.value)
    assert "['c_attn'] not found in LlamaForCausalLM" in text
    assert "q_proj" in text and "down_proj" in text


def test_training_without_adapters_is_refused(tiny_bundle, tiny_config) -> None:
    for parameter in tiny_bundle.model.parameters():
        parameter.requires_grad_(False)
    ids = torch.zeros(2, 16, dtype=torch.long)
    blocks = lora.Blocks(ids, ids.clone(), packed=True)
    with pytest.raises(UsageError, match="no trainable parameters"):
        lora.train(tiny_bundle.model, blocks, tiny_config)


def test_hub_dataset_offline_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # Either `datasets` is missing (install hint) or the hub is unreachable: both say so.
    with pytest.raises(UsageError, match="datasets is not installed|Hub is unreachable"):
        lora.load_examples("hf:tatsu-lab/alpaca")


def test_fp16_needs_a_gpu(tiny_bundle) -> None:
    with pytest.raises(UsageError, match="fp16 training needs a CUDA GPU"):
        lora.resolve_precision("fp16", "cpu")
