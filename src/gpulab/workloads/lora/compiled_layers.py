"""torch.compile per decoder layer: one compiled graph serves every (identical) layer.

A small model at training sizes is bound by kernel launches (every LoRA layer adds a dropout, two
small matmuls, a scale and an add); compiling fuses each layer's element-wise work. A compile
failure falls back to eager and is recorded, never fatal.
"""

from __future__ import annotations

from typing import Any


def decoder_layers(model: Any) -> list[Any]:
    """The repeated blocks of a transformers model: its `_no_split_modules` (LlamaDecoderLayer...)."""
    causal = model.get_base_model() if hasattr(model, "get_base_model") else model
    names = set(getattr(causal, "_no_split_modules", None) or ())
    return [module for module in model.modules() if type(module).__name__ in names]


def _first_lines(error: BaseException, limit: int = 300) -> str:
    """An exception as one short line (type and the start of its message), for a report."""
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return f"{type(error).__name__}: {text}"[:limit]


class CompiledLayers:
    """`torch.compile` on each decoder layer inside a `with` block; eager again after it.

    Why layers and not the whole model: the 30 layers of SmolLM2 are the same code with different
    weights, and compiled weights are graph inputs, so one compiled graph serves every layer
    (two, in fact: the first layer's input needs no gradient). Compiling costs one layer's worth
    of time, and each layer's dozens of small kernels (norms, rotary, LoRA dropout/scale/add)
    become a few fused ones. Generation and evaluation after the block run eagerly, so they never
    trigger recompiles for new shapes. A failure is kept in `error`, never raised.
    """

    def __init__(self, model: Any, backend: str = "inductor", enabled: bool = True) -> None:
        self.layers = decoder_layers(model) if enabled else []
        self.backend = backend
        self.error: str | None = None
        if enabled and not self.layers:
            self.error = "no repeated decoder layers found (transformers' _no_split_modules)"

    @property
    def active(self) -> bool:
        return any("forward" in vars(layer) for layer in self.layers)

    def __enter__(self) -> CompiledLayers:
        import torch

        try:
            for layer in self.layers:
                layer.forward = torch.compile(layer.forward, backend=self.backend, dynamic=False)
        except Exception as err:  # e.g. an unknown backend, or no compiler on this platform
            self.restore(err)
        return self

    def restore(self, error: BaseException | None = None) -> None:
        """Back to eager (drop the compiled forwards); with `error`, record why."""
        for layer in self.layers:
            vars(layer).pop("forward", None)
        if error is not None:
            self.error = _first_lines(error)
            cause = getattr(error, "inner_exception", None) or error.__cause__
            if cause is not None and str(cause).strip() not in self.error:
                self.error += f" <- {_first_lines(cause)}"

    def __exit__(self, *exc: object) -> None:
        self.restore()


def compiled_graph_count() -> int:
    """Graphs torch.compile has produced in this process (a diagnostic: 2 means layers share)."""
    try:
        from torch._dynamo.utils import counters
    except ImportError:  # pragma: no cover - torch without dynamo
        return 0
    return int(counters["stats"]["unique_graphs"])
