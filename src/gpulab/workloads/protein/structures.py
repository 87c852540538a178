"""Structures in: the vendored PDB entries or a user's PDB/mmCIF, cleaned to standard protein.

Force-field residue names (CHARMM `HSD`, Amber `HIE`, `CYX`, ...) are mapped to the standard
ones and reported; other residues (water, ligands, unknown names) are dropped and reported; a
protein residue without its N, CA and C atoms is an error naming it.
"""

from __future__ import annotations

import gzip
import importlib
import io
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpulab import deps
from gpulab.errors import MissingDependencyError, UsageError

INSTALL = "pip install 'gpulab[protein]'"

ASSETS = Path(__file__).parent / "assets"
VENDORED = {
    "adk_open": "adk_open.pdb.gz",
    "adk_closed": "adk_closed.pdb.gz",
    "bpti": "5PTI.cif.gz",
    "1eteA": "1eteA.pdb.gz",
    "1lpbA": "1lpbA.pdb.gz",
    "2cviA": "2cviA.pdb.gz",
}
LABELS = {
    "adk_open": "adenylate kinase, open (4AKE)",
    "adk_closed": "adenylate kinase, closed (1AKE)",
    "bpti": "BPTI (5PTI, mmCIF)",
    "1eteA": "1ETE chain A",
    "1lpbA": "1LPB chain A",
    "2cviA": "2CVI chain A",
}
DSSP_REFERENCE = {"1eteA": "1eteA.pdb.dssp", "1lpbA": "1lpbA.pdb.dssp", "2cviA": "2cviA.pdb.dssp"}
RESIDUE_MAP = {
    "HSD": "HIS", "HSE": "HIS", "HSP": "HIS", "HID": "HIS", "HIE": "HIS", "HIP": "HIS",
    "CYX": "CYS", "CYM": "CYS", "ASH": "ASP", "GLH": "GLU", "LYN": "LYS", "MSE": "MET",
}  # fmt: skip
ONE_LETTER = {
    "ALA": "A", "ARG": "R", "ASN": "N", "ASP": "D", "CYS": "C", "GLN": "Q", "GLU": "E",
    "GLY": "G", "HIS": "H", "ILE": "I", "LEU": "L", "LYS": "K", "MET": "M", "PHE": "F",
    "PRO": "P", "SER": "S", "THR": "T", "TRP": "W", "TYR": "Y", "VAL": "V",
}  # fmt: skip
# CHARMM atom names that differ from the PDB's: (residue or "*", atom) -> PDB atom name.
ATOM_MAP = {("ILE", "CD"): "CD1", ("*", "OT1"): "O", ("*", "OT2"): "OXT"}
BACKBONE = ("N", "CA", "C")


@dataclass
class Structure:
    """A cleaned protein: heavy atoms of the first model, standard residue names."""

    name: str
    atoms: Any  # biotite AtomArray
    mapped: dict[str, int] = field(default_factory=dict)  # "HSD -> HIS": residues renamed
    dropped: dict[str, int] = field(default_factory=dict)  # residue name: residues left out

    @property
    def sequence(self) -> str:
        import biotite.structure as struc

        _, names = struc.get_residues(self.atoms)
        return "".join(ONE_LETTER[n] for n in names)

    @property
    def n_residues(self) -> int:
        return len(self.sequence)

    def ca(self) -> Any:
        return self.atoms[self.atoms.atom_name == "CA"]


def require_biotite() -> Any:
    """biotite, or a MissingDependencyError with the install command."""
    return require("biotite", "reading and analysing structures")


def require(module: str, purpose: str) -> Any:
    """An optional module of this notebook, or a MissingDependencyError naming its extra."""
    if not deps.is_available(module):
        raise MissingDependencyError(module, INSTALL, purpose)
    try:
        return importlib.import_module(module)
    except ImportError as err:  # installed, but one of its own dependencies is missing
        raise MissingDependencyError(f"{module} ({err.name or err})", INSTALL, purpose) from err


def load_vendored(name: str) -> Structure:
    """One of VENDORED by name."""
    if name not in VENDORED:
        raise UsageError(f"unknown structure {name!r} (choose from {', '.join(VENDORED)})")
    path = ASSETS / VENDORED[name]
    return parse_structure(path.read_bytes(), path.name, name)


def load_path(path: str | Path) -> Structure:
    """A PDB or mmCIF file (optionally .gz) from disk."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise UsageError(f"no file at {str(file)!r}: give the path of a .pdb or .cif file")
    return parse_structure(file.read_bytes(), file.name, file.stem)


def dssp_reference(name: str) -> str:
    """The shipped DSSP string (H, E, -) of a vendored chain."""
    return (ASSETS / DSSP_REFERENCE[name]).read_text().split()[0]


def parse_structure(data: bytes, filename: str, name: str) -> Structure:
    """Parse bytes as PDB or mmCIF (by the name's suffix), first model, then clean it."""
    require_biotite()
    if filename.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except OSError as err:
            raise UsageError(f"{filename} is not a gzip file: {err}") from err
        filename = filename[:-3]
    text = data.decode("utf-8", errors="replace")
    atoms = _read(text, filename)
    return clean(atoms, name)


def _read(text: str, filename: str) -> Any:
    from biotite.structure.io import pdb, pdbx

    is_cif = filename.lower().endswith((".cif", ".mmcif")) or text.lstrip().startswith("data_")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "elements were guessed": CHARMM files lack them
            if is_cif:
                atoms = pdbx.get_structure(pdbx.CIFFile.read(io.StringIO(text)), model=1)
            else:
                atoms = pdb.PDBFile.read(io.StringIO(text)).get_structure(model=1)
    except Exception as err:  # biotite raises several types for a malformed file
        raise UsageError(f"{filename} is not a readable PDB/mmCIF structure: {err}") from err
    if atoms.array_length() == 0:
        raise UsageError(f"{filename} has no atoms: is it a PDB or mmCIF structure file?")
    return atoms


def clean(atoms: Any, name: str) -> Structure:
    """Map force-field names, drop non-protein residues and hydrogens, check the backbone."""
    import biotite.structure as struc
    import numpy as np

    atoms = atoms.copy()
    mapped, dropped = Counter(), Counter()
    for res_name in atoms.res_name[struc.get_residue_starts(atoms)]:
        if res_name in RESIDUE_MAP:
            mapped[f"{res_name} -> {RESIDUE_MAP[res_name]}"] += 1
        elif res_name not in ONE_LETTER:
            dropped[str(res_name)] += 1
    atoms.res_name = np.array([RESIDUE_MAP.get(r, r) for r in atoms.res_name])
    atoms.atom_name = np.array(
        [
            ATOM_MAP.get((r, a), ATOM_MAP.get(("*", a), a))
            for r, a in zip(atoms.res_name, atoms.atom_name, strict=True)
        ]
    )
    keep = np.isin(atoms.res_name, list(ONE_LETTER)) & ~np.isin(atoms.element, ["H", "D"])
    keep &= ~atoms.hetero | np.isin(atoms.res_name, list(ONE_LETTER))
    atoms = atoms[keep]
    if atoms.array_length() == 0:
        raise UsageError(f"{name} has no standard amino-acid residues (found: {dict(dropped)})")
    _check_backbone(atoms, name)
    return Structure(name, atoms, dict(mapped), dict(dropped))


def _check_backbone(atoms: Any, name: str) -> None:
    import biotite.structure as struc

    missing = []
    for residue in struc.residue_iter(atoms):
        lacks = [a for a in BACKBONE if a not in set(residue.atom_name)]
        if lacks:
            first = residue[0]
            missing.append(f"{first.res_name}{first.res_id} ({', '.join(lacks)})")
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise UsageError(
            f"{name}: {len(missing)} residues lack backbone atoms: {', '.join(missing[:5])}{more}. "
            "Every residue needs N, CA and C; remove incomplete residues or use a complete model."
        )
