"""bulletins: bulletin, its targets, deliveries and placed slots; unit emergency settings

Revision ID: 0007_bulletin
Revises: 0006_sec
Create Date: 2026-11-28 03:33:57.365955

The log gains ``bulletin_id`` for bulletin.started/completed; older entries keep
None there, and their hashes do not cover it (chain.entry_payload adds it only when set).
"""

import sqlalchemy as sa
from alembic import op

import loa.db


revision = '0007_bulletin'
down_revision = '0006_sec'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bulletin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('priority', sa.Enum('normal', 'priority', 'emergency', name='bulletinpriority', native_enum=False, length=16), nullable=False),
    sa.Column('status', sa.Enum('pending', 'active', 'cancelled', 'ended', name='bulletinstatus', native_enum=False, length=16), nullable=False),
    sa.Column('asset_sha256', sa.String(length=64), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('valid_from', loa.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_until', loa.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('repeat_count', sa.Integer(), nullable=False),
    sa.Column('repeat_every_s', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', loa.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.String(length=64), nullable=True),
    sa.Column('approved_at', loa.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', loa.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.String(length=64), nullable=True),
    sa.Column('cancelled_at', loa.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', loa.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['asset_sha256'], ['audio_asset.sha256'], name=op.f('fk_bulletin_asset_sha256_audio_asset')),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'], name=op.f('fk_bulletin_unit_id_admin_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulletin'))
    )
    with op.batch_alter_table('bulletin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulletin_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_bulletin_unit_id'), ['unit_id'], unique=False)

    op.create_table('bulletin_slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bulletin_id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', loa.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', loa.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('planned', 'published', 'aired', 'missed', 'cancelled', name='bulletinslotstatus', native_enum=False, length=16), nullable=False),
    sa.ForeignKeyConstraint(['bulletin_id'], ['bulletin.id'], name=op.f('fk_bulletin_slot_bulletin_id_bulletin')),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_bulletin_slot_station_id_station')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulletin_slot'))
    )
    with op.batch_alter_table('bulletin_slot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulletin_slot_bulletin_id'), ['bulletin_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bulletin_slot_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bulletin_slot_station_id'), ['station_id'], unique=False)

    op.create_table('bulletin_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bulletin_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('station_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['bulletin_id'], ['bulletin.id'], name=op.f('fk_bulletin_target_bulletin_id_bulletin')),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_bulletin_target_station_id_station')),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'], name=op.f('fk_bulletin_target_unit_id_admin_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulletin_target'))
    )
    with op.batch_alter_table('bulletin_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulletin_target_bulletin_id'), ['bulletin_id'], unique=False)

    op.create_table('bulletin_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bulletin_id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('player_id', sa.Integer(), nullable=False),
    sa.Column('pushed_at', loa.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('fetched_at', loa.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_at', loa.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', loa.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('plays', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['bulletin_id'], ['bulletin.id'], name=op.f('fk_bulletin_delivery_bulletin_id_bulletin')),
    sa.ForeignKeyConstraint(['player_id'], ['player.id'], name=op.f('fk_bulletin_delivery_player_id_player')),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_bulletin_delivery_station_id_station')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulletin_delivery')),
    sa.UniqueConstraint('bulletin_id', 'player_id', name=op.f('uq_bulletin_delivery_bulletin_id'))
    )
    with op.batch_alter_table('bulletin_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulletin_delivery_bulletin_id'), ['bulletin_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bulletin_delivery_player_id'), ['player_id'], unique=False)

    with op.batch_alter_table('admin_unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('emergency_roles', sa.String(length=200), server_default='leader,admin', nullable=False))
        batch_op.add_column(sa.Column('attention_sha256', sa.String(length=64), nullable=True))

    with op.batch_alter_table('airing_log_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bulletin_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_airing_log_entry_bulletin_id'), ['bulletin_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_airing_log_entry_bulletin_id_bulletin'), 'bulletin', ['bulletin_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('airing_log_entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_airing_log_entry_bulletin_id_bulletin'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_airing_log_entry_bulletin_id'))
        batch_op.drop_column('bulletin_id')

    with op.batch_alter_table('admin_unit', schema=None) as batch_op:
        batch_op.drop_column('attention_sha256')
        batch_op.drop_column('emergency_roles')

    with op.batch_alter_table('bulletin_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulletin_delivery_player_id'))
        batch_op.drop_index(batch_op.f('ix_bulletin_delivery_bulletin_id'))

    op.drop_table('bulletin_delivery')
    with op.batch_alter_table('bulletin_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulletin_target_bulletin_id'))

    op.drop_table('bulletin_target')
    with op.batch_alter_table('bulletin_slot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulletin_slot_station_id'))
        batch_op.drop_index(batch_op.f('ix_bulletin_slot_starts_at'))
        batch_op.drop_index(batch_op.f('ix_bulletin_slot_bulletin_id'))

    op.drop_table('bulletin_slot')
    with op.batch_alter_table('bulletin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulletin_unit_id'))
        batch_op.drop_index(batch_op.f('ix_bulletin_status'))

    op.drop_table('bulletin')
