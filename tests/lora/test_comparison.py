"""Ours vs Trainer + PEFT (`lora.compare`): both sides really train, and the report says so.

No timed assertions: the ratio is whatever this machine measures. What is checked is that the
comparison is like for like and that the details hold both final validation losses.
"""

from __future__ import annotations

from dataclasses import replace

from gpulab.workloads import lora


def test_comparison_trains_both_sides_on_the_same_settings() -> None:
    smoke = lora.FinetuneConfig.bench_for_profile("smoke")
    config = replace(smoke, steps=6, max_documents=24, log_every=3)
    reports: list[tuple[float, float, str]] = []
    result = lora.compare(config, measure_from=2, progress=lambda *r: reports.append(r))
    details = result.details
    ours, trainer = details["ours"], details["trainer"]

    assert result.ours == ours["tokens_per_s"] > 0
    assert result.peer_value == trainer["tokens_per_s"] > 0
    assert result.peer_name.startswith("transformers.Trainer + PEFT")
    # Same start (same base weights and LoRA init, same validation rows and eval function) ...
    assert ours["eval_loss_before"] == trainer["eval_loss_before"]
    # ... and both really trained: their final validation losses are reported and lower.
    assert ours["eval_loss"] < ours["eval_loss_before"]
    assert trainer["eval_loss"] < trainer["eval_loss_before"]
    expected = ours["eval_loss"] / trainer["eval_loss"] - 1
    assert details["eval_loss_relative_difference"] == expected
    # Throughput counts trained tokens only: packing has none to skip, Trainer's padding some.
    assert ours["padding_fraction"] < trainer["padding_fraction"]
    assert trainer["arguments"]["explicit"]["max_steps"] == 6
    assert trainer["arguments"]["explicit"]["per_device_train_batch_size"] == config.batch_size
    assert trainer["arguments"]["explicit"]["learning_rate"] == config.learning_rate
    assert "bf16" not in trainer["arguments"]["explicit"]  # Trainer's default precision
    # Our loop's speed choices are recorded: chunked head + loss; no compile on a CPU.
    assert ours["loss_path"].startswith("head + cross-entropy in chunks")
    assert ours["compile"] is False and ours["compiled"] is False
    assert ours["compile_seconds"] is None and ours["train_seconds"] >= ours["measured_seconds"]
    assert "torch_compile" in trainer["arguments"]["resolved_defaults"]  # Trainer's own default
    assert details["lora"]["targets"] == sorted(
        ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    )
    # Progress: one plan for both sides, monotonic to the end, Trainer's steps reported by its
    # TrainerCallback (not a spinner); both sides timed in windows of log_every steps.
    fractions = [done / total for done, total, _ in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    notes = [note for _, _, note in reports]
    assert "ours: training: step 3/6 · training loss" in " ".join(notes)
    assert [n for n in notes if n.startswith("Trainer: training: step")][-1].endswith("6/6")
    assert [w["steps"] for w in ours["windows"]] == [w["steps"] for w in trainer["windows"]]
    assert len(ours["windows"]) == 2 and details["device"] == "cpu"
    # The notebook's table: one row per side that ran.
    assert [row["run"] for row in lora.summary_rows(details)] == ["ours", "Trainer (defaults)"]
