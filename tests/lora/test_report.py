"""What the notebook shows: every throughput with its spread and a noise flag, one precision per
figure across cards and tables, tables narrow enough for the page, and no GPU claim from a CPU."""

from __future__ import annotations

from gpulab.workloads import lora


def _windows(step_seconds: list[float], tokens_per_step: int = 500) -> list[lora.Window]:
    return [
        lora.Window(first_step=3 * i, steps=3, tokens=3 * tokens_per_step, seconds=3 * s)
        for i, s in enumerate(step_seconds)
    ]


def _side(tokens_per_s: float, windows: list[lora.Window], **extra) -> dict:
    return {
        "precision": "fp32",
        "packing": True,
        "padding_fraction": 0.0,
        "tokens_per_s": tokens_per_s,
        "windows": [w.__dict__ for w in windows],
        "eval_loss_before": 6.57812,
        "eval_loss": 4.48449,
        "final_train_loss": 4.5604,
        "peak_memory_mib": None,
        **extra,
    }


def _details(ours: dict, trainer: dict, device: str = "cpu") -> dict:
    return {
        "ours": ours,
        "trainer": trainer,
        "measure_from_step": 3,
        "device": device,
        "eval_loss_relative_difference": ours["eval_loss"] / trainer["eval_loss"] - 1,
    }


def test_throughput_carries_its_spread_and_a_noise_flag() -> None:
    steady = lora.progress.window_timing(_windows([0.02, 0.01, 0.01, 0.011, 0.0105]), 3)
    text = lora.throughput(48_000, steady)
    assert text.startswith("48,000 tokens/s (p10-p90 ")
    assert "over 4 windows" in text  # the first window holds step 0: left out
    assert "noisy" not in text
    noisy = lora.progress.window_timing(_windows([0.02, 0.01, 0.01, 0.01, 0.03]), 3)
    assert noisy.noisy and noisy.noise_note() in lora.throughput(40_000, noisy)
    assert "no spread" in lora.throughput(40_000, None)


def test_comparison_tables_and_cards_agree_on_precision() -> None:
    windows = _windows([0.02, 0.01, 0.012, 0.011, 0.0105])
    details = _details(_side(45_123.4, windows), _side(30_987.6, windows, packing=False))
    speed, quality = lora.summary_rows(details), lora.quality_rows(details)
    assert [r["run"] for r in speed] == ["ours", "Trainer (best)"]
    assert speed[0]["trained tokens/s"] == "45,123" and "-" in speed[0]["p10-p90"]
    assert all(len(row) <= 7 for row in speed + quality)  # narrow enough for 1280 px
    assert quality[0]["val loss after"] == "4.484"
    assert "peak GPU MiB" not in quality[0]  # no GPU memory to show on a CPU
    stats = lora.comparison_stats(details, 45_123.4 / 30_987.6)
    assert stats[0]["value"] == "1.46×"
    assert "45,123 vs 30,988 tokens/s" in stats[0]["caption"]
    assert "on a CPU, not a GPU" in stats[0]["caption"]
    assert stats[1]["value"] == "4.484 vs 4.484"
    on_gpu = _details(_side(1.0, windows, peak_memory_mib=812.4), _side(1.0, windows), "cuda")
    assert "CPU" not in lora.comparison_stats(on_gpu, 1.0)[0]["caption"]
    assert lora.quality_rows(on_gpu)[0]["peak GPU MiB"] == "812"


def test_noisy_sides_are_named_under_the_table() -> None:
    calm, noisy = _windows([0.02, 0.01, 0.01, 0.01, 0.0101]), _windows([0.02, 0.01, 0.01, 0.04])
    details = _details(_side(1.0, noisy), _side(1.0, calm))
    assert [r["noisy"] for r in lora.summary_rows(details)] == ["yes", ""]
    (note,) = lora.noise_notes(details)
    assert note.startswith("ours: step time noisy: p99")


def test_previews_are_shortened_to_fit_the_page(pydoc_split) -> None:
    rows = pydoc_split.preview(rows=6)
    assert rows and all(len(r["text"]) <= 71 for r in rows)
    assert "prompt" not in rows[0]  # plain text: no empty prompt column
    qa = lora.split_documents(lora.load_examples("pydoc-qa", max_documents=20))
    assert "prompt" in qa.preview(rows=4)[0]
