"""Which device a measurement runs on: the choices a notebook offers, CUDA or not, and the NVML
index that reads its clocks. torch is imported on first use, so importing this stays cheap.
"""

from __future__ import annotations

from typing import Any

from gpulab import nvml


def torch_module() -> Any:
    import torch

    return torch


def is_cuda(device: Any) -> bool:
    return str(device).startswith("cuda")


def device_choices() -> dict[str, str]:
    """Label -> torch device for every CUDA device, or the CPU when there is none."""
    torch = torch_module()
    if not torch.cuda.is_available():
        return {"CPU (no CUDA GPU visible)": "cpu"}
    return {
        f"cuda:{i} · {torch.cuda.get_device_name(i)}": f"cuda:{i}"
        for i in range(torch.cuda.device_count())
    }


def nvml_index(device: Any) -> int | None:
    """NVML's index for a CUDA device (for its clocks); None on the CPU."""
    if not is_cuda(device):
        return None
    torch = torch_module()
    index = torch.device(device).index
    return nvml.index_for_torch_device(torch.cuda.current_device() if index is None else index)
