"""Trainer's compiled peer: whole sequences grouped and flattened into rows of one fixed length.

Under `torch_compile` every new row length recompiles the model, so the best Trainer set-up on a
GPU feeds rows of exactly `fixed_tokens`; documents must stay apart and no token be lost.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from gpulab.workloads import lora
from gpulab.workloads.lora.blocks import TokenSequence
from gpulab.workloads.lora.fixed_flattening import FixedLengthFlattening, group_sequences
from gpulab.workloads.lora.objective import IGNORE_INDEX


def _sequences(lengths: list[int]) -> list[TokenSequence]:
    out, token = [], 3
    for n in lengths:
        ids = list(range(token, token + n))
        token += n
        out.append(TokenSequence(ids, list(ids)))
    return out


def test_groups_hold_every_sequence_once_within_the_length_and_follow_the_seed() -> None:
    sequences = _sequences([7, 30, 12, 5, 31, 2, 18, 9, 25, 14])
    groups = group_sequences(sequences, tokens=32, seed=1)
    assert all(sum(map(len, g["input_ids"])) <= 32 for g in groups)
    flat = sorted(tuple(ids) for g in groups for ids in g["input_ids"])
    assert flat == sorted(tuple(s.input_ids) for s in sequences)
    assert sum(map(len, (s.input_ids for s in sequences))) / (32 * len(groups)) > 0.7
    assert group_sequences(sequences, 32, seed=1) == groups
    assert group_sequences(sequences, 32, seed=2) != groups
    with pytest.raises(ValueError, match="at least 2"):
        group_sequences(sequences, tokens=1)


def test_every_row_has_the_fixed_length_with_restarting_positions_and_ignored_padding() -> None:
    import transformers

    inner = transformers.DataCollatorWithFlattening(
        return_position_ids=True, separator_id=IGNORE_INDEX
    )
    collate = FixedLengthFlattening(inner, tokens=16, pad_id=0)
    batch = collate([{"input_ids": [[3, 4, 5], [6, 7, 8, 9]], "labels": [[3, 4, 5], [6, 7, 8, 9]]}])
    assert batch["input_ids"].shape == batch["labels"].shape == batch["position_ids"].shape
    assert batch["input_ids"].shape == (1, 16)
    assert batch["input_ids"][0].tolist() == [3, 4, 5, 6, 7, 8, 9] + [0] * 9
    assert batch["position_ids"][0].tolist() == [0, 1, 2, 0, 1, 2, 3] + list(range(9))
    labels = batch["labels"][0].tolist()
    assert labels[0] == labels[3] == IGNORE_INDEX  # each document's first token
    assert labels[7:] == [IGNORE_INDEX] * 9
    with pytest.raises(ValueError, match="one group per batch"):
        collate([{"input_ids": [[3]], "labels": [[3]]}] * 2)
    with pytest.raises(ValueError, match="does not fit"):
        FixedLengthFlattening(inner, tokens=4, pad_id=0)(
            [{"input_ids": [[3, 4, 5, 6, 7]], "labels": [[3, 4, 5, 6, 7]]}]
        )


def test_the_fixed_length_peer_trains_with_one_batch_shape(tiny_config, monkeypatch) -> None:
    from gpulab.workloads.lora import peer_trainer
    from gpulab.workloads.lora.comparison_setup import prepare
    from gpulab.workloads.lora.trainer_setups import best_setup

    config = replace(tiny_config, steps=4, max_documents=24, log_every=2)
    prepared = prepare(config)
    tokens = config.batch_size * config.seq_len
    setup = replace(best_setup(prepared.train_sequences, config), fixed_tokens=tokens)
    shapes: list[tuple[int, ...]] = []
    real = peer_trainer.CountingCollator.__call__

    def record(self, features):  # noqa: ANN001, ANN202
        batch = real(self, features)
        shapes.append(tuple(batch["input_ids"].shape))
        return batch

    monkeypatch.setattr(peer_trainer.CountingCollator, "__call__", record)
    side = lora.run_trainer(config, prepared, measure_from=1, setup=setup)
    assert set(shapes) == {(1, tokens)} and len(shapes) >= config.steps
    assert side["fixed_tokens"] == tokens and side["documents_apart"]
    assert side["arguments"]["explicit"]["per_device_train_batch_size"] == 1
    assert "padded to" in side["arguments"]["collator"]
    assert side["tokens_per_s"] > 0 and side["eval_loss"] < side["eval_loss_before"]
    assert 0 <= side["padding_fraction"] < 0.3
    eager = setup.without_compile("no compiler")
    assert eager.fixed_tokens is None and eager.compile_skipped == "no compiler"
