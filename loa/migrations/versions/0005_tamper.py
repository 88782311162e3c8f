"""tamper evidence: keys and revocations in the chains, an append-only log on PostgreSQL

Revision ID: 0005_tamper
Revises: 0005_ingest
Create Date: 2026-11-28 01:00:00.000000

From this revision ``loa audit verify`` takes each player's keys from its
station's chain. Keys enrolled (and players revoked) before it are written into
the chains here, at their ends, marked ``backfilled``: a backfilled key counts
from the start of the chain, since it signed the entries before it.
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import loa.db
from loa.compliance.chain import GENESIS, entry_hash
from loa.compliance.keylog import KEY_ENROLLED, PLAYER_REVOKED, key_text, server_body
from loa.compliance.models import AiringLogEntry

revision = '0005_tamper'
down_revision = '0005_ingest'
branch_labels = None
depends_on = None

LOG = sa.table(
    'airing_log_entry',
    *(sa.column(name) for name in (
        'station_id', 'seq', 'player_id', 'event_id', 'event', 'airing_id', 'asset_sha256',
        'played_ms', 'sig', 'signed_body', 'prev_hash', 'hash')),
    sa.column('at', loa.db.UTCDateTime()),
    sa.column('received_at', loa.db.UTCDateTime()),
    sa.column('detail', sa.JSON()),
)

APPEND_ONLY = (
    """CREATE FUNCTION loa_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'airing_log_entry is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END $$""",
    """CREATE TRIGGER airing_log_entry_append_only BEFORE UPDATE OR DELETE ON airing_log_entry
    FOR EACH ROW EXECUTE FUNCTION loa_log_is_append_only()""",
    """CREATE TRIGGER airing_log_entry_no_truncate BEFORE TRUNCATE ON airing_log_entry
    FOR EACH STATEMENT EXECUTE FUNCTION loa_log_is_append_only()""",
)


def _backfill_entries(conn: sa.Connection, now: datetime) -> list[dict[str, object]]:
    """One key.enrolled per key and one player.revoked per revoked player, per station chain."""
    heads = {
        r.station_id: (r.seq, r.hash)
        for r in conn.execute(sa.text(
            "SELECT e.station_id, e.seq, e.hash FROM airing_log_entry e JOIN "
            "(SELECT station_id, MAX(seq) AS seq FROM airing_log_entry GROUP BY station_id) m "
            "ON m.station_id = e.station_id AND m.seq = e.seq"))
    }
    facts = [
        (r.station_id, r.player_id, KEY_ENROLLED,
         {"public_key": key_text(r.public_key), "backfilled": True})
        for r in conn.execute(sa.text(
            "SELECT p.station_id, k.player_id, k.public_key FROM player_key k "
            "JOIN player p ON p.id = k.player_id ORDER BY k.id"))
    ] + [
        (r.station_id, r.id, PLAYER_REVOKED, {"by": "migration 0005_tamper", "backfilled": True})
        for r in conn.execute(sa.text(
            "SELECT station_id, id FROM player WHERE revoked ORDER BY id"))
    ]
    rows: list[dict[str, object]] = []
    for station_id, player_id, event, detail in facts:
        seq, prev_hash = heads.get(station_id, (0, GENESIS))
        event_id = str(uuid.uuid4())
        row: dict[str, object] = dict(
            station_id=station_id, seq=seq + 1, player_id=player_id, event_id=event_id,
            event=event, airing_id=None, at=now, received_at=now, asset_sha256=None,
            played_ms=None, detail=detail, sig=None,
            signed_body=server_body(event_id, event, player_id, now, detail), prev_hash=prev_hash,
        )
        row['hash'] = entry_hash(AiringLogEntry(**row))
        heads[station_id] = (seq + 1, str(row['hash']))
        rows.append(row)
    return rows


def upgrade() -> None:
    conn = op.get_bind()
    rows = _backfill_entries(conn, datetime.now(UTC))
    if rows:
        op.bulk_insert(LOG, rows)
    if conn.dialect.name == 'postgresql':
        for statement in APPEND_ONLY:
            op.execute(statement)


def downgrade() -> None:
    # The backfilled and later key entries stay: removing them would break the chains.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER airing_log_entry_no_truncate ON airing_log_entry')
        op.execute('DROP TRIGGER airing_log_entry_append_only ON airing_log_entry')
        op.execute('DROP FUNCTION loa_log_is_append_only()')
