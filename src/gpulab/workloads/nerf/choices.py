"""The notebook's controls -> a checked NerfConfig, or the problem to show beside them."""

from __future__ import annotations

from dataclasses import replace

from gpulab.errors import UsageError

from .config import PROCEDURAL, NerfConfig


def chosen_config(
    base: NerfConfig,
    scene: str,
    image_size: int,
    n_train: int,
    ours_seconds: float,
    vanilla_seconds: float,
    batch_rays: int,
    cuda_graph: bool | None = None,
) -> tuple[NerfConfig | None, str]:
    """(config, "") for valid choices, else (None, the one-line reason); `cuda_graph` None
    keeps the base's choice."""
    scene = scene.strip() or PROCEDURAL
    config = replace(
        base,
        scene=scene,
        image_size=image_size,
        n_train=n_train,
        ours_seconds=ours_seconds,
        vanilla_seconds=vanilla_seconds,
        batch_rays=batch_rays,
        vanilla_batch_rays=batch_rays,
        cuda_graph=base.cuda_graph if cuda_graph is None else cuda_graph,
    )
    try:
        config.validate()
    except UsageError as err:
        return None, str(err)
    return config, ""
