"""What the protein notebook runs: the ensemble for batched RMSD and the ESMFold timings.

`ProteinConfig.for_profile` gives the notebook's and the benchmark's sizes. Nothing here imports
torch, biotite or transformers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from gpulab import profiles
from gpulab.errors import UsageError

ESM_TINY, ESM_V1 = "tiny", "esmfold_v1"
ESM_ARCHS = (ESM_TINY, ESM_V1)
TRUNK_DTYPES = ("float32", "bfloat16")
AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"


@dataclass(frozen=True)
class ProteinConfig:
    """Sizes of one run. `ensemble` conformations x `ensemble` pairs of CA superpositions."""

    ensemble: int = 64
    noise_angstrom: float = 0.5
    peer_rows: int = 16  # rows of the pairwise matrix biotite computes (the same rows are checked)
    repeats: int = 3
    esm_arch: str = ESM_TINY
    esm_lengths: tuple[int, ...] = (16, 32)
    esm_repeats: int = 1
    chunk_size: int | None = None  # ESMFold trunk attention chunk (None: unchunked)
    trunk_dtype: str = "float32"
    seed: int = 0

    @classmethod
    def for_profile(cls, profile: str) -> ProteinConfig:
        """smoke: 64 conformations and a tiny ESMFold; full: 4096 and esmfold_v1, L = 100..1000."""
        if profiles.check(profile) == profiles.SMOKE:
            return cls()
        return cls(
            ensemble=4096,
            peer_rows=8,
            repeats=5,
            esm_arch=ESM_V1,
            esm_lengths=(100, 250, 500, 1000),
            chunk_size=64,
        )

    def validate(self) -> ProteinConfig:
        """Raise UsageError naming the setting to change; returns self for chaining."""
        if not 2 <= self.ensemble <= 50_000:
            raise UsageError(f"ensemble must be 2..50000 conformations, got {self.ensemble}")
        if not 1 <= self.peer_rows <= self.ensemble:
            raise UsageError(
                f"peer_rows must be 1..ensemble ({self.ensemble}), got {self.peer_rows}"
            )
        if not 0 <= self.noise_angstrom <= 10:
            raise UsageError(f"noise must be 0..10 Å, got {self.noise_angstrom}")
        if self.repeats < 1 or self.esm_repeats < 1:
            raise UsageError("repeats must be at least 1")
        if self.esm_arch not in ESM_ARCHS:
            raise UsageError(f"unknown ESMFold architecture {self.esm_arch!r} (choose {ESM_ARCHS})")
        if not self.esm_lengths or any(not 1 <= n <= 2700 for n in self.esm_lengths):
            raise UsageError(f"sequence lengths must be 1..2700 residues, got {self.esm_lengths}")
        if self.chunk_size is not None and self.chunk_size < 1:
            raise UsageError(f"chunk_size must be positive or None, got {self.chunk_size}")
        if self.trunk_dtype not in TRUNK_DTYPES:
            raise UsageError(f"trunk dtype must be one of {TRUNK_DTYPES}, got {self.trunk_dtype!r}")
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_sequence(sequence: str) -> str:
    """The sequence in upper case without whitespace, or a UsageError naming the bad letters."""
    cleaned = "".join(sequence.split()).upper()
    if not cleaned:
        raise UsageError("the sequence is empty: type one-letter amino-acid codes (e.g. MKTAYIAK)")
    bad = sorted({c for c in cleaned if c not in AMINO_ACIDS})
    if bad:
        where = [i + 1 for i, c in enumerate(cleaned) if c in bad][:5]
        raise UsageError(
            f"the sequence has letters that are not amino acids: {', '.join(bad)} "
            f"(positions {', '.join(map(str, where))}); use the 20 letters {AMINO_ACIDS}"
        )
    return cleaned
