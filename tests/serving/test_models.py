"""The served architectures are the real ones, and both processes build equal weights."""

from __future__ import annotations

import numpy as np
import torch

from gpulab.workloads.serving import BERT, MLP, RESNET, ModelShape, models


def _params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_resnet50_has_torchvisions_parameter_count() -> None:
    # torchvision.models.resnet50() has 25,557,032 parameters; a wrong stage or width differs.
    assert _params(models.build(ModelShape(RESNET))) == 25_557_032


def test_bert_base_has_the_encoders_parameter_count() -> None:
    # bert-base-uncased without its pooler: 109,482,240 - 590,592 (pooler dense 768x768 + bias).
    assert _params(models.build(ModelShape(BERT))) == 108_891_648


def test_bert_encoder_equals_transformers_bert_model_with_its_weights() -> None:
    from transformers import BertConfig, BertModel

    shape = ModelShape(BERT, tiny=True)
    ours = models.build(shape, seed=2)
    config = BertConfig(
        vocab_size=1000,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    reference = BertModel(config, add_pooling_layer=False).eval()
    missing, unexpected = reference.load_state_dict(ours.state_dict(), strict=False)
    assert not unexpected and all(name.endswith("_ids") for name in missing)  # buffers only
    ids = models.example_inputs(shape, 3)
    with torch.inference_mode():
        expected = reference(input_ids=torch.from_numpy(ids)).last_hidden_state[:, 0].numpy()
    np.testing.assert_allclose(models.forward(ours, ids), expected, rtol=1e-5, atol=1e-5)


def test_same_seed_same_answers_and_shapes() -> None:
    for name, width in ((RESNET, 1000), (BERT, 32), (MLP, 32)):
        shape = ModelShape(name, tiny=True)
        batch = models.example_inputs(shape, 3)
        first = models.forward(models.build(shape, seed=5), batch)
        second = models.forward(models.build(shape, seed=5), batch)
        assert first.shape == (3, width)
        np.testing.assert_array_equal(first, second)
        other = models.forward(models.build(shape, seed=6), batch)
        assert not np.allclose(first, other)


def test_resnet_requests_carry_8_bit_pixels_the_model_normalises() -> None:
    shape = ModelShape(RESNET, tiny=True)
    pixels = models.example_inputs(shape, 2)
    assert pixels.dtype == np.uint8 and shape.input_dtype() == "uint8"
    assert pixels.nbytes * 4 == np.zeros(pixels.shape, np.float32).nbytes
    model = models.build(shape, seed=3)
    mean = torch.tensor([0.485, 0.456, 0.406])[:, None, None]
    std = torch.tensor([0.229, 0.224, 0.225])[:, None, None]
    by_hand = (torch.from_numpy(pixels).float() / 255 - mean) / std
    with torch.inference_mode():
        expected = model[1:](by_hand).numpy()
    np.testing.assert_allclose(models.forward(model, pixels), expected, rtol=1e-4, atol=1e-4)


def test_a_channels_last_resnet_gives_the_nchw_answers() -> None:
    shape = ModelShape(RESNET, tiny=True)
    pixels = models.example_inputs(shape, 2)
    model = models.build(shape, seed=3)  # on the CPU the layout stays NCHW
    assert not models.channels_last(model)
    nchw = models.forward(model, pixels)
    model = model.to(memory_format=torch.channels_last)  # what build does on a GPU
    assert models.channels_last(model)
    np.testing.assert_allclose(models.forward(model, pixels), nchw, rtol=1e-4, atol=1e-4)


def test_off_a_gpu_the_graphed_forward_says_why_and_answers_eagerly() -> None:
    from gpulab.workloads.serving.graphed_forward import GraphedForward

    shape = models.ModelShape(models.RESNET, tiny=True)
    model = models.build(shape, seed=3)
    graphed = GraphedForward(model, shape, max_batch_size=4)
    assert graphed.graphs == {} and graphed.error == "the model is not on a CUDA GPU"
    batch = models.example_inputs(shape, 3)
    np.testing.assert_array_equal(graphed(batch), models.forward(model, batch))
