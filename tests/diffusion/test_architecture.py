"""SD 1.5's networks built from the configs in code have SD 1.5's parameter counts."""

from __future__ import annotations

import pytest

from gpulab.workloads.diffusion import SD15_PARAMS_M, build_networks, count_parameters


@pytest.fixture(scope="module")
def sd15_meta() -> dict:
    return build_networks("sd15", device="meta")


def test_sd15_parameter_counts_match_the_published_model() -> None:
    counts = count_parameters("sd15")  # on the meta device: nothing allocated
    assert {name: round(m, 1) for name, m in counts.items()} == SD15_PARAMS_M
    assert SD15_PARAMS_M == {"unet": 859.5, "vae": 83.7, "text_encoder": 123.1}


def test_sd15_counting_allocates_nothing(sd15_meta: dict) -> None:
    networks = sd15_meta
    assert all(p.is_meta for net in networks.values() for p in net.parameters())


def test_the_tiny_set_uses_the_same_classes_at_test_size(sd15_meta: dict) -> None:
    tiny, full = build_networks("tiny"), sd15_meta
    for name in full:
        assert type(tiny[name]) is type(full[name])
    counts = count_parameters("tiny")
    assert sum(counts.values()) < 5  # millions: seconds on a CPU
    # the real vocabulary and context: the shipped tokenizer's ids all fit
    text = tiny["text_encoder"]
    assert text.get_input_embeddings().num_embeddings == 49408
    assert text.config.max_position_embeddings == 77
    assert 2 ** (len(tiny["vae"].config.block_out_channels) - 1) == 8  # SD's 1/8 latents


@pytest.mark.parametrize("name", ["unet", "vae"])
def test_sd15_blocks_are_sd15s(sd15_meta: dict, name: str) -> None:
    net = sd15_meta[name]
    assert (
        tuple(net.config.block_out_channels)
        == {
            "unet": (320, 640, 1280, 1280),
            "vae": (128, 256, 512, 512),
        }[name]
    )
