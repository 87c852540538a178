"""The hash encoding as two fused Triton kernels: every level and all 8 corners in one launch.

The PyTorch encoding launches a dozen small kernels per level and its backward (`flat[rows]`,
advanced indexing) is a sort-based `index_put_` over millions of rows; here the forward gathers
and blends in registers and the backward scatters `weight * grad` into the table with atomic
adds. Indexing is `hashgrid.corner_index` exactly: dense where (N_l + 1)^3 fits the table,
else (x * 1) xor (y * 2654435761) xor (z * 805459861) mod T, computed in uint32 (T is a power
of two <= 2^24, so the low 32 bits of the products decide the row). The inputs get no gradient:
the encoded points are sample positions, not parameters. This module imports triton;
`hashgrid` imports it only when the triton backend is chosen.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

BLOCK = 128  # points per program; one program per (block of points, level)


@triton.jit
def _corner(
    x_ptr,
    res_ptr,
    dense_ptr,
    pid_n,
    level,
    n_points,
    BLOCK: tl.constexpr,
):
    """Per point of the block: base corner, fractions and indexing mode at `level`."""
    offs = pid_n * BLOCK + tl.arange(0, BLOCK)
    live = offs < n_points
    res = tl.load(res_ptr + level)
    dense = tl.load(dense_ptr + level) != 0
    px = tl.load(x_ptr + offs * 3 + 0, mask=live, other=0.0).to(tl.float32)
    py = tl.load(x_ptr + offs * 3 + 1, mask=live, other=0.0).to(tl.float32)
    pz = tl.load(x_ptr + offs * 3 + 2, mask=live, other=0.0).to(tl.float32)
    sx, sy, sz = px * res, py * res, pz * res
    bx = tl.minimum(tl.maximum(tl.floor(sx), 0.0), res - 1.0)
    by = tl.minimum(tl.maximum(tl.floor(sy), 0.0), res - 1.0)
    bz = tl.minimum(tl.maximum(tl.floor(sz), 0.0), res - 1.0)
    return offs, live, res, dense, bx, by, bz, sx - bx, sy - by, sz - bz


@triton.jit
def _row(ix, iy, iz, res, dense, table_mask):
    """Table row of corner (ix, iy, iz): `corner_index` (dense or hashed)."""
    side = (res + 1).to(tl.uint32)
    ux, uy, uz = ix.to(tl.uint32), iy.to(tl.uint32), iz.to(tl.uint32)
    dense_row = ux + side * (uy + side * uz)
    hashed = (ux * 1) ^ (uy * 2654435761) ^ (uz * 805459861)
    return tl.where(dense, dense_row, hashed & table_mask).to(tl.int64)


@triton.jit
def _corner_term(c: tl.constexpr, bx, by, bz, fx, fy, fz, res, dense, table_mask):
    """Corner `c` (bit 0: +x, bit 1: +y, bit 2: +z) of each point's cell: its table row and
    its trilinear weight."""
    ox: tl.constexpr = c & 1
    oy: tl.constexpr = (c >> 1) & 1
    oz: tl.constexpr = (c >> 2) & 1
    wx = fx if ox else 1.0 - fx
    wy = fy if oy else 1.0 - fy
    wz = fz if oz else 1.0 - fz
    row = _row(
        bx.to(tl.int32) + ox, by.to(tl.int32) + oy, bz.to(tl.int32) + oz, res, dense, table_mask
    )
    return row, wx * wy * wz


@triton.jit(do_not_specialize=["n_points"])  # one compile whatever the point count
def forward_kernel(
    x_ptr,
    table_ptr,
    out_ptr,
    res_ptr,
    dense_ptr,
    n_points,
    table_size,
    table_mask,
    LEVELS: tl.constexpr,
    FEATURES: tl.constexpr,
    BLOCK: tl.constexpr,
):
    pid_n, level = tl.program_id(0), tl.program_id(1)
    offs, live, res, dense, bx, by, bz, fx, fy, fz = _corner(
        x_ptr, res_ptr, dense_ptr, pid_n, level, n_points, BLOCK
    )
    feats = tl.arange(0, FEATURES)
    acc = tl.zeros((BLOCK, FEATURES), dtype=tl.float32)
    level_base = level.to(tl.int64) * table_size * FEATURES
    for c in tl.static_range(8):
        row, weight = _corner_term(c, bx, by, bz, fx, fy, fz, res, dense, table_mask)
        ptrs = table_ptr + level_base + row[:, None] * FEATURES + feats[None, :]
        vals = tl.load(ptrs, mask=live[:, None], other=0.0).to(tl.float32)
        acc += vals * weight[:, None]
    out_ptrs = out_ptr + offs[:, None] * (LEVELS * FEATURES) + level * FEATURES + feats[None, :]
    tl.store(out_ptrs, acc.to(out_ptr.dtype.element_ty), mask=live[:, None])


@triton.jit(do_not_specialize=["n_points"])
def backward_kernel(
    x_ptr,
    grad_out_ptr,
    grad_table_ptr,
    res_ptr,
    dense_ptr,
    n_points,
    table_size,
    table_mask,
    LEVELS: tl.constexpr,
    FEATURES: tl.constexpr,
    BLOCK: tl.constexpr,
):
    pid_n, level = tl.program_id(0), tl.program_id(1)
    offs, live, res, dense, bx, by, bz, fx, fy, fz = _corner(
        x_ptr, res_ptr, dense_ptr, pid_n, level, n_points, BLOCK
    )
    feats = tl.arange(0, FEATURES)
    g_ptrs = grad_out_ptr + offs[:, None] * (LEVELS * FEATURES) + level * FEATURES + feats[None, :]
    g = tl.load(g_ptrs, mask=live[:, None], other=0.0).to(tl.float32)
    level_base = level.to(tl.int64) * table_size * FEATURES
    for c in tl.static_range(8):
        row, weight = _corner_term(c, bx, by, bz, fx, fy, fz, res, dense, table_mask)
        ptrs = grad_table_ptr + level_base + row[:, None] * FEATURES + feats[None, :]
        tl.atomic_add(ptrs, g * weight[:, None], mask=live[:, None])


def _grid(points: int, levels: int) -> tuple[int, int]:
    return (max(1, -(-points // BLOCK)), levels)


class HashEncode(torch.autograd.Function):
    """Points [N, 3] in [0, 1]^3 and a table [L, T, F] -> features [N, L * F] (fused)."""

    @staticmethod
    def forward(ctx, x, table, resolutions, dense):  # noqa: ANN001, ANN205
        x, table = x.contiguous(), table.contiguous()
        levels, size, features = table.shape
        out = torch.empty(x.shape[0], levels * features, device=x.device, dtype=table.dtype)
        forward_kernel[_grid(x.shape[0], levels)](
            x,
            table,
            out,
            resolutions,
            dense,
            x.shape[0],
            size,
            size - 1,
            LEVELS=levels,
            FEATURES=features,
            BLOCK=BLOCK,
        )
        ctx.save_for_backward(x, resolutions, dense)
        ctx.table_shape, ctx.table_dtype = table.shape, table.dtype
        return out

    @staticmethod
    def backward(ctx, grad_out):  # noqa: ANN001, ANN205
        x, resolutions, dense = ctx.saved_tensors
        levels, size, features = ctx.table_shape
        # fp32 accumulation whatever the table's dtype: atomics of many small terms
        grad_table = torch.zeros(ctx.table_shape, device=x.device, dtype=torch.float32)
        backward_kernel[_grid(x.shape[0], levels)](
            x,
            grad_out.contiguous(),
            grad_table,
            resolutions,
            dense,
            x.shape[0],
            size,
            size - 1,
            LEVELS=levels,
            FEATURES=features,
            BLOCK=BLOCK,
        )
        return None, grad_table.to(ctx.table_dtype), None, None


def hash_encode(
    x: torch.Tensor, table: torch.Tensor, resolutions: torch.Tensor, dense: torch.Tensor
) -> torch.Tensor:
    """The fused encoding; `resolutions` (N_l) and `dense` (1 where level l indexes densely)
    int32 tensors [L] on x's device."""
    levels, size, features = table.shape
    if size & (size - 1) or features & (features - 1):
        raise ValueError("the fused encoding needs a power-of-two table size and feature count")
    if x.shape[0] * levels * features >= 2**31:
        raise ValueError("the fused encoding indexes its output in int32: encode fewer points")
    return HashEncode.apply(x, table, resolutions, dense)
