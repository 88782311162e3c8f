"""Alembic migrations: up from nothing, down to the first, up again, on both databases."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from loa import migrate


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    assert migrate.pending(database_url)  # an empty database is behind
    migrate.upgrade(database_url)
    assert not migrate.pending(database_url)
    assert {"station", "airing", "airing_log_entry", "acronym"} <= tables(database_url)
    command.downgrade(migrate.alembic_config(database_url), "0001")
    assert migrate.pending(database_url) and "acronym" not in tables(database_url)
    migrate.upgrade(database_url)
    assert not migrate.pending(database_url) and "acronym" in tables(database_url)
