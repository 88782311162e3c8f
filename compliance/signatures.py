"""Checking that a log entry is what a station's own device signed (DESIGN §5)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from loa.canonical import canonical_json
from loa.compliance.models import AiringLogEntry

# SHA-256 of (key, signature, message) for signatures already seen to verify. A
# signature is true or false once and for all, and reports verify the same stations'
# logs on every view: this keeps the costly Ed25519 check to once per entry and process.
_VERIFIED: set[bytes] = set()
_VERIFIED_MAX = 500_000  # about 50 MB at most; cleared whole when full


@lru_cache(maxsize=65_536)
def public_key(raw: bytes) -> Ed25519PublicKey:
    """The key object for 32 raw bytes, built once per process (the build costs as much as
    a check). Immutable, so threads share it; an invalid key raises ValueError, uncached."""
    return Ed25519PublicKey.from_public_bytes(raw)


def signature_matches(sig_b64: str | None, message: str, keys: Iterable[bytes]) -> bool:
    """Whether ``sig_b64`` is an Ed25519 signature of ``message`` by one of ``keys``."""
    try:
        sig = base64.b64decode(sig_b64 or "", validate=True)
    except (binascii.Error, ValueError):
        return False
    data = message.encode()
    for raw in keys:
        seen = hashlib.sha256(raw + sig + data).digest()  # key and sig have fixed lengths
        if seen in _VERIFIED:
            return True
        try:
            public_key(raw).verify(sig, data)
        except (InvalidSignature, ValueError):
            continue
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED.add(seen)
        return True
    return False


def _same_event_id(signed: Any, stored: str) -> bool:
    if signed == stored:
        return True
    # Ingest once stored ids normalised (lower case, no "urn:uuid:"): the same event.
    try:
        return str(uuid.UUID(str(signed))) == stored
    except ValueError:
        return False


def _same_instant(signed: Any, stored: datetime) -> bool:
    try:
        return datetime.fromisoformat(str(signed)) == stored
    except ValueError:
        return False


# Each stored column that repeats a field of the signed event, with that field.
SIGNED_FIELDS = {
    "event": "type",
    "airing_id": "airing_id",
    "bulletin_id": "bulletin_id",
    "asset_sha256": "sha256",
    "played_ms": "played_ms",
}


def altered_columns(entry: AiringLogEntry, body: dict[str, Any]) -> list[str]:
    """The stored columns that say something else than the signed body.

    Cases: every column copied from the event (type, airing, audio, played
    time, detail) must equal its field exactly (canonical JSON, so 1 is not 1.0
    nor true); the event id must be the same UUID (an old entry may keep it
    normalised); ``at`` must be the same instant; a body naming its player (a
    server-written entry) must name the stored one.
    """
    altered = [
        column
        for column, field in SIGNED_FIELDS.items()
        if not _same_value(getattr(entry, column), body.get(field))
    ]
    if not _same_event_id(body.get("id"), entry.event_id):
        altered.append("event_id")
    if not _same_value(entry.detail, body.get("detail") or {}):
        altered.append("detail")
    if not _same_instant(body.get("at"), entry.at):
        altered.append("at")
    if "player_id" in body and not _same_value(entry.player_id, body["player_id"]):
        altered.append("player_id")
    return altered


_PLAIN = (str, int, bool, type(None))  # equal and of one type: one canonical JSON


def _same_value(stored: Any, signed: Any) -> bool:
    """Whether the two have the same canonical JSON, i.e. are the same JSON value.

    Compared directly when both are one plain type (nearly every column): encoding
    both, seven columns an entry, cost a first verification as much as its hashes.
    """
    if type(stored) is type(signed) and type(stored) in _PLAIN and stored == signed:
        return True
    return canonical_json(stored) == canonical_json(signed)


def signed_event(entry: AiringLogEntry) -> dict[str, Any] | None:
    """The body the entry keeps as signed, or None when it is not a JSON object."""
    try:
        body = json.loads(entry.signed_body)
    except (ValueError, RecursionError):  # RecursionError: nested thousands deep
        return None
    return body if isinstance(body, dict) else None


def entry_problem(entry: AiringLogEntry, keys: Iterable[bytes], signed: bool = True) -> str | None:
    """Why an entry is not what its player (or, unsigned, the server) wrote, or None.

    Cases: a player's entry whose signature verifies with none of ``keys``; a
    server entry that carries a signature; a body that is not a JSON object; a
    stored column that differs from the body, e.g. a row edited after the fact.
    """
    if signed and not signature_matches(entry.sig, entry.signed_body, keys):
        return "chữ ký không khớp khóa của thiết bị (signature does not verify)"
    if not signed and entry.sig is not None:
        return "mục do máy chủ ghi lại mang chữ ký (server entry carries a signature)"
    body = signed_event(entry)
    if body is None:
        return "bản đã ký không phải đối tượng JSON (signed body is not a JSON object)"
    altered = altered_columns(entry, body)
    if altered:
        columns = ", ".join(altered)
        return f"cột {columns} khác với bản đã ký (column {columns} differs from the signed event)"
    return None
