"""The captured step's body is the loop's step: same rows, same losses, same weights.

Capturing needs CUDA; on the CPU `GraphedStep.run` runs the body it would capture, which is
what these tests compare with `train.train_step` (the H200 probe compares the replayed graph).
"""

from __future__ import annotations

from dataclasses import replace

import torch

from gpulab.workloads import lora
from gpulab.workloads.lora.graphed_step import GraphedStep, graph_ready_optimizer
from gpulab.workloads.lora.train import learning_rate_at, start_training, summed_loss, train_step


def _state(config, split):
    bundle = lora.load_model(config.model, device="cpu", seed=config.seed)
    model = lora.apply_lora(bundle.model, config)
    pad = bundle.tokenizer.pad_token_id
    train = lora.tokenize_examples(split.train, bundle.tokenizer, config.seq_len)
    blocks = lora.make_blocks(train, config.seq_len, pad, packing=True, documents_apart=True)
    state = start_training(model, blocks, config)
    model.train()
    return model, state


def test_graphed_body_trains_like_train_step(tiny_config, pydoc_split) -> None:
    config = replace(tiny_config, steps=6, grad_accum=2, batch_size=4, dropout=0.05)
    eager_model, eager = _state(config, pydoc_split)
    torch.manual_seed(1)
    for step in range(config.steps):
        train_step(eager, step, learning_rate_at(step, config))
    model, state = _state(config, pydoc_split)
    state.optimizer = graph_ready_optimizer(state.params, config, state.device)
    graphed = GraphedStep(state, summed_loss)
    assert not graphed.capture  # the CPU runs the body uncaptured
    torch.manual_seed(1)
    for step in range(config.steps):
        graphed.run(step, learning_rate_at(step, config))
    torch.testing.assert_close(state.losses, eager.losses, rtol=1e-5, atol=1e-6)
    assert torch.equal(state.tokens, eager.tokens) and int(state.tokens.min()) > 0
    for (name, p), q in zip(model.named_parameters(), eager_model.parameters(), strict=True):
        if p.requires_grad:
            torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-6, msg=name)
    # the gradients of one step never leak into the next
    assert all(p.grad is None for p in state.params)


def test_train_on_cpu_reports_no_graph(tiny_config, pydoc_split) -> None:
    bundle = lora.load_model(tiny_config.model, device="cpu", seed=0)
    model = lora.apply_lora(bundle.model, tiny_config)
    pad = bundle.tokenizer.pad_token_id
    rows = lora.tokenize_examples(pydoc_split.train, bundle.tokenizer, tiny_config.seq_len)
    blocks = lora.make_blocks(rows, tiny_config.seq_len, pad, packing=True)
    asked = replace(tiny_config, steps=2, warmup_steps=1, cuda_graph=True)
    result = lora.train(model, blocks, asked)  # asked for, but a CPU has no graphs
    assert not result.cuda_graph and result.cuda_graph_error is None
    kind, text = lora.compile_note(result)
    assert "CUDA graph" not in text and kind == ""
