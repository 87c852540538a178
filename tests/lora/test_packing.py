"""Packing with documents apart, Trainer's flattening peer, and the bench keys that record both.

A packed row with documents apart must give every token the output it would have alone: the
position ids restart per document and transformers' SDPA attention, given them and no mask,
stays inside each document.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from gpulab.workloads import lora
from gpulab.workloads.lora.blocks import TokenSequence
from gpulab.workloads.lora.objective import IGNORE_INDEX


def _documents(lengths: tuple[int, ...]) -> list[TokenSequence]:
    import torch

    generator = torch.Generator().manual_seed(0)
    out = []
    for n in lengths:
        ids = torch.randint(3, 250, (n,), generator=generator).tolist()
        out.append(TokenSequence(ids, list(ids)))
    return out


def test_position_ids_restart_per_document_and_first_tokens_carry_no_label() -> None:
    blocks = lora.pack_sequences(_documents((5, 9, 4)), seq_len=12, pad_id=0)
    assert blocks.documents_apart and blocks.position_ids is not None
    positions = blocks.position_ids.tolist()
    # Row 0: document 1 (5 tokens), the first 7 of document 2; row 1 restarts at 0.
    assert positions[0] == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6]
    assert positions[1] == [0, 1, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5]  # then the padding's own block
    labels = blocks.labels.flatten().tolist()
    assert labels[5] == labels[14] == IGNORE_INDEX  # each document's first token
    assert labels[18:] == [IGNORE_INDEX] * 6
    across = lora.pack_sequences(_documents((5, 9, 4)), 12, 0, documents_apart=False)
    assert across.position_ids is None and not across.documents_apart
    assert across.input_ids.tolist() == blocks.input_ids.tolist()


def test_a_tokens_output_does_not_depend_on_the_other_documents_in_its_row(tiny_bundle) -> None:
    import torch

    docs = _documents((6, 10, 5))
    blocks = lora.pack_sequences(docs, seq_len=21, pad_id=0)
    model = tiny_bundle.model.eval()
    assert model.config._attn_implementation == "sdpa"
    positions = blocks.position_ids

    def logits(ids: torch.Tensor, **kwargs: object) -> torch.Tensor:
        with torch.no_grad():
            return model(input_ids=ids, **kwargs).logits[0]

    packed = logits(blocks.input_ids, position_ids=positions, use_cache=False)
    alone = logits(torch.tensor([docs[1].input_ids]), use_cache=False)
    # Change the other documents: the middle one's outputs stay the same.
    changed = blocks.input_ids.clone()
    changed[0, :6] = 7
    changed[0, 16:] = 9
    other = logits(changed, position_ids=positions, use_cache=False)
    torch.testing.assert_close(packed[6:16], alone, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(other[6:16], packed[6:16], rtol=1e-4, atol=1e-4)
    across = logits(blocks.input_ids, use_cache=False)
    assert (across[6:16] - alone).abs().max() > 1e-2  # across documents it does depend
    # With a KV cache (use_cache's default) transformers ignores the restarting position ids:
    # why our loop passes use_cache=False and the flattening peer sets it in the model config.
    cached = logits(blocks.input_ids, position_ids=positions)
    assert (cached[6:16] - alone).abs().max() > 1e-2


def test_training_with_documents_apart_passes_the_position_ids(tiny_config, pydoc_split) -> None:
    bundle = lora.load_model(tiny_config.model, device="cpu", seed=0)
    config = replace(tiny_config, steps=4, log_every=2)
    sequences = lora.tokenize_examples(pydoc_split.train, bundle.tokenizer, config.seq_len)
    pad = bundle.tokenizer.pad_token_id
    seen = []

    def spy(module, args, kwargs):  # noqa: ANN001, ANN202
        seen.append(kwargs.get("position_ids") is not None)

    for apart in (True, False):
        model = lora.apply_lora(lora.load_model(config.model, device="cpu", seed=0).model, config)
        hook = model.get_base_model().model.register_forward_pre_hook(spy, with_kwargs=True)
        blocks = lora.make_blocks(sequences, config.seq_len, pad, True, documents_apart=apart)
        lora.train(model, blocks, config)
        hook.remove()
    assert seen == [True] * 4 + [False] * 4


def test_the_flattening_peer_runs_with_its_arguments_recorded(tiny_config) -> None:
    from gpulab.workloads.lora.comparison_setup import prepare
    from gpulab.workloads.lora.trainer_setups import best_setup

    config = replace(tiny_config, steps=4, max_documents=24, log_every=2)
    prepared = prepare(config)
    setup = best_setup(prepared.train_sequences, config)
    side = lora.run_trainer(config, prepared, measure_from=1, setup=setup)
    assert side["tokens_per_s"] > 0 and side["eval_loss"] < side["eval_loss_before"]
    assert side["documents_apart"] and side["packing"] and side["padding_fraction"] < 0.05
    explicit = side["arguments"]["explicit"]
    assert explicit["optim"] == "adamw_torch_fused"
    assert explicit["per_device_train_batch_size"] == setup.sequences_per_batch
    assert side["arguments"]["model_config_use_cache"] is False  # else documents see each other
    assert side["torch_compile"]["ran"] is False  # CPU: skipped, and the reason recorded
    assert side["torch_compile"]["outcome"].startswith("CPU")


def test_a_failing_torch_compile_reruns_eagerly_and_says_why(tiny_config, monkeypatch) -> None:
    from gpulab.workloads.lora import peer_trainer
    from gpulab.workloads.lora.comparison_setup import prepare
    from gpulab.workloads.lora.trainer_setups import best_setup

    config = replace(tiny_config, steps=2, warmup_steps=1, max_documents=12, log_every=1)
    prepared = prepare(config)
    setup = replace(best_setup(prepared.train_sequences, config), torch_compile=True)
    real = peer_trainer._run_trainer

    def compile_fails(config, prepared, measure_from, setup, progress):  # noqa: ANN001, ANN202
        if setup.torch_compile:
            raise RuntimeError("inductor: no C++ compiler")
        return real(config, prepared, measure_from, setup, progress)

    monkeypatch.setattr(peer_trainer, "_run_trainer", compile_fails)
    side = peer_trainer.run_trainer(config, prepared, 1, setup)
    assert side["torch_compile"]["ran"] is False
    assert "no C++ compiler" in side["torch_compile"]["outcome"]


@pytest.mark.parametrize("profile", ["smoke"])
def test_the_bench_smoke_writes_the_new_keys(profile, tmp_path) -> None:
    from gpulab.bench import measure, write_report
    from gpulab.benchmarks import lora as bench

    path = write_report(measure("lora", bench.run, profile), tmp_path)
    details = json.loads(path.read_text())["details"]
    assert {"trainer", "trainer_defaults", "ours_other_packing", "packing_comparison"} <= set(
        details
    )
    assert details["headline_peer"] in ("trainer", "trainer_defaults")
    for key in ("ratio_vs_trainer_defaults", "eval_loss_within_2pct", "same_attention_semantics"):
        assert key in details
    assert details["trainer"]["torch_compile"]["outcome"]
    assert details["packing_comparison"]["default"] == "documents apart"
