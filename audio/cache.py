"""Keeping the render caches (synthesised and prepared speech, decoded sounds) bounded."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pruned:
    files: int
    bytes: int


def touch(path: Path) -> None:
    """Mark a cache file as just used, so pruning keeps what renders still need."""
    # A read-only or vanished cache file has still served this render.
    with contextlib.suppress(OSError):
        os.utime(path)


def prune_cache(root: Path, older_than_days: float, now: float | None = None) -> Pruned:
    """Delete cache files not used for ``older_than_days``; a later render rebuilds any it needs.

    Cases: a missing cache folder prunes nothing; files used (read or written)
    more recently are kept; empty folders left behind are removed.
    """
    if not root.is_dir():
        return Pruned(0, 0)
    limit = (time.time() if now is None else now) - older_than_days * 86400
    files = size = 0
    for path in sorted(root.rglob("*"), reverse=True):  # children before their folders
        if path.is_file() and path.stat().st_mtime < limit:
            size += path.stat().st_size
            path.unlink()
            files += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return Pruned(files, size)
