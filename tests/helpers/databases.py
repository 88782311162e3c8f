"""A database read by its URL from outside the app's sessions: what a migration or a
restore left behind."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, select

from loa.compliance.models import AiringLogEntry
from loa.db import make_engine


def tables(url: str) -> set[str]:
    """The names of the database's tables."""
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def log_entries(url: str) -> list[tuple[int, str]]:
    """Every airing log entry's seq and hash, in the order they were written."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(  # type: ignore[misc]
                select(AiringLogEntry.seq, AiringLogEntry.hash).order_by(AiringLogEntry.id))]
    finally:
        engine.dispose()
