"""0009_series: bulletin series and the on-the-hour/night columns, up and down, both databases."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from loa import migrate

pytestmark = pytest.mark.both_databases


def test_series_table_and_columns_up_and_down(empty_database_url: str) -> None:
    config = migrate.alembic_config(empty_database_url)
    before = ScriptDirectory.from_config(config).get_revision("0009_series").down_revision
    migrate.upgrade(empty_database_url)
    engine = create_engine(empty_database_url)
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("bulletin")}
        assert {"series_id", "superseded_by_id", "on_the_hour", "night"} <= columns
        assert "bulletin_series" in inspect(engine).get_table_names()
        command.downgrade(config, str(before))
        engine.dispose()
        columns = {c["name"] for c in inspect(engine).get_columns("bulletin")}
        assert not {"series_id", "on_the_hour", "night"} & columns
        assert "bulletin_series" not in inspect(engine).get_table_names()
        with engine.connect() as conn:  # the bulletin table itself is intact
            assert conn.execute(text("SELECT count(*) FROM bulletin")).scalar() == 0
        migrate.upgrade(empty_database_url)
        engine.dispose()
        assert "bulletin_series" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
