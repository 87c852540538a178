"""Topology from NVML: empty without a driver; the pair labels and health rules on real records."""

from __future__ import annotations

import pytest

from gpulab import nvml
from gpulab.workloads.gpu_validation.topology import (
    GpuTopology,
    NvLink,
    PcieLink,
    normalise_bus_id,
    pair_label,
    pcie_peak_gbs,
)
from gpulab.workloads.gpu_validation.topology_probe import probe_topology


@pytest.mark.skipif(nvml.ensure(), reason="this machine has an NVIDIA driver")
def test_topology_without_nvml_is_empty_not_an_error():
    topology = probe_topology()
    assert not topology.available
    assert topology.error
    assert topology.gpus == [] and topology.matrix == [] and topology.matrix_rows() == []
    assert topology.to_dict()["gpus"] == []


def test_pcie_ceiling_follows_generation_and_width():
    assert pcie_peak_gbs(5, 16) == pytest.approx(63.02, abs=0.01)
    assert pcie_peak_gbs(4, 16) == pytest.approx(31.51, abs=0.01)
    assert pcie_peak_gbs(2, 16) == pytest.approx(8.0)  # 8b/10b coding
    assert pcie_peak_gbs(9, 16) is None
    link = PcieLink(generation=1, width=16, max_generation=5, max_width=16)
    assert link.peak_gbs == pytest.approx(63.02, abs=0.01)  # idle links train down; max counts
    assert "gen5 x16" in link.label


def test_bus_ids_compare_in_canonical_form():
    assert normalise_bus_id("00000000:18:00.0") == normalise_bus_id("0000:18:00.0")
    assert normalise_bus_id("00000000:1A:00.0") == "0000:1a:00.0"
    assert normalise_bus_id(None) is None


def _gpu(index, bus, links=()):
    return GpuTopology(index=index, name="GPU", pci_bus_id=bus, nvlinks=list(links))


def test_direct_nvlinks_are_counted_per_peer():
    a = _gpu(
        0,
        "00000000:18:00.0",
        [
            NvLink(0, True, remote_bus_id="00000000:2A:00.0", remote_type="gpu"),
            NvLink(1, True, remote_bus_id="0000:2a:00.0", remote_type="gpu"),
            NvLink(2, True, remote_bus_id="00000000:3B:00.0", remote_type="gpu"),
            NvLink(3, False),
        ],
    )
    b = _gpu(1, "00000000:2A:00.0")
    c = _gpu(2, "00000000:3B:00.0")
    assert pair_label(a, a, None) == "X"
    assert pair_label(a, b, 50) == "NV2"
    assert pair_label(a, c, 50) == "NV1"


def test_nvswitch_pairs_count_as_nvlink_only_with_peer_to_peer():
    links = [
        NvLink(i, True, remote_bus_id=f"0000:{i:02x}:00.0", remote_type="switch") for i in range(18)
    ]
    a, b = _gpu(0, "0000:18:00.0", links), _gpu(1, "0000:2a:00.0", links[:16])
    assert pair_label(a, b, 40, nvlink_p2p=True) == "NV16"
    assert pair_label(a, b, 40, nvlink_p2p=False) == "NODE"


def test_pcie_pairs_use_the_common_ancestor_label():
    a, b = _gpu(0, "0000:18:00.0"), _gpu(1, "0000:2a:00.0")
    assert pair_label(a, b, 10) == "PIX"
    assert pair_label(a, b, 30) == "PHB"
    assert pair_label(a, b, 50) == "SYS"
    assert pair_label(a, b, None) == "?"


def test_health_problems_name_what_to_act_on():
    healthy = GpuTopology(0, "GPU", ecc_current=True, ecc_pending=True, ecc_uncorrected_volatile=0)
    assert healthy.problems() == []
    sick = GpuTopology(
        0,
        "GPU",
        mig_current=False,
        mig_pending=True,
        ecc_current=True,
        ecc_pending=True,
        ecc_uncorrected_volatile=3,
        remapped_rows={"correctable": 0, "uncorrectable": 1, "pending": True, "failed": False},
        nvlinks=[NvLink(0, True), NvLink(1, False)],
    )
    problems = " | ".join(sick.problems())
    assert "3 uncorrectable ECC errors" in problems
    assert "remap is pending" in problems
    assert "MIG mode change is pending" in problems
    assert "1 of 2 NVLinks are down" in problems
