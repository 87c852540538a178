import pytest

from gpulab.datasheet import datasheet_for


@pytest.mark.parametrize(
    ("reported_name", "model"),
    [
        ("NVIDIA H100 80GB HBM3", "H100 SXM"),
        ("NVIDIA H100 PCIe", "H100 PCIe"),
        ("NVIDIA H100 NVL", "H100 NVL"),
        ("NVIDIA H200", "H200 SXM"),
        ("NVIDIA H200 NVL", "H200 NVL"),
        ("NVIDIA GB200", "GB200"),
        ("NVIDIA B200", "B200"),
        ("NVIDIA B200", "B200"),
        ("NVIDIA A100-SXM4-80GB", "A100 80GB SXM"),
        ("NVIDIA A100 80GB PCIe", "A100 80GB PCIe"),
        ("NVIDIA A100-SXM4-40GB", "A100 40GB"),
        ("NVIDIA A100-PCIE-40GB", "A100 40GB"),
        ("NVIDIA L40S", "L40S"),
        ("NVIDIA L4", "L4"),
        ("NVIDIA A10", "A10"),
    ],
)
def test_reported_names_match_their_datasheet(reported_name: str, model: str) -> None:
    sheet = datasheet_for(reported_name)
    assert sheet is not None and sheet.model == model


@pytest.mark.parametrize("name", ["NVIDIA GeForce RTX 4090", "NVIDIA A10G", "Tesla K80", ""])
def test_unknown_gpus_have_no_datasheet(name: str) -> None:
    assert datasheet_for(name) is None


def test_dense_peaks_are_consistent_across_formats() -> None:
    h100 = datasheet_for("NVIDIA H100 80GB HBM3")
    assert h100 is not None
    # Dense (not sparsity) figures: bf16 is twice tf32 and half fp8 on Hopper.
    assert h100.peak_tflops("bfloat16") == pytest.approx(2 * h100.tf32, rel=0.01)
    assert h100.peak_tflops("fp8") == pytest.approx(2 * h100.bf16, rel=0.01)
    assert h100.bandwidth_gbs == 3350


def test_formats_a_gpu_lacks_are_none() -> None:
    a100 = datasheet_for("NVIDIA A100-SXM4-80GB")
    assert a100 is not None and a100.peak_tflops("fp8") is None
