"""chain_mark: how far each station's chain was verified, so reports verify each entry once

Revision ID: 0008_report
Revises: 0008_render
Create Date: 2026-12-04 15:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0008_report'
down_revision = '0008_render'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'chain_mark',
        sa.Column('station_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('tag', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['station_id'], ['station.id'],
                                name=op.f('fk_chain_mark_station_id_station')),
        sa.PrimaryKeyConstraint('station_id', name=op.f('pk_chain_mark')),
    )


def downgrade() -> None:
    op.drop_table('chain_mark')
