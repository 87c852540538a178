"""Ours vs Trainer + PEFT (`lora.compare`): both sides really train, and the report says so.

No timed assertions: the ratio is whatever this machine measures. What is checked is that the
comparison is like for like and that the details hold both final validation losses.
"""

from __future__ import annotations

from dataclasses import replace

from gpulab.workloads import lora


def test_comparison_trains_every_side_on_the_same_settings() -> None:
    smoke = lora.FinetuneConfig.bench_for_profile("smoke")
    config = replace(smoke, steps=6, max_documents=24, log_every=3)
    reports: list[tuple[float, float, str]] = []
    result = lora.compare(config, measure_from=2, progress=lambda *r: reports.append(r))
    details = result.details
    ours, best, defaults = details["ours"], details["trainer"], details["trainer_defaults"]
    other = details["ours_other_packing"]

    # The headline peer is the fastest Trainer set-up that ran (normally the best one).
    headline = details[details["headline_peer"]]
    assert headline["tokens_per_s"] == max(best["tokens_per_s"], defaults["tokens_per_s"])
    assert result.ours == ours["tokens_per_s"] > 0
    assert result.peer_value == headline["tokens_per_s"] > 0
    assert result.peer_name.startswith("transformers.Trainer + PEFT")
    assert details["ratio_vs_trainer_defaults"] == ours["tokens_per_s"] / defaults["tokens_per_s"]
    # Same start (same base weights and LoRA init, same validation rows and eval function) ...
    for side in (best, defaults, other):
        assert side["eval_loss_before"] == ours["eval_loss_before"]
    # ... and every side really trained: its final validation loss is reported and lower.
    for side in (ours, best, defaults, other):
        assert side["eval_loss"] < side["eval_loss_before"]
    expected = ours["eval_loss"] / headline["eval_loss"] - 1
    assert details["eval_loss_relative_difference"] == expected
    assert details["eval_loss_within_2pct"] == (abs(expected) <= 0.02)
    # The same attention semantics on both sides: documents apart.
    assert ours["documents_apart"] and best["documents_apart"] and not other["documents_apart"]
    assert details["same_attention_semantics"]
    packing = details["packing_comparison"]
    assert packing["default"] == "documents apart"
    assert packing["apart_vs_across"] == ours["tokens_per_s"] / other["tokens_per_s"]
    # Throughput counts trained tokens only: packing has none to skip, padding some.
    assert ours["padding_fraction"] < defaults["padding_fraction"]
    assert best["padding_fraction"] < defaults["padding_fraction"]
    for side in (best, defaults):
        assert side["arguments"]["explicit"]["max_steps"] == 6
        assert side["arguments"]["explicit"]["learning_rate"] == config.learning_rate
    assert defaults["arguments"]["explicit"]["per_device_train_batch_size"] == config.batch_size
    assert "bf16" not in defaults["arguments"]["explicit"]  # Trainer's default precision
    # The best set-up: flattening, fused AdamW, SDPA; bf16 and compile need CUDA (recorded).
    assert best["arguments"]["collator"].startswith("DataCollatorWithFlattening")
    assert best["arguments"]["explicit"]["optim"] == "adamw_torch_fused"
    assert best["attention"] == ours["attention"] == "sdpa"
    assert best["precision"] == "fp32" and "bf16" not in best["arguments"]["explicit"]
    assert best["torch_compile"] == {
        "ran": False,
        "outcome": "CPU: the C++ compile costs more than the run",
    }
    assert best["sequences_per_batch"] >= config.batch_size
    # Our loop's speed choices are recorded: chunked head + loss; no compile on a CPU.
    assert ours["loss_path"].startswith("head + cross-entropy in chunks")
    assert ours["compile"] is False and ours["compiled"] is False
    assert ours["compile_seconds"] is None and ours["train_seconds"] >= ours["measured_seconds"]
    assert "torch_compile" in defaults["arguments"]["resolved_defaults"]  # Trainer's own default
    assert details["lora"]["targets"] == sorted(
        ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    )
    # Progress: one plan for every side, monotonic to the end, Trainer's steps reported by its
    # TrainerCallback (not a spinner); every side timed in windows of log_every steps.
    fractions = [done / total for done, total, _ in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    notes = [note for _, _, note in reports]
    assert "ours: training: step 3/6 · training loss" in " ".join(notes)
    assert [n for n in notes if n.startswith("Trainer best: training: step")][-1].endswith("6/6")
    assert [w["steps"] for w in ours["windows"]] == [w["steps"] for w in best["windows"]]
    assert len(ours["windows"]) == 2 and details["device"] == "cpu"
    # The notebook's table: one row per side that ran.
    assert [row["run"] for row in lora.summary_rows(details)] == [
        "ours, documents apart",
        "ours, across documents",
        "Trainer (best)",
        "Trainer (defaults)",
    ]
