"""Progress a user can trust: the loop, the fine-tune step, the export and the Trainer comparison
report work done in comparable units, monotonically, to the end; and the loop's timed windows
give its throughput a spread."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gpulab.workloads import lora


class Recorder:
    """A ProgressFn that keeps every report."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, float, str]] = []

    def __call__(self, done: float, total: float, note: str = "") -> None:
        self.calls.append((done, total, note))

    @property
    def fractions(self) -> list[float]:
        return [done / total for done, total, _ in self.calls]

    def assert_monotonic_to_the_end(self) -> None:
        assert self.calls, "nothing was reported"
        fractions = self.fractions
        assert all(b >= a - 1e-12 for a, b in zip(fractions, fractions[1:], strict=False))
        assert fractions[-1] == pytest.approx(1.0)
        assert len({total for _, total, _ in self.calls}) == 1  # one plan, never re-scaled


def _blocks(bundle, split, config):
    pad = bundle.tokenizer.pad_token_id
    train = lora.tokenize_examples(split.train, bundle.tokenizer, config.seq_len)
    val = lora.tokenize_examples(split.val, bundle.tokenizer, config.seq_len)
    return (
        # Across documents: every packed position but a row's first is a target.
        lora.make_blocks(train, config.seq_len, pad, packing=True, documents_apart=False),
        lora.make_blocks(val, config.seq_len, pad, packing=False),
    )


def test_the_loop_reports_trained_tokens_every_log_every_steps(
    tiny_bundle, tiny_config, pydoc_split
) -> None:
    config = replace(tiny_config, steps=12, log_every=3)
    train_blocks, _ = _blocks(tiny_bundle, pydoc_split, config)
    model = lora.apply_lora(tiny_bundle.model, config)
    seen = Recorder()
    result = lora.train(model, train_blocks, config, progress=seen, measure_from=3)
    # In tokens, of the run's total known before the loop, at steps 3, 6, 9 and 12.
    cumulative = [sum(w.tokens for w in result.windows[: k + 1]) for k in range(4)]
    assert [done for done, _, _ in seen.calls] == cumulative
    assert seen.calls[-1][0] == seen.calls[-1][1] == result.trained_tokens == 12 * 8 * 63
    assert [note.split(" ·")[0] for _, _, note in seen.calls] == [
        f"step {s}/12" for s in (3, 6, 9, 12)
    ]
    seen.assert_monotonic_to_the_end()
    # Each report closed a timed window; those after warm-up are the throughput's repeats.
    assert [(w.first_step, w.steps) for w in result.windows] == [(0, 3), (3, 3), (6, 3), (9, 3)]
    timing = result.step_timing()
    assert timing is not None and timing.repeats == 3  # windows starting at steps 3, 6, 9
    assert timing.work_per_call == 8 * 63  # trained tokens per step (packed rows)


def test_planned_progress_gives_each_phase_its_share() -> None:
    seen = Recorder()
    plan = lora.PlannedProgress(seen, {"a": 1, "b": 3})
    plan.start("a")
    plan.phase("a")(5, 10, "half")
    plan.finish("a")
    plan.phase("b", "second")(1, 3, "a third")
    plan.phase("b")(7, 3, "over")  # more than planned: capped at the phase's share
    assert [round(f, 3) for f in seen.fractions] == [0.0, 0.125, 0.25, 0.5, 1.0]
    assert seen.calls[3][2] == "second: a third"
    seen.assert_monotonic_to_the_end()


def test_finetune_reports_every_phase_in_order(tiny_bundle, tiny_config, pydoc_split) -> None:
    config = replace(tiny_config, steps=6, log_every=2)
    train_blocks, val_blocks = _blocks(tiny_bundle, pydoc_split, config)
    seen = Recorder()
    run = lora.finetune(
        tiny_bundle, config, train_blocks, val_blocks, ["A", "B"], new_tokens=4, progress=seen
    )
    seen.assert_monotonic_to_the_end()
    phases = [note.split(":")[0] for _, _, note in seen.calls]
    order = ["scoring before", "sampling before", "training", "scoring after", "sampling after"]
    assert list(dict.fromkeys(phases)) == order
    # The base model is untouched (the adapter went on a copy) and the run holds what it showed.
    assert not any("lora_" in n for n, _ in tiny_bundle.model.named_parameters())
    assert run.after.loss < run.before.loss
    assert len(run.generations_before) == len(run.generations_after) == 2
    assert run.check_ids.shape == (2, 64) and run.finished


def test_export_reports_its_phases_and_checks_both_artifacts(
    tiny_bundle, tiny_config, pydoc_split, tmp_path
) -> None:
    config = replace(tiny_config, steps=3, log_every=3)
    train_blocks, val_blocks = _blocks(tiny_bundle, pydoc_split, config)
    run = lora.finetune(tiny_bundle, config, train_blocks, val_blocks, ["A"], new_tokens=2)
    seen = Recorder()
    saved = lora.export(run, tmp_path, progress=seen)
    seen.assert_monotonic_to_the_end()
    assert seen.calls[-1][2] == "checking the merged model: done"
    assert saved.reload_difference == 0.0 and saved.merge_difference < 1e-4
    rows = saved.rows()
    assert [r["artifact"] for r in rows] == ["adapter only", "merged model"]
    assert all(len(r["MiB"].split(".")[1]) == 2 for r in rows)  # one precision for one figure
    assert saved.of_run == run.finished


def test_trainer_padding_estimate_is_close_to_what_trainer_computes(pydoc_split) -> None:
    bundle = lora.load_model("random:tiny-llama", device="cpu")
    config = replace(lora.FinetuneConfig.for_profile("smoke"), seq_len=128, steps=20)
    sequences = lora.tokenize_examples(pydoc_split.train, bundle.tokenizer, config.seq_len)
    estimate = lora.peer_trainer.estimated_padded_positions(sequences, config)
    lengths = sorted(len(s.input_ids) for s in sequences)
    batches = config.steps * config.batch_size
    # Between every batch of the shortest and every batch padded to the longest.
    assert batches * lengths[0] <= estimate <= batches * lengths[-1]
    assert estimate == lora.peer_trainer.estimated_padded_positions(sequences, config)  # seeded


def test_reading_the_standard_library_reports_files_parsed(tmp_path) -> None:
    for index in range(120):
        (tmp_path / f"mod{index}.py").write_text(
            f'"""Module {index}: a docstring long enough to be kept as a document."""\n'
        )
    seen: list[tuple[float, float, str]] = []
    docs = lora.module_docstrings(tmp_path, progress=lambda d, t, n: seen.append((d, t, n)))
    assert len(docs) == 120
    assert [done for done, _, _ in seen] == [50, 100, 120]
    assert {total for _, total, _ in seen} == {120}
