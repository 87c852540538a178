"""A generated file that fails its check: reported line by line, exit status 1."""

from __future__ import annotations


class CheckFailed(Exception):
    """The generated file does not say what it should; each problem is one line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))
