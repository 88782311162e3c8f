"""month close: the closed months and their station-month snapshots

Revision ID: 0005_rule
Revises: 0004
Create Date: 2026-11-28 00:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

import loa.db

revision = '0005_rule'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'month_close',
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('closed_at', loa.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('month', name=op.f('pk_month_close')),
    )
    op.create_table(
        'station_month_snapshot',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('station_id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('required', sa.Integer(), nullable=False),
        sa.Column('counted', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('programme_id', sa.Integer(), nullable=True),
        sa.Column('programme_sha256', sa.String(length=64), nullable=True),
        sa.Column('programme_duration_ms', sa.Integer(), nullable=True),
        sa.Column('chain_seq', sa.BigInteger(), nullable=False),
        sa.Column('chain_head', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_station_month_snapshot_campaign_id_campaign')),
        sa.ForeignKeyConstraint(['month'], ['month_close.month'], name=op.f('fk_station_month_snapshot_month_month_close')),
        sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_station_month_snapshot_programme_id_programme')),
        sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_station_month_snapshot_station_id_station')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_station_month_snapshot')),
        sa.UniqueConstraint('month', 'station_id', 'campaign_id', name=op.f('uq_station_month_snapshot_month')),
    )
    with op.batch_alter_table('station_month_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_station_month_snapshot_month'), ['month'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('station_month_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_station_month_snapshot_month'))
    op.drop_table('station_month_snapshot')
    op.drop_table('month_close')
