"""The ladder's models: real architectures, real checkpoint loading, meaningful random weights."""

from __future__ import annotations

import pytest
import torch

from gpulab.errors import UsageError
from gpulab.workloads.inference import (
    MODELS,
    RANDOM_RESIDUAL_GAMMA,
    Encoder,
    ResNet,
    ResNetConfig,
    calibrate_batchnorm,
    center_classifier,
    load_cnn,
    load_transformer,
    set_attention,
)


def test_resnet50_has_torchvision_parameter_count_and_names() -> None:
    model = ResNet(ResNetConfig())
    assert sum(p.numel() for p in model.parameters()) == 25_557_032  # torchvision resnet50
    state = model.state_dict()
    assert state["fc.weight"].shape == (1000, 2048)
    assert state["layer4.2.conv3.weight"].shape == (2048, 512, 1, 1)
    assert "layer2.0.downsample.1.running_var" in state
    assert state["layer2.0.conv2.weight"].shape == (128, 128, 3, 3)  # v1.5: stride on the 3x3


def test_tiny_resnet_is_the_same_code_with_smaller_sizes() -> None:
    model = load_cnn(MODELS["resnet-tiny"], None)
    assert isinstance(model, ResNet)
    with torch.no_grad():
        logits = model(torch.randn(2, 3, 32, 32))
    assert logits.shape == (2, 10)


def test_batchnorm_calibration_makes_random_deep_resnet_outputs_depend_on_the_image() -> None:
    torch.manual_seed(0)
    model = ResNet(ResNetConfig((3, 4, 6, 3), width=16)).eval()  # ResNet-50's depth
    images = torch.randn(3, 3, 64, 64)

    def similarity_between_images() -> float:
        with torch.no_grad():
            logits = model(images)
        return float(torch.nn.functional.cosine_similarity(logits[:1], logits[1:]).min())

    assert similarity_between_images() > 0.99  # uncalibrated: the same logits for every image
    calibrate_batchnorm(model, lambda: torch.randn(8, 3, 64, 64))
    assert similarity_between_images() < 0.95
    assert not model.training


def _bf16_weight_rounding_error(model: ResNet, images: torch.Tensor) -> float:
    """Worst relative change of the logits when weights and input are rounded to bf16."""
    with torch.no_grad():
        reference = model(images)
        for tensor in model.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(tensor.bfloat16().float())
        rounded = model(images.bfloat16().float())
    return float(((rounded - reference).norm(dim=1) / reference.norm(dim=1)).max())


def test_small_residual_gamma_keeps_a_random_deep_resnet_out_of_chaos() -> None:
    architecture = ResNetConfig((3, 4, 6, 3), width=16)  # ResNet-50's depth, a quarter width
    errors = {}
    for gamma in (1.0, RANDOM_RESIDUAL_GAMMA):
        torch.manual_seed(0)
        model = ResNet(architecture, residual_gamma=gamma).eval()
        calibrate_batchnorm(model, lambda: torch.randn(16, 3, 64, 64))
        errors[gamma] = _bf16_weight_rounding_error(model, torch.randn(16, 3, 64, 64))
    assert errors[RANDOM_RESIDUAL_GAMMA] * 3 < errors[1.0]


def test_centred_classifier_gives_different_images_different_answers() -> None:
    torch.manual_seed(0)
    model = load_cnn(MODELS["resnet-tiny"], None)
    calibrate_batchnorm(model, lambda: torch.randn(32, 3, 32, 32))
    center_classifier(model, lambda: torch.randn(64, 3, 32, 32))
    with torch.no_grad():
        logits = model(torch.randn(256, 3, 32, 32))
    assert logits.mean(0).abs().max() < 0.5 * logits.std(0).min()  # no common part left
    assert logits.argmax(1).unique().numel() >= 5  # not one class for every image


@pytest.mark.parametrize("suffix", [".safetensors", ".pth"])
def test_cnn_checkpoint_loads_from_a_file(tmp_path, suffix: str) -> None:
    source = ResNet(ResNetConfig((1, 1, 1, 1), 8, 7)).eval()
    path = tmp_path / f"weights{suffix}"
    if suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file(source.state_dict(), str(path))
    else:
        torch.save({"state_dict": {f"module.{k}": v for k, v in source.state_dict().items()}}, path)
    loaded = load_cnn(MODELS["resnet-tiny"], str(path))
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(loaded(images), source(images))  # class count (7) read from fc


def test_cnn_checkpoint_of_another_architecture_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "other.pth"
    torch.save(ResNet(ResNetConfig((2, 1, 1, 1), 8, 10)).state_dict(), path)
    with pytest.raises(UsageError, match="do not fit"):
        load_cnn(MODELS["resnet-tiny"], str(path))


def test_missing_cnn_weights_path_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        load_cnn(MODELS["resnet-tiny"], str(tmp_path / "nope.pth"))


def test_bert_loads_from_a_saved_folder_and_switches_attention(tmp_path) -> None:
    random = load_transformer(MODELS["bert-tiny"], None, seq_len=16)
    random.bert.save_pretrained(tmp_path)
    loaded = load_transformer(MODELS["bert-tiny"], str(tmp_path), seq_len=16)
    assert isinstance(loaded, Encoder)
    ids = torch.randint(0, 1000, (2, 16))
    with torch.no_grad():
        eager = loaded(ids)
        assert torch.allclose(eager, random(ids), atol=1e-6)
        set_attention(loaded, "sdpa")
        assert loaded.bert.config._attn_implementation == "sdpa"
        assert torch.allclose(loaded(ids), eager, atol=1e-5)


def test_sequence_longer_than_the_position_table_is_rejected() -> None:
    with pytest.raises(UsageError, match="exceeds"):
        load_transformer(MODELS["bert-tiny"], None, seq_len=129)
