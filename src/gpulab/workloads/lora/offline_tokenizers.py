"""Tokenizers that need no download: SmolLM2's real one (bundled) and a byte-level one."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

from gpulab.deps import require
from gpulab.errors import UsageError

_TOKENIZER_ASSET = Path(__file__).with_name("assets") / "smollm2-tokenizer.json.gz"
_SPECIAL_TOKENS = dict(
    bos_token="<|im_start|>",
    eos_token="<|im_end|>",
    pad_token="<|im_end|>",
    unk_token="<|endoftext|>",
)


def offline_tokenizer() -> Any:
    """SmolLM2's real tokenizer from the repo (no download, no gguf package): for random models."""
    transformers = require("transformers")
    from tokenizers import Tokenizer

    if not _TOKENIZER_ASSET.is_file():
        raise UsageError(f"bundled tokenizer {_TOKENIZER_ASSET} is missing from the installation")
    text = gzip.decompress(_TOKENIZER_ASSET.read_bytes()).decode("utf-8")
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(text), **_SPECIAL_TOKENS
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
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tokenizer, **_SPECIAL_TOKENS)
