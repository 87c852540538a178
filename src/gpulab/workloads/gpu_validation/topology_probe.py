"""Reading the topology records from NVML: no CUDA context, no subprocess.

On a machine without a driver the result is an empty `Topology` with the reason, not an error.
"""

from __future__ import annotations

from typing import Any

from gpulab import nvml
from gpulab.workloads.gpu_validation.topology import (
    GpuTopology,
    NvLink,
    PcieLink,
    Topology,
    pair_label,
)

_REMOTE_TYPES = {0: "gpu", 1: "ibmnpu", 2: "switch"}
_MAX_LINKS = 36  # NVML_NVLINK_MAX_LINKS on current drivers


def probe_topology() -> Topology:
    """Read every GPU's NVLinks, PCIe link, MIG and ECC state and the pairwise paths."""
    if not nvml.ensure():
        return Topology(available=False, error=nvml.error())
    pynvml = nvml.module()
    handles = [nvml.handle(i) for i in range(nvml.device_count())]
    gpus = [_read_gpu(pynvml, index, h) for index, h in enumerate(handles)]
    matrix = []
    for i, a in enumerate(gpus):
        row = []
        for j, b in enumerate(gpus):
            if i == j:
                row.append("X")
                continue
            ancestor = nvml.query(
                lambda i=i, j=j: int(
                    pynvml.nvmlDeviceGetTopologyCommonAncestor(handles[i], handles[j])
                ),
                None,
            )
            p2p = nvml.query(
                lambda i=i, j=j: (
                    pynvml.nvmlDeviceGetP2PStatus(
                        handles[i], handles[j], pynvml.NVML_P2P_CAPS_INDEX_NVLINK
                    )
                    == pynvml.NVML_P2P_STATUS_OK
                ),
                False,
            )
            row.append(pair_label(a, b, ancestor, p2p))
        matrix.append(row)
    return Topology(available=True, gpus=gpus, matrix=matrix)


def _read_gpu(pynvml: Any, index: int, h: Any) -> GpuTopology:
    q = nvml.query
    mig = q(lambda: tuple(pynvml.nvmlDeviceGetMigMode(h)), None)
    ecc = q(lambda: tuple(pynvml.nvmlDeviceGetEccMode(h)), None)
    ecc_on = bool(ecc and ecc[0])

    def ecc_count(kind: int) -> int | None:
        if not ecc_on:
            return None
        return q(
            lambda: int(pynvml.nvmlDeviceGetTotalEccErrors(h, kind, pynvml.NVML_VOLATILE_ECC)),
            None,
        )

    remapped = q(lambda: tuple(pynvml.nvmlDeviceGetRemappedRows(h)), None)
    return GpuTopology(
        index=index,
        name=nvml.text(pynvml.nvmlDeviceGetName(h)),
        pci_bus_id=q(lambda: nvml.text(pynvml.nvmlDeviceGetPciInfo(h).busId), None),
        numa_node=q(lambda: int(pynvml.nvmlDeviceGetNumaNodeId(h)), None),
        mig_current=None if mig is None else bool(mig[0]),
        mig_pending=None if mig is None else bool(mig[1]),
        ecc_current=None if ecc is None else bool(ecc[0]),
        ecc_pending=None if ecc is None else bool(ecc[1]),
        ecc_uncorrected_volatile=ecc_count(pynvml.NVML_MEMORY_ERROR_TYPE_UNCORRECTED),
        ecc_corrected_volatile=ecc_count(pynvml.NVML_MEMORY_ERROR_TYPE_CORRECTED),
        remapped_rows=None
        if remapped is None
        else {
            "correctable": int(remapped[0]),
            "uncorrectable": int(remapped[1]),
            "pending": bool(remapped[2]),
            "failed": bool(remapped[3]),
        },
        pcie=PcieLink(
            generation=q(lambda: int(pynvml.nvmlDeviceGetCurrPcieLinkGeneration(h)), None),
            width=q(lambda: int(pynvml.nvmlDeviceGetCurrPcieLinkWidth(h)), None),
            max_generation=q(lambda: int(pynvml.nvmlDeviceGetMaxPcieLinkGeneration(h)), None),
            max_width=q(lambda: int(pynvml.nvmlDeviceGetMaxPcieLinkWidth(h)), None),
        ),
        nvlinks=_read_nvlinks(pynvml, h),
    )


def _read_nvlinks(pynvml: Any, h: Any) -> list[NvLink]:
    """Every NVLink the GPU has; GPUs without NVLink answer 'not supported' for each: []."""
    links = []
    for link in range(getattr(pynvml, "NVML_NVLINK_MAX_LINKS", _MAX_LINKS)):
        state = nvml.query(lambda link=link: pynvml.nvmlDeviceGetNvLinkState(h, link), None)
        if state is None:
            continue
        active = bool(state)
        remote_type = nvml.query(
            lambda link=link: pynvml.nvmlDeviceGetNvLinkRemoteDeviceType(h, link), None
        )
        links.append(
            NvLink(
                link=link,
                active=active,
                version=nvml.query(
                    lambda link=link: int(pynvml.nvmlDeviceGetNvLinkVersion(h, link)), None
                )
                if active
                else None,
                remote_bus_id=nvml.query(
                    lambda link=link: nvml.text(
                        pynvml.nvmlDeviceGetNvLinkRemotePciInfo(h, link).busId
                    ),
                    None,
                )
                if active
                else None,
                remote_type=_REMOTE_TYPES.get(remote_type, "unknown")
                if remote_type is not None
                else "unknown",
            )
        )
    return links
