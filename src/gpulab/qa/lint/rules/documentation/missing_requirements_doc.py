"""GL501 missing-requirements-doc."""

from __future__ import annotations

import re
from collections.abc import Iterator

from gpulab.qa.lint.gpu import requires_gpu
from gpulab.qa.lint.model import Finding, Notebook, Rule, Severity
from gpulab.qa.lint.text import header_docstring_node

MEMORY = re.compile(r"\d+(?:\.\d+)?\s*(?:GB|GiB|MB|MiB|TB)\b", re.IGNORECASE)
MEMORY_CONTEXT = re.compile(r"\b(?:GPU|VRAM|memory|HBM)\b", re.IGNORECASE)
NO_GPU_NEEDED = re.compile(
    r"\b(?:no GPU (?:is )?(?:required|needed)|CPU[- ]only|any (?:NVIDIA )?GPU)\b", re.IGNORECASE
)
DEPENDENCIES = re.compile(
    r"\b(?:dependencies|requirements|requires?|pip install|uv (?:add|pip)|conda install)\b"
    r"[^\n]*\b[a-z][\w.-]*\s*(?:>=|==|~=|\[)"
    r"|\b(?:dependencies|requirements)\s*:",
    re.IGNORECASE,
)
PEP723 = re.compile(r"^# /// script\s*$(?:\n#.*)*?\n#\s*dependencies\s*=", re.MULTILINE)


class MissingRequirementsDoc(Rule):
    """A GPU notebook whose module docstring does not say what it needs.

    ## What it does
    For notebooks that use a GPU, checks the file header:

    - GPU memory: the module docstring states an amount (`16 GB`, `24 GiB of VRAM`) next to the
      words GPU/VRAM/memory, or says no particular GPU is needed ("any NVIDIA GPU", "CPU-only");
    - dependencies: a PEP 723 block (`# /// script` with `dependencies = [...]`), or a
      "Requirements:"/"Dependencies:" section in the docstring, or version specifiers such as
      `torch>=2.4` after "requires"/"pip install".

    Reported once per file, at line 1.

    ## Why it matters
    A reader picks a machine before opening the notebook. Without the memory figure they find
    out with an OOM twenty minutes in; without the dependency list, with an `ImportError` in the
    third cell. The header is the one place every tool (GitHub, `marimo edit --sandbox`, a
    catalogue page) can read.

    ## Example
    ```python
    '''LoRA fine-tuning dashboard.'''
    import marimo
    ```

    ## Fix
    ```python
    # /// script
    # dependencies = ["marimo>=0.25", "torch>=2.4", "transformers>=4.45", "peft>=0.12"]
    # ///
    '''LoRA fine-tuning dashboard.

    Requirements: an NVIDIA GPU with 16 GB of memory (SmolLM2-360M, batch 8, bf16).
    '''
    import marimo
    ```
    """

    code = "GL501"
    name = "missing-requirements-doc"
    severity = Severity.WARNING
    summary = "Module docstring lacks GPU memory and dependency requirements"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        if not requires_gpu(notebook):
            return
        doc_node = header_docstring_node(notebook.header)
        doc = str(doc_node.value) if doc_node is not None else ""
        missing = []
        states_memory = MEMORY.search(doc) and MEMORY_CONTEXT.search(doc)
        if not NO_GPU_NEEDED.search(doc) and not states_memory:
            missing.append("how much GPU memory it needs (e.g. '16 GB of GPU memory')")
        if not PEP723.search(notebook.header) and not DEPENDENCIES.search(doc):
            missing.append("its dependencies (a PEP 723 `# /// script` block or 'Requirements:')")
        if missing:
            where = (
                "its module docstring does not say" if doc else "it has no module docstring saying"
            )
            yield self.file_finding(
                notebook,
                1,
                f"this notebook needs a GPU, but {where} "
                + " or ".join(missing)
                + "; readers need that before choosing a machine",
            )
