"""64-bit played_ms and clock_offset_ms

Revision ID: 0005_ingest
Revises: 0005_rule
Create Date: 2026-11-28 01:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0005_ingest'
down_revision = '0005_rule'
branch_labels = None
depends_on = None

# A player's clock a month off is 2.6e9 ms, past INTEGER: the batch carrying its
# heartbeat failed on PostgreSQL. SQLite's INTEGER is 64-bit already; the batch
# rebuild there only keeps the declared types in step with the models.
COLUMNS = [('airing_log_entry', 'played_ms'), ('player', 'clock_offset_ms')]


def upgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, type_=sa.BigInteger(), existing_type=sa.Integer(),
                                  existing_nullable=True)


def downgrade() -> None:
    # Values past 32 bits cannot go back: they are clipped to the INTEGER range.
    for table, column in COLUMNS:
        op.execute(sa.text(
            f'UPDATE {table} SET {column} = CASE WHEN {column} > 2147483647 THEN 2147483647 '
            f'ELSE -2147483648 END WHERE {column} NOT BETWEEN -2147483648 AND 2147483647'
        ))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, type_=sa.Integer(), existing_type=sa.BigInteger(),
                                  existing_nullable=True)
