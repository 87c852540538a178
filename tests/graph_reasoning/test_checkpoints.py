"""Checkpoints: atomic writes, a verifying manifest, refusal of damaged files, best kept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from gpulab.workloads.graph_reasoning import CheckpointError, CheckpointStore, atomic_write


def _state(value: float) -> dict:
    return {"model": {"w": torch.full((64,), value)}, "history": [{"epoch": 1, "loss": value}]}


def _save(store: CheckpointStore, epoch: int, acc: float) -> None:
    store.save("run", epoch, _state(float(epoch)), {"val_acc": acc}, {"epochs": 9})


def test_round_trip_lists_config_metrics_and_hash(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    _save(store, 1, 0.5)
    (entry,) = store.entries("run")
    assert entry.config == {"epochs": 9} and entry.metrics == {"val_acc": 0.5}
    assert len(entry.sha256) == 64 and entry.best
    assert torch.equal(store.load(entry)["model"]["w"], torch.full((64,), 1.0))
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]


def test_truncated_checkpoint_is_refused_and_the_previous_one_used(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    _save(store, 1, 0.5)
    _save(store, 2, 0.6)
    newest = tmp_path / store.entries("run")[-1].file
    newest.write_bytes(newest.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="truncated or corrupted.*refused"):
        store.load(store.entries("run")[-1])
    entry, state, refused = store.latest_good("run")
    assert entry.epoch == 1 and state["history"][0]["loss"] == 1.0
    assert len(refused) == 1 and "run-e0002.pt" in refused[0]


def test_a_flipped_byte_is_refused(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    _save(store, 1, 0.5)
    path = tmp_path / store.entries("run")[0].file
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="sha256"):
        store.load(store.entries("run")[0])


def test_a_write_that_dies_leaves_the_old_file(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "file.pt"
    atomic_write(target, b"old good bytes")

    def dies(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", dies)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old good bytes"
    assert [p.name for p in tmp_path.iterdir()] == ["file.pt"]


def test_best_is_kept_when_older_ones_are_pruned(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, keep_last=2)
    for epoch, acc in [(1, 0.9), (2, 0.5), (3, 0.6), (4, 0.7)]:
        _save(store, epoch, acc)
    kept = {e.epoch: e.best for e in store.entries("run")}
    assert kept == {1: True, 3: False, 4: False}
    assert sorted(p.name for p in tmp_path.glob("*.pt")) == [
        "run-e0001.pt",
        "run-e0003.pt",
        "run-e0004.pt",
    ]
    assert store.best("run").epoch == 1
