"""The ceilings a measurement is compared with: the GPU model's datasheet and its PCIe link.

Both are upper bounds, never results: a percentage of them says how close a run came.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpulab.datasheet import Datasheet, datasheet_for
from gpulab.workloads.gpu_validation.devices import is_cuda, nvml_index, torch_module
from gpulab.workloads.gpu_validation.topology_probe import probe_topology


@dataclass
class Peaks:
    """Ceilings the measurements are compared with; None where unknown."""

    datasheet: Datasheet | None = None
    pcie_gbs: float | None = None
    pcie_name: str | None = None


def peaks_for(device: Any) -> Peaks:
    """The datasheet of `device`'s GPU model and its PCIe link's ceiling (empty on CPU)."""
    if not is_cuda(device):
        return Peaks()
    sheet = datasheet_for(torch_module().cuda.get_device_name(device))
    index = nvml_index(device)
    gpus = probe_topology().gpus
    match = next((g for g in gpus if index is not None and g.index == index), None)
    if match is None and len(gpus) == 1:
        match = gpus[0]
    link = match.pcie if match else None
    if link is None or link.peak_gbs is None:
        return Peaks(datasheet=sheet)
    return Peaks(datasheet=sheet, pcie_gbs=link.peak_gbs, pcie_name=link.label)
