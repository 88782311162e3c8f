"""An operator's extra airing may name zones of its station: airing_zone

Revision ID: 0012_airing_zones
Revises: 0011_zone_targets
Create Date: 2026-12-05 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0012_airing_zones'
down_revision = '0011_zone_targets'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'airing_zone',
        sa.Column('airing_id', sa.Integer(), nullable=False),
        sa.Column('zone_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['airing_id'], ['airing.id'], ondelete='CASCADE',
                                name=op.f('fk_airing_zone_airing_id_airing')),
        sa.ForeignKeyConstraint(['zone_id'], ['zone.id'],
                                name=op.f('fk_airing_zone_zone_id_zone')),
        sa.PrimaryKeyConstraint('airing_id', 'zone_id', name=op.f('pk_airing_zone')),
    )


def downgrade() -> None:
    op.drop_table('airing_zone')
