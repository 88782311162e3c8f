"""Audio files the agent holds, named by sha256; verified before air, evicted once past."""

from __future__ import annotations

import logging
import threading
from contextlib import suppress
from pathlib import Path

from loa.player.client import BadDownload, ServerClient, ServerUnreachable, file_sha256
from loa.player.health import Health

logger = logging.getLogger(__name__)


class AudioCache:
    """A folder of ``<sha256>`` files; partial downloads live beside them as ``.part``."""

    def __init__(self, root: Path, client: ServerClient, health: Health) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._client, self._health = client, health
        self._verified: dict[str, tuple[int, int]] = {}  # sha -> (size, mtime_ns) last hashed
        # Playout may re-fetch a spoilt file while the network thread fetches: one at a time.
        self._lock = threading.Lock()

    def path(self, sha256: str) -> Path:
        return self.root / sha256

    def is_good(self, sha256: str) -> bool:
        """Whether the cached file exists and still hashes to its name (re-hashed if touched)."""
        path = self.path(sha256)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return False
        if self._verified.get(sha256) == (stat.st_size, stat.st_mtime_ns):
            return True
        if file_sha256(path) != sha256:
            self._health.report("cache", f"corrupt file {sha256[:12]} removed, fetched again")
            path.unlink(missing_ok=True)
            self._verified.pop(sha256, None)
            return False
        self._verified[sha256] = (stat.st_size, stat.st_mtime_ns)
        return True

    def forget_verification(self) -> None:
        """Hash every file again on its next check (a disk can rot under an unchanged mtime)."""
        self._verified.clear()

    def ensure(self, sha256: str, url: str, size: int | None) -> str | None:
        """Make the file good, downloading if needed; None if fine, else why it is not.

        A disk error (full, read-only, failing) is reported in health, never raised: the
        agent keeps airing what it already holds and keeps sending events.
        """
        with self._lock:
            try:
                if self.is_good(sha256):
                    return None
                self._client.download(url, self.path(sha256), sha256, size)
                good = self.is_good(sha256)
            except (ServerUnreachable, BadDownload) as exc:
                return f"{type(exc).__name__}: {exc}"
            except OSError as exc:
                self._health.report("disk", f"audio cache: {exc}")
                return f"disk: {exc}"
            return None if good else "downloaded file vanished"

    def evict(self, keep: set[str]) -> list[str]:
        """Delete files no coming airing needs; return their names."""
        removed = []
        for path in self.root.iterdir():
            if path.name.split(".")[0] not in keep:
                with suppress(OSError):  # a read-only disk: the file simply stays
                    path.unlink(missing_ok=True)
                self._verified.pop(path.name, None)
                removed.append(path.name)
        return removed

    def count(self) -> int:
        return sum(1 for p in self.root.iterdir() if not p.name.endswith(".part"))
