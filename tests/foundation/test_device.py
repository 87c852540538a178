import pytest
import torch

from gpulab.device import architecture_name, probe, torch_device


@pytest.mark.parametrize(
    ("capability", "name"),
    [
        ((9, 0), "Hopper"),
        ((8, 0), "Ampere"),
        ((8, 6), "Ampere"),
        ((8, 9), "Ada Lovelace"),
        ((7, 5), "Turing"),
        ((7, 0), "Volta"),
        ((10, 0), "Blackwell"),
        ((3, 5), "unknown"),
        (None, "unknown"),
    ],
)
def test_architecture_names_follow_compute_capability(capability, name) -> None:
    assert architecture_name(capability) == name


@pytest.mark.skipif(torch.cuda.is_available(), reason="this test describes a machine without a GPU")
def test_probe_on_a_cpu_machine_is_a_clean_empty_report() -> None:
    info = probe()
    assert info.gpus == [] and not info.has_gpu
    assert info.device_label == "cpu"
    assert info.torch_version == torch.__version__
    report = info.to_dict()
    assert report["has_gpu"] is False and report["device"] == "cpu"
    if not info.nvml_available:
        assert info.nvml_error  # says why, instead of raising
    assert torch_device().type == "cpu"
