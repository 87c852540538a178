"""The batch split, the memory fit and the bad-input messages, without launching anything."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gpulab.errors import UsageError
from gpulab.workloads import distributed
from gpulab.workloads.distributed import TrainConfig, plan_batch
from gpulab.workloads.distributed.sizing import fit_memory, parameters


def test_an_even_batch_splits_without_a_note() -> None:
    plan = plan_batch(32, 4, 2)
    assert (plan.global_batch, plan.per_rank, plan.micro_batch, plan.note) == (32, 8, 4, "")


def test_a_batch_that_does_not_split_is_adjusted_and_said() -> None:
    plan = plan_batch(10, 4)
    assert plan.global_batch == 8 and plan.per_rank == 2
    assert "does not split over 4 rank(s)" in plan.note and "using 8" in plan.note
    assert plan_batch(3, 4).global_batch == 4  # never zero per rank


def test_every_world_size_gets_one_common_batch() -> None:
    config, note = distributed.common_batch(TrainConfig(world_sizes=(1, 2, 3), global_batch=8))
    assert config.global_batch == 6
    assert "world sizes [1, 2, 3]" in note


def test_the_parameter_formula_matches_the_model() -> None:
    for config in (TrainConfig(), TrainConfig.for_profile("full")):
        model = distributed.Gpt(config.seq_len, config.d_model, config.n_layers, config.n_heads)
        assert parameters(config) == distributed.parameter_count(model)


def test_a_small_card_accumulates_and_keeps_the_global_batch() -> None:
    full = TrainConfig.for_profile("full")
    small, note = fit_memory(full, 22 * 2**30)
    assert small.global_batch == full.global_batch and small.accumulation > full.accumulation
    assert "global batch of 32 is kept" in note
    assert fit_memory(full, 140 * 2**30) == (full, "")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"strategies": ("ddp", "zero")}, "choose strategies"),
        ({"world_sizes": (0,)}, "world sizes must be >= 1"),
        ({"d_model": 30, "n_heads": 4}, "not divisible by n_heads"),
        ({"precision": "fp8"}, "precision must be one of"),
        ({"steps": 2, "warmup_steps": 2}, "warmup_steps"),
    ],
)
def test_bad_settings_say_what_to_change(change: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        replace(TrainConfig(), **change).validate()


def test_more_ranks_than_devices_is_a_clear_error() -> None:
    config = TrainConfig(device="cpu")
    limit = distributed.max_world(config)
    distributed.check_world(config, limit)
    with pytest.raises(UsageError, match=f"choose a world size of at most {limit}"):
        distributed.check_world(config, limit + 1)


def test_children_get_multicast_off_and_one_thread() -> None:
    env = distributed.child_env(TrainConfig(device="cpu"), 2)
    assert env["NCCL_NVLS_ENABLE"] == "0"
    assert env["TORCH_SYMM_MEM_DISABLE_MULTICAST"] == "1"
    assert env["NVSHMEM_DISABLE_NVLS"] == "1"
    assert env["OMP_NUM_THREADS"] == "1" and env["CUDA_VISIBLE_DEVICES"] == ""
