"""Content-addressed audio store: a file lives at root/<sha[:2]>/<sha256><ext>.

Files are 0640 and folders 2750: nginx, in the service's group, sends them
itself (X-Accel-Redirect), and the set-group-id folders hand that group down.
Names beginning with a dot are work under way (a render's folder, a write
before its rename): never served, never backed up, swept once stale.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePath

_SHA_RE = re.compile(r"[0-9a-f]{64}")
_EXT_RE = re.compile(r"\.[a-z0-9]{1,5}")
_CHUNK = 1 << 20
FILE_MODE, DIR_MODE = 0o640, 0o2750
# No render or write lasts this long: a temporary older than this was left by a killed process.
STALE_TEMPORARY_S = 6 * 3600


def is_temporary(relative: PurePath) -> bool:
    """Whether a path inside the store is work under way rather than stored audio."""
    return any(part.startswith(".") for part in relative.parts)


def sweep_temporary(root: Path, older_than_s: float = STALE_TEMPORARY_S,
                    now: float | None = None) -> int:
    """Remove temporaries (dot-named files and folders) older than ``older_than_s`` from the
    store and its shard folders; how many went."""
    if not root.is_dir():
        return 0
    limit = (time.time() if now is None else now) - older_than_s
    swept = 0
    shards = [root, *(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))]
    for folder in shards:
        for path in folder.iterdir():
            if not path.name.startswith(".") or path.lstat().st_mtime >= limit:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            swept += 1
    return swept


def make_folder(path: Path) -> None:
    """Create a store folder group-readable and set-group-id (its parents as umask says)."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, DIR_MODE)


def unreadable_by_group(root: Path, group: bool = True, shards: int = 8) -> list[Path]:
    """Stored files and folders this process cannot read, or (``group``) whose group is not
    the store's or lacks read access: every shard folder, and the files of the ``shards``
    folders written to last (where a file just written by the wrong hand is), so the check
    stays cheap on a store of a million files.

    Cases: a file written 0600 (nginx, in the group, gets 403); a file or folder
    written by root (root:root, the service itself gets 500).
    """
    if not root.is_dir():
        return []
    gid = root.stat().st_gid

    def bad(path: Path, need: int) -> bool:
        mode = path.stat()
        readable = os.access(path, os.R_OK | (os.X_OK if path.is_dir() else 0))
        return not readable or (group and (mode.st_gid != gid or mode.st_mode & need != need))

    folders = [f for f in root.iterdir() if f.is_dir() and not f.name.startswith(".")]
    found = [f for f in [root, *folders] if bad(f, stat.S_IRGRP | stat.S_IXGRP)]
    latest = sorted((f for f in folders if f not in found), key=lambda f: f.stat().st_mtime,
                    reverse=True)[:shards]
    return found + [f for folder in latest for f in sorted(folder.iterdir())
                    if f.is_file() and not f.name.startswith(".") and bad(f, stat.S_IRGRP)]


@dataclass(frozen=True)
class StoredAudio:
    """A file held in the store."""

    sha256: str
    bytes: int
    path: Path


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's contents."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check_sha(sha256: str) -> str:
    # Only a well-formed hash may become part of a path: no traversal, no surprises.
    if not isinstance(sha256, str) or not _SHA_RE.fullmatch(sha256):
        raise ValueError(f"không phải mã sha256 hợp lệ: {sha256!r}")
    return sha256


class AudioStore:
    """Content-addressed store: a file lives at root/<sha[:2]>/<sha256><ext>."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put_file(self, src: Path) -> StoredAudio:
        """Copy ``src`` into the store (temp file + rename) and return its hash."""
        src = Path(src)
        ext = src.suffix.lower() if _EXT_RE.fullmatch(src.suffix.lower()) else ""
        make_folder(self.root)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".put-", suffix=".tmp")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, src.open("rb") as fh:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, FILE_MODE)  # mkstemp makes 0600: nginx could not send it
            sha = digest.hexdigest()
            dest = self.root / sha[:2] / f"{sha}{ext}"
            existing = self._find(sha)
            if existing is not None:
                tmp.unlink()
                return StoredAudio(sha, size, existing)
            make_folder(dest.parent)
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return StoredAudio(sha, size, dest)

    def _find(self, sha256: str) -> Path | None:
        folder = self.root / sha256[:2]
        if not folder.is_dir():
            return None
        for candidate in folder.glob(f"{sha256}*"):
            if candidate.stem == sha256 and candidate.is_file():
                return candidate
        return None

    def path(self, sha256: str) -> Path:
        """Path of the stored file for ``sha256``; ValueError unless it is 64 lowercase hex."""
        sha = _check_sha(sha256)
        found = self._find(sha)
        # An absent file still gets its canonical (extension-less) place, built from the hash only.
        return found if found is not None else self.root / sha[:2] / sha

    def exists(self, sha256: str) -> bool:
        """Whether the store holds ``sha256``."""
        return self._find(_check_sha(sha256)) is not None

    def verify(self, sha256: str) -> bool:
        """Re-hash the file on disk and say whether it still matches its name."""
        found = self._find(_check_sha(sha256))
        try:
            return found is not None and sha256_file(found) == sha256
        except PermissionError:  # written by another hand (root): as good as missing to us
            return False

