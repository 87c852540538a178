"""The notebook's steps as workload functions: check the settings, fine-tune, save and merge.

Each step takes a `ProgressFn` and plans its phases in units of comparable cost (forward-pass
token positions; bytes for saving and loading), so one bar covers it with an ETA measured from
the work done. Each returns one result object, which the notebook keeps as the last good result.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gpulab.progress import ProgressFn, no_progress
from gpulab.workloads.lora.adapters import (
    apply_lora,
    count_parameters,
    folder_mib,
    load_adapter,
    max_logit_difference,
    merge_and_export,
    save_adapter,
)
from gpulab.workloads.lora.blocks import Blocks
from gpulab.workloads.lora.config import FinetuneConfig, InvalidConfig
from gpulab.workloads.lora.evaluate import EvalResult, evaluate, generate_text
from gpulab.workloads.lora.models import ModelBundle, load_model
from gpulab.workloads.lora.progress import PlannedProgress, TrainProgress
from gpulab.workloads.lora.train import TrainResult, train

MAX_PROMPTS = 5
NO_PROMPTS = (
    "the prompts for generation are empty: write at least one prompt (one per line) to compare "
    "generations before and after training"
)


@dataclass(frozen=True)
class Settings:
    """The widgets' values checked before anything runs: a config, or every reason it is not."""

    config: FinetuneConfig | None  # None when the values cannot make a config
    problems: tuple[str, ...] = ()  # one readable sentence per mistake
    prompts: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def message(self, results_kept: bool = False) -> str:
        """Markdown naming every problem in full, as a list (never a cut-off one-liner)."""
        lines = ["**These settings cannot run.** Change them, then press the button again:", ""]
        lines += [f"- {problem}." for problem in self.problems]
        if results_kept:
            lines += ["", "Nothing ran: the results below are still those of the last good run."]
        return "\n".join(lines)


def check_settings(
    defaults: FinetuneConfig, prompts: str | None = None, **changes: Any
) -> Settings:
    """`defaults` with `changes`, validated, and the generation prompts (one per line; the first
    `MAX_PROMPTS`), which must not be empty when given."""
    text = "" if prompts is None else prompts
    lines = tuple(p.strip() for p in text.splitlines() if p.strip())[:MAX_PROMPTS]
    problems: list[str] = []
    config: FinetuneConfig | None
    try:
        config = replace(defaults, **changes)
    except InvalidConfig as err:
        config, problems = None, list(err.problems)
    if prompts is not None and not lines:
        problems.append(NO_PROMPTS)
    return Settings(config, tuple(problems), lines)


@dataclass
class FinetuneRun:
    """One finished fine-tune: the adapted model, its scores and generations before and after."""

    bundle: ModelBundle
    model: Any  # the PEFT model (a copy of the base with adapters)
    config: FinetuneConfig
    before: EvalResult
    after: EvalResult
    result: TrainResult
    prompts: list[str]
    generations_before: list[str]
    generations_after: list[str]
    trainable: int
    total: int
    check_ids: Any = None  # a few validation tokens [2, <=64], to compare saved models by logits
    finished: str = ""  # wall-clock time it finished (HH:MM:SS): names the run on screen


def finetune_costs(
    config: FinetuneConfig, val_blocks: Blocks, prompts: int, new_tokens: int
) -> dict[str, float]:
    """Each phase's work in forward-pass token positions.

    Training counts three passes (forward, backward of activations and weights). A generated
    token is one launch-bound pass over the whole model for one position, counted as one row.
    """
    scoring = val_blocks.rows * config.seq_len
    sampling = prompts * new_tokens * config.seq_len
    training = 3 * config.steps * config.grad_accum * config.batch_size * config.seq_len
    return {
        "scoring before": scoring,
        "sampling before": sampling,
        "training": training,
        "scoring after": scoring,
        "sampling after": sampling,
    }


def finetune(
    bundle: ModelBundle,
    config: FinetuneConfig,
    train_blocks: Blocks,
    val_blocks: Blocks,
    prompts: Sequence[str],
    *,
    chat: bool = False,
    new_tokens: int = 48,
    progress: ProgressFn = no_progress,
    on_log: Callable[[TrainProgress], None] | None = None,
) -> FinetuneRun:
    """Score and sample, train an adapter on a copy of the base model, score and sample again."""
    plan = PlannedProgress(progress, finetune_costs(config, val_blocks, len(prompts), new_tokens))
    plan.start("scoring before")
    model = apply_lora(copy.deepcopy(bundle.model), config)  # the base stays as it was

    def score_and_sample(when: str) -> tuple[EvalResult, list[str]]:
        scored = evaluate(
            model, val_blocks, precision=config.precision, progress=plan.phase(f"scoring {when}")
        )
        sampled = generate_text(
            model,
            bundle.tokenizer,
            list(prompts),
            new_tokens,
            seed=0,
            chat=chat,
            progress=plan.phase(f"sampling {when}"),
        )
        return scored, sampled

    before, generations_before = score_and_sample("before")
    plan.start("training")
    result = train(model, train_blocks, config, on_log=on_log, progress=plan.phase("training"))
    after, generations_after = score_and_sample("after")
    trainable, total = count_parameters(model)
    return FinetuneRun(
        bundle=bundle,
        model=model,
        config=config,
        before=before,
        after=after,
        result=result,
        prompts=list(prompts),
        generations_before=generations_before,
        generations_after=generations_after,
        trainable=trainable,
        total=total,
        check_ids=val_blocks.input_ids[:2, :64].clone(),
        finished=time.strftime("%H:%M:%S"),
    )


@dataclass
class ExportRun:
    """The saved adapter and the merged checkpoint, each checked against the trained model."""

    adapter_dir: Path
    merged_dir: Path
    reload_difference: float  # max |Δ logit|, reloaded adapter vs the trained model
    merge_difference: float  # max |Δ logit|, merged weights vs base + adapter
    of_run: str = ""  # when the fine-tune it exported finished
    adapter_mib: float = field(init=False)
    merged_mib: float = field(init=False)

    def __post_init__(self) -> None:
        self.adapter_mib = folder_mib(self.adapter_dir)
        self.merged_mib = folder_mib(self.merged_dir)

    def rows(self) -> list[dict[str, Any]]:
        """The table: one row per artifact, sizes in MiB at the same precision."""
        return [
            {
                "artifact": "adapter only",
                "folder": str(self.adapter_dir),
                "MiB": f"{self.adapter_mib:,.2f}",
                "checked against": "reloaded on a fresh base",
                "max |Δ logit|": f"{self.reload_difference:.2e}",
            },
            {
                "artifact": "merged model",
                "folder": str(self.merged_dir),
                "MiB": f"{self.merged_mib:,.2f}",
                "checked against": "base + adapter",
                "max |Δ logit|": f"{self.merge_difference:.2e}",
            },
        ]


def _parameter_bytes(model: Any, trainable: bool | None = None) -> int:
    return sum(
        p.numel() * p.element_size()
        for p in model.parameters()
        if trainable is None or p.requires_grad == trainable
    )


def export_costs(finetuned: FinetuneRun) -> dict[str, float]:
    """Each phase's work in bytes of weights written, read or copied (a check reads them once)."""
    model_bytes = _parameter_bytes(finetuned.model)
    return {
        "saving the adapter": _parameter_bytes(finetuned.model, trainable=True),
        "loading a fresh base model": model_bytes,
        "checking the reloaded adapter": model_bytes,
        "merging and saving": 2 * model_bytes,  # a copy is merged, then written
        "checking the merged model": model_bytes,
    }


def export(
    finetuned: FinetuneRun, root: str | Path, progress: ProgressFn = no_progress
) -> ExportRun:
    """Save the adapter, reload it on a fresh base, merge and export; check both by logits."""
    plan = PlannedProgress(progress, export_costs(finetuned))
    root, model, bundle = Path(root), finetuned.model, finetuned.bundle
    ids = finetuned.check_ids
    plan.start("saving the adapter")
    adapter_dir = save_adapter(model, root / "adapter")
    plan.finish("saving the adapter")
    fresh = load_model(bundle.spec, device=next(model.parameters()).device, seed=0)
    reloaded = load_adapter(fresh.model, adapter_dir)
    plan.finish("loading a fresh base model")
    model.eval()
    reload_difference = max_logit_difference(model, reloaded, ids)
    plan.finish("checking the reloaded adapter")
    del fresh, reloaded
    merged, merged_dir = merge_and_export(model, bundle.tokenizer, root / "merged")
    plan.finish("merging and saving")
    merge_difference = max_logit_difference(model, merged, ids)
    plan.finish("checking the merged model")
    del merged
    return ExportRun(
        adapter_dir, merged_dir, reload_difference, merge_difference, finetuned.finished
    )
