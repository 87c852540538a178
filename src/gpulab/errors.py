"""Errors that the CLI turns into one-line messages with exit status 2."""


class UsageError(Exception):
    """Bad input from the user (a path, a name, an option): reported in one line, exit 2."""


class MissingDependencyError(UsageError):
    """An optional library is not installed; the message carries the install hint."""

    def __init__(self, package: str, hint: str, purpose: str = "") -> None:
        self.package = package
        self.hint = hint
        self.purpose = purpose
        needed_for = f" (needed for {purpose})" if purpose else ""
        super().__init__(f"{package} is not installed{needed_for}; install it with: {hint}")
