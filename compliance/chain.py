"""Hash chains over the airing log: one per station, each entry naming the one before.

The hashing and the break finder are pure; ``lock_chain`` and ``ChainWriter`` are the
one way to add to a chain, ``chain_heads`` the way to read where each one ends.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, bindparam, cast, func, select
from sqlalchemy.orm import Session

from loa.canonical import canonical_json
from loa.compliance.models import AiringLogEntry
from loa.db import among

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


# Two int4 keys name the lock; their key space is apart from the scheduler's one bigint key.
CHAIN_LOCK = 0x4C4F41  # "LOA"


_PG_CHAIN_LOCK = select(func.pg_advisory_xact_lock(cast(CHAIN_LOCK, Integer),
                                                   cast(bindparam("station"), Integer)))


def lock_chain(session: Session, station_id: int) -> None:
    """Hold the station's chain for the rest of the transaction, before reading anything.

    PostgreSQL: an advisory transaction lock per station (a row lock on the station
    would also block other transactions' foreign-key checks). SQLite: BEGIN IMMEDIATE,
    the database's one write lock, since its default deferred BEGIN only locks at the
    first write, after the head was read. A transaction that has already written
    holds that lock.
    """
    if session.get_bind().dialect.name == "sqlite":
        raw = session.connection().connection.dbapi_connection
        if raw is not None and not raw.in_transaction:  # type: ignore[attr-defined]
            raw.execute("BEGIN IMMEDIATE")
        return
    session.execute(_PG_CHAIN_LOCK, {"station": station_id})


class ChainWriter:
    """Appends entries to one station's chain: locks it, reads its head, links each entry.

    The one way to add to a chain (player events, and any entry the server writes
    itself). On SQLite, make it before any savepoint, which would begin a deferred
    transaction that the lock cannot then upgrade.
    """

    def __init__(self, session: Session, station_id: int,
                 head: tuple[int, str] | None = None) -> None:
        """Lock the chain and read its head; or take ``head``, read by a caller that
        holds the lock already (the ingest path reads it with the rest of its batch)."""
        self.session, self.station_id = session, station_id
        if head is not None:
            self.head = head
            return
        lock_chain(session, station_id)
        last = session.execute(
            select(AiringLogEntry.seq, AiringLogEntry.hash)
            .where(AiringLogEntry.station_id == station_id)
            .order_by(AiringLogEntry.seq.desc())
            .limit(1)
        ).first()
        self.head: tuple[int, str] = (last.seq, last.hash) if last else (0, GENESIS)

    def link(self, entry: AiringLogEntry) -> AiringLogEntry:
        """Number ``entry``, link it to the head and hash it; the caller stores it."""
        entry.station_id = self.station_id
        entry.seq, entry.prev_hash = self.head[0] + 1, self.head[1]
        entry.hash = entry_hash(entry)
        self.head = (entry.seq, entry.hash)
        return entry

    def append(self, entry: AiringLogEntry) -> AiringLogEntry:
        """Number ``entry``, link it to the head, hash it, and add it to the session."""
        self.session.add(self.link(entry))
        return entry


def chain_heads(session: Session, station_ids: list[int]) -> dict[int, tuple[int, str]]:
    """(seq, hash) of the newest entry of each station that has one."""
    newest = (
        select(AiringLogEntry.station_id, func.max(AiringLogEntry.seq).label("seq"))
        .where(among(session, AiringLogEntry.station_id, station_ids))
        .group_by(AiringLogEntry.station_id)
        .subquery()
    )
    rows = session.connection().execute(
        select(AiringLogEntry.station_id, AiringLogEntry.seq, AiringLogEntry.hash).join(
            newest,
            (newest.c.station_id == AiringLogEntry.station_id)
            & (newest.c.seq == AiringLogEntry.seq),
        )
    )
    return {station_id: (seq, head) for station_id, seq, head in rows.all()}
