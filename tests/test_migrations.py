"""Alembic migrations: up from nothing, down to the first, up again, on both databases."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from loa import migrate
from tests.helpers.databases import tables

pytestmark = pytest.mark.both_databases  # the database is the point here


def test_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    assert migrate.pending(empty_database_url)  # an empty database is behind
    migrate.upgrade(empty_database_url)
    assert not migrate.pending(empty_database_url)
    assert {"station", "airing", "airing_log_entry", "acronym"} <= tables(empty_database_url)
    command.downgrade(migrate.alembic_config(empty_database_url), "0001")
    assert migrate.pending(empty_database_url) and "acronym" not in tables(empty_database_url)
    migrate.upgrade(empty_database_url)
    assert not migrate.pending(empty_database_url) and "acronym" in tables(empty_database_url)


def test_upgrade_keeps_rows_that_refer_to_altered_tables(empty_database_url: str) -> None:
    """SQLite rebuilds an altered table; rows pointing at it must not block that."""
    command.upgrade(migrate.alembic_config(empty_database_url), "0001")
    engine = create_engine(empty_database_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO admin_unit (id, code, name, level) "
                "VALUES (1, '31', 'Hải Phòng', 'province')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO campaign (id, code, topic, unit_id, min_airings, min_s, "
                "max_s, tts_engine, tts_voice) "
                "VALUES (1, 'CDS', 'Chuyển đổi số', 1, 3, 600, 900, 'espeak-ng', 'vi')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO programme (id, campaign_id, unit_id, month, title, status) "
                "VALUES (1, 1, 1, '2026-12', 'Tháng 12', 'draft')"
            )
        )
    migrate.upgrade(empty_database_url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT code, allow_resume FROM campaign")).one()
        assert row == ("CDS", False)
        assert conn.execute(text("SELECT campaign_id FROM programme")).scalar() == 1
    engine.dispose()


def test_bulletin_tables_up_and_down(empty_database_url: str) -> None:
    """0007_bulletin adds the bulletin tables and columns, and takes them away again."""
    migrate.upgrade(empty_database_url)
    engine = create_engine(empty_database_url)
    try:
        found = inspect(engine)
        assert {"bulletin", "bulletin_target", "bulletin_delivery", "bulletin_slot"} <= set(
            found.get_table_names()
        )
        assert "bulletin_id" in {c["name"] for c in found.get_columns("airing_log_entry")}
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO admin_unit (id, code, name, level) "
                              "VALUES (1, '31', 'Hải Phòng', 'province')"))
            assert conn.execute(text("SELECT emergency_roles FROM admin_unit")).scalar() == (
                "leader,admin"
            )
        command.downgrade(migrate.alembic_config(empty_database_url), "0006_sec")
        engine.dispose()
        found = inspect(engine)
        assert "bulletin" not in found.get_table_names()
        assert "bulletin_id" not in {c["name"] for c in found.get_columns("airing_log_entry")}
        assert "emergency_roles" not in {c["name"] for c in found.get_columns("admin_unit")}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT code FROM admin_unit")).scalar() == "31"
        migrate.upgrade(empty_database_url)
    finally:
        engine.dispose()


def test_user_state_and_token_reveal_up_and_down(empty_database_url: str) -> None:
    """0008_secrets: users keep their rows (active, no forced change) across up and down."""
    config = migrate.alembic_config(empty_database_url)
    command.upgrade(config, "0008_broker")
    engine = create_engine(empty_database_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO admin_unit (id, code, name, level) "
                          "VALUES (1, '31', 'Hải Phòng', 'province')"))
        conn.execute(text("INSERT INTO app_user (id, username, password_hash, role, unit_id) "
                          "VALUES (1, 'tinh', 'x', 'admin', 1)"))
    command.upgrade(config, "0008_secrets")
    with engine.connect() as conn:
        row = conn.execute(text("SELECT state, must_change_password FROM app_user")).one()
        assert row == ("active", False) and "token_reveal" in tables(empty_database_url)
    command.downgrade(config, "0008_broker")
    assert "token_reveal" not in tables(empty_database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT username FROM app_user")).scalar() == "tinh"
    engine.dispose()
    migrate.upgrade(empty_database_url)


def test_chain_mark_table_up_and_down(empty_database_url: str) -> None:
    """0008_report adds the verified-up-to marks, and takes them away again."""
    migrate.upgrade(empty_database_url)
    assert "chain_mark" in tables(empty_database_url)
    command.downgrade(migrate.alembic_config(empty_database_url), "0008_render")
    assert "chain_mark" not in tables(empty_database_url) and migrate.pending(empty_database_url)
    migrate.upgrade(empty_database_url)
    assert "chain_mark" in tables(empty_database_url)


def test_report_export_table_up_and_down(empty_database_url: str) -> None:
    """0009_reports keeps each exported report; down takes the table away, up brings it back."""
    migrate.upgrade(empty_database_url)
    assert "report_export" in tables(empty_database_url)
    command.downgrade(migrate.alembic_config(empty_database_url), "0008_report")
    assert "report_export" not in tables(empty_database_url)
    migrate.upgrade(empty_database_url)
    assert "report_export" in tables(empty_database_url)


def test_bulletin_offer_table_up_and_down(empty_database_url: str) -> None:
    """0009_offers adds the offers from above, and takes them away again."""
    migrate.upgrade(empty_database_url)
    assert "bulletin_offer" in tables(empty_database_url)
    command.downgrade(migrate.alembic_config(empty_database_url), "0008_report")
    assert "bulletin_offer" not in tables(empty_database_url)
    assert migrate.pending(empty_database_url)
    migrate.upgrade(empty_database_url)
    assert "bulletin_offer" in tables(empty_database_url)


def test_cap_tables_up_and_down(empty_database_url: str) -> None:
    """0009_cap adds the CAP feeds and the alerts taken in, and takes them away again."""
    migrate.upgrade(empty_database_url)
    assert {"cap_feed", "cap_alert"} <= tables(empty_database_url)
    command.downgrade(migrate.alembic_config(empty_database_url), "0008_report")
    assert not {"cap_feed", "cap_alert"} & tables(empty_database_url)
    migrate.upgrade(empty_database_url)
    assert {"cap_feed", "cap_alert"} <= tables(empty_database_url)


def test_delivery_state_columns_up_and_down(empty_database_url: str) -> None:
    """0009_delivery adds what the delivery states read (the latest start, the failure and
    why a completion did not count), and takes them away again."""

    def columns() -> set[str]:
        engine = create_engine(empty_database_url)
        try:
            return {c["name"] for c in inspect(engine).get_columns("bulletin_delivery")}
        finally:
            engine.dispose()

    added = {"last_started_at", "failed_at", "failure", "not_counted"}
    migrate.upgrade(empty_database_url)
    assert added <= columns()
    command.downgrade(migrate.alembic_config(empty_database_url), "0008_report")
    assert not added & columns() and "started_at" in columns()
    migrate.upgrade(empty_database_url)
    assert added <= columns()


def test_user_names_and_station_retirement_up_and_down(empty_database_url: str) -> None:
    """0010_forms adds a user's full name and title and a station's retired_at, and takes
    them away again."""
    def columns(table: str) -> set[str]:
        engine = create_engine(empty_database_url)
        try:
            return {c["name"] for c in inspect(engine).get_columns(table)}
        finally:
            engine.dispose()

    migrate.upgrade(empty_database_url)
    assert {"full_name", "title"} <= columns("app_user") and "retired_at" in columns("station")
    command.downgrade(migrate.alembic_config(empty_database_url), "0009_offers")
    assert not {"full_name", "title"} & columns("app_user")
    assert "retired_at" not in columns("station")
    migrate.upgrade(empty_database_url)
    assert "retired_at" in columns("station")
