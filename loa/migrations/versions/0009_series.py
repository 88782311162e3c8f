"""bulletin series: a named run of bulletins where the newest replaces the one before;
bulletins that play on the hour, and at night

Revision ID: 0009_series
Revises: 0009_reports
Create Date: 2026-12-04 18:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

import loa.db

revision = '0009_series'
down_revision = '0009_reports'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'bulletin_series',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', loa.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'],
                                name=op.f('fk_bulletin_series_unit_id_admin_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bulletin_series')),
        sa.UniqueConstraint('unit_id', 'name', name=op.f('uq_bulletin_series_unit_id')),
    )
    with op.batch_alter_table('bulletin_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulletin_series_unit_id'), ['unit_id'], unique=False)
    with op.batch_alter_table('bulletin', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('superseded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('on_the_hour', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('night', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_bulletin_series_id'), ['series_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_bulletin_series_id_bulletin_series'),
                                    'bulletin_series', ['series_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_bulletin_superseded_by_id_bulletin'),
                                    'bulletin', ['superseded_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('bulletin', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_bulletin_superseded_by_id_bulletin'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_bulletin_series_id_bulletin_series'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_bulletin_series_id'))
        batch_op.drop_column('night')
        batch_op.drop_column('on_the_hour')
        batch_op.drop_column('superseded_by_id')
        batch_op.drop_column('series_id')
    with op.batch_alter_table('bulletin_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulletin_series_unit_id'))
    op.drop_table('bulletin_series')
