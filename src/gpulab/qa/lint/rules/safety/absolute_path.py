"""GL304 absolute-path."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from gpulab.qa.lint.model import Finding, Notebook, Rule, Severity
from gpulab.qa.lint.names import literal_parts
from gpulab.qa.lint.text import DISPLAY_TEXT_CALLS, inside_call_named

# Roots that only exist on someone's machine, image or cluster. System locations (/tmp, /dev,
# /proc, /sys, /usr, /etc, /opt, /var) are the same everywhere and are not flagged.
MACHINE_ROOTS = (
    "home", "Users", "root", "workspace", "workspaces", "mnt", "media", "data", "datasets",
    "scratch", "content", "kaggle", "lustre", "gpfs", "nfs", "shared", "storage", "ephemeral",
)  # fmt: skip
_POSIX = re.compile(r"^/(" + "|".join(MACHINE_ROOTS) + r")/([^\s/]+)")
# Names that stand for "someone's" in documentation and sample messages, never a real account.
PLACEHOLDER_NAMES = (
    "example", "username", "yourname", "your-name", "your_name", "<user>", "<username>",
)  # fmt: skip
_WINDOWS = re.compile(r"^[A-Za-z]:[\\/]+[^\\/\s]")
NOT_PATHS = DISPLAY_TEXT_CALLS | {"print", "marimo.stop"}


def machine_path(text: str) -> str | None:
    """The first machine-specific absolute path in a one-line string (a path, or a command
    such as `git clone URL /home/me/x`), or None."""
    if "\n" in text:
        return None
    if _WINDOWS.match(text):
        return text
    for token in text.split():
        candidate = token.split("=", 1)[-1].strip("'\"")
        match = _POSIX.match(candidate)
        if match and match.group(2).lower() not in PLACEHOLDER_NAMES:
            return candidate
    return None


class AbsolutePath(Rule):
    """A hard-coded absolute path into one machine's home, workspace or data mount.

    ## What it does
    Flags one-line string literals (and the start of f-strings) that are, or contain as a word
    (a shell command such as `git clone URL /home/me/x`), a path under a machine-specific root:
    `/home/...`, `/Users/...`, `/root/...`, `/workspace/...`, `/mnt/...`, `/data/...`,
    `/scratch/...`, `/content/...` (Colab), `/kaggle/...`, cluster file systems, or a Windows
    drive (`C:\\...`). System paths that exist everywhere (`/tmp`, `/dev/null`, `/proc`, `/sys`,
    `/usr`, `/etc`, `/opt`, `/var`) are allowed, as are paths shown in `mo.md` text, printed, or
    written in a docstring, and sample paths whose user is a placeholder (`/Users/example/...`,
    `/home/username/...`).

    ## Why it matters
    The notebook works on its author's box and raises `FileNotFoundError` everywhere else, often
    deep in a data loader after the expensive cells already ran.

    ## Example
    ```python
    dataset = load_images("/home/kejones/data/imagenet-mini")
    ```

    ## Fix
    Resolve paths relative to the notebook or from configuration:
    ```python
    data_dir = mo.notebook_dir() / "data"
    data_dir = Path(os.environ.get("DATA_DIR", mo.notebook_dir() / "data"))
    ```
    """

    code = "GL304"
    name = "absolute-path"
    severity = Severity.WARNING
    summary = "Hard-coded `/home/...`, `/workspace/...`, `C:\\...` paths"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        for cell in notebook.parsed_cells:
            for node in cell.nodes:  # type: ignore[arg-type]
                if isinstance(node, ast.JoinedStr):
                    parts = literal_parts(node)
                    first = node.values[0] if node.values else None
                    text = parts[0] if parts and isinstance(first, ast.Constant) else ""
                elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if isinstance(cell.parents.get(node), ast.JoinedStr | ast.Expr):
                        continue  # an f-string piece, or a docstring
                    text = node.value
                else:
                    continue
                found = machine_path(text)
                if found is None:
                    continue
                if inside_call_named(notebook, cell, node, NOT_PATHS):
                    continue
                yield self.finding(
                    notebook,
                    cell,
                    node,
                    f"`{found[:60]}` is an absolute path on one machine; build it from "
                    "`mo.notebook_dir()`, a setting or an environment variable",
                )
