"""The agent's Ed25519 key: made on first start, kept private on disk, signing every event."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from loa.player.canonical import canonical_json


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The key at ``path``; a new one, written readable by its owner only, if none exists."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} holds a key that is not Ed25519")
        return key
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return key


def public_key_b64(key: Ed25519PrivateKey) -> str:
    """The 32 raw public bytes in base64, as the enrol endpoint takes them."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def sign_event(key: Ed25519PrivateKey, event: dict[str, Any]) -> dict[str, Any]:
    """The event with ``sig`` over its canonical JSON (DESIGN §5)."""
    body = {k: v for k, v in event.items() if k != "sig"}
    sig = key.sign(canonical_json(body).encode())
    return {**body, "sig": base64.b64encode(sig).decode()}
