"""bulletin_offer: a normal bulletin from a unit above offered to each target commune's station

Revision ID: 0009_offers
Revises: 0009_series
Create Date: 2026-12-04 18:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

import loa.db

revision = '0009_offers'
down_revision = '0009_series'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'bulletin_offer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('bulletin_id', sa.Integer(), nullable=False),
        sa.Column('station_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.Enum('offered', 'accepted', 'declined', 'auto_accepted',
                                   name='bulletinofferstate', native_enum=False, length=16),
                  nullable=False),
        sa.Column('offered_at', loa.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('answered_by', sa.String(length=64), nullable=True),
        sa.Column('answered_at', loa.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['bulletin_id'], ['bulletin.id'],
                                name=op.f('fk_bulletin_offer_bulletin_id_bulletin')),
        sa.ForeignKeyConstraint(['station_id'], ['station.id'],
                                name=op.f('fk_bulletin_offer_station_id_station')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bulletin_offer')),
        sa.UniqueConstraint('bulletin_id', 'station_id',
                            name=op.f('uq_bulletin_offer_bulletin_id')),
    )
    with op.batch_alter_table('bulletin_offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulletin_offer_bulletin_id'), ['bulletin_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_bulletin_offer_station_id'), ['station_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_bulletin_offer_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bulletin_offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulletin_offer_state'))
        batch_op.drop_index(batch_op.f('ix_bulletin_offer_station_id'))
        batch_op.drop_index(batch_op.f('ix_bulletin_offer_bulletin_id'))
    op.drop_table('bulletin_offer')
