"""0008_broker: players keep their rows and gain an empty broker login, and lose it going down."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from loa import migrate

pytestmark = pytest.mark.both_databases  # the database is the point here


def test_broker_login_column_up_and_down(empty_database_url: str) -> None:
    command.upgrade(migrate.alembic_config(empty_database_url), "0007_renderjob")
    engine = create_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO admin_unit (id, code, name, level) "
                              "VALUES (1, '31', 'Hải Phòng', 'province')"))
            conn.execute(text("INSERT INTO station (id, code, unit_id, name, kind, timezone, "
                              "windows) VALUES (1, 'TN', 1, 'Tiên Lãng', 'commune', "
                              "'Asia/Ho_Chi_Minh', '[]')"))
            conn.execute(text("INSERT INTO player (id, station_id, name, token_hash, mode, "
                              "revoked, health) VALUES (1, 1, 'Cụm 1', :hash, 'prefetch', "
                              "false, '{}')"), {"hash": "a" * 64})
        migrate.upgrade(empty_database_url)
        with engine.connect() as conn:  # tokens are hashed: the login comes with a rotation
            row = conn.execute(text("SELECT name, broker_password_hash FROM player")).one()
            assert tuple(row) == ("Cụm 1", None)
        command.downgrade(migrate.alembic_config(empty_database_url), "0007_renderjob")
        engine.dispose()
        assert "broker_password_hash" not in {
            c["name"] for c in inspect(engine).get_columns("player")}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM player")).scalar() == "Cụm 1"
        migrate.upgrade(empty_database_url)
    finally:
        engine.dispose()
