"""The explicit mask of a captured step: the document-causal pattern, and the same losses as
the mask transformers derives from the position ids (packed documents apart, or together)."""

from __future__ import annotations

import pytest
import torch

from gpulab.workloads import lora
from gpulab.workloads.lora.attention_mask import document_causal_mask
from gpulab.workloads.lora.train import start_training, summed_loss


def test_each_token_sees_the_earlier_tokens_of_its_own_document() -> None:
    positions = torch.tensor([[0, 1, 2, 0, 1], [0, 1, 2, 3, 4]])
    mask = document_causal_mask(positions, 5, "cpu")
    assert mask.shape == (2, 1, 5, 5) and mask.dtype == torch.bool
    first = torch.tensor(
        [
            [1, 0, 0, 0, 0],
            [1, 1, 0, 0, 0],
            [1, 1, 1, 0, 0],
            [0, 0, 0, 1, 0],
            [0, 0, 0, 1, 1],
        ],
        dtype=torch.bool,
    )
    assert torch.equal(mask[0, 0], first)
    assert torch.equal(mask[1, 0], torch.ones(5, 5, dtype=torch.bool).tril())
    assert torch.equal(document_causal_mask(None, 3, "cpu")[0, 0], torch.ones(3, 3).tril().bool())


@pytest.mark.parametrize("documents_apart", [True, False])
def test_the_explicit_mask_gives_the_derived_masks_losses(
    tiny_config, pydoc_split, documents_apart: bool
) -> None:
    bundle = lora.load_model(tiny_config.model, device="cpu", seed=0)
    model = lora.apply_lora(bundle.model, tiny_config).eval()
    rows = lora.tokenize_examples(pydoc_split.train, bundle.tokenizer, tiny_config.seq_len)
    blocks = lora.make_blocks(
        rows,
        tiny_config.seq_len,
        bundle.tokenizer.pad_token_id,
        packing=True,
        documents_apart=documents_apart,
    )
    state = start_training(model, blocks, tiny_config)
    positions = state.data.position_ids
    if documents_apart:  # rows where a document ends and the next begins
        take = ((positions == 0).sum(1) > 1).nonzero().squeeze(1)[:4]
        assert take.numel() == 4
        positions = positions[take]
    else:
        take, positions = torch.arange(4), None
    args = (state.data.input_ids[take], state.data.labels[take], positions)
    with torch.no_grad():
        derived = summed_loss(state, *args)
        state.explicit_mask = True
        explicit = summed_loss(state, *args)
    torch.testing.assert_close(explicit, derived, rtol=1e-5, atol=1e-5)
