"""How the GPUs are wired (NVLink, PCIe) and whether their memory is healthy (ECC, MIG): the records.

`nvidia-smi topo -m` prints a matrix of how each pair of GPUs talks: NV# (that many bonded NVLinks,
directly or through NVSwitch) or the PCIe path (PIX: one bridge, PXB: several, PHB: through the CPU's
host bridge, NODE: across host bridges in one NUMA node, SYS: across sockets). The path decides how
fast all-reduce and peer copies can be, so a validation notebook shows it. The records here are
plain data with the rules that read them (pair labels, PCIe ceilings, health problems);
`topology_probe` fills them from NVML.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# NVML topology levels (nvmlGpuTopologyLevel_t) -> the labels nvidia-smi topo -m uses.
PCIE_PATHS: dict[int, str] = {
    0: "INT",  # same board (dual-GPU cards)
    10: "PIX",
    20: "PXB",
    30: "PHB",
    40: "NODE",
    50: "SYS",
}
PATH_MEANING: dict[str, str] = {
    "X": "self",
    "NV#": "# bonded NVLinks (direct or through NVSwitch)",
    "INT": "same board",
    "PIX": "at most one PCIe bridge",
    "PXB": "several PCIe bridges, no host bridge",
    "PHB": "through a PCIe host bridge (the CPU)",
    "NODE": "across PCIe host bridges within one NUMA node",
    "SYS": "across the CPU interconnect between NUMA nodes (slowest)",
}
# Per-lane transfer rate (GT/s) and line-code efficiency of each PCIe generation.
PCIE_GENERATIONS: dict[int, tuple[float, float]] = {
    1: (2.5, 8 / 10),
    2: (5.0, 8 / 10),
    3: (8.0, 128 / 130),
    4: (16.0, 128 / 130),
    5: (32.0, 128 / 130),
    6: (64.0, 242 / 256),  # FLIT mode
}


def pcie_peak_gbs(generation: int, width: int) -> float | None:
    """Raw one-direction bandwidth of a PCIe link in GB/s (gen5 x16: 63.0); None if unknown."""
    if generation not in PCIE_GENERATIONS or width < 1:
        return None
    rate, efficiency = PCIE_GENERATIONS[generation]
    return rate * width * efficiency / 8


def normalise_bus_id(bus_id: str | None) -> str | None:
    """'00000000:18:00.0' and '0000:18:00.0' are the same device: compare a canonical form."""
    if not bus_id:
        return None
    parts = bus_id.strip().lower().split(":")
    if len(parts) != 3:
        return bus_id.strip().lower()
    domain, bus, rest = parts
    try:
        return f"{int(domain, 16):04x}:{int(bus, 16):02x}:{rest}"
    except ValueError:
        return bus_id.strip().lower()


@dataclass
class PcieLink:
    """The GPU's PCIe link now (it may train down when idle) and at its best."""

    generation: int | None
    width: int | None
    max_generation: int | None
    max_width: int | None

    @property
    def peak_gbs(self) -> float | None:
        """One-direction ceiling of the link at its maximum generation and width."""
        if not self.max_generation or not self.max_width:
            return None
        return pcie_peak_gbs(self.max_generation, self.max_width)

    @property
    def label(self) -> str:
        peak = f", {self.peak_gbs:.1f} GB/s per direction" if self.peak_gbs else ""
        return f"PCIe gen{self.max_generation} x{self.max_width}{peak}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "peak_gbs": self.peak_gbs, "label": self.label}


@dataclass
class NvLink:
    """One NVLink of a GPU: up or down, and what is at the other end."""

    link: int
    active: bool
    version: int | None = None
    remote_bus_id: str | None = None
    remote_type: str = "unknown"  # gpu | switch | ibmnpu | unknown


@dataclass
class GpuTopology:
    """One GPU's links and memory-health state."""

    index: int
    name: str
    pci_bus_id: str | None = None
    numa_node: int | None = None
    mig_current: bool | None = None
    mig_pending: bool | None = None
    ecc_current: bool | None = None
    ecc_pending: bool | None = None
    ecc_uncorrected_volatile: int | None = None  # since the last driver load
    ecc_corrected_volatile: int | None = None
    remapped_rows: dict[str, Any] | None = None  # Ampere+: rows the memory retired
    pcie: PcieLink | None = None
    nvlinks: list[NvLink] = field(default_factory=list)

    @property
    def active_nvlinks(self) -> list[NvLink]:
        return [link for link in self.nvlinks if link.active]

    def problems(self) -> list[str]:
        """States a user should act on (empty when the GPU looks healthy)."""
        found = []
        if self.ecc_uncorrected_volatile:
            found.append(f"{self.ecc_uncorrected_volatile} uncorrectable ECC errors since boot")
        if self.remapped_rows:
            if self.remapped_rows.get("pending"):
                found.append("a memory row remap is pending: reset the GPU to apply it")
            if self.remapped_rows.get("failed"):
                found.append("a memory row remap failed: the GPU needs service")
        if self.ecc_pending is not None and self.ecc_pending != self.ecc_current:
            found.append("an ECC mode change is pending until the next reboot")
        if self.mig_pending is not None and self.mig_pending != self.mig_current:
            found.append("a MIG mode change is pending until the GPU is reset")
        inactive = len(self.nvlinks) - len(self.active_nvlinks)
        if self.active_nvlinks and inactive:
            found.append(f"{inactive} of {len(self.nvlinks)} NVLinks are down")
        return found

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["pcie"] = self.pcie.to_dict() if self.pcie else None
        data["active_nvlinks"] = len(self.active_nvlinks)
        data["problems"] = self.problems()
        return data


@dataclass
class Topology:
    """Every GPU's links plus the pairwise connection matrix; empty (not an error) without NVML."""

    available: bool
    error: str | None = None
    gpus: list[GpuTopology] = field(default_factory=list)
    matrix: list[list[str]] = field(default_factory=list)  # matrix[i][j]: how GPU i reaches j

    def matrix_rows(self) -> list[dict[str, str]]:
        """The matrix as table rows, one per GPU, like `nvidia-smi topo -m`."""
        return [
            {"GPU": f"GPU {gpu.index}", **{f"GPU {j}": cell for j, cell in enumerate(row)}}
            for gpu, row in zip(self.gpus, self.matrix, strict=True)
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "available": self.available,
            "error": self.error,
            "gpus": [gpu.to_dict() for gpu in self.gpus],
            "matrix": self.matrix,
        }


def pair_label(
    a: GpuTopology, b: GpuTopology, common_ancestor: int | None, nvlink_p2p: bool = False
) -> str:
    """How GPU a reaches GPU b: 'X', 'NV#' or a PCIe path label ('?' when NVML cannot say).

    Direct links are counted by matching each active link's remote PCI address with b's. On
    NVSwitch systems every link ends at a switch; there the pair counts as NV# (the smaller of the
    two GPUs' switch links) when NVML reports NVLink peer-to-peer between them.
    """
    if a.index == b.index:
        return "X"
    target = normalise_bus_id(b.pci_bus_id)
    direct = sum(
        1 for link in a.active_nvlinks if target and normalise_bus_id(link.remote_bus_id) == target
    )
    if direct:
        return f"NV{direct}"
    switched_a = sum(1 for link in a.active_nvlinks if link.remote_type == "switch")
    switched_b = sum(1 for link in b.active_nvlinks if link.remote_type == "switch")
    if nvlink_p2p and switched_a and switched_b:
        return f"NV{min(switched_a, switched_b)}"
    if common_ancestor is None:
        return "?"
    return PCIE_PATHS.get(common_ancestor, "?")
