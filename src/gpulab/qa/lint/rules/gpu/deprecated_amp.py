"""GL104 deprecated-amp."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from gpulab.qa.lint.model import Finding, Notebook, Rule, Severity

_DEPRECATED = re.compile(r"^torch\.(cuda|cpu)\.amp\.(\w+)$")


class DeprecatedAmp(Rule):
    """`torch.cuda.amp.*` / `torch.cpu.amp.*`, deprecated in favour of `torch.amp`.

    ## What it does
    Flags `torch.cuda.amp.autocast`, `torch.cuda.amp.GradScaler`, `custom_fwd`/`custom_bwd` (and
    the `torch.cpu.amp` twins), however they are imported: `from torch.cuda.amp import autocast`
    is reported at the import.

    ## Why it matters
    PyTorch 2.4 deprecated these; every call prints a `FutureWarning` into the cell's output, and
    they will be removed. Readers copy what notebooks teach.

    ## Example
    ```python
    scaler = torch.cuda.amp.GradScaler()
    with torch.cuda.amp.autocast():
        loss = model(x)
    ```

    ## Fix
    ```python
    scaler = torch.amp.GradScaler("cuda")
    with torch.amp.autocast("cuda", dtype=torch.bfloat16):
        loss = model(x)
    ```
    """

    code = "GL104"
    name = "deprecated-amp"
    severity = Severity.WARNING
    summary = '`torch.cuda.amp.*` is deprecated: use `torch.amp.*("cuda")`'

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        for cell in notebook.parsed_cells:
            for node in cell.nodes:  # type: ignore[arg-type]
                old = None
                if isinstance(node, ast.Attribute):
                    match = _DEPRECATED.match(notebook.names.qualname(node) or "")
                    old = match and match.group(0)
                elif isinstance(node, ast.ImportFrom) and node.module in (
                    "torch.cuda.amp",
                    "torch.cpu.amp",
                ):
                    old = f"{node.module}.{node.names[0].name}"
                if old:
                    device = old.split(".")[1]
                    new = f'torch.amp.{old.rsplit(".", 1)[-1]}("{device}")'
                    yield self.finding(
                        notebook,
                        cell,
                        node,
                        f"`{old}` is deprecated since PyTorch 2.4; use `{new}`",
                    )
