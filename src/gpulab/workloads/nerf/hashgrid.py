"""Multiresolution hash encoding (Müller et al. 2022) in plain PyTorch.

Level l has resolution N_l = floor(N_min * b^l), b = exp((ln N_max - ln N_min) / (L - 1)). A
point's 8 surrounding grid corners index the level's table directly where (N_l + 1)^3 fits in
it, else through the spatial hash (x * 1) xor (y * 2654435761) xor (z * 805459861) mod T; the
corner features are blended trilinearly and the L levels concatenated.

Three implementations, chosen by `HashGrid(backend=...)`: "reference" (a loop over levels, with
autograd's advanced-indexing backward: a sort-based index_put_ on CUDA, slow for millions of
rows), "index_add" (all levels at once; a custom backward that scatters with the atomic
`index_add_`) and "triton" (`hashgrid_triton`: one fused kernel each way). "auto" takes triton
on a CUDA device where it imports, else index_add. All three give the same values and table
gradients (tests/nerf/test_hashgrid*.py).
"""

from __future__ import annotations

import functools
import math
import os

import torch
from torch import nn

from .config import ENCODINGS, NerfConfig

PRIMES = (1, 2654435761, 805459861)


def level_resolutions(levels: int, base: int, finest: int) -> list[int]:
    """N_l for each level, coarse to fine."""
    if levels == 1:
        return [base]
    growth = math.exp((math.log(finest) - math.log(base)) / (levels - 1))
    return [int(math.floor(base * growth**level)) for level in range(levels)]


def corner_index(corners: torch.Tensor, resolution: int, table_size: int) -> torch.Tensor:
    """Table rows of integer grid corners [..., 3] at one level: dense or hashed."""
    side = resolution + 1
    if side**3 <= table_size:
        return corners[..., 0] + side * (corners[..., 1] + side * corners[..., 2])
    hashed = corners[..., 0] * PRIMES[0]
    hashed = hashed ^ (corners[..., 1] * PRIMES[1])
    hashed = hashed ^ (corners[..., 2] * PRIMES[2])
    return hashed % table_size


_OFFSETS = torch.tensor([[(c >> 0) & 1, (c >> 1) & 1, (c >> 2) & 1] for c in range(8)])
BACKENDS = ENCODINGS


@functools.cache
def _triton_imports() -> bool:
    try:
        from . import hashgrid_triton  # noqa: F401
    except ImportError:
        return False
    return True


def triton_usable(device: torch.device) -> bool:
    """Whether the fused kernels run on `device`: CUDA (or Triton's CPU interpreter, with
    TRITON_INTERPRET=1) and triton importable."""
    if device.type != "cuda" and os.environ.get("TRITON_INTERPRET") != "1":
        return False
    return _triton_imports()


class _GatherBlend(torch.autograd.Function):
    """sum_c w[..., c] * flat[rows[..., c]]: [N, L, 8] rows and weights -> [N, L, F].

    Autograd's backward of `flat[rows]` is index_put_ with accumulate (sorts the rows on
    CUDA); this one adds every corner's share with `index_add_` (atomic adds, no sort)."""

    @staticmethod
    def forward(ctx, flat, rows, weights):  # noqa: ANN001, ANN205
        gathered = flat.index_select(0, rows.reshape(-1)).reshape(*rows.shape, flat.shape[1])
        ctx.save_for_backward(rows, weights, gathered if weights.requires_grad else None)
        ctx.rows_total = flat.shape[0]
        return (gathered * weights[..., None].to(gathered.dtype)).sum(-2)

    @staticmethod
    def backward(ctx, grad):  # noqa: ANN001, ANN205
        rows, weights, gathered = ctx.saved_tensors
        grad_flat = grad_weights = None
        if ctx.needs_input_grad[0]:
            share = grad[..., None, :] * weights[..., None].to(grad.dtype)  # [N, L, 8, F]
            grad_flat = torch.zeros(
                ctx.rows_total, grad.shape[-1], device=grad.device, dtype=grad.dtype
            )
            grad_flat.index_add_(0, rows.reshape(-1), share.reshape(-1, grad.shape[-1]))
        if ctx.needs_input_grad[2]:
            grad_weights = (gathered * grad[..., None, :]).sum(-1).to(weights.dtype)
        return grad_flat, None, grad_weights


class HashGrid(nn.Module):
    """Points in [0, 1]^3 -> [N, levels * features] features."""

    def __init__(
        self,
        levels: int = 16,
        features: int = 2,
        log2_table: int = 19,
        base: int = 16,
        finest: int = 2048,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        if backend not in BACKENDS:
            raise ValueError(f"backend {backend!r}: choose one of {', '.join(BACKENDS)}")
        self.levels, self.features, self.table_size = levels, features, 2**log2_table
        self.resolutions = level_resolutions(levels, base, finest)
        self.backend = backend
        table = torch.empty(levels, self.table_size, features).uniform_(-1e-4, 1e-4)
        self.table = nn.Parameter(table)
        res = torch.tensor(self.resolutions)
        side = res + 1
        # per level: N_l, side, side^2 (dense strides) and whether it indexes densely
        self.register_buffer("_res", res.to(torch.int32), persistent=False)
        self.register_buffer(
            "_strides",
            torch.stack([torch.ones_like(side), side, side * side], -1),
            persistent=False,
        )
        self.register_buffer("_dense", side**3 <= self.table_size, persistent=False)
        self.register_buffer("_dense_i32", self._dense.to(torch.int32), persistent=False)
        self.register_buffer(
            "_level_base", torch.arange(levels) * self.table_size, persistent=False
        )
        self.register_buffer("_primes", torch.tensor(PRIMES), persistent=False)

    @classmethod
    def for_config(cls, config: NerfConfig, backend: str | None = None) -> HashGrid:
        """The grid a NeRF config describes; `backend` overrides `config.encoding`."""
        return cls(
            config.levels,
            config.features,
            config.log2_table,
            config.base_resolution,
            config.max_resolution,
            backend=config.encoding if backend is None else backend,
        )

    @property
    def out_features(self) -> int:
        return self.levels * self.features

    def resolved_backend(self, x: torch.Tensor) -> str:
        """The implementation `forward` uses for `x`: "auto" is triton on a CUDA device where
        it imports and the inputs need no gradient (its kernels give the table's alone), else
        index_add; it never picks Triton's slow CPU interpreter, which "triton" may ask for."""
        if self.backend in ("reference", "index_add"):
            return self.backend
        if self.backend == "auto":
            fused = x.device.type == "cuda" and triton_usable(x.device) and not x.requires_grad
            return "triton" if fused else "index_add"
        if not triton_usable(x.device) or x.requires_grad:
            raise RuntimeError(
                "backend 'triton' needs triton on a CUDA device (or TRITON_INTERPRET=1) and "
                "inputs without requires_grad"
            )
        return "triton"

    def warm_up(self) -> None:
        """Compile the fused kernels now (where they are used), not in a timed first step: one
        forward and backward on a few points, the table's gradient cleared after."""
        x = torch.rand(256, 3, device=self.table.device)
        if self.resolved_backend(x) == "triton":
            self(x).sum().backward()
            self.table.grad = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        backend = self.resolved_backend(x)
        if backend == "triton":
            from .hashgrid_triton import hash_encode

            return hash_encode(x, self.table, self._res, self._dense_i32)
        if backend == "index_add":
            return self._forward_index_add(x)
        return self._forward_reference(x)

    def _forward_index_add(self, x: torch.Tensor) -> torch.Tensor:
        """All levels at once: per axis the two corner coordinates' dense strides and hash
        terms, broadcast into the 2 x 2 x 2 corners (sum: dense row; xor: hash), then
        `_GatherBlend`. Corner c = 4 k + 2 j + i, as `_OFFSETS` orders them."""
        res = self._res.to(x.dtype)  # [L]
        scaled = x[:, None, :] * res[:, None]  # [N, L, 3]
        base = torch.minimum(scaled.floor().clamp(min=0), (res - 1)[:, None]).long()
        frac = scaled - base
        axis = torch.stack([base, base + 1], -1)  # [N, L, 3, 2]: each axis' two coordinates
        dense = axis * self._strides[:, :, None]
        hashed = axis * self._primes[:, None]

        def corners(t: torch.Tensor, op) -> torch.Tensor:  # noqa: ANN001 - [N, L, 3, 2] -> [N, L, 8]
            cx, cy, cz = (
                t[:, :, 0, None, None, :],
                t[:, :, 1, None, :, None],
                t[:, :, 2, :, None, None],
            )
            return op(op(cx, cy), cz).reshape(t.shape[0], t.shape[1], 8)

        w_axis = torch.stack([1 - frac, frac], -1)  # [N, L, 3, 2]
        weights = corners(w_axis, torch.mul)
        rows = torch.where(
            self._dense[:, None],
            corners(dense, torch.add),
            corners(hashed, torch.bitwise_xor) & (self.table_size - 1),  # % T: T = 2^k
        )
        rows = rows + self._level_base[:, None]
        flat = self.table.reshape(-1, self.features)
        return _GatherBlend.apply(flat, rows, weights).reshape(x.shape[0], -1)

    def _forward_reference(self, x: torch.Tensor) -> torch.Tensor:
        """One level at a time, autograd's backward: the original implementation."""
        offsets = _OFFSETS.to(x.device)
        flat = self.table.reshape(-1, self.features)
        out = []
        for level, resolution in enumerate(self.resolutions):
            scaled = x * resolution
            base = scaled.floor().long().clamp(0, resolution - 1)
            frac = scaled - base
            corners = base[:, None, :] + offsets  # [N, 8, 3]
            rows = corner_index(corners, resolution, self.table_size) + level * self.table_size
            weights = torch.where(offsets.bool(), frac[:, None, :], 1 - frac[:, None, :]).prod(-1)
            out.append((flat[rows] * weights[..., None]).sum(1))
        return torch.cat(out, dim=-1)


_SH = (
    0.28209479177387814,
    0.4886025119029199,
    1.0925484305920792,
    0.31539156525252005,
    0.5462742152960396,
    0.5900435899266435,
    2.890611442640554,
    0.4570457994644658,
    0.3731763325901154,
    1.445305721320277,
)


def _sh_terms() -> tuple[list[list[float]], list[float]]:
    """The degree-3 real SH as a linear map of monomials: coefficients [39, 16] over
    [x, y, z, d_i d_j (9), d_i d_j d_k (27)] (x, y, z = 0, 1, 2; row-major) and a bias [16]."""
    c = _SH
    m = [[0.0] * 16 for _ in range(39)]
    bias = [0.0] * 16

    def lin(i: int) -> int:
        return i

    def quad(i: int, j: int) -> int:
        return 3 + 3 * i + j

    def cube(i: int, j: int, k: int) -> int:
        return 12 + 9 * i + 3 * j + k

    x, y, z = 0, 1, 2
    bias[0] = c[0]
    m[lin(y)][1], m[lin(z)][2], m[lin(x)][3] = -c[1], c[1], -c[1]
    m[quad(x, y)][4], m[quad(y, z)][5] = c[2], -c[2]
    m[quad(z, z)][6], bias[6] = 3 * c[3], -c[3]
    m[quad(x, z)][7] = -c[2]
    m[quad(x, x)][8], m[quad(y, y)][8] = c[4], -c[4]
    m[cube(x, x, y)][9], m[cube(y, y, y)][9] = -3 * c[5], c[5]
    m[cube(x, y, z)][10] = c[6]
    m[cube(y, z, z)][11], m[lin(y)][11] = -5 * c[7], c[7]
    m[cube(z, z, z)][12], m[lin(z)][12] = 5 * c[8], -3 * c[8]
    m[cube(x, z, z)][13], m[lin(x)][13] = -5 * c[7], c[7]
    m[cube(x, x, z)][14], m[cube(y, y, z)][14] = c[9], -c[9]
    m[cube(x, x, x)][15], m[cube(x, y, y)][15] = -c[5], 3 * c[5]
    return m, bias


_SH_MATRIX: dict[tuple[torch.device, torch.dtype], tuple[torch.Tensor, torch.Tensor]] = {}


def spherical_harmonics(d: torch.Tensor) -> torch.Tensor:
    """Real spherical harmonics up to degree 3 of unit directions [N, 3]: [N, 16].

    One matmul over the monomials up to degree 3 (five kernels, not the ~35 of writing each
    term out: a training step is launch-bound), in d's precision even under autocast."""
    key = (d.device, d.dtype)
    if key not in _SH_MATRIX:
        m, bias = _sh_terms()
        _SH_MATRIX[key] = (
            torch.tensor(m, dtype=d.dtype, device=d.device),
            torch.tensor(bias, dtype=d.dtype, device=d.device),
        )
    m, bias = _SH_MATRIX[key]
    with torch.autocast(d.device.type, enabled=False):
        quad = d[:, :, None] * d[:, None, :]  # [N, 3, 3]
        cube = quad[:, :, :, None] * d[:, None, None, :]  # [N, 3, 3, 3]
        monomials = torch.cat([d, quad.flatten(1), cube.flatten(1)], -1)
        return torch.addmm(bias, monomials, m)
