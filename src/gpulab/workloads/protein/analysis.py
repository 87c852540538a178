"""Structure analysis with biotite: secondary structure, contacts, dihedrals, size, surface, fit.

Each function takes a cleaned `Structure` (see `structures`) and returns plain numbers or NumPy
arrays, so the notebook draws them and the tests check them against an independent reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fit import superimposed
from .structures import Structure

# DSSP's eight states folded into P-SEA's three: helices (H, G, I) -> a, strands (E, B) -> b.
DSSP_TO_THREE = {"H": "a", "G": "a", "I": "a", "E": "b", "B": "b"}
CONTACT_CUTOFF = 8.0  # Å between CA atoms, the usual residue contact definition


def secondary_structure(structure: Structure) -> str:
    """One letter per residue: a (helix), b (strand), c (coil), from biotite's P-SEA."""
    import biotite.structure as struc

    return "".join(sse_letter(s) for s in struc.annotate_sse(structure.atoms))


def sse_letter(element: Any) -> str:
    """P-SEA's state as a, b or c: a string in biotite 1.x, an enum member in 2.x."""
    value = getattr(element, "value", element)
    if isinstance(value, str) and value in ("a", "b", "c"):
        return value
    name = str(getattr(element, "name", value)).upper()
    return {"ALPHA": "a", "HELIX": "a", "BETA": "b", "STRAND": "b"}.get(name, "c")


def dssp_agreement(predicted: str, dssp: str) -> float:
    """Fraction of residues where P-SEA's state equals DSSP's (mapped to a/b/c)."""
    if len(predicted) != len(dssp):
        raise ValueError(f"lengths differ: {len(predicted)} residues vs DSSP {len(dssp)}")
    reference = "".join(DSSP_TO_THREE.get(c, "c") for c in dssp)
    return sum(p == r for p, r in zip(predicted, reference, strict=True)) / len(reference)


def contact_map(structure: Structure, cutoff: float = CONTACT_CUTOFF) -> Any:
    """Boolean residue x residue matrix: CA atoms closer than `cutoff` Å."""
    import numpy as np

    xyz = structure.ca().coord
    distances = np.linalg.norm(xyz[:, None, :] - xyz[None, :, :], axis=-1)
    return distances < cutoff


def ramachandran(structure: Structure) -> tuple[Any, Any]:
    """phi and psi per residue in degrees (NaN at the chain ends)."""
    import biotite.structure as struc
    import numpy as np

    phi, psi, _ = struc.dihedral_backbone(structure.atoms)
    return np.degrees(phi), np.degrees(psi)


def radius_of_gyration(structure: Structure) -> float:
    """Radius of gyration of the heavy atoms, Å (mass-weighted, as biotite computes it)."""
    import biotite.structure as struc

    return float(struc.gyration_radius(structure.atoms))


def sasa_per_residue(structure: Structure) -> Any:
    """Solvent-accessible surface per residue, Å² (Shrake-Rupley, probe 1.4 Å)."""
    import biotite.structure as struc
    import numpy as np

    per_atom = struc.sasa(structure.atoms, vdw_radii="ProtOr")
    return struc.apply_residue_wise(structure.atoms, np.nan_to_num(per_atom), np.sum)


@dataclass(frozen=True)
class Comparison:
    """Two structures' CA atoms superimposed: RMSD, TM-score and each residue's deviation."""

    rmsd: float
    tm_score: float
    deviation: Any  # Å per residue after the fit
    n_residues: int


def compare(reference: Structure, mobile: Structure) -> Comparison:
    """Superimpose `mobile` onto `reference` on CA atoms (same residues required)."""
    import biotite.structure as struc
    import numpy as np

    fixed, moving = reference.ca(), mobile.ca()
    if fixed.array_length() != moving.array_length():
        raise ValueError(
            f"{reference.name} has {fixed.array_length()} CA atoms and {mobile.name} "
            f"{moving.array_length()}: superposition needs the same residues"
        )
    fitted = superimposed(fixed, moving)
    deviation = np.linalg.norm(fitted.coord - fixed.coord, axis=-1)
    indices = np.arange(fixed.array_length())
    tm = struc.tm_score(fixed, fitted, indices, indices)
    return Comparison(float(struc.rmsd(fixed, fitted)), float(tm), deviation, len(indices))


def summary(structure: Structure) -> dict[str, Any]:
    """The headline numbers of one structure for a table row."""
    sse = secondary_structure(structure)
    return {
        "structure": structure.name,
        "residues": structure.n_residues,
        "Rg (Å)": round(radius_of_gyration(structure), 2),
        "SASA (Å²)": round(float(sasa_per_residue(structure).sum()), 0),
        "helix %": round(100 * sse.count("a") / len(sse), 1),
        "strand %": round(100 * sse.count("b") / len(sse), 1),
    }


def cleaning_note(structure: Structure) -> str:
    """What reading changed: renamed residues and dropped ones, as one Markdown line."""
    renamed = ", ".join(f"`{k}` ({v})" for k, v in structure.mapped.items()) or "none"
    dropped = ", ".join(f"`{k}` ({v})" for k, v in structure.dropped.items()) or "none"
    return f"- **{structure.name}**: renamed {renamed}; dropped {dropped}"
