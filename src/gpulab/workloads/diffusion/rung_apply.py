"""How each rung changes the pipeline, and how a side rung is undone afterwards.

The lossless rungs form a chain (default -> channels_last -> fused QKV -> compile ->
max-autotune): each keeps what the last one did. TensorRT and the lossy rungs are side rungs on
top of the chain so far: `apply` returns an undo function that puts the pipeline back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gpulab import deps

from .rungs import GPU_ONLY, UNVERIFIED, Rung

TINY_VAE_ID = "madebyollin/taesd"  # TAESD, for SD 1.x / 2.x latents
DEEPCACHE_INTERVAL = 3

Undo = Callable[[], None]


def _nothing() -> None:
    return None


def unavailable(rung: Rung, device: str, max_autotune: bool) -> str:
    """Why `rung` cannot run here ('' when it can)."""
    if rung.module and not deps.is_available(rung.module):
        return f"{UNVERIFIED} (pip install {rung.distribution})"
    if rung.cuda_only and not device.startswith("cuda"):
        return GPU_ONLY
    if rung.opt_in and not max_autotune:
        return "opt-in (it autotunes for many minutes): tick max-autotune to run it"
    return ""


def apply(rung: str, pipe: Any, state: dict[str, Any]) -> Undo:
    """Change `pipe` for `rung`; `state` keeps the eager modules for later compiles."""
    state.setdefault("unet", pipe.unet)
    state.setdefault("decode", pipe.vae.decode)
    return _APPLY[rung](pipe, state)


def _default(pipe: Any, state: dict[str, Any]) -> Undo:
    return _nothing


def _channels_last(pipe: Any, state: dict[str, Any]) -> Undo:
    import torch

    pipe.unet.to(memory_format=torch.channels_last)
    pipe.vae.to(memory_format=torch.channels_last)
    return _nothing


def _fused_qkv(pipe: Any, state: dict[str, Any]) -> Undo:
    pipe.unet.fuse_qkv_projections()
    pipe.vae.fuse_qkv_projections()
    return _nothing


def _compile(mode: str) -> Callable[[Any, dict[str, Any]], Undo]:
    def compile_rung(pipe: Any, state: dict[str, Any]) -> Undo:
        import torch

        torch._dynamo.reset()  # a fresh compile, not the last rung's graphs
        pipe.unet = torch.compile(state["unet"], mode=mode, fullgraph=True)
        # decode() carries diffusers' hooks and returns a dataclass: graph breaks allowed there
        pipe.vae.decode = torch.compile(state["decode"], mode=mode)
        state["chain_unet"] = pipe.unet
        return _nothing

    return compile_rung


def _tensorrt(pipe: Any, state: dict[str, Any]) -> Undo:
    import torch
    import torch_tensorrt  # noqa: F401 - registers the "torch_tensorrt" backend

    chain = pipe.unet
    pipe.unet = torch.compile(
        state["unet"],
        backend="torch_tensorrt",
        options={"enabled_precisions": {torch.float16}},
        dynamic=False,
    )

    def undo() -> None:
        pipe.unet = chain

    return undo


def _deepcache(pipe: Any, state: dict[str, Any]) -> Undo:
    from DeepCache import DeepCacheSDHelper

    chain = pipe.unet
    pipe.unet = state["unet"]  # DeepCache wraps the eager UNet's blocks
    helper = DeepCacheSDHelper(pipe=pipe)
    helper.set_params(cache_interval=DEEPCACHE_INTERVAL, cache_branch_id=0)
    helper.enable()

    def undo() -> None:
        helper.disable()
        pipe.unet = chain

    return undo


def _fewer_steps(pipe: Any, state: dict[str, Any]) -> Undo:
    from .pipeline import set_scheduler

    chain = pipe.scheduler
    set_scheduler(pipe, "dpm++")

    def undo() -> None:
        pipe.scheduler = chain

    return undo


def _tiny_vae(pipe: Any, state: dict[str, Any]) -> Undo:
    chain = pipe.vae
    pipe.vae = tiny_vae(pipe, state.get("random_weights", False))

    def undo() -> None:
        pipe.vae = chain

    return undo


def tiny_vae(pipe: Any, random_weights: bool) -> Any:
    """TAESD: random weights beside a random pipeline, else its published weights."""
    import torch
    from diffusers import AutoencoderTiny

    if random_weights:
        from gpulab.repro import seed_everything

        seed_everything(0)
        with torch.device(pipe.device):
            vae = AutoencoderTiny()
    else:
        vae = AutoencoderTiny.from_pretrained(TINY_VAE_ID)
    return vae.to(pipe.device, pipe.unet.dtype)


_APPLY: dict[str, Callable[[Any, dict[str, Any]], Undo]] = {
    "default": _default,
    "channels_last": _channels_last,
    "fused_qkv": _fused_qkv,
    "compile": _compile("reduce-overhead"),
    "max_autotune": _compile("max-autotune"),
    "tensorrt": _tensorrt,
    "deepcache": _deepcache,
    "fewer_steps": _fewer_steps,
    "tiny_vae": _tiny_vae,
}
