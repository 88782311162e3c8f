"""The session secret: LOA_SECRET_KEY, or one generated once into LOA_HOME and kept.

Kept in a file so that a restart does not log everybody out and every web
worker signs and reads the same session cookies. Whoever knows the key signs a
session cookie for any user, so a server refuses to start with a configured key
that is short or printed somewhere public (``check_configured``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

SECRET_FILE = "secret_key"
MIN_LENGTH = 32
# Values that appear, or appeared, in Loa's examples, docs, tests and benches, and the key
# of Flask's own tutorial: public, so a deployment that copied one is open to anyone.
# tests/test_secret.py checks that every `LOA_SECRET_KEY=` example of the docs is refused.
PUBLISHED = frozenset({
    "change-me", "changeme", "change_me", "secret", "test-secret", "cluster-secret",
    "set-by-operator", "sim", "bench", "dev", "k",
    "192b9bdd22ab9ed4d12e236c78afcb9a393ec15f71bbf5dc987d54727823bcbf",
})
# A key of a handful of distinct characters ("aaaa…", "0000…") is guessed as easily as a short one.
MIN_DISTINCT = 8


class WeakSecretError(ValueError):
    """The configured LOA_SECRET_KEY would let anyone sign a session."""


def generate() -> str:
    """A fresh key: 64 hex digits (256 bits) from the system's random source."""
    return secrets.token_hex(32)


def check_configured(configured: str) -> None:
    """Refuse a configured key that is short, of few characters or a published example.

    Cases: unset or empty is fine (the key file is used, generated once); "CHANGE-ME",
    "test-secret" (short); the Flask tutorial's 64-digit example (published);
    "a" * 40 (too few distinct characters); the output of ``generate()`` passes.
    """
    key = configured.strip()
    if not key:
        return
    if len(key) < MIN_LENGTH or key.casefold() in PUBLISHED or len(set(key)) < MIN_DISTINCT:
        raise WeakSecretError(
            f"LOA_SECRET_KEY quá ngắn (dưới {MIN_LENGTH} ký tự) hoặc là giá trị mẫu công khai: "
            "hãy xóa dòng này để Loa tự tạo khóa, hoặc đặt khóa do `loa secret generate` in ra "
            f"(LOA_SECRET_KEY is shorter than {MIN_LENGTH} characters or a published example: "
            "leave it unset, or set it to the output of `loa secret generate`)"
        )


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
                out.write(generate())
            with contextlib.suppress(FileExistsError):  # another worker was first: its key
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_LENGTH:
        raise RuntimeError(f"{path} holds no usable key: delete it or set LOA_SECRET_KEY")
    return key
