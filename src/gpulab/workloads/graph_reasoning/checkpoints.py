"""Checkpoints that cannot be half-written or silently corrupted.

Each file is written to a temporary name, flushed and fsynced, then renamed over its final name
(a rename is atomic on one filesystem), and the folder is fsynced. `manifest.json`, written the
same way, lists every checkpoint with its run, epoch, metrics, config, size and SHA-256 of its
bytes. Loading checks size and hash before unpickling anything, so a truncated or altered file is
refused with a message naming it, and `latest_good` falls back to the newest one that verifies.
Per run the newest `keep_last` checkpoints and the best (highest validation accuracy) are kept.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gpulab.errors import UsageError

MANIFEST = "manifest.json"


class CheckpointError(UsageError):
    """A checkpoint that does not verify (missing, truncated, altered)."""


@dataclass
class Entry:
    """One checkpoint as the manifest lists it."""

    run: str
    epoch: int
    file: str
    sha256: str
    size: int
    metrics: dict[str, float] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    best: bool = False


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a reader sees the old file or the new one, never a part."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    try:
        fd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # a folder cannot be opened on every platform
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class CheckpointStore:
    """The checkpoints of one folder and its manifest."""

    def __init__(self, root: str | Path, keep_last: int = 2) -> None:
        self.root = Path(root).expanduser()
        self.keep_last = keep_last
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise UsageError(f"cannot create the checkpoint folder {self.root}: {err}") from None

    def entries(self, run: str | None = None) -> list[Entry]:
        """The manifest's checkpoints (of one run), oldest first."""
        path = self.root / MANIFEST
        if not path.exists():
            return []
        try:
            rows = json.loads(path.read_text())["checkpoints"]
        except (ValueError, KeyError) as err:
            raise CheckpointError(f"{path} is not a checkpoint manifest ({err})") from None
        found = [Entry(**row) for row in rows]
        return [e for e in found if run is None or e.run == run]

    def _write_manifest(self, entries: list[Entry]) -> None:
        text = json.dumps({"checkpoints": [asdict(e) for e in entries]}, indent=1)
        atomic_write(self.root / MANIFEST, text.encode())

    def save(
        self,
        run: str,
        epoch: int,
        state: dict[str, Any],
        metrics: dict[str, float],
        config: dict[str, Any],
    ) -> Entry:
        """Write one checkpoint and list it; the best so far (by val_acc) is marked and kept."""
        import torch

        buffer = io.BytesIO()
        torch.save(state, buffer)
        data = buffer.getvalue()
        entry = Entry(
            run,
            epoch,
            f"{run}-e{epoch:04d}.pt",
            hashlib.sha256(data).hexdigest(),
            len(data),
            metrics,
            config,
        )
        atomic_write(self.root / entry.file, data)
        others = [e for e in self.entries() if not (e.run == run and e.epoch == epoch)]
        mine = [e for e in others if e.run == run] + [entry]
        best = max(mine, key=lambda e: (e.metrics.get("val_acc", 0.0), -e.epoch))
        for e in mine:
            e.best = e is best
        recent = sorted(mine, key=lambda e: e.epoch)[-self.keep_last :]
        kept = [e for e in mine if e.best or e in recent]
        self._write_manifest([e for e in others if e.run != run] + kept)
        for e in mine:
            if e not in kept:
                (self.root / e.file).unlink(missing_ok=True)
        return entry

    def load(self, entry: Entry) -> dict[str, Any]:
        """The checkpoint's state, after its size and SHA-256 match the manifest."""
        import torch

        path = self.root / entry.file
        if not path.exists():
            raise CheckpointError(f"checkpoint {path} is missing: refused")
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if len(data) != entry.size or digest != entry.sha256:
            raise CheckpointError(
                f"checkpoint {path.name} is truncated or corrupted ({len(data):,} of "
                f"{entry.size:,} bytes, sha256 {digest[:12]} where the manifest has "
                f"{entry.sha256[:12]}): refused; earlier checkpoints are untouched"
            )
        return torch.load(io.BytesIO(data), weights_only=True)

    def latest_good(
        self, run: str, settings: dict[str, Any] | None = None
    ) -> tuple[Entry | None, dict[str, Any] | None, list[str]]:
        """The newest checkpoint of `run` that verifies (and was written with `settings`, where
        given), its state, and why newer ones were passed over."""
        refused = []
        for entry in sorted(self.entries(run), key=lambda e: e.epoch, reverse=True):
            if settings and any(entry.config.get(k) != v for k, v in settings.items()):
                refused.append(f"{entry.file}: written with other settings, not resumed")
                continue
            try:
                return entry, self.load(entry), refused
            except CheckpointError as err:
                refused.append(str(err))
        return None, None, refused

    def best(self, run: str) -> Entry | None:
        return next((e for e in self.entries(run) if e.best), None)
