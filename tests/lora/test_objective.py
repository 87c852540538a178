"""The objective and the data path: what gets a label, what is padding, what is split where."""

from __future__ import annotations

import math

import pytest
import torch

from gpulab.workloads import lora
from gpulab.workloads.lora import IGNORE_INDEX, Example, TokenSequence


def test_loss_ignores_padding_positions() -> None:
    torch.manual_seed(0)
    vocab, real = 11, 5
    ids = torch.randint(0, vocab, (1, real))
    logits = torch.randn(1, 8, vocab)
    padded_labels = torch.full((1, 8), IGNORE_INDEX)
    padded_labels[0, :real] = ids[0]

    padded = lora.causal_lm_loss(logits, padded_labels)
    unpadded = lora.causal_lm_loss(logits[:, :real], ids)
    assert torch.allclose(padded, unpadded)

    # Whatever the model predicts at padded positions must not move the loss.
    scrambled = logits.clone()
    scrambled[0, real:] = torch.randn(8 - real, vocab) * 100
    assert torch.allclose(lora.causal_lm_loss(scrambled, padded_labels), padded)


def test_loss_is_the_mean_over_labelled_tokens_only() -> None:
    logits = torch.zeros(1, 4, 3)  # uniform prediction: ln 3 per scored token
    labels = torch.tensor([[0, 1, IGNORE_INDEX, IGNORE_INDEX]])
    assert lora.causal_lm_loss(logits, labels).item() == pytest.approx(math.log(3))
    assert lora.causal_lm_loss(logits, labels, reduction="sum").item() == pytest.approx(math.log(3))


def test_padding_gets_label_minus_100_even_when_pad_equals_eos() -> None:
    eos = 2  # the pad id IS the eos id, as in SmolLM2 and GPT-2 setups
    seqs = [TokenSequence([5, 6, eos], [5, 6, eos]), TokenSequence([7, eos], [7, eos])]
    blocks = lora.pad_sequences(seqs, seq_len=5, pad_id=eos)
    assert blocks.input_ids.tolist() == [[5, 6, eos, eos, eos], [7, eos, eos, eos, eos]]
    # The real EOS keeps its label (the model learns to stop); padding never gets one.
    assert blocks.labels.tolist() == [
        [5, 6, eos, IGNORE_INDEX, IGNORE_INDEX],
        [7, eos, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX],
    ]
    assert blocks.trained_tokens() == 2 + 1


def test_prompt_tokens_are_masked_and_the_answer_is_trained(tiny_bundle) -> None:
    tokenizer = tiny_bundle.tokenizer
    example = Example("Paris.", prompt="Capital of France?")
    (seq,) = lora.tokenize_examples([example], tokenizer, seq_len=256)
    prompt_ids = tokenizer(lora.format_prompt(tokenizer, example.prompt), add_special_tokens=False)
    n_prompt = len(prompt_ids["input_ids"])
    assert seq.labels[:n_prompt] == [IGNORE_INDEX] * n_prompt
    assert seq.labels[n_prompt:] == seq.input_ids[n_prompt:]
    assert tokenizer.decode(seq.input_ids[n_prompt:], skip_special_tokens=True) == "Paris."
    assert seq.input_ids[-1] == tokenizer.eos_token_id


def test_prompt_filling_the_whole_sequence_is_dropped(tiny_bundle) -> None:
    example = Example("answer", prompt="x" * 500)
    assert lora.tokenize_examples([example], tiny_bundle.tokenizer, seq_len=32) == []


def test_long_documents_are_chunked_not_truncated(tiny_bundle) -> None:
    text = "abcdefghij" * 10  # 100 bytes -> 101 tokens with EOS
    seqs = lora.tokenize_examples([Example(text)], tiny_bundle.tokenizer, seq_len=32)
    assert [len(s.input_ids) for s in seqs] == [32, 32, 32, 5]
    joined = [t for s in seqs for t in s.input_ids]
    assert tiny_bundle.tokenizer.decode(joined, skip_special_tokens=True) == text


def test_packing_keeps_every_token_in_order_and_pads_only_the_last_row() -> None:
    seqs = [TokenSequence(list(range(n, n + 7)), list(range(n, n + 7))) for n in (0, 100, 200)]
    blocks = lora.pack_sequences(seqs, seq_len=8, pad_id=999)
    flat_ids = blocks.input_ids.flatten().tolist()
    assert flat_ids[:21] == [t for s in seqs for t in s.input_ids]
    assert flat_ids[21:] == [999] * 3
    assert blocks.labels.flatten().tolist()[21:] == [IGNORE_INDEX] * 3
    assert blocks.rows == 3 and blocks.packed


def test_packing_wastes_less_than_padding_on_real_text(tiny_bundle, pydoc_split) -> None:
    seqs = lora.tokenize_examples(pydoc_split.train, tiny_bundle.tokenizer, seq_len=64)
    pad = tiny_bundle.tokenizer.pad_token_id
    across = lora.make_blocks(seqs, 64, pad, packing=True, documents_apart=False)
    # Documents apart, a sequence's first token has no target (as in a padded row's first).
    apart = lora.make_blocks(seqs, 64, pad, packing=True)
    padded = lora.make_blocks(seqs, 64, pad, packing=False)
    assert across.padding_fraction() < 0.01 < padded.padding_fraction()
    assert apart.padding_fraction() < 0.02
    assert across.rows == apart.rows < padded.rows


def test_train_validation_split_is_by_document() -> None:
    examples = lora.load_examples("pydoc-topics")
    split = lora.split_documents(examples, val_fraction=0.1, seed=3)
    train_text = {e.completion for e in split.train}
    assert split.val and not train_text & {e.completion for e in split.val}
    assert len(split.train) + len(split.val) == len(examples)
    again = lora.split_documents(examples, val_fraction=0.1, seed=3)
    assert [e.title for e in again.val] == [e.title for e in split.val]


def test_builtin_text_is_real_documentation() -> None:
    topics = lora.load_examples("pydoc-topics")
    assert any("with" in e.title and "context manager" in e.completion for e in topics)
    qa = lora.load_examples("pydoc-qa", max_documents=5)
    assert all(e.prompt.startswith("What does the Python language reference") for e in qa)
    # The answer is the section's text from its first line after the heading (title + rule).
    sections = {e.title: e.completion for e in topics}
    for example in qa:
        after_heading = [line for line in sections[example.title].splitlines()[2:] if line.strip()]
        assert example.completion.splitlines()[0] == after_heading[0]


def test_module_docstrings_are_read_without_importing(tmp_path) -> None:
    package = tmp_path / "pkg"
    (package / "tests").mkdir(parents=True)
    (package / "mod.py").write_text(
        '"""Module doc that is long enough to count as a document."""\n'
        "raise SystemExit('imported!')\n"
        "def f():\n    '''Function doc, also long enough to be kept here.'''\n"
        "def g():\n    '''short'''\n"
    )
    (package / "tests" / "test_mod.py").write_text('"""A test module docstring, skipped always."""')
    (package / "broken.py").write_text("def (:\n")
    assert lora.module_docstrings(tmp_path) == [
        (
            "pkg.mod",
            "Module doc that is long enough to count as a document.\n\n"
            "Function doc, also long enough to be kept here.",
        )
    ]


def test_learning_rate_warms_up_then_decays_to_the_floor() -> None:
    config = lora.FinetuneConfig(steps=100, warmup_steps=10, learning_rate=1.0, min_lr_ratio=0.1)
    rates = [lora.learning_rate_at(step, config) for step in range(100)]
    assert rates[0] == pytest.approx(0.1) and rates[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(rates[9:], rates[10:], strict=False))
    assert rates[-1] == pytest.approx(0.1)


def test_loaders_read_jsonl_csv_and_text(tmp_path) -> None:
    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text(
        '{"instruction": "Add", "input": "2+2", "output": "4"}\n{"text": "plain doc"}\n\n'
    )
    assert lora.load_examples(str(jsonl)) == [
        Example("4", prompt="Add\n\n2+2"),
        Example("plain doc"),
    ]
    table = tmp_path / "d.csv"
    table.write_text("question,answer\nWhy?,Because.\n")
    assert lora.load_examples(str(table)) == [Example("Because.", prompt="Why?")]
    text = tmp_path / "d.txt"
    text.write_text("First paragraph.\n\n\nSecond\nparagraph.\n")
    assert [e.completion for e in lora.load_examples(str(text))] == [
        "First paragraph.",
        "Second\nparagraph.",
    ]


def test_memory_estimate_grows_with_sequence_and_precision(tiny_bundle) -> None:
    config = tiny_bundle.model.config
    bf16 = lora.activation_bytes_per_sequence(config, 512, "bf16")
    assert lora.activation_bytes_per_sequence(config, 1024, "bf16") == 2 * bf16
    assert lora.activation_bytes_per_sequence(config, 512, "fp32") > bf16
    assert lora.default_batch_size(tiny_bundle.model, 512) == 4  # CPU default


def _head_losses(hidden, head, labels, chunk_tokens, autocast_dtype=None):
    """(loss, d hidden, d weight, d bias) from the reference (full logits) and the chunked loss."""
    out = []
    for chunked in (False, True):
        hidden.grad = None
        head.zero_grad()
        with torch.autocast("cpu", dtype=autocast_dtype, enabled=autocast_dtype is not None):
            if chunked:
                loss = lora.chunked_causal_lm_loss(hidden, head, labels, chunk_tokens)
            else:
                loss = lora.causal_lm_loss(head(hidden), labels, reduction="sum")
        (loss * 0.37).backward()  # a non-unit upstream gradient, as `/ tokens` gives
        out.append([loss.detach(), hidden.grad, head.weight.grad, head.bias.grad])
    return out


def _labels_with_gaps(batch: int, seq: int, vocab: int) -> torch.Tensor:
    labels = torch.randint(0, vocab, (batch, seq), generator=torch.Generator().manual_seed(1))
    labels[0, 5:] = IGNORE_INDEX  # padding
    labels[2, :3] = IGNORE_INDEX  # a prompt
    return labels


def test_chunked_loss_equals_the_full_logits_loss_and_its_gradients() -> None:
    """Chunks of 7 over 3 x 17 positions: several chunks, a partial last one, -100 inside."""
    torch.manual_seed(0)
    hidden = torch.randn(3, 17, 8, requires_grad=True)
    head = torch.nn.Linear(8, 29, bias=True)
    reference, chunked = _head_losses(hidden, head, _labels_with_gaps(3, 17, 29), chunk_tokens=7)
    for name, ref, got in zip(
        ["loss", "hidden", "weight", "bias"], reference, chunked, strict=True
    ):
        torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-5, msg=name)


def test_chunked_loss_under_bf16_autocast_matches_to_bf16_rounding() -> None:
    """The GPU's precision: head in bf16, softmax in fp32, as the reference does."""
    torch.manual_seed(0)
    hidden = torch.randn(3, 17, 8, requires_grad=True)
    head = torch.nn.Linear(8, 29, bias=True)
    labels = _labels_with_gaps(3, 17, 29)
    reference, chunked = _head_losses(hidden, head, labels, 7, autocast_dtype=torch.bfloat16)
    torch.testing.assert_close(chunked[0], reference[0], rtol=1e-5, atol=1e-4)
    for ref, got in zip(reference[1:], chunked[1:], strict=True):
        # Gradients agree to bf16's 8 bits of mantissa (the reference rounds after scaling).
        assert (got - ref).abs().max() <= 1e-2 * ref.abs().max()
    # Positions without a label get no gradient at all.
    assert hidden.grad[0, 4:].abs().max() == 0  # labels[0, 5:] = -100 -> logits[0, 4:] unscored


def test_chunked_loss_ignores_padding_like_the_reference() -> None:
    torch.manual_seed(0)
    head = torch.nn.Linear(6, 11, bias=False)
    hidden = torch.randn(1, 8, 6)
    labels = torch.full((1, 8), IGNORE_INDEX)
    labels[0, :5] = torch.randint(0, 11, (5,))
    with torch.no_grad():
        padded = lora.chunked_causal_lm_loss(hidden, head, labels, chunk_tokens=3)
        scrambled = hidden.clone()
        scrambled[0, 5:] = torch.randn(3, 6) * 100
        assert torch.allclose(lora.chunked_causal_lm_loss(scrambled, head, labels, 3), padded)
        unpadded = lora.chunked_causal_lm_loss(hidden[:, :5], head, labels[:, :5], 3)
    assert torch.allclose(padded, unpadded)


def test_head_split_only_where_logits_are_plainly_the_head(tiny_bundle) -> None:
    import transformers

    body, head = lora.split_head(tiny_bundle.model)
    assert type(body).__name__ == "LlamaModel" and head is tiny_bundle.model.lm_head
    # Gemma 2 soft-caps its logits: moving its head into the loss would change the loss.
    gemma = transformers.Gemma2ForCausalLM(
        transformers.Gemma2Config(
            vocab_size=32,
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=1,
            head_dim=8,
        )
    )
    assert gemma.config.final_logit_softcapping
    assert lora.split_head(gemma) is None
