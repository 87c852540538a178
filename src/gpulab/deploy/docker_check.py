"""`gpulab deploy docker --check`: parse the Dockerfile and hold it to what the image promises.

A small parser of Docker's syntax (comments, parser directives, line continuations, exec and
shell forms) reads the instructions; the checks are the image's promises: a pinned base, a
non-root user, a HEALTHCHECK on marimo's /health, a server that requires the token. hadolint,
where installed, lints it as well.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from gpulab.deploy.dockerfile import pinned_image
from gpulab.deploy.errors import CheckFailed
from gpulab.errors import UsageError

_ROOT_USERS = {"root", "0", "root:root", "0:0"}


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, ...
    arguments: str  # continuation lines joined, without the keyword
    line: int  # where it starts, 1-based

    def words(self) -> list[str]:
        """Exec form (a JSON array) as its items; shell form split on blanks."""
        text = self.arguments.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                return text.split()
            if isinstance(value, list) and all(isinstance(item, str) for item in value):
                return value
        return text.split()


def health_command(item: Instruction) -> list[str]:
    """The command of a HEALTHCHECK (its words after CMD; empty for HEALTHCHECK NONE)."""
    _options, marker, command = item.arguments.partition("CMD ")
    if not marker:
        return []
    return Instruction("CMD", command, item.line).words()


def parse(text: str) -> list[Instruction]:
    """The instructions of a Dockerfile, in order; comments and blank lines dropped."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue  # a comment, a parser directive or a blank line
        if pending and stripped.startswith("#"):
            continue  # comments inside a continued instruction are dropped by Docker too
        if not pending:
            start = number
        continued = stripped.endswith("\\")
        pending.append(stripped[:-1] if continued else stripped)
        if not continued:
            joined = " ".join(part.strip() for part in pending if part.strip())
            keyword, _, arguments = joined.partition(" ")
            instructions.append(Instruction(keyword.upper(), arguments.strip(), start))
            pending = []
    if pending:
        raise CheckFailed([f"line {start}: the file ends inside a continued instruction"])
    return instructions


def promises(instructions: list[Instruction]) -> list[str]:
    """What is missing of the image's promises (empty: all kept)."""
    problems = []
    keywords = [item.keyword for item in instructions]
    if not keywords or keywords[0] != "FROM":
        return ["the first instruction is not FROM"]
    base = instructions[0].words()[0] if instructions[0].words() else ""
    try:
        pinned_image(base)
    except UsageError as err:
        problems.append(str(err))
    users = [item.words()[0] for item in instructions if item.keyword == "USER" and item.words()]
    if not users or users[-1] in _ROOT_USERS:
        problems.append("the image runs as root: the last USER must be a non-root user")
    checks = [item for item in instructions if item.keyword == "HEALTHCHECK"]
    if not checks or not any("/health" in word for word in health_command(checks[-1])):
        problems.append("no HEALTHCHECK on marimo's /health")
    command = [
        word
        for item in instructions
        if item.keyword in ("ENTRYPOINT", "CMD")
        for word in item.words()
    ]
    if "--token-file" not in command or "--no-token" in command:
        problems.append("the server does not require the token (--token-file)")
    if "EXPOSE" not in keywords:
        problems.append("no EXPOSE for the server's port")
    return problems


def hadolint(dockerfile: Path) -> list[str] | None:
    """hadolint's findings (empty: clean); None where hadolint is not installed."""
    binary = shutil.which("hadolint")
    if binary is None:
        return None
    result = subprocess.run(
        [binary, "--no-color", str(dockerfile)], capture_output=True, text=True, timeout=120
    )
    lines = (result.stdout + result.stderr).strip().splitlines()
    return lines if result.returncode != 0 else []


def check(dockerfile: Path) -> list[str]:
    """Lines saying what was checked; CheckFailed lists what is wrong."""
    if not dockerfile.is_file():
        raise UsageError(f"no Dockerfile at {str(dockerfile)!r}: run without --check first")
    instructions = parse(dockerfile.read_text(encoding="utf-8"))
    problems = promises(instructions)
    lint = hadolint(dockerfile)
    problems += [f"hadolint: {line}" for line in lint or []]
    if problems:
        raise CheckFailed(problems)
    base = instructions[0].words()[0]
    users = [item.words()[0] for item in instructions if item.keyword == "USER"]
    lines = [
        f"{dockerfile}: {len(instructions)} instructions; base {base} (pinned), "
        f"user {users[-1]}, HEALTHCHECK on /health, token file required",
        "hadolint: clean" if lint is not None else "hadolint: not installed, skipped",
    ]
    return lines
