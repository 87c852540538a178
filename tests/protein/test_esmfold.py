"""ESMFold through transformers: a tiny forward on the CPU, the esmfold_v1 size on meta."""

from __future__ import annotations

import io

import pytest
from biotite.structure.io import pdb

from gpulab.errors import UsageError
from gpulab.workloads.protein import check_sequence, esm_timing, esmfold


@pytest.fixture(scope="module")
def tiny() -> esmfold.Folder:
    return esmfold.build("tiny", "cpu", seed=0)


def test_tiny_forward_writes_a_pdb_biotite_reads(tiny: esmfold.Folder) -> None:
    sequence = "MKTAYIAKQRQISFVKSHFSRQ"
    out = esmfold.fold(tiny, sequence)
    atoms = pdb.PDBFile.read(io.StringIO(out["pdb"])).get_structure(model=1)
    assert len(set(atoms.res_id)) == len(sequence)
    assert (atoms.atom_name == "CA").sum() == len(sequence)
    assert 0.0 <= out["mean_plddt"] <= 1.0
    assert tiny.random_weights


def test_chunked_trunk_gives_the_same_structure(tiny: esmfold.Folder) -> None:
    sequence = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ"
    plain = esmfold.fold(tiny, sequence, chunk_size=None)["pdb"]
    chunked = esmfold.fold(tiny, sequence, chunk_size=4)["pdb"]
    a = pdb.PDBFile.read(io.StringIO(plain)).get_structure(model=1).coord
    b = pdb.PDBFile.read(io.StringIO(chunked)).get_structure(model=1).coord
    assert abs(a - b).max() < 1e-2


def test_esmfold_v1_architecture_has_3_5_billion_parameters() -> None:
    count = esmfold.parameter_count("esmfold_v1")
    assert 3.4e9 < count < 3.6e9


def test_time_lengths_rows_grow_live(tiny: esmfold.Folder) -> None:
    rows: list[dict] = []
    seen: list[int] = []
    result = esm_timing.time_lengths(
        tiny, (12, 8), progress=lambda d, t, n: seen.append(len(rows)), rows=rows
    )
    assert result is rows and [r["length"] for r in rows] == [8, 12]
    assert seen == [1, 2]  # each length is in `rows` when its progress is reported
    assert all(r["fits"] and r["seconds"] > 0 for r in rows)
    assert esm_timing.longest_fit(rows) == 12
    assert esm_timing.longest_fit([{"length": 5, "fits": False}]) is None


def test_invalid_sequence_letters_are_named() -> None:
    with pytest.raises(UsageError, match=r"not amino acids: B, J, Z \(positions 2, 4, 6\)"):
        check_sequence("MBKJAZ")
    with pytest.raises(UsageError, match="empty"):
        check_sequence("  \n")
    assert check_sequence("mk ta\nY") == "MKTAY"


def test_missing_local_weights_fail_without_downloading(tmp_path) -> None:
    with pytest.raises(OSError):
        esmfold.build("esmfold_v1", "cpu", weights=str(tmp_path / "no-such-model"))


def test_the_longest_length_is_extrapolated_from_measured_peaks() -> None:
    gib = 2**30
    # peaks of 2 + 1e-5 L^2 GiB: 12 GiB is reached at L = 1000
    rows = [
        {"length": n, "fits": True, "peak_bytes": int((2 + 1e-5 * n * n) * gib)}
        for n in (100, 300, 600)
    ]
    assert abs(esm_timing.estimated_longest(rows, 12 * gib) - 1000) <= 1
    assert esm_timing.estimated_longest(rows[:2], 12 * gib) is None  # two peaks fit no quadratic
    flat = [dict(r, peak_bytes=3 * gib) for r in rows]
    assert esm_timing.estimated_longest(flat, 12 * gib) is None  # memory that does not grow
    # a capacity among the measured peaks is interpolated (3 GiB: L = sqrt(1e5) = 316), never
    # answered with a longer measured length that used more than it
    assert abs(esm_timing.estimated_longest(rows, 3 * gib) - 316) <= 1
    assert esm_timing.estimated_longest(rows, 2 * gib) is None  # below the smallest length
