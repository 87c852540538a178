"""CLIP's tokenizer, offline: the BPE vocabulary shipped under `assets/`, 77 tokens a prompt.

`model_max_length=77` matters: without it the tokenizer's limit is effectively unbounded and a
long prompt reaches the text encoder's 77 position embeddings and fails there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

ASSETS = Path(__file__).with_name("assets")
MAX_TOKENS = 77  # CLIP's context: start token + 75 + end token


def clip_tokenizer() -> Any:
    """`transformers.CLIPTokenizer` on the shipped vocab.json and merges.txt."""
    from transformers import CLIPTokenizer

    return CLIPTokenizer(
        vocab=str(ASSETS / "vocab.json"),
        merges=str(ASSETS / "merges.txt"),
        model_max_length=MAX_TOKENS,
    )


@dataclass(frozen=True)
class PromptLength:
    """How many tokens a prompt takes and what truncation to 77 drops."""

    tokens: int
    kept_text: str
    dropped_text: str

    @property
    def truncated(self) -> bool:
        return self.tokens > MAX_TOKENS

    def describe(self) -> str:
        if not self.truncated:
            return f"{self.tokens} of {MAX_TOKENS} tokens"
        return (
            f"{self.tokens} tokens: CLIP reads the first {MAX_TOKENS} (start and end included), "
            f"so the text from “{self.dropped_text[:60]}” on is ignored"
        )


def prompt_length(tokenizer: Any, prompt: str) -> PromptLength:
    """Count `prompt`'s tokens (start and end included) without truncating."""
    ids = tokenizer(prompt, truncation=False, add_special_tokens=True)["input_ids"]
    inner = ids[1:-1]
    keep = MAX_TOKENS - 2
    kept = tokenizer.decode(inner[:keep]).strip()
    dropped = tokenizer.decode(inner[keep:]).strip() if len(ids) > MAX_TOKENS else ""
    return PromptLength(tokens=len(ids), kept_text=kept, dropped_text=dropped)
