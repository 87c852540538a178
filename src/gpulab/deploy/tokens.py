"""Access tokens for a deployment: generated here, stored 0600, shown once, never logged.

A deployed notebook server runs any code its visitors send, so the token is its only lock. It is
written with O_EXCL at mode 0600 (never readable by others, not even for an instant), printed once
so the user can log in, and kept on a rerun, so regenerating the files does not lock anyone out.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from gpulab.errors import UsageError

TOKEN_BYTES = 32  # 43 URL-safe characters


@dataclass(frozen=True)
class StoredToken:
    value: str
    path: Path
    created: bool  # False: kept from an earlier run, so it is not shown again


def new_token() -> str:
    """A random URL-safe token: it goes into `?access_token=` unescaped."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def write_private(path: Path, text: str, replace: bool = False) -> None:
    """Write `text` to a new file created at mode 0600; refuses an existing one unless `replace`."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        if replace:
            path.unlink(missing_ok=True)
        fd = os.open(path, flags, 0o600)
    except OSError as err:
        raise UsageError(f"cannot write {str(path)!r}: {err.strerror or err}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _read_private(path: Path) -> str:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise UsageError(
            f"{str(path)!r} is readable by others (mode {mode:04o}): chmod 600 it or remove it"
        )
    return path.read_text(encoding="utf-8")


def token_file(path: Path, rotate: bool = False) -> StoredToken:
    """The token stored in `path` (just the token), made when missing or when `rotate`."""
    if path.exists() and not rotate:
        value = _read_private(path).strip()
        if value:
            return StoredToken(value, path, created=False)
    value = new_token()
    write_private(path, value + "\n", replace=True)
    return StoredToken(value, path, created=True)


def env_file(path: Path, variable: str, rotate: bool = False) -> StoredToken:
    """The token stored as `VARIABLE=token` in a dotenv file (what `modal secret create` reads)."""
    prefix = f"{variable}="
    if path.exists() and not rotate:
        for line in _read_private(path).splitlines():
            if line.startswith(prefix) and line[len(prefix) :].strip():
                return StoredToken(line[len(prefix) :].strip(), path, created=False)
    value = new_token()
    write_private(path, f"{prefix}{value}\n", replace=True)
    return StoredToken(value, path, created=True)


def announce(token: StoredToken) -> str:
    """The one line that shows a new token (once), or says where the kept one is."""
    if token.created:
        return f"token (shown once; stored in {token.path}, mode 0600): {token.value}"
    return f"token: kept from {token.path} (not shown again; --new-token makes a new one)"
