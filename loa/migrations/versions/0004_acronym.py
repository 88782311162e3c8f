"""operators' acronym dictionary

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 02:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'acronym',
        sa.Column('word', sa.String(length=32), nullable=False),
        sa.Column('spoken', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('word', name=op.f('pk_acronym')),
    )


def downgrade() -> None:
    op.drop_table('acronym')
