"""What the notebook shows, as plain data: stat cards, table rows and sentences (no marimo here).

Every figure has one format wherever it appears (losses to 3 decimals, tokens/s as whole numbers,
perplexity to 1 decimal), and every throughput carries its spread over the timed windows after
warm-up, with a warning beside it when the slowest window is far above the median.
"""

from __future__ import annotations

from typing import Any

from gpulab.timing import Timing, format_seconds
from gpulab.workloads.lora.blocks import Blocks
from gpulab.workloads.lora.documents import DataSplit
from gpulab.workloads.lora.models import ModelBundle
from gpulab.workloads.lora.progress import Window, window_timing
from gpulab.workloads.lora.session import FinetuneRun
from gpulab.workloads.lora.train import TrainResult

Stat = dict[str, Any]  # mo.stat's arguments: value, label, caption, direction


def loss(value: float) -> str:
    return f"{value:.3f}"


def tokens_per_s(value: float) -> str:
    return f"{value:,.0f}"


def model_facts(bundle: ModelBundle) -> dict[str, str]:
    return {
        "architecture": bundle.architecture,
        "parameters": f"{bundle.parameters / 1e6:,.1f} M",
        "vocabulary": f"{len(bundle.tokenizer):,}",
        "device": str(next(bundle.model.parameters()).device),
    }


def data_facts(split: DataSplit) -> dict[str, str]:
    return {
        "training documents": f"{len(split.train):,}",
        "validation documents": f"{len(split.val):,}",
        "training characters": f"{sum(len(e.completion) for e in split.train) / 1e6:.2f} M",
        "with a prompt (masked)": f"{sum(bool(e.prompt) for e in split.train):,}",
    }


def row_stats(train: Blocks, val: Blocks, other: Blocks) -> list[Stat]:
    """The training rows as built, and the padding both layouts would compute for nothing."""
    packed, padded = (train, other) if train.packed else (other, train)
    return [
        {"value": f"{train.rows:,}", "label": "training rows"},
        {"value": f"{train.trained_tokens():,}", "label": "tokens with a loss"},
        {
            "value": f"{packed.padding_fraction():.1%}",
            "label": "no-loss positions, packed",
            "caption": f"{packed.rows:,} rows",
        },
        {
            "value": f"{padded.padding_fraction():.1%}",
            "label": "no-loss positions, padded",
            "caption": f"{padded.rows:,} rows",
        },
        {"value": f"{val.trained_tokens():,}", "label": "validation tokens"},
    ]


def throughput_range(value: float, timing: Timing | None) -> str:
    """`'12,400-13,900'`: trained tokens/s in the p10 and p90 windows ('' without windows)."""
    if timing is None or not timing.work_per_call:
        return ""
    low, high = timing.work_per_call / timing.p90_s, timing.work_per_call / timing.p10_s
    return f"{tokens_per_s(low)}-{tokens_per_s(high)}"


def throughput(value: float, timing: Timing | None) -> str:
    """`'13,100 tokens/s (p10-p90 12,400-13,900 over 8 windows; a step 15.6 ms, p10-p90
    13.5-17.7 ms)'`, with the noise warning beside it when the slowest window is far off."""
    spread = throughput_range(value, timing)
    if not spread or timing is None:
        return f"{tokens_per_s(value)} tokens/s (one timed window: no spread)"
    low, high = format_seconds(timing.p10_s), format_seconds(timing.p90_s)
    text = (
        f"{tokens_per_s(value)} tokens/s (p10-p90 {spread} over {timing.repeats} windows; "
        f"a step {format_seconds(timing.median_s)}, p10-p90 {low} to {high})"
    )
    return f"{text} {timing.noise_note()}".rstrip()


def training_summary(run: FinetuneRun) -> str:
    """Markdown: what ran, how fast (with its spread), and where the loss was computed."""
    result, config = run.result, run.config
    return (
        f"Fine-tune finished at {run.finished}: {result.steps} steps "
        f"({result.precision}, batch {config.batch_size} × {config.grad_accum}, "
        f"{'packed' if config.packing else 'padded'} rows of {config.seq_len}) at "
        f"**{throughput(result.tokens_per_s, result.step_timing())}**, leaving out "
        f"{result.measure_from} warm-up steps. The whole loop, warm-up included, took "
        f"{format_seconds(result.seconds)} (one run). Loss: {result.loss_path}."
    )


def compile_note(result: TrainResult) -> tuple[str, str]:
    """(callout kind or '', Markdown) about torch.compile and the CUDA graph: what they cost,
    or why they fell back."""
    graph = _graph_note(result)
    kind, text = _layers_note(result)
    return kind or graph[0], f"{text} {graph[1]}".strip()


def _graph_note(result: TrainResult) -> tuple[str, str]:
    if result.cuda_graph:
        return "", "After warm-up every step replayed one captured CUDA graph."
    if result.cuda_graph_error:
        return "warn", f"Capturing the step as a CUDA graph failed: `{result.cuda_graph_error}`."
    return "", ""


def _layers_note(result: TrainResult) -> tuple[str, str]:
    if result.compiled:
        compile_s = format_seconds(result.compile_seconds or 0.0)
        return "", (
            f"Decoder layers compiled: the first step took {format_seconds(result.first_step_seconds)}"
            f" (about {compile_s} of it compiling, one run). Tokens/s leave out the warm-up steps."
        )
    if result.compile_error:
        return "warn", (
            "**torch.compile did not work here; trained eagerly instead.** "
            f"Reason: `{result.compile_error}`"
        )
    return "", "Eager mode (torch.compile off)."


def learned_stats(run: FinetuneRun) -> list[Stat]:
    delta = run.after.loss - run.before.loss
    return [
        {
            "value": f"{loss(run.before.loss)} → {loss(run.after.loss)}",
            "label": "validation loss (nats/token)",
            "caption": f"{delta:+.3f}",
            "direction": "decrease" if delta < 0 else "increase",
        },
        {
            "value": f"{run.before.perplexity:,.1f} → {run.after.perplexity:,.1f}",
            "label": "validation perplexity",
            "caption": f"{run.after.tokens:,} held-out tokens",
        },
    ]


def verdict(run: FinetuneRun) -> str:
    """Markdown: did the validation loss fall, and what the training loss says."""
    before, after, losses = run.before, run.after, run.result.losses
    if after.loss < before.loss:
        text = (
            f"The validation loss fell by {before.loss - after.loss:.3f} nats per token "
            f"(perplexity ÷ {before.perplexity / after.perplexity:.2f}) on documents the model "
            "never trained on: the adapter learned something that generalises"
        )
    else:
        text = (
            "The validation loss did not fall: try more steps, a higher learning rate, or check "
            "that the data is what you expect"
        )
    first = sum(v for _, v in losses[:5]) / min(5, len(losses))
    last = sum(v for _, v in losses[-5:]) / min(5, len(losses))
    note = (
        ""
        if run.bundle.pretrained
        else " With random base weights this only shows that the pipeline trains; use the "
        "pretrained model to see real adaptation."
    )
    return (
        f"### What it means\n\n{text}. The training loss went from {loss(first)} (first steps) "
        f"to {loss(last)} (last steps); if it falls far below the validation loss, the adapter "
        f"is memorising the training documents.{note}"
    )


def generation_rows(run: FinetuneRun, width: int = 90) -> list[dict[str, str]]:
    """Prompt, generation before, after: shortened so the table fits the page."""

    def short(text: str) -> str:
        flat = " ".join(text.split())
        return flat[:width] + ("…" if len(flat) > width else "")

    return [
        {"prompt": short(p), "before": short(b), "after": short(a)}
        for p, b, a in zip(run.prompts, run.generations_before, run.generations_after, strict=True)
    ]


def side_timing(side: dict[str, Any], measure_from: int) -> Timing | None:
    """A comparison side's step time over its windows after warm-up."""
    windows = [Window(**w) for w in side.get("windows", [])]
    return window_timing(windows, measure_from)


def _sides(details: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every side that ran: ours (both packings when measured), then each Trainer set-up."""
    ours = details["ours"]
    sides = [("ours" + _packing_label(ours, details), ours)]
    if "ours_other_packing" in details:
        other = details["ours_other_packing"]
        sides.append(("ours" + _packing_label(other, details), other))
    sides.append(("Trainer (best)", details["trainer"]))
    for key, name in (
        ("trainer_defaults", "Trainer (defaults)"),
        ("trainer_bf16", "Trainer (bf16=True)"),
    ):
        if key in details and "error" not in details[key]:
            sides.append((name, details[key]))
    return sides


def _packing_label(side: dict[str, Any], details: dict[str, Any]) -> str:
    """Which packing one of our runs used, named only when both were measured."""
    if "ours_other_packing" not in details:
        return ""
    return ", documents apart" if side.get("documents_apart", True) else ", across documents"


def summary_rows(details: dict[str, Any]) -> list[dict[str, Any]]:
    """The speed table: one row per side, trained tokens/s with its p10-p90 over windows."""
    rows = []
    for name, side in _sides(details):
        timing = side_timing(side, details["measure_from_step"])
        rows.append(
            {
                "run": name,
                "precision": side["precision"],
                "rows": _rows(side),
                "padding": f"{side['padding_fraction']:.1%}",
                "trained tokens/s": tokens_per_s(side["tokens_per_s"]),
                "p10-p90": throughput_range(side["tokens_per_s"], timing) or "one window",
                "noisy": "yes" if timing is not None and timing.noisy else "",
            }
        )
    return rows


def _rows(side: dict[str, Any]) -> str:
    """How a side lays out its tokens: packed rows (and whether documents see each other)."""
    if side.get("setup") == "best":
        return "one flattened row per batch, documents apart"
    if not side["packing"]:
        return "padded per batch"
    return "packed, documents apart" if side.get("documents_apart", True) else "packed, across"


def quality_rows(details: dict[str, Any]) -> list[dict[str, Any]]:
    """The quality table: validation loss before and after, the last training loss, memory."""
    rows = []
    for name, side in _sides(details):
        row = {
            "run": name,
            "val loss before": loss(side["eval_loss_before"]),
            "val loss after": loss(side["eval_loss"]),
            "final train loss": loss(side["final_train_loss"]),
        }
        if side["peak_memory_mib"]:
            row["peak GPU MiB"] = f"{side['peak_memory_mib']:,.0f}"
        rows.append(row)
    return rows


def noise_notes(details: dict[str, Any]) -> list[str]:
    """One sentence per side whose windows were noisy."""
    notes = []
    for name, side in _sides(details):
        timing = side_timing(side, details["measure_from_step"])
        if timing is not None and timing.noisy:
            notes.append(f"{name}: step time {timing.noise_note()}")
    return notes


def comparison_stats(details: dict[str, Any], ratio: float | None) -> list[Stat]:
    """The headline cards: the throughput ratio (with where it was measured) and both losses."""
    ours, trainer = details["ours"], details[details.get("headline_peer", "trainer")]
    where = "" if details.get("device", "cpu").startswith("cuda") else " · on a CPU, not a GPU"
    stats: list[Stat] = [
        {
            "value": "n/a" if ratio is None else f"{ratio:.2f}×",
            "label": "trained tokens/s, ours ÷ Trainer's best set-up",
            "caption": (
                f"{tokens_per_s(ours['tokens_per_s'])} vs "
                f"{tokens_per_s(trainer['tokens_per_s'])} tokens/s{where}"
            ),
        },
        {
            "value": f"{loss(ours['eval_loss'])} vs {loss(trainer['eval_loss'])}",
            "label": "final validation loss, ours vs Trainer's best",
            "caption": f"{details['eval_loss_relative_difference']:+.2%} relative",
        },
    ]
    if details.get("ratio_vs_trainer_defaults"):
        stats.append(
            {
                "value": f"{details['ratio_vs_trainer_defaults']:.2f}×",
                "label": "ours ÷ Trainer with its defaults",
                "caption": f"its validation loss {loss(details['trainer_defaults']['eval_loss'])}",
            }
        )
    packing = details.get("packing_comparison")
    if packing and packing["apart_vs_across"]:
        stats.append(
            {
                "value": f"{packing['apart_vs_across']:.2f}×",
                "label": "our tokens/s, documents apart ÷ across",
                "caption": (
                    f"validation loss {loss(packing['eval_loss_apart'])} vs "
                    f"{loss(packing['eval_loss_across'])}"
                ),
            }
        )
    if details.get("ratio_vs_trainer_bf16"):
        stats.append(
            {
                "value": f"{details['ratio_vs_trainer_bf16']:.2f}×",
                "label": "ours ÷ Trainer with bf16=True",
                "caption": f"its validation loss {loss(details['trainer_bf16']['eval_loss'])}",
            }
        )
    return stats


def arguments_markdown(details: dict[str, Any]) -> str:
    """The TrainingArguments Trainer's best set-up ran with: the explicit ones, the resolved
    defaults, and what became of `torch_compile`."""
    args = details["trainer"]["arguments"]
    compiled = details["trainer"].get("torch_compile", {}).get("outcome", "off")
    return (
        f"`torch_compile`: {compiled}.\n\n"
        "Set explicitly (everything else is the default of transformers "
        f"{args['transformers']}):\n\n```python\n{args['explicit']}\n```\n\n"
        f"Resolved defaults:\n\n```python\n{args['resolved_defaults']}\n```\n\n"
        f"Collator: `{args['collator']}`"
    )
