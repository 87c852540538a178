"""Protein structure: real structures analysed with biotite, batched RMSD on the GPU, ESMFold.

Read in this order: `config` (what runs, sequence checks), `structures` (vendored PDB entries
and a user's file, cleaned), `analysis` (secondary structure, contacts, Ramachandran, Rg, SASA,
RMSD and TM-score), `ensemble` (conformations between ADK open and closed), `kabsch` (all pairs
in one GEMM plus Horn's 4 x 4 eigenproblem), `rmsd_run` (ours against biotite, checked),
`esmfold` and `esm_timing` (the folding model, s/structure and peak memory against length), and
`viewer` (3Dmol.js vendored into an anywidget). Importing the package loads neither torch nor
biotite nor transformers.
"""

from __future__ import annotations

from . import (
    analysis,
    display,
    ensemble,
    esm_timing,
    esmfold,
    kabsch,
    rmsd_run,
    structures,
    viewer,
)
from .config import AMINO_ACIDS, ESM_ARCHS, ESM_TINY, ESM_V1, ProteinConfig, check_sequence
from .structures import DSSP_REFERENCE, LABELS, VENDORED, Structure, load_path, load_vendored

__all__ = [
    "AMINO_ACIDS",
    "DSSP_REFERENCE",
    "ESM_ARCHS",
    "ESM_TINY",
    "ESM_V1",
    "LABELS",
    "VENDORED",
    "ProteinConfig",
    "Structure",
    "analysis",
    "display",
    "check_sequence",
    "ensemble",
    "esm_timing",
    "esmfold",
    "kabsch",
    "load_path",
    "load_vendored",
    "rmsd_run",
    "structures",
    "viewer",
]
