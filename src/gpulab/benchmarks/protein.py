"""Protein structure: pairwise CA RMSD over an ADK ensemble, our batched Kabsch on the GPU vs biotite.

Runs `gpulab.workloads.protein.rmsd_run.run_rmsd` with `ProteinConfig.for_profile`: conformations
interpolated between adenylate kinase open (4AKE) and closed (1AKE) plus 0.5 Å noise (214 CA
atoms each). Ours computes the full N x N matrix of RMSDs after optimal superposition (one GEMM
per row block, Horn's 4 x 4 eigenproblem, float64) on the first CUDA GPU; the peer is biotite on
the CPU, `superimpose` + `rmsd` of the whole ensemble onto one conformation per row, for
`peer_rows` evenly spaced rows. The metric is superposition pairs per second (median, higher is
better); the rows biotite computed must equal ours to 1e-4 Å. `details["esmfold"]` has ESMFold's
seconds per structure and peak memory against sequence length (esmfold_v1 architecture with
random weights on full: speed and memory only; a tiny config on smoke). Smoke: 64 conformations,
ours on the CPU, where the ratio would compare the CPU with itself and is left out.
"""

from __future__ import annotations

from typing import Any

from gpulab.bench import BenchResult
from gpulab.workloads.protein import ProteinConfig, esm_timing, esmfold, rmsd_run


def _esm_details(config: ProteinConfig, device: str) -> dict[str, Any]:
    folder = esmfold.build(config.esm_arch, device, config.trunk_dtype, seed=config.seed)
    rows = esm_timing.time_lengths(
        folder, config.esm_lengths, config.esm_repeats, config.chunk_size, config.seed
    )
    for row in rows:
        row.pop("timing", None)
    return {
        "arch": config.esm_arch,
        "weights": folder.source,
        "parameters": sum(p.numel() for p in folder.model.parameters()),
        "rows": rows,
    } | esm_timing.fit_summary(rows, device)


def run(profile: str) -> BenchResult:
    config = ProteinConfig.for_profile(profile).validate()
    device = rmsd_run.default_device()
    result = rmsd_run.run_rmsd(config, device)
    if not result.equal:
        raise RuntimeError(
            f"ours and biotite differ by {result.max_abs_diff:.2e} Å (> 1e-4): no speed shown"
        )
    details = {
        "config": config.to_dict(),
        "device": device,
        "conformations": result.conformations,
        "atoms": result.atoms,
        "max_abs_diff_angstrom": result.max_abs_diff,
        "ours_timing": result.ours.to_dict(),
        "biotite_timing": result.peer.to_dict(),
        "biotite_rows": result.peer_rows,
        "esmfold": _esm_details(config, device),
    }
    return BenchResult(
        metric="pairwise RMSD superpositions per second",
        ours=result.ours_pairs_per_s,
        peer_name="biotite superimpose + rmsd (CPU)",
        peer_value=result.peer_pairs_per_s,
        unit="pairs/s",
        higher_is_better=True,
        details=details,
        no_ratio_because=""
        if device.startswith("cuda")
        else "no CUDA GPU: ours ran on the CPU, so a ratio would compare the CPU with itself",
    )
