"""The shipped CLIP vocabulary tokenises as CLIP does, and long prompts report their truncation."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest

from gpulab.workloads.diffusion import MAX_TOKENS, clip_tokenizer, prompt_length
from gpulab.workloads.diffusion.convert_bpe import bytes_to_unicode
from gpulab.workloads.diffusion.tokens import ASSETS

# Token ids from open_clip's SimpleTokenizer on its own bpe_simple_vocab_16e6.txt.gz (checked
# when the assets were made); 320, 1125, 539 ("a", "photo", "of") are the ids every SD 1.5
# tokenizer.json carries.
KNOWN = {
    "a photo of an astronaut riding a horse on mars": [
        49406, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496, 49407,
    ],
    "A cat, sitting!! on 3 mats... (HDR) 8k": [
        49406, 320, 2368, 267, 4919, 748, 525, 274, 22259, 678, 263, 28065, 264, 279, 330, 49407,
    ],
    "naïve café über straße": [49406, 1097, 35689, 563, 15304, 6522, 1516, 1894, 127, 253, 324, 49407],
}  # fmt: skip


@pytest.fixture(scope="module")
def tokenizer():
    return clip_tokenizer()


def test_the_vocabulary_has_clips_size_and_special_tokens() -> None:
    vocab = json.loads((ASSETS / "vocab.json").read_text(encoding="utf-8"))
    assert len(vocab) == 49408  # SD's text encoder's embedding table
    assert vocab["<|startoftext|>"] == 49406 and vocab["<|endoftext|>"] == 49407
    assert sorted(vocab.values()) == list(range(49408))


@pytest.mark.parametrize("prompt", list(KNOWN))
def test_prompts_tokenise_to_clips_ids(tokenizer, prompt: str) -> None:
    assert tokenizer(prompt)["input_ids"] == KNOWN[prompt]


def _bpe(word: str, ranks: dict[tuple[str, str], int]) -> list[str]:
    """CLIP's BPE rule, written out: merge the lowest-ranked adjacent pair until none is left."""
    symbols = [*word[:-1], word[-1] + "</w>"]
    while len(symbols) > 1:
        pairs = [(ranks.get(p, 1 << 30), i) for i, p in enumerate(pairwise(symbols))]
        rank, i = min(pairs)
        if rank == 1 << 30:
            break
        symbols[i : i + 2] = [symbols[i] + symbols[i + 1]]
    return symbols


@pytest.mark.parametrize("word", ["astronaut", "unbelievably", "photorealistic", "zxqv"])
def test_words_split_as_the_bpe_merges_say(tokenizer, word: str) -> None:
    lines = (ASSETS / "merges.txt").read_text(encoding="utf-8").splitlines()[1:]
    ranks = {tuple(line.split()): rank for rank, line in enumerate(lines)}
    vocab = json.loads((ASSETS / "vocab.json").read_text(encoding="utf-8"))
    encoded = "".join(bytes_to_unicode()[b] for b in word.encode())
    expected = [vocab[piece] for piece in _bpe(encoded, ranks)]
    assert tokenizer(word)["input_ids"][1:-1] == expected


def test_a_long_prompt_reports_what_truncation_drops(tokenizer) -> None:
    prompt = "red " * 80 + "dragon"  # one token a word: 81 + start and end
    length = prompt_length(tokenizer, prompt)
    assert length.truncated and length.tokens == 83
    assert length.dropped_text == "red red red red red dragon"  # 75 kept, 6 dropped
    assert "is ignored" in length.describe()
    ids = tokenizer(prompt, truncation=True, padding="max_length")["input_ids"]
    assert len(ids) == MAX_TOKENS  # model_max_length=77: what the pipeline feeds the encoder


def test_a_short_prompt_is_not_truncated(tokenizer) -> None:
    length = prompt_length(tokenizer, "a cat")
    assert not length.truncated and length.tokens == 4 and length.dropped_text == ""
