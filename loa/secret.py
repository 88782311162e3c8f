"""The session secret: LOA_SECRET_KEY, or one generated once into LOA_HOME and kept.

Kept in a file so that a restart does not log everybody out and every web
worker signs and reads the same session cookies.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

SECRET_FILE = "secret_key"


def secret_key(configured: str, home: Path) -> str:
    """``configured`` if set, else the key in ``home``/secret_key, created (mode 0600) if none.

    Cases: two workers starting at once both end with the one key written first
    (written to a private temporary file, then linked into place, which fails
    for the second); an empty or unreadable file is an error, not a new key.
    """
    if configured:
        return configured
    path = home / SECRET_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        temporary = home / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(secrets.token_hex(32))
            with contextlib.suppress(FileExistsError):  # another worker was first: its key
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable key: delete it or set LOA_SECRET_KEY")
    return key
