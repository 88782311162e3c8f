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


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_upgrade_from_0001_keeps_campaigns_without_resume(empty_database_url: str) -> None:
    command.upgrade(alembic_config(empty_database_url), "0001")
    engine = create_engine(empty_database_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO admin_unit (id, code, name, level)"
                          " VALUES (1, 'P', 'Tỉnh', 'province')"))
        conn.execute(text(OLD_CAMPAIGN))
    upgrade(empty_database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT code, allow_resume FROM campaign")).all()
    engine.dispose()
    assert [(code, bool(flag)) for code, flag in rows] == [("CDS", False)]


@BOTH_DATABASES
def test_downgrade_keeps_campaigns_and_upgrade_restores_the_safe_default(
    empty_database_url: str,
) -> None:
    upgrade(empty_database_url)
    engine = create_engine(empty_database_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO admin_unit (id, code, name, level)"
                          " VALUES (1, 'P', 'Tỉnh', 'province')"))
        conn.execute(text(OLD_CAMPAIGN))
        conn.execute(text("UPDATE campaign SET allow_resume = :yes"), {"yes": True})
    command.downgrade(alembic_config(empty_database_url), "0001")
    with engine.connect() as conn:
        columns = conn.execute(text("SELECT * FROM campaign")).keys()
        assert "allow_resume" not in columns
        assert conn.execute(text("SELECT code FROM campaign")).scalars().all() == ["CDS"]
    command.upgrade(alembic_config(empty_database_url), "head")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT code, allow_resume FROM campaign")).all()
    engine.dispose()
    # The flag did not survive the downgrade: the campaign is back on the rule without resume.
    assert [(code, bool(flag)) for code, flag in rows] == [("CDS", False)]
