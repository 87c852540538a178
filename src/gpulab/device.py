"""What GPUs this machine has, and which software drives them.

NVML answers for every GPU (name, memory, MIG, ECC, driver) without touching CUDA; torch adds what
only the CUDA runtime knows (SM count, the CUDA version torch was built for). On a machine with no
GPU the result is a clean, empty report, never an exception.
"""

from __future__ import annotations

import platform
from dataclasses import asdict, dataclass, field
from typing import Any

from gpulab import nvml
from gpulab.datasheet import Datasheet, datasheet_for

ARCHITECTURES: dict[int, str] = {
    6: "Pascal",
    7: "Volta",
    8: "Ampere",
    9: "Hopper",
    10: "Blackwell",
    11: "Blackwell",
    12: "Blackwell",
}


def architecture_name(capability: tuple[int, int] | None) -> str:
    """Compute capability to marketing architecture ('Hopper' for 9.0); 'unknown' if unmapped."""
    if capability is None:
        return "unknown"
    major, minor = capability
    if (major, minor) == (7, 5):
        return "Turing"
    if (major, minor) == (8, 9):
        return "Ada Lovelace"
    return ARCHITECTURES.get(major, "unknown")


@dataclass
class GpuInfo:
    """One GPU as NVML and torch report it."""

    index: int
    name: str
    memory_total_mib: float
    memory_free_mib: float | None = None
    uuid: str | None = None
    compute_capability: tuple[int, int] | None = None
    architecture: str = "unknown"
    sm_count: int | None = None
    mig_enabled: bool | None = None
    ecc_enabled: bool | None = None
    pci_bus_id: str | None = None
    datasheet: Datasheet | None = None

    @property
    def supports_bf16(self) -> bool:
        return bool(self.compute_capability and self.compute_capability >= (8, 0))

    @property
    def supports_fp8(self) -> bool:
        return bool(self.compute_capability and self.compute_capability >= (8, 9))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["datasheet"] = self.datasheet.to_dict() if self.datasheet else "unknown"
        return data


@dataclass
class SystemInfo:
    """The whole machine: GPUs plus driver, CUDA and torch versions."""

    gpus: list[GpuInfo] = field(default_factory=list)
    driver_version: str | None = None
    cuda_driver_version: str | None = None
    torch_version: str | None = None
    torch_cuda_version: str | None = None
    cuda_available: bool = False
    nvml_available: bool = False
    nvml_error: str | None = None
    host: str = field(default_factory=platform.node)
    python_version: str = field(default_factory=platform.python_version)

    @property
    def has_gpu(self) -> bool:
        return bool(self.gpus)

    @property
    def device_label(self) -> str:
        """'NVIDIA H100 80GB HBM3' (or 'cpu'): how reports name where they ran."""
        if not self.gpus:
            return "cpu"
        names = sorted({gpu.name for gpu in self.gpus})
        count = f"{len(self.gpus)}x " if len(self.gpus) > 1 else ""
        return count + " + ".join(names)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["gpus"] = [gpu.to_dict() for gpu in self.gpus]
        data["has_gpu"] = self.has_gpu
        data["device"] = self.device_label
        return data


def probe(use_torch: bool = True) -> SystemInfo:
    """Inventory every GPU; `use_torch=False` avoids initialising CUDA in this process."""
    info = SystemInfo(nvml_available=nvml.ensure(), nvml_error=nvml.error())
    if info.nvml_available:
        _fill_from_nvml(info)
    torch = _import_torch()
    if torch is not None:
        info.torch_version = torch.__version__
        info.torch_cuda_version = torch.version.cuda
        if use_torch:
            info.cuda_available = bool(torch.cuda.is_available())
            if info.cuda_available:
                _fill_from_torch(info, torch)
                _apply_memory_budget(info)
    return info


def _apply_memory_budget(info: SystemInfo) -> None:
    """Under a memory budget the card reports the budget as its memory (gpulab.memory_budget)."""
    from gpulab import memory_budget

    for gpu in info.gpus:
        budget = memory_budget.active(gpu.index)
        if budget is None:
            continue
        free, total = memory_budget.free_and_total(gpu.index)
        gpu.memory_total_mib = total / 2**20
        gpu.memory_free_mib = free / 2**20


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    return torch


def _fill_from_nvml(info: SystemInfo) -> None:
    pynvml = nvml.module()
    info.driver_version = nvml.query(lambda: nvml.text(pynvml.nvmlSystemGetDriverVersion()), None)
    cuda = nvml.query(pynvml.nvmlSystemGetCudaDriverVersion, None)
    if cuda:
        info.cuda_driver_version = f"{cuda // 1000}.{cuda % 1000 // 10}"
    for index in range(nvml.device_count()):
        handle = nvml.handle(index)
        name = nvml.text(pynvml.nvmlDeviceGetName(handle))
        memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
        capability = nvml.query(lambda h=handle: pynvml.nvmlDeviceGetCudaComputeCapability(h), None)
        capability = tuple(capability) if capability else None
        mig = nvml.query(lambda h=handle: pynvml.nvmlDeviceGetMigMode(h)[0], None)
        ecc = nvml.query(lambda h=handle: pynvml.nvmlDeviceGetEccMode(h)[0], None)
        info.gpus.append(
            GpuInfo(
                index=index,
                name=name,
                memory_total_mib=memory.total / 2**20,
                memory_free_mib=memory.free / 2**20,
                uuid=nvml.query(lambda h=handle: nvml.text(pynvml.nvmlDeviceGetUUID(h)), None),
                compute_capability=capability,
                architecture=architecture_name(capability),
                mig_enabled=None if mig is None else bool(mig),
                ecc_enabled=None if ecc is None else bool(ecc),
                pci_bus_id=nvml.query(
                    lambda h=handle: nvml.text(pynvml.nvmlDeviceGetPciInfo(h).busId), None
                ),
                datasheet=datasheet_for(name),
            )
        )


def _fill_from_torch(info: SystemInfo, torch: Any) -> None:
    """Add SM counts; without NVML (some containers) torch alone supplies the inventory."""
    for index in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(index)
        capability = (props.major, props.minor)
        if index < len(info.gpus):
            gpu = info.gpus[index]
            gpu.sm_count = props.multi_processor_count
            gpu.compute_capability = gpu.compute_capability or capability
            gpu.architecture = architecture_name(gpu.compute_capability)
            continue
        free, total = torch.cuda.mem_get_info(index)  # the budget is applied after the inventory
        info.gpus.append(
            GpuInfo(
                index=index,
                name=props.name,
                memory_total_mib=total / 2**20,
                memory_free_mib=free / 2**20,
                compute_capability=capability,
                architecture=architecture_name(capability),
                sm_count=props.multi_processor_count,
                datasheet=datasheet_for(props.name),
            )
        )


def torch_device(prefer: str = "cuda") -> Any:
    """The device a workload should use: CUDA when present, else CPU (the fallback path)."""
    import torch

    if prefer.startswith("cuda") and torch.cuda.is_available():
        return torch.device(prefer)
    return torch.device("cpu")
