"""The eager step before a CUDA-graph capture: on a side stream, with host syncs made errors.

Capture asks for warm-up work off the capturing stream, and a step that synchronises with the
host cannot be captured; worse, a capture that fails part-way leaves CUDA's random generator in
capture mode for the rest of the process. Running the last warm-up step under
`torch.cuda.set_sync_debug_mode("error")` turns such a sync into an ordinary RuntimeError there,
before any capture starts, so the caller can keep the step eager and say why. Used by the
captured training steps (`workloads/nerf/graphed_step.py`, `workloads/lora/graphed_step.py`)
and the served forwards (`workloads/serving/graphed_forward.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def warm_up_stream(check_syncs: bool) -> Iterator[None]:
    """Run the body on a fresh side stream that waits for the current one (and that the current
    one waits for after); with `check_syncs`, any host sync in the body raises RuntimeError."""
    import torch

    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    previous = torch.cuda.get_sync_debug_mode()
    try:
        with torch.cuda.stream(side):
            torch.cuda.set_sync_debug_mode("error" if check_syncs else previous)
            yield
    finally:
        torch.cuda.set_sync_debug_mode(previous)
        torch.cuda.current_stream().wait_stream(side)
