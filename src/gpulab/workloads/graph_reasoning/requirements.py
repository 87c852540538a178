"""The optional libraries this workload needs, checked without importing them."""

from __future__ import annotations

from gpulab.deps import is_available
from gpulab.errors import MissingDependencyError

EXTRA_HINT = "pip install 'gpulab[graph-reasoning]'"


def require_pyg() -> None:
    """PyTorch Geometric (pure Python) for the relational layers, pooling and batching."""
    if not is_available("torch_geometric"):
        raise MissingDependencyError(
            "torch_geometric",
            f"{EXTRA_HINT}  # or: pip install torch_geometric",
            "the R-GCN models",
        )


def require_chart_export() -> None:
    """vl-convert renders the charts to PNG and SVG without a browser."""
    if not is_available("vl_convert"):
        raise MissingDependencyError(
            "vl-convert-python",
            f"{EXTRA_HINT}  # or: pip install vl-convert-python",
            "exporting charts as PNG / SVG",
        )
