"""Migration 0002: campaigns gain allow_resume, false for every campaign that existed before."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from loa.migrate import alembic_config, upgrade
from tests.players.conftest import BOTH_DATABASES

OLD_CAMPAIGN = (
    "INSERT INTO campaign (id, code, topic, unit_id, min_airings, min_s, max_s,"
    " tts_engine, tts_voice) VALUES (1, 'CDS', 'Chuyển đổi số', 1, 3, 600, 900, 'espeak-ng', 'vi')"
)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_upgrade_from_0001_keeps_campaigns_without_resume(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "0001")
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO admin_unit (id, code, name, level)"
                          " VALUES (1, 'P', 'Tỉnh', 'province')"))
        conn.execute(text(OLD_CAMPAIGN))
    upgrade(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT code, allow_resume FROM campaign")).all()
    engine.dispose()
    assert [(code, bool(flag)) for code, flag in rows] == [("CDS", False)]


@BOTH_DATABASES
def test_head_takes_a_resumable_campaign_and_downgrades(database_url: str) -> None:
    upgrade(database_url)
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO admin_unit (id, code, name, level)"
                          " VALUES (1, 'P', 'Tỉnh', 'province')"))
        conn.execute(text(OLD_CAMPAIGN))
        conn.execute(text("UPDATE campaign SET allow_resume = :yes"), {"yes": True})
        assert conn.execute(text("SELECT allow_resume FROM campaign")).scalar_one()
    engine.dispose()
    command.downgrade(alembic_config(database_url), "0001")
    command.upgrade(alembic_config(database_url), "head")
