"""ProteinConfig: the profiles' sizes and the messages a bad setting gets."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gpulab.errors import UsageError
from gpulab.workloads.protein import ESM_TINY, ESM_V1, ProteinConfig


def test_profiles() -> None:
    smoke, full = ProteinConfig.for_profile("smoke"), ProteinConfig.for_profile("full")
    assert smoke.esm_arch == ESM_TINY and full.esm_arch == ESM_V1
    assert full.esm_lengths == (100, 250, 500, 1000) and full.ensemble >= 4096
    assert smoke.validate() is smoke and full.validate() is full
    assert full.to_dict()["ensemble"] == full.ensemble


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ensemble": 1}, "ensemble must be"),
        ({"peer_rows": 100}, "peer_rows must be"),
        ({"noise_angstrom": -1.0}, "noise must be"),
        ({"esm_arch": "alphafold"}, "unknown ESMFold architecture"),
        ({"esm_lengths": ()}, "sequence lengths"),
        ({"esm_lengths": (0,)}, "sequence lengths"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"trunk_dtype": "int8"}, "trunk dtype"),
        ({"repeats": 0}, "repeats"),
    ],
)
def test_bad_settings_name_what_to_change(change: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        replace(ProteinConfig(), **change).validate()


def test_unknown_profile() -> None:
    with pytest.raises(UsageError, match="unknown profile"):
        ProteinConfig.for_profile("huge")
