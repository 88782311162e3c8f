"""Verified-up-to marks: a station's chain is verified whole once, then only what is new.

A mark says entries 1..seq verified, and holds the digest of their stored
columns. A report re-reads every entry, but checks signatures and bodies only
past the mark: the entries up to it are what was verified when their digest
still matches (DESIGN §6). The mark is tagged with a key derived from the
server's secret, kept outside the database, so that someone who can only write
the database cannot vouch for an entry with a mark of their own.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from loa.compliance.models import ChainMark
from loa.db import among

# session.info: the key marks are tagged with (the wiring derives it from the secret).
# Without one, nothing is marked and every report verifies every entry.
MARK_KEY = "loa.mark_key"


@dataclass(frozen=True)
class Mark:
    seq: int
    hash: str  # of entry ``seq``: where the chain continues, and an anchor of it
    digest: str  # of entries 1..seq as stored


def mark_key(secret: str) -> bytes:
    """The marks' key, derived from the server's secret (not the secret itself)."""
    return hmac.new(secret.encode(), b"loa chain mark", hashlib.sha256).digest()


def _tag(key: bytes, station_id: int, mark: Mark) -> str:
    text = f"{station_id}:{mark.seq}:{mark.hash}:{mark.digest}"
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def stored_digest(entries: Sequence[Any]) -> str:
    """SHA-256 of the entries' columns as the database gives them back.

    Not the chain's hash (canonical JSON of each entry, five times as costly):
    only "have these rows changed since", and ``repr`` of a row of str, int,
    datetime, JSON and None values tells any change.
    """
    digest = hashlib.sha256()
    for entry in entries:
        digest.update(repr(tuple(entry)).encode())
    return digest.hexdigest()


def mark_of(entries: Sequence[Any]) -> Mark:
    """The mark of a chain that has just verified whole (``entries``: all of it, by seq)."""
    return Mark(entries[-1].seq, entries[-1].hash, stored_digest(entries))


def holds(mark: Mark, entries: Sequence[Any]) -> bool:
    """Whether the chain (by seq) still holds, up to the mark, exactly what was verified."""
    return (
        len(entries) >= mark.seq > 0
        and entries[mark.seq - 1].seq == mark.seq
        and hmac.compare_digest(stored_digest(entries[: mark.seq]), mark.digest)
    )


def read_marks(session: Session, station_ids: list[int]) -> dict[int, Mark]:
    """The stations' marks whose tag verifies; one without (forged, or made under
    another secret) is as no mark."""
    key = session.info.get(MARK_KEY)
    if key is None:
        return {}
    rows = session.connection().execute(
        select(ChainMark.station_id, ChainMark.seq, ChainMark.hash, ChainMark.digest,
               ChainMark.tag).where(among(session, ChainMark.station_id, station_ids))
    )
    found = {}
    for station_id, seq, head, digest, tag in rows.all():  # one fetch for the lot
        mark = Mark(seq, head, digest)
        if hmac.compare_digest(tag, _tag(key, station_id, mark)):
            found[station_id] = mark
    return found


def save_marks(session: Session, marks: Mapping[int, Mark]) -> None:
    """Write the stations' marks, replacing their old ones, in one statement.

    In station order, so two reports marking at once on PostgreSQL wait for each
    other rather than deadlock. A later mark may replace a newer one (a report
    that read the chain earlier commits last): the chain is then verified past
    it again, nothing more.
    """
    key = session.info.get(MARK_KEY)
    if key is None or not marks:
        return
    table = ChainMark.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(table)
    upsert = upsert.on_conflict_do_update(
        index_elements=[table.c.station_id],
        set_={name: upsert.excluded[name] for name in ("seq", "hash", "digest", "tag")},
    )
    session.execute(upsert, [
        {"station_id": station_id, "seq": mark.seq, "hash": mark.hash, "digest": mark.digest,
         "tag": _tag(key, station_id, mark)}
        for station_id, mark in sorted(marks.items())
    ])
