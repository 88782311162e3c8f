"""0009_relay adds the relay sources and slots, and takes them away again (both databases)."""

from __future__ import annotations

import pytest
from alembic import command

from loa import migrate
from tests.helpers.databases import tables

pytestmark = pytest.mark.both_databases


def test_relay_tables_up_and_down(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    assert {"relay_source", "relay_slot"} <= tables(empty_database_url)
    command.downgrade(migrate.alembic_config(empty_database_url), "0008_report")
    assert not {"relay_source", "relay_slot"} & tables(empty_database_url)
    assert migrate.pending(empty_database_url)
    migrate.upgrade(empty_database_url)
    assert {"relay_source", "relay_slot"} <= tables(empty_database_url)
