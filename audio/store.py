"""Content-addressed audio store: a file lives at root/<sha[:2]>/<sha256><ext>."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

_SHA_RE = re.compile(r"[0-9a-f]{64}")
_EXT_RE = re.compile(r"\.[a-z0-9]{1,5}")
_CHUNK = 1 << 20


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
        self.root.mkdir(parents=True, exist_ok=True)
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
            sha = digest.hexdigest()
            dest = self.root / sha[:2] / f"{sha}{ext}"
            existing = self._find(sha)
            if existing is not None:
                tmp.unlink()
                return StoredAudio(sha, size, existing)
            dest.parent.mkdir(parents=True, exist_ok=True)
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
        return found is not None and sha256_file(found) == sha256

