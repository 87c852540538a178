"""The attention mask a captured step passes explicitly: causal, and per document where packed.

Without one, transformers derives the mask from the position ids on every forward, and that
derivation branches on the data where it can: in an eager step it returns "no mask" when no
row holds two documents (a host sync), while under CUDA-graph capture it must not branch and
always builds one. The eager warm-up steps and the captured step then call the compiled
decoder layers with different arguments, and the capture recompiles a layer, which CUDA
forbids while capturing. A 4D mask built here, on the device and the same way every step, is
passed through by transformers as it is: one code path, no sync, the same semantics (each
token attends to the earlier tokens of its own document).
"""

from __future__ import annotations

from typing import Any


def document_causal_mask(position_ids: Any, length: int, device: Any) -> Any:
    """[B, 1, L, L] bool, True where query i may attend key j: j <= i and, where `position_ids`
    are given, both in the same document (a document starts where a position does not follow
    the one before it). `position_ids` None: plain causal, [1, 1, L, L]."""
    import torch

    causal = torch.ones(length, length, dtype=torch.bool, device=device).tril()
    if position_ids is None:
        return causal[None, None]
    before = position_ids[:, :1] - 1
    starts = torch.diff(position_ids, prepend=before, dim=-1) != 1
    document = starts.cumsum(-1)
    same = document[:, :, None] == document[:, None, :]
    return (same & causal)[:, None]
