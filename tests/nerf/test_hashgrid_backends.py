"""The two fast encodings against the reference implementation (the loop over levels with
autograd's backward, itself checked point by point in test_hashgrid.py): the same values and
the same table gradients on random points, with dense and hashed levels both used.

The Triton kernels run here on Triton's CPU interpreter (TRITON_INTERPRET=1, set before triton
is first imported); where triton is not installed those tests are skipped and say so."""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest
import torch

from gpulab.workloads.nerf.hashgrid import HashGrid, triton_usable


def _grid(dtype: torch.dtype, backend: str, features: int = 2) -> HashGrid:
    torch.manual_seed(0)
    # log2_table 10: levels 0-1 index densely (side^3 <= 1024), the finer ones hash
    grid = HashGrid(levels=6, features=features, log2_table=10, base=4, finest=64, backend=backend)
    grid = grid.to(dtype)
    with torch.no_grad():
        grid.table.uniform_(-1, 1)
    return grid


def _points(count: int, dtype: torch.dtype) -> torch.Tensor:
    x = torch.rand(count, 3, dtype=dtype, generator=torch.Generator().manual_seed(3))
    x[0], x[1] = 1.0, 0.0  # the box's far corner (clamped to the last cell) and the origin
    x[2] = torch.tensor([1.0, 0.0, 0.5], dtype=dtype)
    return x


def _values_and_grad(grid: HashGrid, x: torch.Tensor, w: torch.Tensor):  # noqa: ANN202
    grid.table.grad = None
    out = grid(x)
    (out * w).sum().backward()
    return out.detach(), grid.table.grad.detach().clone()


def _compare(backend: str, dtype: torch.dtype, rtol: float, atol: float, features: int = 2) -> None:
    ref_grid, grid = _grid(dtype, "reference", features), _grid(dtype, backend, features)
    assert torch.equal(ref_grid.table, grid.table)
    dense = [(r + 1) ** 3 <= grid.table_size for r in grid.resolutions]
    assert any(dense) and not all(dense)
    x = _points(500, dtype)
    w = torch.randn(500, grid.out_features, dtype=dtype, generator=torch.Generator().manual_seed(4))
    ref_out, ref_grad = _values_and_grad(ref_grid, x, w)
    out, grad = _values_and_grad(grid, x, w)
    assert grid.resolved_backend(x) == backend
    torch.testing.assert_close(out, ref_out, rtol=rtol, atol=atol)
    torch.testing.assert_close(grad, ref_grad, rtol=rtol, atol=atol)
    assert int((ref_grad != 0).sum()) > 100  # many rows touched, some by several points


@pytest.mark.parametrize(
    ("dtype", "tol"), [(torch.float64, 1e-12), (torch.float32, 1e-5)], ids=["fp64", "fp32"]
)
def test_index_add_equals_the_reference(dtype: torch.dtype, tol: float) -> None:
    _compare("index_add", dtype, rtol=tol, atol=tol)


def test_index_add_passes_the_input_gradient_through() -> None:
    grid = _grid(torch.float64, "index_add")
    x = (torch.rand(8, 3, dtype=torch.float64) * 0.8 + 0.1).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda p: grid(p), (x,), eps=1e-7, atol=1e-6)


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="backend 'cuda'"):
        HashGrid(levels=2, log2_table=8, backend="cuda")


def test_auto_on_the_cpu_is_index_add() -> None:
    grid = _grid(torch.float32, "auto")
    assert grid.resolved_backend(torch.rand(4, 3)) == "index_add"


@pytest.fixture
def interpreted() -> None:
    """Triton's CPU interpreter. TRITON_INTERPRET must be set before triton is first imported
    (triton.language's own functions are built then), so it is set here for the rest of the
    session; skipped, with the reason, where triton is absent or was imported without it."""
    if importlib.util.find_spec("triton") is None:
        pytest.skip("triton is not installed: pip install triton")
    if "triton" not in sys.modules:
        os.environ["TRITON_INTERPRET"] = "1"
    import triton.language as tl
    from triton.runtime.interpreter import InterpretedFunction

    if not isinstance(tl.zeros, InterpretedFunction):
        pytest.skip("triton was imported without TRITON_INTERPRET=1: run with it set")
    os.environ["TRITON_INTERPRET"] = "1"
    assert triton_usable(torch.device("cpu"))


@pytest.mark.parametrize("features", [2, 4])
def test_triton_equals_the_reference_fp32(interpreted, features: int) -> None:  # noqa: ANN001
    # the kernels accumulate in fp32 and in another order: fp32 rounding, not bit equality
    _compare("triton", torch.float32, rtol=1e-5, atol=1e-5, features=features)


def test_triton_fp16_table_within_half_precision(interpreted) -> None:  # noqa: ANN001
    ref, grid = _grid(torch.float32, "reference"), _grid(torch.float32, "triton")
    grid.table.data = grid.table.data.half()
    x = _points(300, torch.float32)
    w = torch.randn(300, grid.out_features, generator=torch.Generator().manual_seed(5))
    ref_out, ref_grad = _values_and_grad(ref, x, w)
    out, grad = _values_and_grad(grid, x, w)
    assert out.dtype == grad.dtype == torch.float16
    torch.testing.assert_close(out.float(), ref_out, rtol=2e-3, atol=2e-3)
    torch.testing.assert_close(grad.float(), ref_grad, rtol=2e-3, atol=5e-3)


def test_triton_refuses_inputs_that_need_a_gradient(interpreted) -> None:  # noqa: ANN001
    grid = _grid(torch.float32, "triton")
    with pytest.raises(RuntimeError, match="requires_grad"):
        grid(torch.rand(4, 3, requires_grad=True))
    # and auto never takes the interpreter on the CPU, even with TRITON_INTERPRET=1
    assert _grid(torch.float32, "auto").resolved_backend(torch.rand(4, 3)) == "index_add"


def test_warm_up_runs_the_kernels_and_leaves_no_gradient(interpreted) -> None:  # noqa: ANN001
    grid = _grid(torch.float32, "triton")
    before = grid.table.detach().clone()
    grid.warm_up()
    assert grid.table.grad is None and torch.equal(grid.table, before)
