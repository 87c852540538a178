"""Reading structures: vendored files, force-field names, and the bad inputs a user can give."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from gpulab.errors import UsageError
from gpulab.workloads.protein import load_path, load_vendored, structures

ADK_SEQUENCE_START = "MRIILLGAPGAGKGTQAQFIMEKYGIPQIS"  # E. coli adenylate kinase, UniProt P69441


def _adk_text() -> str:
    return gzip.decompress((structures.ASSETS / "adk_open.pdb.gz").read_bytes()).decode()


def test_adk_charmm_histidines_are_mapped_and_reported() -> None:
    adk = load_vendored("adk_open")
    assert adk.n_residues == 214
    assert adk.sequence.startswith(ADK_SEQUENCE_START)
    assert adk.mapped == {"HSD -> HIS": 3}
    assert "H" not in set(adk.atoms.element)  # hydrogens dropped


def test_mmcif_water_and_ligands_are_dropped_and_reported() -> None:
    bpti = load_vendored("bpti")
    assert bpti.n_residues == 58
    assert bpti.sequence.startswith(
        "RPDFCLEPPYTGPCKARIIRYFYNAKAGLCQTFVYGGCRAKRNNFKSAEDCMRTCGGA"[:20]
    )
    assert "DOD" in bpti.dropped and "PO4" in bpti.dropped


def test_a_file_that_is_not_a_structure_is_a_usage_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.pdb"
    bogus.write_text("this is a shopping list\nmilk\neggs\n")
    with pytest.raises(UsageError, match="no atoms|not a readable"):
        load_path(bogus)
    with pytest.raises(UsageError, match="not a readable"):
        structures.parse_structure(b"data_x\n_atom_site.broken\n", "x.cif", "x")


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no file at"):
        load_path(tmp_path / "absent.pdb")


def test_missing_backbone_atoms_name_the_residue(tmp_path: Path) -> None:
    lines = _adk_text().splitlines()
    kept = [ln for ln in lines if not (ln.startswith("ATOM") and ln[12:16].strip() == "CA"
            and ln[22:26].strip() == "5")]  # fmt: skip
    assert len(kept) == len(lines) - 1
    broken = tmp_path / "adk_broken.pdb"
    broken.write_text("\n".join(kept) + "\n")
    with pytest.raises(UsageError, match=r"1 residues lack backbone atoms: LEU5 \(CA\)"):
        load_path(broken)


def test_unknown_residue_names_are_reported_not_guessed(tmp_path: Path) -> None:
    text = _adk_text().replace(" MET     1", " XYZ     1")
    mutated = tmp_path / "adk_xyz.pdb"
    mutated.write_text(text)
    adk = load_path(mutated)
    assert adk.dropped == {"XYZ": 1}
    assert adk.n_residues == 213


def test_unknown_vendored_name_lists_the_choices() -> None:
    with pytest.raises(UsageError, match="choose from adk_open"):
        load_vendored("1abc")
