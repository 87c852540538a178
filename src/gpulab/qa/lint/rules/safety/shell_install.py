"""GL301 shell-install."""

from __future__ import annotations

import re
from collections.abc import Iterator

from gpulab.qa.lint.commands import launches, literal_strings, program, tokens
from gpulab.qa.lint.model import Finding, Notebook, Rule, Severity

PACKAGE_MANAGERS = {
    "apt",
    "apt-get",
    "aptitude",
    "yum",
    "dnf",
    "apk",
    "zypper",
    "pacman",
    "brew",
    "snap",
    "port",
}
CHANGING_VERBS = {
    "install",
    "reinstall",
    "update",
    "upgrade",
    "remove",
    "purge",
    "add",
    "-s",
    "-syu",
    "-sy",
}
BUILD_TOOLS = {"make", "cmake", "ninja", "nvcc"}
MAGIC = re.compile(r"^\s*[!%]\s*(pip3?|conda|mamba|apt(-get)?|sudo|uv)\b")


def install_action(segment: str, previous: str | None) -> str | None:
    """What this command segment installs or builds on the machine, or None."""
    words, used_sudo = tokens(segment)
    if not words:
        return "`sudo`" if used_sudo else None
    prog = program(words[0])
    lowered = [w.lower() for w in words]
    for i, word in enumerate(lowered):
        if program(word) in ("pip", "pip3") and (i == 0 or lowered[i - 1] == "-m"):
            rest = [w for w in lowered[i + 1 :] if not w.startswith("-")]
            if rest and rest[0] in ("install", "uninstall", "download"):
                return f"`pip {rest[0]}`"
    if (
        prog == "uv"
        and len(lowered) > 1
        and (lowered[1] in ("add", "sync") or lowered[1:3] == ["pip", "install"])
    ):
        return f"`uv {' '.join(lowered[1:3])}`"
    if prog in ("conda", "mamba", "micromamba") and any(
        v in lowered for v in ("install", "create", "update", "remove")
    ):
        return f"`{prog} install`"
    if prog in PACKAGE_MANAGERS and CHANGING_VERBS & set(lowered[1:]):
        return f"`{'sudo ' if used_sudo else ''}{' '.join(words[:3])}`"
    if (
        prog in ("npm", "yarn", "pnpm")
        and len(lowered) > 1
        and lowered[1] in ("install", "i", "add")
    ):
        return f"`{prog} {lowered[1]}`"
    if prog == "git" and "clone" in lowered:
        return "`git clone`"
    if prog in BUILD_TOOLS:
        return f"`{prog}` (building from source)"
    if prog in ("sh", "bash", "zsh") and previous is not None:
        fetched, _ = tokens(previous)
        if fetched and program(fetched[0]) in ("curl", "wget"):
            return f"`{program(fetched[0])} ... | {prog}`"
    if used_sudo:
        return f"`sudo {' '.join(words[:3])}`"
    return None


class ShellInstall(Rule):
    """Installing software, building it, or using `sudo` from inside a notebook.

    ## What it does
    Reads the commands a notebook launches (`subprocess.run/Popen/call/check_*`, `os.system`,
    `os.popen`, `asyncio.create_subprocess_*`, `get_ipython().system(...)`, including list
    commands such as `[sys.executable, "-m", "pip", "install", ...]` and names assigned a literal
    command in the same cell) and flags:

    - `pip install/uninstall/download` (also `python -m pip`, `uv pip install`, `uv add`),
      `conda/mamba install`, `npm install`;
    - system package managers changing the machine (`apt-get install`, `yum`, `brew`, ...);
    - `git clone`, `make`, `cmake`, `nvcc`: building third-party code on open;
    - `curl ... | sh`;
    - anything run with `sudo`;
    - `!pip`/`%pip` magics pasted into strings, and `pip.main([...])`.

    Querying commands (`pip list`, `nvidia-smi`, `git status`) are not flagged.

    ## Why it matters
    A notebook can run `sudo apt-get install` of a 2 GB CUDA toolkit, or `git clone` + `make`
    of gpu-burn, as soon as it is opened. A notebook that changes the machine it runs on
    is not reproducible, can break the environment the kernel is running in (pip installing over
    a loaded torch), and needs privileges a reader should never grant by opening a file.

    ## Example
    ```python
    subprocess.run([sys.executable, "-m", "pip", "install", "transformers"])
    os.system("sudo apt-get install -y nvidia-cuda-toolkit")
    ```

    ## Fix
    Declare dependencies instead: a PEP 723 header (`# /// script` with `dependencies = [...]`,
    which `marimo edit --sandbox` installs), or the project's `pyproject.toml`. For optional
    libraries, catch the `ImportError` and show the install command in a callout.
    """

    code = "GL301"
    name = "shell-install"
    severity = Severity.ERROR
    summary = "pip/apt/conda install, `sudo`, `git clone` or `make` run from a notebook"

    def check(self, notebook: Notebook) -> Iterator[Finding]:
        reported: set[tuple[int, int]] = set()
        for launch in launches(notebook):
            segments = launch.segments()
            for index, segment in enumerate(segments):
                action = install_action(segment, segments[index - 1] if index else None)
                if action:
                    reported.add((launch.cell.index, launch.call.lineno))
                    yield self.finding(
                        notebook,
                        launch.cell,
                        launch.call,
                        f"runs {action} from the notebook (`{_short(launch.text)}`); declare "
                        "dependencies in a PEP 723 `# /// script` header or pyproject instead of "
                        "changing the machine on open",
                    )
                    break
        for cell in notebook.parsed_cells:
            for node in cell.nodes:  # type: ignore[arg-type]
                name = notebook.names.call_name(node) or ""
                if name.startswith("pip.") and name.endswith("main"):
                    yield self.finding(
                        notebook,
                        cell,
                        node,
                        f"`{name}(...)` installs packages from the notebook; declare dependencies instead",
                    )
            for node, text in literal_strings(notebook, cell):
                line = getattr(node, "lineno", 0)
                if MAGIC.match(text) and (cell.index, line) not in reported:
                    reported.add((cell.index, line))
                    yield self.finding(
                        notebook,
                        cell,
                        node,
                        f"`{_short(text.strip())}` is an IPython magic: it does nothing useful in "
                        "marimo and installs into the running kernel elsewhere; declare "
                        "dependencies instead",
                    )


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 70 else text[:67] + "..."
