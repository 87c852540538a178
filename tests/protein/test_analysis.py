"""Analyses against independent references: biotite's own calls, NumPy formulas, DSSP."""

from __future__ import annotations

import biotite.structure as struc
import numpy as np
import pytest

from gpulab.workloads.protein import DSSP_REFERENCE, analysis, load_vendored, structures


@pytest.fixture(scope="module")
def adk() -> tuple[structures.Structure, structures.Structure]:
    return load_vendored("adk_open"), load_vendored("adk_closed")


def test_adk_open_vs_closed_rmsd_equals_biotites_own_call(adk) -> None:
    open_, closed = adk
    fixed = open_.atoms[open_.atoms.atom_name == "CA"]
    mobile = closed.atoms[closed.atoms.atom_name == "CA"]
    fitted, _ = struc.superimpose(fixed, mobile)
    expected = struc.rmsd(fixed, fitted)
    result = analysis.compare(open_, closed)
    assert result.rmsd == pytest.approx(float(expected), abs=1e-6)
    assert 6.0 < result.rmsd < 8.0  # the domain closure of adenylate kinase: ~7 Å on CA
    assert 0.4 < result.tm_score < 0.8
    assert np.sqrt(np.mean(result.deviation**2)) == pytest.approx(result.rmsd, abs=1e-5)


def test_a_structure_against_itself_is_rmsd_zero_tm_one(adk) -> None:
    result = analysis.compare(adk[0], adk[0])
    assert result.rmsd == pytest.approx(0.0, abs=1e-5)
    assert result.tm_score == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("name", list(DSSP_REFERENCE))
def test_secondary_structure_agrees_with_shipped_dssp(name: str) -> None:
    chain = load_vendored(name)
    predicted = analysis.secondary_structure(chain)
    assert len(predicted) == chain.n_residues
    assert analysis.dssp_agreement(predicted, structures.dssp_reference(name)) > 0.65


def test_sse_letters_from_strings_and_enums() -> None:
    import enum

    class Element(enum.Enum):  # the shape of biotite 2's PSeaElement
        ALPHA = 1
        BETA = 2
        COIL = 3

    assert [analysis.sse_letter(x) for x in ("a", "b", "c", "")] == ["a", "b", "c", "c"]
    assert [analysis.sse_letter(x) for x in Element] == ["a", "b", "c"]


def test_dssp_agreement_counts_states() -> None:
    assert analysis.dssp_agreement("abbc", "HGE-") == pytest.approx(0.75)
    assert analysis.dssp_agreement("aabc", "HHEB") == pytest.approx(0.75)
    with pytest.raises(ValueError, match="lengths differ"):
        analysis.dssp_agreement("aa", "H")


def test_radius_of_gyration_matches_the_mass_weighted_formula(adk) -> None:
    xyz = adk[0].atoms.coord.astype(np.float64)
    mass = np.array([struc.info.mass(e) for e in adk[0].atoms.element])
    centre = (xyz * mass[:, None]).sum(axis=0) / mass.sum()
    expected = np.sqrt((mass * ((xyz - centre) ** 2).sum(axis=1)).sum() / mass.sum())
    assert analysis.radius_of_gyration(adk[0]) == pytest.approx(float(expected), rel=1e-5)
    assert analysis.radius_of_gyration(adk[1]) < analysis.radius_of_gyration(adk[0])  # closed


def test_contact_map_is_symmetric_with_neighbours_in_contact(adk) -> None:
    contacts = analysis.contact_map(adk[0])
    assert contacts.shape == (214, 214)
    assert (contacts == contacts.T).all() and contacts.diagonal().all()
    assert np.diagonal(contacts, 1).all()  # consecutive CA atoms are 3.8 Å apart


def test_helix_residues_sit_in_the_helical_ramachandran_region() -> None:
    chain = load_vendored("1eteA")
    phi, psi = analysis.ramachandran(chain)
    sse = np.array(list(analysis.secondary_structure(chain)))
    helix = (sse == "a") & np.isfinite(phi) & np.isfinite(psi)
    assert np.median(phi[helix]) == pytest.approx(-63, abs=10)
    assert np.median(psi[helix]) == pytest.approx(-42, abs=10)


def test_sasa_per_residue_sums_biotites_atom_sasa() -> None:
    bpti = load_vendored("bpti")
    total = float(np.nansum(struc.sasa(bpti.atoms, vdw_radii="ProtOr")))
    per_residue = analysis.sasa_per_residue(bpti)
    assert len(per_residue) == 58
    assert float(per_residue.sum()) == pytest.approx(total, rel=1e-6)
    assert 3000 < total < 5000
