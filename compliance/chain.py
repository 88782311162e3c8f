"""Hash chains over the airing log: one per station, each entry naming the one before."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from loa.canonical import canonical_json
from loa.compliance.models import AiringLogEntry

GENESIS = "0" * 64


def _iso(value: datetime) -> str:
    # Always UTC: the database gives back UTC whatever offset the player sent.
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def entry_payload(entry: AiringLogEntry) -> dict[str, Any]:
    """Every field of a log entry that its hash covers.

    ``bulletin_id`` only when set: entries from before bulletins keep their hashes.
    """
    payload = {
        "station_id": entry.station_id,
        "seq": entry.seq,
        "player_id": entry.player_id,
        "event_id": entry.event_id,
        "event": entry.event,
        "airing_id": entry.airing_id,
        "at": _iso(entry.at),
        "received_at": _iso(entry.received_at),
        "asset_sha256": entry.asset_sha256,
        "played_ms": entry.played_ms,
        "detail": entry.detail,
        "sig": entry.sig,
        "signed_body": entry.signed_body,
        "prev_hash": entry.prev_hash,
    }
    if entry.bulletin_id is not None:
        payload["bulletin_id"] = entry.bulletin_id
    return payload


def entry_hash(entry: AiringLogEntry) -> str:
    return hashlib.sha256(canonical_json(entry_payload(entry)).encode()).hexdigest()


def find_break(
    entries: Sequence[AiringLogEntry], after: tuple[int, str] = (0, GENESIS)
) -> tuple[AiringLogEntry, str] | None:
    """The first entry (in seq order) where a station's chain breaks, with why.

    ``entries`` follow the entry ``after`` names (seq, hash): by default the chain's
    start. Cases: a gap or repeat in seq, a prev_hash that is not the previous
    hash, a stored hash that does not match the entry's fields.
    """
    prev_hash, expected_seq = after[1], after[0] + 1
    for entry in entries:
        if entry.seq != expected_seq:
            return entry, f"seq {entry.seq}, expected {expected_seq}"
        if entry.prev_hash != prev_hash:
            return entry, "prev_hash does not match the previous entry"
        if entry.hash != entry_hash(entry):
            return entry, "hash does not match the entry's content (altered)"
        prev_hash, expected_seq = entry.hash, expected_seq + 1
    return None
