"""Checking that a log entry is what a station's own device signed (DESIGN §5)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from compliance.models import AiringLogEntry


def signature_matches(sig_b64: str | None, message: str, keys: Iterable[bytes]) -> bool:
    """Whether ``sig_b64`` is an Ed25519 signature of ``message`` by one of ``keys``."""
    try:
        sig = base64.b64decode(sig_b64 or "", validate=True)
    except (binascii.Error, ValueError):
        return False
    for raw in keys:
        try:
            Ed25519PublicKey.from_public_bytes(raw).verify(sig, message.encode())
            return True
        except InvalidSignature:
            continue
    return False


def _same_instant(signed: Any, stored: datetime) -> bool:
    try:
        return datetime.fromisoformat(str(signed)) == stored
    except ValueError:
        return False


def entry_problem(entry: AiringLogEntry, keys: Iterable[bytes]) -> str | None:
    """Why an entry is not what its player signed, or None.

    Cases: the signature does not verify with any key the player enrolled; or
    the stored columns (event id, type, airing, time, audio, played time) differ
    from the signed body, e.g. a database row edited after the fact.
    """
    if not signature_matches(entry.sig, entry.signed_body, keys):
        return "chữ ký không khớp khóa của thiết bị (signature does not verify)"
    body = json.loads(entry.signed_body)
    signed = (
        body.get("id"),
        body.get("type"),
        body.get("airing_id"),
        body.get("sha256"),
        body.get("played_ms"),
    )
    stored = (entry.event_id, entry.event, entry.airing_id, entry.asset_sha256, entry.played_ms)
    if signed != stored or not _same_instant(body.get("at"), entry.at):
        return "nội dung khác với bản thiết bị đã ký (differs from the signed event)"
    return None
