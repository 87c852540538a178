"""biotite's superposition as fitted coordinates, on biotite 1.x (Python 3.11) and 2.x (3.12+).

`biotite.structure.superimpose` returns `(fitted, transformation)` in 1.x and only the
transformation in 2.x; every caller here wants the fitted `mobile`.
"""

from __future__ import annotations

from typing import Any


def superimposed(fixed: Any, mobile: Any) -> Any:
    """`mobile` (coordinates or an AtomArray, one or a stack) moved onto `fixed` by biotite."""
    import biotite.structure as struc

    result = struc.superimpose(fixed, mobile)
    if isinstance(result, tuple):
        return result[0]
    return result.apply(mobile)
