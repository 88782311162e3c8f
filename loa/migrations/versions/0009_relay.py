"""relay_source and relay_slot: live relays of VOV and the provincial station

Revision ID: 0009_relay
Revises: 0009_notify
Create Date: 2026-12-04 18:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

import loa.db

revision = '0009_relay'
down_revision = '0009_notify'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'relay_source',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('url', sa.String(length=1000), nullable=False),
        sa.Column('fallback_sha256', sa.String(length=64), nullable=True),
        sa.Column('codec', sa.String(length=32), nullable=True),
        sa.Column('probe_error', sa.String(length=300), nullable=True),
        sa.Column('probed_at', loa.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', loa.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'],
                                name=op.f('fk_relay_source_unit_id_admin_unit')),
        sa.ForeignKeyConstraint(['fallback_sha256'], ['audio_asset.sha256'],
                                name=op.f('fk_relay_source_fallback_sha256_audio_asset')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_relay_source')),
        sa.UniqueConstraint('code', name=op.f('uq_relay_source_code')),
    )
    with op.batch_alter_table('relay_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_relay_source_unit_id'), ['unit_id'], unique=False)
    op.create_table(
        'relay_slot',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('station_id', sa.Integer(), nullable=True),
        sa.Column('days', sa.String(length=40), nullable=False),
        sa.Column('at', sa.String(length=5), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.Column('created_at', loa.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['source_id'], ['relay_source.id'],
                                name=op.f('fk_relay_slot_source_id_relay_source')),
        sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'],
                                name=op.f('fk_relay_slot_unit_id_admin_unit')),
        sa.ForeignKeyConstraint(['station_id'], ['station.id'],
                                name=op.f('fk_relay_slot_station_id_station')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_relay_slot')),
    )
    with op.batch_alter_table('relay_slot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_relay_slot_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_relay_slot_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_relay_slot_station_id'), ['station_id'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('relay_slot')
    op.drop_table('relay_source')
