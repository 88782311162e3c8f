"""report_export: each report file sent up, kept with its number, author and recommendations

Revision ID: 0009_reports
Revises: 0008_report
Create Date: 2026-12-04 18:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

import loa.db

revision = '0009_reports'
down_revision = '0008_report'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'report_export',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=32), nullable=False),
        sa.Column('number', sa.String(length=6), nullable=False),
        sa.Column('format', sa.String(length=8), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', loa.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('recommendations', sa.Text(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'],
                                name=op.f('fk_report_export_unit_id_admin_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_export')),
    )
    op.create_index(op.f('ix_report_export_unit_id'), 'report_export', ['unit_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_report_export_unit_id'), table_name='report_export')
    op.drop_table('report_export')
