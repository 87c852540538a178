"""GL101 gpu-without-stop."""

from __future__ import annotations

from collections.abc import Iterator

from gpulab.qa.lint.analysis import runs_on_load
from gpulab.qa.lint.gates import gated_before
from gpulab.qa.lint.gpu import cuda_work
from gpulab.qa.lint.model import Finding, Notebook, Rule, Severity


class GpuWithoutStop(Rule):
    """CUDA work in a cell that neither stops without a GPU nor falls back to the CPU.

    ## What it does
    Finds code that needs a CUDA GPU (`.cuda()`, `device="cuda"`, `torch.device("cuda")`,
    `.to("cuda")`, `device="cuda"` assigned to a name, `torch.cuda.synchronize()` and other
    `torch.cuda` calls that need a device, CuPy/cuDF/cuML calls, notebook functions that do any of
    these) in a cell where nothing has guarded it:

    - no `mo.stop(...)` earlier in the cell, and no cell it depends on that can stop
      (marimo never runs a cell whose inputs come from a stopped cell);
    - no gpulab gate (`gpulab.ui.require_gpu(...)`, `run_gate(...)`) or notebook function that
      calls `mo.stop`;
    - no CPU fallback around it: `if torch.cuda.is_available():`, `"cuda" if has_gpu else "cpu"`,
      `torch.cuda.Event(...) if device.type == "cuda" else None`, `has_gpu and ...`, or an
      earlier `if not torch.cuda.is_available(): return` in the same function or loop;
    - no `try` that catches the no-GPU error (`RuntimeError`, `AssertionError` or broader).

    Safe calls such as `torch.cuda.is_available()`, `device_count()`, `manual_seed_all()` and
    `empty_cache()` are not CUDA work. Libraries imported inside `try`/`except ImportError` are
    treated as optional. One finding per cell, at the first unguarded use.

    ## Why it matters
    Opened on a laptop, a CI runner or a CPU-only cloud machine, the cell dies with
    "Torch not compiled with CUDA enabled" or "no NVIDIA driver", every cell downstream shows an
    error, and the reader never learns what the notebook needs.

    ## Example
    ```python
    x = torch.randn(4096, 4096, device="cuda")
    ```

    ## Fix
    Stop with a message, or run on the CPU:
    ```python
    mo.stop(not torch.cuda.is_available(), mo.callout(mo.md("Needs an NVIDIA GPU."), kind="warn"))
    x = torch.randn(4096, 4096, device="cuda")
    ```
    ```python
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.randn(4096, 4096, device=device)
    ```
    """

    code = "GL101"
    name = "gpu-without-stop"
    severity = Severity.WARNING
    summary = "CUDA work with neither a no-GPU `mo.stop` nor a CPU fallback"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        for cell in notebook.parsed_cells:
            if not runs_on_load(cell):
                continue
            for node, description in cuda_work(notebook, cell, cell.body):
                if gated_before(notebook, cell, node):
                    continue
                yield self.finding(
                    notebook,
                    cell,
                    node,
                    f"{description} needs a CUDA GPU, but nothing stops this cell (or a cell it "
                    "depends on) when there is none, and there is no CPU fallback; add "
                    "`mo.stop(not torch.cuda.is_available(), ...)` or choose the device with "
                    '`"cuda" if torch.cuda.is_available() else "cpu"`',
                )
                break
