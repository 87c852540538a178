"""How far a rung's images are from the default's at the same seed: PSNR and max abs diff.

Images are compared in [0, 1]. A lossless rung (same maths, other kernels) differs only by
rounding, so its PSNR stays high; `LOSSLESS_PSNR_DB` is the floor under which it is not verified.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

# fp16 rounding in reordered kernels, carried through the denoising steps and the decoder.
LOSSLESS_PSNR_DB = 25.0


@dataclass(frozen=True)
class Drift:
    psnr_db: float  # inf where the images are identical
    max_abs_diff: float
    mean_abs_diff: float

    @property
    def identical(self) -> bool:
        return self.max_abs_diff == 0.0

    def describe(self) -> str:
        psnr = "identical" if self.identical else f"PSNR {self.psnr_db:.1f} dB"
        return f"{psnr}, max abs diff {self.max_abs_diff:.3g}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["psnr_db"] = None if math.isinf(self.psnr_db) else self.psnr_db
        return data


def compare_images(reference: Any, images: Any) -> Drift:
    """PSNR (peak 1.0) and absolute differences of two image arrays of one shape."""
    import numpy as np

    ref = np.asarray(reference, dtype=np.float64)
    got = np.asarray(images, dtype=np.float64)
    if ref.shape != got.shape:
        raise ValueError(f"image shapes differ: {ref.shape} vs {got.shape}")
    diff = np.abs(ref - got)
    mse = float(np.mean(diff**2))
    psnr = math.inf if mse == 0 else 10 * math.log10(1.0 / mse)
    return Drift(psnr_db=psnr, max_abs_diff=float(diff.max()), mean_abs_diff=float(diff.mean()))
