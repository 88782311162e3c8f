"""Someone with write access to the database, editing the airing log behind Loa's back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from loa.compliance.chain import GENESIS, entry_hash
from loa.compliance.models import AiringLogEntry
from loa.db import make_engine

TRIGGER = "airing_log_entry_append_only"


@contextmanager
def attacker(database_url: str) -> Iterator[Session]:
    """A session that may UPDATE and DELETE log rows, as a database superuser may.

    On PostgreSQL it disables the append-only trigger for its own transaction only.
    """
    engine = make_engine(database_url)
    postgres = engine.dialect.name == "postgresql"
    try:
        with Session(engine) as session, session.begin():
            if postgres:
                session.execute(text(f"ALTER TABLE airing_log_entry DISABLE TRIGGER {TRIGGER}"))
            yield session
            session.flush()
            if postgres:
                session.execute(text(f"ALTER TABLE airing_log_entry ENABLE TRIGGER {TRIGGER}"))
    finally:
        engine.dispose()


def station_entries(session: Session, station_id: int) -> list[AiringLogEntry]:
    return list(
        session.scalars(
            select(AiringLogEntry)
            .where(AiringLogEntry.station_id == station_id)
            .order_by(AiringLogEntry.seq)
        )
    )


def rechain(session: Session, station_id: int) -> None:
    """Renumber the station's entries 1.. in their seq order and recompute every hash."""
    entries = station_entries(session, station_id)
    for entry in entries:  # out of the way first: (station, seq) is unique
        entry.seq = -entry.seq
    session.flush()
    prev = GENESIS
    for number, entry in enumerate(entries, start=1):
        entry.seq, entry.prev_hash = number, prev
        entry.hash = prev = entry_hash(entry)
    session.flush()
