"""Convert CLIP's BPE file (`bpe_simple_vocab_16e6.txt.gz`, shipped in the open-clip-torch wheel)
into the `vocab.json` + `merges.txt` pair that `transformers.CLIPTokenizer` reads.

Run once, offline, and commit its output under `assets/`:

    python -m gpulab.workloads.diffusion.convert_bpe path/to/bpe_simple_vocab_16e6.txt.gz

The vocabulary is built exactly as CLIP's own tokenizer builds it: the 256 byte symbols, the same
with the end-of-word marker `</w>`, one token per merge (the first 48,894 merges of the file),
then `<|startoftext|>` and `<|endoftext|>`: 49,408 tokens, the size of SD's text encoder's
embedding table.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

ASSETS = Path(__file__).with_name("assets")
N_MERGES = 49152 - 256 - 2  # CLIP keeps this many merges: 49,408 tokens in all
SPECIAL = ("<|startoftext|>", "<|endoftext|>")


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP's reversible map from bytes to printable characters."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return dict(zip(printable, (chr(c) for c in codes), strict=True))


def convert(bpe_gz: Path) -> tuple[dict[str, int], list[str]]:
    """The vocabulary (token -> id) and the merges, in rank order."""
    with gzip.open(bpe_gz) as handle:
        lines = handle.read().decode("utf-8").split("\n")
    merges = lines[1 : N_MERGES + 1]
    symbols = list(bytes_to_unicode().values())
    tokens = symbols + [s + "</w>" for s in symbols]
    tokens += ["".join(m.split()) for m in merges]
    tokens += list(SPECIAL)
    return {token: index for index, token in enumerate(tokens)}, merges


def write(bpe_gz: Path, out: Path = ASSETS) -> None:
    vocab, merges = convert(bpe_gz)
    out.mkdir(parents=True, exist_ok=True)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    text = "#version: 0.2\n" + "\n".join(merges) + "\n"
    (out / "merges.txt").write_text(text, encoding="utf-8")
    print(f"wrote {len(vocab)} tokens and {len(merges)} merges to {out}")


if __name__ == "__main__":
    write(Path(sys.argv[1]))
