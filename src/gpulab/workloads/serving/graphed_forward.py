"""A served model's forward pass as one CUDA graph per batch size, replayed per request batch.

ResNet-50 in eager PyTorch is about two hundred kernel launches; at small batches the Python
that issues them takes longer than the GPU takes to run them, so the server's time per batch
hardly depends on the batch and the GPU idles. Recording the forward once for every batch size
the server may see (1..max_batch_size) and replaying it leaves the host one copy in, one launch
and one copy out. Both variants of a model (with and without the dynamic batcher) call the same
object, so the comparison between them stays a comparison of batching alone.

The graphs share one memory pool, captured largest first, so the pool is sized by the largest
batch; a lock keeps two threads from replaying into it at once. Where capture fails (or the
model is not on a CUDA GPU) the forward stays eager, and `error` says why.
"""

from __future__ import annotations

import threading
from typing import Any

from gpulab.cuda_graphs import warm_up_stream
from gpulab.workloads.serving import models


class GraphedForward:
    """`forward(batch)` for numpy batches of `shape`'s inputs, replayed where a graph exists."""

    def __init__(self, model: Any, shape: models.ModelShape, max_batch_size: int) -> None:
        self.model, self.shape = model, shape
        self.graphs: dict[int, tuple[Any, Any, Any]] = {}
        self.lock = threading.Lock()
        self.error: str | None = None
        param = next(model.parameters())
        if param.device.type != "cuda":
            self.error = "the model is not on a CUDA GPU"
            return
        try:
            self._capture(max_batch_size, param.device)
        except RuntimeError as err:
            self.graphs.clear()
            self.error = f"capture failed, forward stays eager: {str(err).splitlines()[0]}"

    def _capture(self, max_batch_size: int, device: Any) -> None:
        import torch

        pool = torch.cuda.graph_pool_handle()
        for size in range(max_batch_size, 0, -1):
            example = torch.from_numpy(models.example_inputs(self.shape, size))
            static_in = example.to(device)
            with torch.inference_mode():
                with warm_up_stream(check_syncs=False):  # off the capture's stream, as CUDA asks
                    models.run_on_device(self.model, static_in)
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph, pool=pool):
                    static_out = models.run_on_device(self.model, static_in)
            self.graphs[size] = (graph, static_in, static_out)

    def __call__(self, batch: Any) -> Any:
        """float32 numpy outputs of a numpy batch, like `models.forward`."""
        entry = self.graphs.get(batch.shape[0])
        if entry is None:
            return models.forward(self.model, batch)
        import torch

        graph, static_in, static_out = entry
        with self.lock:
            static_in.copy_(torch.from_numpy(batch))
            graph.replay()
            return static_out.cpu().numpy()
